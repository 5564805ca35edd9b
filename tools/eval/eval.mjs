// `cohort eval`'s driver (docs/AGENTS.md): agent-vs-agent and agent-vs-scripted episodes
// without a browser. src/agents/eval.c checks the command line and resolves every seat to
// a job; this file plays it with the very env (build/web/envs/FAMILY.wasm) and model code
// (web/agent.js) the browsers run, and prints each pairing's mean team score and its
// standard error (--json: also each episode's score and how often each seat took each action).
//
//   node tools/eval/eval.mjs JOB.json
// JOB: { env, envWasm, episodes, steps, seed, json, pairings: [{ label, seats: [SEAT] }] }
// SEAT: { kind: 'policy', name } | { kind: 'model', name, file, format, obs, actions, pick }
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.join(here, '../../web');
const { loadEnv } = await import(path.join(web, 'env.js'));
const { ModelAgent, episodeSeed } = await import(path.join(web, 'agent.js'));

function fail(msg) {
  process.stderr.write(`cohort eval: ${msg}\n`);
  process.exit(2);
}

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
fs.rmSync(process.argv[2], { force: true }); // the C front's temporary file
const bytes = fs.readFileSync(job.envWasm);
const runtimes = {};
const needs = (f) => job.pairings.some((p) => p.seats.some((s) => s.kind === 'model' && s.format === f));
try {
  if (needs('tfjs')) {
    const tf = await import('@tensorflow/tfjs');
    tf.enableProdMode(); // no advert for the native backend on the first tensor
    await tf.setBackend('cpu');
    await tf.ready();
    runtimes.tf = tf;
  }
  if (needs('onnx')) {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    runtimes.ort = ort;
  }
} catch (e) {
  fail(`the model runtimes are not installed (run scripts/setup --agents): ${e.message}`);
}
const readFile = async (f) => fs.readFileSync(f);

async function seatPlayers(env, pairing) {
  const out = [];
  for (let s = 0; s < pairing.seats.length; s++) {
    const spec = pairing.seats[s];
    if (spec.kind === 'policy') {
      const idx = env.info.policies.indexOf(spec.name);
      if (idx < 0) fail(`${job.env} has no scripted policy ${spec.name}`);
      out.push({ label: spec.name, act: () => env.policy(idx, s), decisions: 0, ms: 0 });
    } else {
      let agent;
      try {
        agent = await ModelAgent.load({ ...spec, seat: s, url: spec.file }, env, runtimes, readFile);
      } catch (e) {
        fail(`${spec.name}: ${e.message}`);
      }
      out.push({ label: spec.name, agent, act: (frame, seed) => agent.decide(env, frame, seed), decisions: 0, ms: 0 });
    }
  }
  return out;
}

function meanAndError(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, se: 0 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

const results = [];
for (const pairing of job.pairings) {
  const env = await loadEnv(job.env, { bytes });
  const players = await seatPlayers(env, pairing);
  if (players.length !== env.info.players) fail(`${job.env} seats ${env.info.players}, the pairing ${pairing.label} names ${players.length}`);
  const scores = [];
  const actionCounts = []; // per episode, per seat: how often each action was taken
  const t0 = performance.now();
  for (let e = 0; e < job.episodes; e++) {
    const seed = episodeSeed(BigInt(job.seed), e);
    env.reset(seed, job.steps);
    let team = 0;
    const counts = players.map(() => new Array(env.info.actions).fill(0));
    for (let frame = 0; frame < job.steps; frame++) {
      const actions = new Array(players.length);
      for (let s = 0; s < players.length; s++) {
        const p = players[s];
        const d0 = performance.now();
        let a = p.act(frame, seed);
        if (a instanceof Promise) a = await a;
        p.ms += performance.now() - d0;
        p.decisions++;
        actions[s] = a;
        if (a >= 0 && a < env.info.actions) counts[s][a]++;
      }
      const out = env.step(actions);
      for (const r of out.rewards) team += r;
      if (out.terminated || out.truncated) break;
    }
    scores.push(team);
    actionCounts.push(counts);
  }
  const { mean, se } = meanAndError(scores);
  results.push({
    pairing: pairing.label,
    episodes: job.episodes,
    steps: job.steps,
    mean,
    se,
    scores,
    actions: actionCounts,
    ms_per_decision: Object.fromEntries(players.map((p, s) => [`seat${s}:${p.label}`, p.decisions ? p.ms / p.decisions : 0])),
    seconds: (performance.now() - t0) / 1000,
  });
  for (const p of players) p.agent?.dispose();
}

if (job.json) {
  process.stdout.write(`${JSON.stringify({ env: job.env, seed: String(job.seed), results }, null, 2)}\n`);
} else {
  process.stdout.write(`${job.env}, ${job.episodes} episodes of ${job.steps} steps, seed ${job.seed}\n`);
  const w = Math.max(...results.map((r) => r.pairing.length), 7);
  process.stdout.write(`${'pairing'.padEnd(w)}  mean team score  standard error\n`);
  for (const r of results) {
    process.stdout.write(`${r.pairing.padEnd(w)}  ${r.mean.toFixed(2).padStart(15)}  ${r.se.toFixed(2).padStart(14)}\n`);
  }
}
