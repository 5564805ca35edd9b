#!/usr/bin/env node
// `cohort pilot`'s driver (docs/PILOT.md). `cohort pilot FILE ...` checks FILE with the
// real loader, writes the resolved experiment as JSON (src/pilot/pilot.c) and runs
//   node pilot.mjs --plan PLAN.json --cohort /path/to/cohort FILE [options]
// This starts `cohort serve` on a throwaway data folder and a free port (or uses --url),
// takes N headless Chromium participants through the study (walker.js), checks what the
// server recorded (checks.js) and writes the report (report.js). Exit 0 PASS, 1 FAIL,
// 2 usage or setup.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from '../harness/server.js';
import { Participant } from '../harness/participant.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../harness/chromium.js';
import { PROFILES, EVENTS, dealProfiles, parseEvents, applyProfile } from './profiles.js';
import { Walker } from './walker.js';
import { checkRun } from './checks.js';
import { writeReport } from './report.js';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const SETUP_HINT = 'run `scripts/setup --pilot` in the cohort source folder (it installs Node.js, Chromium\'s headless shell ' +
  '(Debian package chromium-headless-shell) and Playwright from npm); see docs/PILOT.md, "Setup"';

const HELP = `usage: cohort pilot EXPERIMENT.yaml [options]

Takes N headless browsers through the experiment as participants would and writes a
report (DIR/report.html). Exit 0 when everything passed, 1 on any failure, 2 on usage.

  --browsers N          participants (default 6); more are added if a group cannot fill
  --url URL             pilot a running server instead of starting one (its data folder
                        with --data DIR for the episode checks, its key with --admin-key)
  --out DIR             where the report goes (default pilot-report)
  --network SPEC        profiles, mixed: mix (default: broadband, 4g, wifi-lossy), or e.g.
                        broadband:3,4g:2,far:1; known: ${Object.keys(PROFILES).join(', ')}
  --events SPEC         scripted events, e.g. drop:1,hide:1,reload:1,late:2 (default none)
                        ${Object.entries(EVENTS).map(([k, v]) => `${k}: ${v}`).join('\n                        ')}
  --late-s S            how late a late arrival comes (default 10)
  --quiz POLICY         mixed (default: right and wrong-first alternately), right,
                        wrong-first (one wrong attempt per quiz), fail (wrong until on_fail)
  --invalid WHO         some (default: every other participant), all, none: submit each
                        form invalid first (blank, out of range) and check it is refused
  --play STYLE          random (default: keys tapped 60-250 ms) or hold (0.5-2 s holds)
  --arrive-gap-ms MS    between two arrivals (default 300)
  --no-fill             do not add participants to fill a condition's groups
  --timeout-s S         the whole pilot at most (default: from the experiment's timings)
  --seed N              the run's random choices (printed in the report)
  --keep-data           keep the throwaway data folder (path in the report)
`;

function fail(msg, code = 2) {
  process.stderr.write(`cohort pilot: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = { browsers: 6, out: 'pilot-report', network: 'mix', events: 'none', lateS: 10, quiz: 'mixed', invalid: 'some',
    play: 'random', arriveGapMs: 300, fill: true, timeoutS: 0, seed: Math.floor(Math.random() * 1e9), keepData: false };
  const num = (name, v, lo, hi) => {
    if (!/^\d+$/.test(v ?? '') || Number(v) < lo || Number(v) > hi) fail(`${name} takes a whole number ${lo}-${hi}, got ${v ?? 'nothing'}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    switch (a) {
      case '--help': case '-h': process.stdout.write(HELP); process.exit(0); break;
      case '--plan': o.plan = v(); break;
      case '--cohort': o.cohort = v(); break;
      case '--browsers': o.browsers = num(a, v(), 1, 200); break;
      case '--url': o.url = v()?.replace(/\/$/, ''); break;
      case '--data': o.data = v(); break;
      case '--admin-key': o.adminKey = v(); break;
      case '--out': o.out = v(); break;
      case '--network': o.network = v(); break;
      case '--events': o.events = v(); break;
      case '--late-s': o.lateS = num(a, v(), 0, 3600); break;
      case '--quiz': o.quiz = v(); if (!['mixed', 'right', 'wrong-first', 'fail'].includes(o.quiz)) fail(`--quiz: mixed, right, wrong-first or fail, got ${o.quiz}`); break;
      case '--invalid': o.invalid = v(); if (!['some', 'all', 'none'].includes(o.invalid)) fail(`--invalid: some, all or none, got ${o.invalid}`); break;
      case '--play': o.play = v(); if (!['random', 'hold'].includes(o.play)) fail(`--play: random or hold, got ${o.play}`); break;
      case '--arrive-gap-ms': o.arriveGapMs = num(a, v(), 0, 600000); break;
      case '--no-fill': o.fill = false; break;
      case '--timeout-s': o.timeoutS = num(a, v(), 1, 86400); break;
      case '--seed': o.seed = num(a, v(), 0, 2 ** 31); break;
      case '--keep-data': o.keepData = true; break;
      default:
        if (a.startsWith('-')) fail(`unknown option ${a} (cohort pilot --help lists them)`);
        if (o.file) fail(`one experiment file at a time (got ${o.file} and ${a})`);
        o.file = a;
    }
  }
  if (!o.plan || !o.cohort || !o.file) fail('run me as `cohort pilot EXPERIMENT.yaml [options]`');
  return o;
}

/** Playwright (playwright-core) from wherever it was installed; null when missing. */
async function loadPlaywright() {
  const roots = [process.env.COHORT_NODE_MODULES, path.join(HERE, '..'), path.join(HERE, '../..'), process.cwd()].filter(Boolean);
  try { roots.push(execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()); } catch { /* no npm */ }
  for (const r of roots) {
    for (const name of ['playwright-core', 'playwright', '@playwright/test']) {
      try {
        const req = createRequire(path.join(r, 'node_modules', 'x.js'));
        const m = await import(req.resolve(name));
        const pw = m.chromium ? m : m.default;
        if (pw?.chromium) return pw;
      } catch { /* next */ }
    }
  }
  return null;
}

async function adminState(url, key) {
  if (!key) return null;
  try {
    const r = await fetch(`${url}/api/state`, { headers: { Authorization: `Bearer ${key}` } });
    return r.status === 200 ? await r.json() : null;
  } catch { return null; }
}

/** Whose condition is what, from the admin API: {subject: condition}. */
async function conditionsOf(url, key) {
  const st = await adminState(url, key);
  if (!st) return null;
  return Object.fromEntries((st.people ?? []).map((p) => [p.subject, p.condition || null]));
}

/** The game scenes (table index) a participant of `condition` goes through, with their group size. */
function lobbiesOf(plan, condition) {
  const route = plan.routes[condition ?? ''] ?? plan.routes[Object.keys(plan.routes)[0]] ?? [];
  return route.map((i) => plan.scenes[i]).filter((s) => s.kind === 'game' && s.game.humans > 1).map((s) => ({ key: s.index, humans: s.game.humans, id: s.id }));
}

/** Per game lobby, how many more people it needs for full groups. */
function shortfall(plan, conds) {
  const count = new Map();
  for (const c of conds) for (const l of lobbiesOf(plan, c)) count.set(l.key, { ...l, n: (count.get(l.key)?.n ?? 0) + 1 });
  return [...count.values()].filter((l) => l.n % l.humans !== 0).map((l) => ({ ...l, need: l.humans - (l.n % l.humans) }));
}

/** The whole study's expected wall time for one participant, for the default time limit. */
function expectedSeconds(plan) {
  let s = 60;
  for (const sc of plan.scenes) {
    if (sc.kind !== 'game') continue;
    const g = sc.game;
    s += g.episodes * (g.countdown_s + (g.max_steps * g.step_period_ms) / 1000) + 20;
  }
  return s;
}

async function main() {
  // The plan file is the C front's, written for this run only: gone however we exit.
  const planArg = process.argv.indexOf('--plan');
  if (planArg > 0 && process.argv[planArg + 1]) {
    const planFile = process.argv[planArg + 1];
    process.on('exit', () => fs.rmSync(planFile, { force: true }));
  }
  const o = parseArgs(process.argv.slice(2));
  const plan = JSON.parse(fs.readFileSync(o.plan, 'utf8'));
  fs.rmSync(o.plan, { force: true });
  let events, profiles;
  try {
    events = parseEvents(o.events);
    profiles = dealProfiles(o.network, o.browsers * 3);
  } catch (e) { fail(e.message); }
  if (!fs.existsSync(CHROMIUM)) fail(`Chromium's headless shell is not at ${CHROMIUM} (set COHORT_CHROMIUM to another): ${SETUP_HINT}`);
  const pw = await loadPlaywright();
  if (!pw) fail(`Playwright (the npm package playwright-core) is not installed: ${SETUP_HINT}`);
  const out = path.resolve(o.out);
  const shotsDir = path.join(out, 'shots');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(shotsDir, { recursive: true });
  const t0 = Date.now();
  const log = (s) => process.stdout.write(`pilot: ${s}\n`);

  let server = null;
  let url = o.url, adminKey = o.adminKey, dataDir = o.data ?? null;
  if (!url) {
    server = new Server(path.resolve(o.file), { cohort: o.cohort, dataPrefix: 'cohort-pilot-' });
    await server.start({ timeoutMs: 20000 });
    url = server.url;
    for (let i = 0; i < 40 && !server.adminKey; i++) await sleep(50); // the admin line follows "listening on"
    adminKey = server.adminKey;
    dataDir = server.dataDir;
    log(`serving ${plan.experiment} at ${url} (data in ${dataDir})`);
  } else log(`piloting the server at ${url}`);

  // Ctrl-C or a kill: the server and the browsers go too (the server runs in its own
  // process group, so it would otherwise outlive the pilot), and nothing is reported.
  let interrupted = false;
  const stopNow = (sig) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping the server and the browsers; no report`);
    Promise.resolve(server?.stop({ graceMs: 2000 })).finally(() => {
      if (server && !o.keepData) server.removeData();
      process.exit(130);
    });
  };
  process.on('SIGINT', () => stopNow('SIGINT'));
  process.on('SIGTERM', () => stopNow('SIGTERM'));
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const run = Math.random().toString(36).slice(2, 6);
  const walkers = [];
  const quizPolicy = (i) => (o.quiz === 'mixed' ? (i % 2 ? 'wrong-first' : 'right') : o.quiz);
  // Events go to distinct participants, from the second one on, so participant 1 is a plain run.
  const eventsFor = new Map();
  let slot = 1;
  for (const [name, k] of Object.entries(events)) for (let j = 0; j < k; j++) { const i = slot++ % o.browsers; eventsFor.set(i, { ...(eventsFor.get(i) ?? {}), [name]: 1 }); }
  const viewport = { width: Math.max(1280, plan.require.min_width + 40), height: Math.max(800, plan.require.min_height + 40) };
  const paramName = plan.assignment?.param ?? null;
  const pending = [];

  const launch = async (i, { extra = false, condition } = {}) => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const name = `p${String(i + 1).padStart(2, '0')}`;
    const p = new Participant(context, page, { name, pid: `pilot-${run}-${String(i + 1).padStart(2, '0')}` });
    const profile = profiles[i % profiles.length];
    const evs = eventsFor.get(i) ?? {};
    // Shaping routes every WebSocket message through this process, which costs time of
    // its own; loopback participants (without a drop to inject) talk to the server
    // directly, so their figures are the machine's baseline.
    if (profile !== 'loopback' || evs.drop) {
      const net = await p.withNet(o.seed + i);
      await applyProfile(page, net, profile);
    }
    const params = { STUDY_ID: 'pilot', SESSION_ID: `pilot-${run}` };
    if (paramName) params[paramName] = condition;
    const w = new Walker(p, plan, {
      url, shotsDir, profile, quiz: quizPolicy(i), invalid: o.invalid === 'all' || (o.invalid === 'some' && i % 2 === 0),
      play: o.play, events: evs, seed: o.seed * 7919 + i + 1, params, index: i,
    });
    w.rec.extra = extra;
    if (paramName) w.rec.condition = condition;
    await w.attach();
    walkers.push(w);
    const done = w.run();
    pending.push(done);
    log(`${name} (${p.pid}) arrives: ${profile}${Object.keys(w.o.events).length ? `, ${Object.keys(w.o.events).join('+')}` : ''}${extra ? ' (added to fill a group)' : ''}`);
    // The next arrival does not wait for this one's page (arrivals are a gap apart, as
    // people's are); the group filling below waits until everyone has been given a scene.
    w.arrived = Promise.race([done, p.waitFor(() => window.cohort?.state !== null && window.cohort?.state !== undefined, { what: 'a first scene', timeout: 60000 })]).catch(() => {});
    return w;
  };

  // Param assignment: the pilot names the conditions, in blocks of the first game's group
  // size, so groups fill; otherwise the server assigns and the pilot only learns it.
  const humans = Math.max(1, ...plan.scenes.filter((s) => s.kind === 'game').map((s) => s.game.humans));
  const paramCondition = (i) => plan.conditions[Math.floor(i / humans) % plan.conditions.length];
  const limitS = o.timeoutS || Math.ceil(expectedSeconds(plan) * 2 + o.lateS + o.browsers * o.arriveGapMs / 1000 + 60);
  const deadline = t0 + limitS * 1000;
  let timedOut = false;
  try {
    const late = [];
    for (let i = 0; i < o.browsers; i++) {
      if (eventsFor.get(i)?.late) { late.push(i); continue; }
      if (i > 0 && o.arriveGapMs) await sleep(o.arriveGapMs); // the stated arrival gap
      await launch(i, { condition: paramName ? paramCondition(i) : undefined });
    }
    if (late.length) {
      await sleep(o.lateS * 1000); // the stated lateness
      for (const i of late) await launch(i, { condition: paramName ? paramCondition(i) : undefined });
    }
    // Fill the groups: a condition whose game cannot seat everyone would leave someone
    // waiting out the waiting room; add participants (as the study would get more) until
    // every group can fill, at most as many again as asked for.
    let next = o.browsers;
    // Only those who may still sit down in a game count: not whoever is out already
    // (a place balanced assignment gives to the next arrival) or will fail a quiz.
    const expected = (w) => w.rec.expected !== 'quiz_failed' && (w.rec.outcome === null || w.rec.outcome === 'completed');
    while (o.fill && next < o.browsers * 2) {
      await Promise.all(walkers.map((w) => w.arrived));
      let conds;
      if (plan.conditions.length === 0) conds = walkers.filter(expected).map(() => null);
      else {
        const known = paramName ? null : await conditionsOf(url, adminKey);
        if (!paramName && !known) break; // a running server without --admin-key: cannot know
        for (const w of walkers) if (!paramName) w.rec.condition = known[w.p.pid] ?? w.rec.condition;
        conds = walkers.filter(expected).map((w) => w.rec.condition);
      }
      const short = shortfall(plan, conds);
      if (!short.length) break;
      const s = short[0];
      const cond = plan.scenes[s.key].condition;
      log(`scene ${s.id}${cond ? ` (condition ${cond})` : ''} has ${s.n} participant(s) for groups of ${s.humans}: adding one`);
      const w = await launch(next, { extra: true, condition: paramName ? (cond ?? paramCondition(next)) : undefined });
      await w.arrived;
      next++;
    }
    const all = Promise.all(pending);
    const left = deadline - Date.now();
    const r = await Promise.race([all.then(() => 'done'), sleep(Math.max(1000, left)).then(() => 'timeout')]);
    if (r === 'timeout') {
      timedOut = true;
      for (const w of walkers) if (w.rec.endedAt === null) {
        w.rec.problems.push(`stuck: not at the end page after the pilot's ${limitS} s limit (on scene "${(await w.status())?.scene}", state ${(await w.status())?.state})`);
        await w.shot('stuck').catch(() => {});
      }
    }
    // Conditions as the server recorded them (the admin API holds everyone).
    if (!paramName && plan.conditions.length) {
      const known = await conditionsOf(url, adminKey);
      if (known) for (const w of walkers) w.rec.condition = known[w.p.pid] ?? w.rec.condition;
    }
  } finally {
    await Promise.all(walkers.map((w) => w.p.close()));
    await browser.close().catch(() => {});
  }
  let serverProblems = [];
  let serverLog = '';
  if (server) {
    await server.stop();
    serverProblems = server.problems();
    serverLog = server.log;
  }
  const records = walkers.map((w) => ({ ...w.rec, net: w.p.net?.summary() ?? '' }));
  const checks = await checkRun({ plan, records, dataDir, cohort: o.cohort, serverProblems, timedOut });
  const report = {
    experiment: plan.experiment, file: path.resolve(o.file), url: o.url ?? url, startedAt: t0, wallS: (Date.now() - t0) / 1000,
    browsers: o.browsers, added: records.filter((r) => r.extra).length, seed: o.seed, options: o, limitS,
    plan, records, ...checks, dataDir: server && !o.keepData ? null : dataDir, serverLog,
  };
  const file = writeReport(out, report);
  if (server && !o.keepData) server.removeData();
  const verdict = report.failures.length ? 'FAIL' : 'PASS';
  log(`${verdict}: ${records.length} participants in ${report.wallS.toFixed(1)} s; report ${file}`);
  for (const f of report.failures) process.stdout.write(`  - ${f}\n`);
  process.exit(report.failures.length ? 1 : 0);
}

main().catch((e) => fail(e.stack ?? String(e), 2));
