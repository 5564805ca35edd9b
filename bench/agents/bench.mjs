// Trained-agent figures (docs/AGENTS.md), in headless Chromium and in Node:
//  1. the cost of one decision (observation from the wasm env, the model, the pick) for the
//     2019 PPO agent of each layout, with TensorFlow.js (CPU backend, as pages run it) and
//     with onnxruntime-web (wasm, on the ONNX copy of the cramped-room agent);
//  2. what hosting one agent costs a participant's page: decisions a second at 30 fps and
//     at 150 ms steps, times the median cost, as a share of one core.
// The states are those of real play: seeded greedy-vs-greedy episodes in the wasm env.
// Usage: node bench/agents/bench.mjs   (after scripts/setup --agents and make)
import fs from 'node:fs';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../server.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const LAYOUTS = ['cramped_room', 'asymmetric_advantages', 'coordination_ring', 'forced_coordination', 'counter_circuit'];
const DECISIONS = 400;


async function inBrowser(url) {
  const browser = await chromium.launch({ executablePath: '/usr/lib/chromium/chromium-headless-shell', args: ARGS });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/admin.html`); // any page of the origin: modules load from it
    return await page.evaluate(async ({ layouts, decisions }) => {
      const { loadEnv } = await import('/env.js');
      const { ModelAgent } = await import('/agent.js');
      const tf = await import('/vendor/tf.fesm.min.js');
      await tf.setBackend('cpu');
      await tf.ready();
      const ort = await import('/vendor/ort/ort.wasm.min.mjs');
      ort.env.wasm.wasmPaths = '/vendor/ort/';
      ort.env.wasm.numThreads = 1;
      const readFile = async (u) => (await fetch(u)).arrayBuffer();
      const { measure } = await import('/bench-onnx/measure.mjs');
      return measure({ loadEnv, ModelAgent, runtimes: { tf, ort }, readFile, wasm: { base: '/envs/' }, models: '/models', onnx: '/bench-onnx/ppo_sp_cramped_room.onnx' }, layouts, decisions);
    }, { layouts: LAYOUTS, decisions: DECISIONS });
  } finally {
    await browser.close();
  }
}

async function inNode() {
  const { measure } = await import(path.join(root, 'bench/agents/measure.mjs'));
  const { loadEnv } = await import(path.join(root, 'web/env.js'));
  const { ModelAgent } = await import(path.join(root, 'web/agent.js'));
  const tf = await import('@tensorflow/tfjs');
  tf.enableProdMode(); // no advert for the native backend on the first tensor
  await tf.setBackend('cpu');
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const bytes = fs.readFileSync(path.join(root, 'build/web/envs/cooking.wasm'));
  return measure({ loadEnv, ModelAgent, runtimes: { tf, ort }, readFile: async (f) => fs.readFileSync(f), wasm: { bytes },
    models: path.join(root, 'models'), onnx: path.join(root, 'tests/fixtures/models/ppo_sp_cramped_room.onnx') }, LAYOUTS, DECISIONS);
}

function table(title, rows) {
  console.log(title);
  console.log('layout                  runtime  input      median_ms  p99_ms  page at 30 fps  page at 150 ms');
  for (const r of rows) {
    const at30 = (r.median * 30) / 10; // ms per second -> % of a core
    const at150 = (r.median * (1000 / 150)) / 10;
    console.log(`${r.layout.padEnd(22)}  ${r.format.padEnd(7)}  ${r.shape.join('x').padEnd(9)}  ${r.median.toFixed(3).padStart(9)}  ${r.p99.toFixed(3).padStart(6)}  ${(at30.toFixed(1) + '%').padStart(14)}  ${(at150.toFixed(1) + '%').padStart(14)}`);
  }
  console.log('');
}

// The ONNX fixture and the measurement are not part of the client; the page reads them
// from a copy in build/web, removed afterwards.
fs.mkdirSync(path.join(root, 'build/web/bench-onnx'), { recursive: true });
fs.copyFileSync(path.join(root, 'bench/agents/measure.mjs'), path.join(root, 'build/web/bench-onnx/measure.mjs'));
fs.copyFileSync(path.join(root, 'tests/fixtures/models/ppo_sp_cramped_room.onnx'), path.join(root, 'build/web/bench-onnx/ppo_sp_cramped_room.onnx'));
const server = await startServer('bench/browser/experiment.yaml');
try {
  console.log(`trained agents: ${DECISIONS} decisions per row on states of greedy-vs-greedy play (the 2019 ppo_sp agents; onnx: the same cramped-room weights as ONNX)`);
  console.log('"page at 30 fps" = median x 30 decisions a second, as a share of one core; "at 150 ms" = median x 6.7\n');
  table('headless Chromium (the participant\'s page)', await inBrowser(server.url));
  table('Node.js (cohort eval)', await inNode());
} finally {
  server.stop();
  rmSync(path.join(root, 'build/web/bench-onnx'), { recursive: true, force: true });
}
