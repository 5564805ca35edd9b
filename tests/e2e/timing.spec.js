// Issue 16, the 2019 Overcooked human-AI timing (docs/EXPERIMENTS.md "Timing"): a person
// and the scripted greedy cook on cramped_room at `step_ms: 150` with `input: press`, 60
// steps. The episode completes with the harness's checks (files, `cohort replay`, every
// reported hash verified), its record says how it was paced, it took 60 steps of 150 ms
// of wall time, and a key held down was one action, not one per step.
import { setTimeout as sleep } from 'node:timers/promises';
import { test, expect } from './fixtures.js';
import { readCsv, replay, sidecar, sqlite } from './lib/exports.js';

const STEPS = 60;
const STEP_MS = 150;
const INPUT_DELAY = 1; // tests/e2e/experiments/timing/experiment.yaml
const STAY = '4';
const LEFT = '2';

test.use({ experiment: 'timing' });

test('step_ms 150, input press: a human-AI episode at the 2019 pace, recorded as such', async ({ server, participants, orchestrate }) => {
  const [human] = await participants(1);
  const orch = orchestrate([human], { game: { scene: 'game', maxSteps: STEPS, stepMs: STEP_MS, seats: ['human', 'ai:greedy'] } });
  await orch.arrive();
  await orch.verifyPairing();
  await human.waitFor(() => window.cohort.state === 'playing', { what: 'playing', timeout: 15000 });

  // Random presses (a key down 60-250 ms, then the next) for the first 18 steps...
  human.startKeys(undefined, { seed: 16 });
  await human.waitFor(() => window.cohort.game.confirmed >= 18, { what: 'frame 18', timeout: 10000 });
  const presses = await human.stopKeys();
  // ...then 600 ms (4 steps) without a key, then ArrowLeft held down for 1.5 s (10 steps).
  // Playwright sends one keydown for it, as a browser does before its auto-repeat.
  await sleep(600);
  await human.page.keyboard.down('ArrowLeft');
  await sleep(1500);
  await human.page.keyboard.up('ArrowLeft');
  await orch.waitDone();

  const [{ files, summaries }] = await orch.checkExports();
  const csv = files[human.pid][0];
  const [s] = summaries;
  expect(s.seats[1].sources, 'the AI seat acts on every frame').toEqual({ ai: STEPS });
  expect(s.seats[0].sources.input ?? 0, 'the person sent (press or stay) for the frames').toBeGreaterThanOrEqual(STEPS - 3);
  expect(s.seats[0].verified1).toBeGreaterThan(0);

  // The record says how the game was paced: step_ms as set, no fps, the period, the mode.
  const meta = sidecar(csv);
  expect({ fps: meta.fps, step_ms: meta.step_ms, step_period_ms: meta.step_period_ms, input: meta.input })
    .toEqual({ fps: null, step_ms: STEP_MS, step_period_ms: STEP_MS, input: 'press' });
  const [start] = sqlite(server.db, `SELECT fps, step_ms, input FROM episode_starts WHERE game = '${orch.groups[0].id}'`);
  expect(start).toEqual({ fps: null, step_ms: STEP_MS, input: 'press' });
  const r = replay(csv);
  expect(r.output).toContain(`frames ok (step_ms ${STEP_MS}, input press;`);

  // Wall time: frame n goes when its input does, at the page's tick n - D + 1, so the last
  // frame is confirmed (STEPS - D) steps of 150 ms into the episode: 8.85 s, not the 2 s
  // 60 frames take at 30 fps. Steps are 150 ms apart on average.
  const { rows } = readCsv(csv);
  const tms = rows.map((row) => Number(row.t_ms));
  const last = tms.at(-1);
  test.info().annotations.push({ type: 'wall time', description: `last frame confirmed at ${last} ms; ${presses} random presses` });
  expect(last).toBeGreaterThanOrEqual((STEPS - INPUT_DELAY - 1) * STEP_MS);
  expect(last).toBeLessThanOrEqual((STEPS - INPUT_DELAY + 2) * STEP_MS);
  const mean = (last - tms[INPUT_DELAY]) / (STEPS - 1 - INPUT_DELAY);
  expect(Math.abs(mean - STEP_MS), `steps ${mean.toFixed(1)} ms apart on average`).toBeLessThan(10);

  // One action per keydown. Each press is at most one frame's action; the held ArrowLeft
  // is exactly one frame of left, with the quiet steps before it and every step after it
  // stay (held keys would have moved the chef on each of its ~10 steps).
  const acts = rows.map((row) => row['action.0']);
  const moves = acts.filter((a) => a !== STAY).length;
  expect(moves).toBeGreaterThan(0);
  expect(moves, 'no more actions than keydowns').toBeLessThanOrEqual(presses + 1);
  const lastMove = acts.findLastIndex((a) => a !== STAY);
  expect(acts[lastMove], 'the held key is the last action').toBe(LEFT);
  expect(acts.slice(lastMove - 3, lastMove), 'quiet before the hold').toEqual([STAY, STAY, STAY]);
  expect(lastMove, 'the hold began well before the end').toBeLessThan(STEPS - 10);
});
