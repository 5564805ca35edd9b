// Issue 16: trained agents as partners (docs/AGENTS.md). A person plays with a published
// 2019 agent that runs in their own page; the episode completes with parity (every hash
// the page reports matches the server's record) and replays; the agent's actions are the
// recorded ones.
import { test, expect } from './fixtures.js';
import { sqlite } from './lib/exports.js';

const STAY = '4';

async function playWithAgent({ server, participants, orchestrate }, testInfo, { maxSteps, fps, stepMs, agent }) {
  const [human] = await participants(1);
  const orch = orchestrate([human], { game: { scene: 'game', maxSteps, fps, stepMs, seats: ['human', `ai:${agent}`] } });
  await orch.arrive();
  await orch.verifyPairing();
  await human.waitFor(() => (window.cohort.game.hostedSeats ?? []).includes(1), { what: 'the page to load the agent', timeout: 20000 });
  orch.startKeys();
  await human.waitFor(() => window.cohort.game.frame > 20, { what: 'play under way', timeout: 20000 });
  await human.page.screenshot({ path: testInfo.outputPath('playing-with-agent.png') });
  await orch.waitDone();
  await orch.stopKeys();
  const [{ summaries }] = await orch.checkExports();
  const [s] = summaries;
  const sources = s.seats[1].sources;
  testInfo.annotations.push({ type: 'agent seat', description: `sources ${JSON.stringify(sources)}, actions ${JSON.stringify(s.seats[1].actions)}` });
  // The page sent the agent's action for frame k before simulating k; only one that came
  // in later than the confirm window could be defaulted, and nothing delays this page.
  expect(sources.model ?? 0, 'frames whose action the agent sent').toBeGreaterThanOrEqual(Math.floor(maxSteps * 0.95));
  const moves = Object.entries(s.seats[1].actions).filter(([a]) => a !== STAY).reduce((n, [, c]) => n + c, 0);
  expect(moves, 'the agent moves and interacts').toBeGreaterThan(maxSteps / 10);
  expect(s.seats[0].verified1, 'the page reported hashes that matched').toBeGreaterThan(0);
  expect(s.seats[0].verified0).toBe(0);
  const rows = sqlite(server.db, `SELECT seats FROM games WHERE game = '${orch.groups[0].id}'`);
  expect(rows[0].seats).toContain(`ai:${agent}`);
  return { orch, human };
}

test.describe('a trained agent at 30 fps', () => {
  test.use({ experiment: 'agent' });

  test('a person and the 2019 PPO agent: the agent plays every frame from the page, parity and replay', async ({ server, participants, orchestrate }, testInfo) => {
    await playWithAgent({ server, participants, orchestrate }, testInfo, { maxSteps: 150, fps: 30, agent: 'ppo_sp' });
  });
});

test.describe('a trained agent at the 2019 timing', () => {
  test.use({ experiment: 'agent-2019' });

  test('a person and the 2019 PPO_BC agent at 150 ms steps with key presses: parity, replay, the pace recorded', async ({ server, participants, orchestrate }, testInfo) => {
    const STEPS = 80;
    const { orch, human } = await playWithAgent({ server, participants, orchestrate }, testInfo, { maxSteps: STEPS, stepMs: 150, agent: 'ppo_bc' });
    const ep = sqlite(server.db, `SELECT step_ms, input FROM episode_starts WHERE game = '${orch.groups[0].id}'`);
    expect(ep[0]).toEqual({ step_ms: 150, input: 'press' });
    // One decision per step: the page decided each frame once, never again on a rollback.
    const st = await human.status();
    expect(st.game.frame).toBe(STEPS);
  });
});
