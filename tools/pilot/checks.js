// What the pilot checks once every participant is done (docs/PILOT.md "The report"):
// each participant's outcome against the one the run should give, the code against
// end.codes, every form against the file the server wrote, every episode file with
// `cohort replay` and every pair of one episode with `cohort compare`, page errors,
// and the server's own health. Returns {failures, warnings, episodes, forms, profiles,
// participants (per-scene times)}.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const tool = (cohort, args) => {
  const r = spawnSync(cohort, args, { encoding: 'utf8', timeout: 60000 });
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
};

const who = (r) => `${r.name} (${r.pid}${r.condition ? `, condition ${r.condition}` : ''})`;

/** Time per scene and in waiting rooms, from the page's notes of scene/state changes. */
export function timeline(rec) {
  const scenes = {};
  let waitMs = 0;
  const n = rec.notes;
  for (let i = 0; i < n.length; i++) {
    const end = i + 1 < n.length ? n[i + 1].t : rec.endedAt;
    if (n[i].state === 'done' || !n[i].scene) continue;
    const ms = Math.max(0, end - n[i].t);
    scenes[n[i].scene] = (scenes[n[i].scene] ?? 0) + ms;
    if (n[i].state === 'waiting') waitMs += ms;
  }
  return { scenes, waitMs };
}

/** The last (most advanced) game counters per game id, and the latency samples. */
function gamesOf(rec) {
  const games = {};
  for (const note of rec.notes) {
    const g = note.game;
    if (!g?.id) continue;
    const prev = games[g.id];
    // window.cohort.game keeps a game's last counters after it ends, into later scenes:
    // the game's scene is the one it was first seen in.
    if (!prev || g.confirmed >= prev.confirmed || note.latency) games[g.id] = { ...g, scene: prev?.scene ?? note.scene, latency: note.latency ?? prev?.latency ?? null };
  }
  return games;
}

const quantile = (a, q) => { if (!a.length) return null; const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

export async function checkRun({ plan, records, dataDir, cohort, serverProblems, timedOut }) {
  const failures = [];
  const warnings = [];
  for (const p of serverProblems) failures.push(`server: ${p}`);
  const scene = (id, cond) => plan.scenes.find((s) => s.id === id && s.condition === cond) ?? plan.scenes.find((s) => s.id === id);

  // Games and who played together (ids from the pages).
  const byGame = new Map();
  for (const r of records) {
    r.gamesSeen = gamesOf(r);
    r.times = timeline(r);
    for (const [id, g] of Object.entries(r.gamesSeen)) {
      if (!byGame.has(id)) byGame.set(id, { id, scene: g.scene, members: [] });
      byGame.get(id).members.push({ rec: r, seat: g.seat, g });
    }
  }
  // A dropper's partners: partner_dropped when the scene ends the game, else completed.
  for (const r of records) {
    if (r.expected !== 'abandoned') continue;
    const first = Object.keys(r.gamesSeen)[0];
    const game = first && byGame.get(first);
    if (!game) continue;
    const s = scene(game.scene, r.condition);
    for (const m of game.members) if (m.rec !== r && m.rec.expected === 'completed') {
      m.rec.expected = s?.settings?.on_partner_drop === 'end' ? 'partner_dropped' : 'completed';
      m.rec.expectedWhy = `their partner ${r.name} dropped`;
    }
  }

  for (const r of records) {
    for (const p of r.problems) failures.push(`${who(r)}: ${p}`);
    if (r.outcome === null) {
      if (!r.problems.length) failures.push(`${who(r)}: never reached the end page`);
    } else if (r.outcome !== r.expected) {
      const last = r.notes.filter((n) => n.scene && n.state !== 'done').at(-1);
      failures.push(`${who(r)}: ended "${r.outcome}" on leaving scene "${last?.scene ?? '?'}", expected "${r.expected}"${r.expectedWhy ? ` (${r.expectedWhy})` : ''}`);
    }
    if (r.outcome !== null) {
      const want = plan.codes[r.outcome] ?? null;
      if ((r.code || null) !== want) failures.push(`${who(r)}: the end page shows code ${JSON.stringify(r.code)}, end.codes.${r.outcome} is ${JSON.stringify(want)}`);
      if (plan.bonus?.show && r.bonus === null) failures.push(`${who(r)}: bonus.show is set but the end page shows no bonus`);
    }
    for (const e of r.errors) {
      const network = /WebSocket|net::ERR_|Failed to load resource/.test(e.text);
      const scripted = r.events.some((x) => x === 'drop' || x === 'reload');
      if (network && scripted) { e.expected = true; continue; }
      failures.push(`${who(r)}: page error: ${e.text.slice(0, 300)}`);
    }
  }

  // The same unexpected outcome for several people of one condition and scene: say so
  // first, once, naming the condition (the lines per participant follow).
  const groups = new Map();
  for (const r of records) {
    if (r.outcome === null || r.outcome === r.expected) continue;
    const last = r.notes.filter((n) => n.scene && n.state !== 'done').at(-1)?.scene ?? '?';
    const k = `${r.condition ?? ''}|${last}|${r.outcome}|${r.expected}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const summary = [];
  for (const [k, rs] of groups) {
    const [cond, last, outcome, expected] = k.split('|');
    const inCond = records.filter((r) => (r.condition ?? '') === cond).length;
    if (rs.length < 2) continue;
    summary.push(`${cond ? `condition "${cond}"` : 'the study'}: ${rs.length} of ${inCond} participants ended "${outcome}" in scene "${last}" (expected "${expected}")`);
  }
  failures.unshift(...summary);

  // Forms: the file the server wrote holds what the page sent (the last, passing attempt).
  const forms = [];
  if (dataDir) {
    const expDir = path.join(dataDir, plan.experiment);
    for (const r of records) {
      const last = new Map();
      for (const f of r.forms) last.set(f.scene, f);
      for (const f of last.values()) {
        if (r.outcome === 'quiz_failed' && f.quizWrong) continue; // a failed quiz's attempts are in quiz_attempts, not a form
        const file = path.join(expDir, f.scene, `${r.pid}_form.json`);
        let got = null;
        try { got = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { /* missing */ }
        const same = got !== null && JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(f.form).sort());
        forms.push({ who: r.name, scene: f.scene, file: path.relative(dataDir, file), same, sent: f.form, got });
        if (!got) failures.push(`${who(r)}: the form of page "${f.scene}" was not recorded (${path.relative(dataDir, file)} missing)`);
        else if (!same) failures.push(`${who(r)}: the form recorded for "${f.scene}" differs from what the page sent: sent ${JSON.stringify(f.form)}, recorded ${JSON.stringify(got)}`);
      }
    }
  }

  // Episodes: every file replays; the files of one episode (one per human) are identical.
  const episodes = [];
  if (dataDir) {
    const expDir = path.join(dataDir, plan.experiment);
    const byEpisode = new Map();
    const dirs = fs.existsSync(expDir) ? fs.readdirSync(expDir, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
    for (const d of dirs) {
      for (const f of fs.readdirSync(path.join(expDir, d.name)).filter((x) => /_ep\d+\.csv$/.test(x))) {
        const csv = path.join(expDir, d.name, f);
        let side = {};
        try { side = JSON.parse(fs.readFileSync(csv.replace(/\.csv$/, '.json'), 'utf8')); } catch { /* reported by replay */ }
        const key = `${side.game}|${side.episode}`;
        if (!byEpisode.has(key)) byEpisode.set(key, { scene: d.name, game: side.game, episode: side.episode, condition: side.condition || null, env: side.env, seats: side.seats, end: side.end_reason, rows: side.rows, files: [] });
        byEpisode.get(key).files.push(csv);
      }
    }
    for (const e of [...byEpisode.values()].sort((a, b) => `${a.scene}${a.game}${a.episode}`.localeCompare(`${b.scene}${b.game}${b.episode}`))) {
      e.replay = e.files.map((f) => ({ file: path.relative(dataDir, f), ...tool(cohort, ['replay', f]) }));
      e.compare = [];
      for (let i = 1; i < e.files.length; i++) e.compare.push({ a: path.relative(dataDir, e.files[0]), b: path.relative(dataDir, e.files[i]), ...tool(cohort, ['compare', e.files[0], e.files[i]]) });
      const label = `episode ${e.episode} of game ${e.game} (scene ${e.scene}${e.condition ? `, condition ${e.condition}` : ''})`;
      for (const r of e.replay) if (r.code !== 0) failures.push(`${label}: cohort replay ${r.file} exited ${r.code}: ${r.output.split('\n').slice(0, 3).join(' ')}`);
      for (const c of e.compare) if (c.code !== 0) failures.push(`${label}: cohort compare ${c.a} ${c.b} exited ${c.code}: ${c.output.split('\n').slice(0, 3).join(' ')}`);
      episodes.push(e);
    }
    // Every game a page played left its files.
    for (const g of byGame.values()) {
      if (!episodes.some((e) => e.game === g.id)) failures.push(`game ${g.id} (scene ${g.scene}; ${g.members.map((m) => m.rec.name).join(', ')}): no episode file was written`);
    }
  } else warnings.push('no data folder (--url without --data): episode files were not replayed or compared, forms not checked');
  for (const g of byGame.values()) for (const m of g.members) if (m.g.desyncs) failures.push(`${who(m.rec)}: the browser counted ${m.g.desyncs} desyncs in game ${g.id}`);

  // Per network profile: input-to-confirmation latency and rollbacks, over every game.
  const profiles = {};
  for (const r of records) {
    const p = (profiles[r.profile] ??= { participants: 0, p50: [], p95: [], max: [], rollbacks: 0, maxRollback: 0, stalls: 0, resyncs: 0, games: 0 });
    p.participants++;
    for (const g of Object.values(r.gamesSeen)) {
      p.games++;
      p.rollbacks += g.rollbacks ?? 0;
      p.maxRollback = Math.max(p.maxRollback, g.maxRollback ?? 0);
      p.stalls += g.stalls ?? 0;
      p.resyncs += g.resyncs ?? 0;
      if (g.latency) { p.p50.push(g.latency.p50); p.p95.push(g.latency.p95); p.max.push(g.latency.max); }
    }
  }
  for (const p of Object.values(profiles)) {
    p.latencyP50 = quantile(p.p50, 0.5);
    p.latencyP95 = quantile(p.p95, 0.5);
    p.latencyMax = p.max.length ? Math.max(...p.max) : null;
  }
  // Slow confirmations on every profile alike point at the pilot's own machine: the
  // browsers, the server and the network shaping share its cores.
  const p50s = Object.values(profiles).map((p) => p.latencyP50).filter((v) => v !== null);
  if (p50s.length && Math.min(...p50s) > 300) {
    warnings.push(`input-to-confirmation latency is over 300 ms on every network profile (median ${Math.round(quantile(p50s, 0.5))} ms): ` +
      'participants would feel the game lag; when even the fastest profile is this slow, the machine running the pilot is overloaded: run fewer --browsers (bench/README.md, "Pilot")');
  }
  if (timedOut) warnings.push('the pilot hit its time limit (--timeout-s); participants still going were stopped');
  return { failures, warnings, episodes, forms, profiles, games: [...byGame.values()].map((g) => ({ id: g.id, scene: g.scene, members: g.members.map((m) => m.rec.name) })) };
}
