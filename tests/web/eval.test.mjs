// `cohort eval` (docs/AGENTS.md): the same seed gives the same result, sampled agents
// included; another seed gives other draws; a bad command line is refused with a reason.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cohort = path.join(root, 'build/cohort');
const ready = fs.existsSync(cohort) && fs.existsSync(path.join(root, 'build/web/envs/cooking.wasm')) &&
  fs.existsSync(path.join(root, 'node_modules/@tensorflow/tfjs'));
const skip = ready ? false : 'needs make and scripts/setup --agents';

function evalRun(args) {
  const r = spawnSync(cohort, ['eval', ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('cohort eval gives the same scores twice for one seed, and other draws for another', { skip }, () => {
  const args = ['cooking/cramped_room', '--pair', 'ppo_sp:sample,greedy', '--pair', 'greedy,greedy', '--episodes', '3', '--steps', '120', '--json'];
  const a = evalRun([...args, '--seed', '11']);
  const b = evalRun([...args, '--seed', '11']);
  const c = evalRun([...args, '--seed', '12']);
  for (const r of [a, b, c]) assert.equal(r.code, 0, r.err);
  const [ja, jb, jc] = [a, b, c].map((r) => JSON.parse(r.out));
  const scores = (j) => j.results.map((r) => r.scores);
  assert.deepEqual(scores(ja), scores(jb), 'same seed, same scores');
  assert.deepEqual(ja.results.map((r) => r.actions), jb.results.map((r) => r.actions), 'same seed, same actions');
  assert.equal(ja.results[0].pairing, 'ppo_sp:sample,greedy');
  assert.equal(ja.results[0].episodes, 3);
  const mean = ja.results[0].scores.reduce((x, y) => x + y, 0) / 3;
  assert.equal(ja.results[0].mean, mean);
  // Another seed: the sampled agent draws other actions; the scripted pair plays as
  // before (the cooking rules have no randomness of their own).
  assert.notDeepEqual(ja.results[0].actions.map((e) => e[0]), jc.results[0].actions.map((e) => e[0]), 'other seed, other draws');
  assert.deepEqual(ja.results[1].actions, jc.results[1].actions);
  assert.deepEqual(ja.results[1].scores, jc.results[1].scores);
});

test('cohort eval refuses what it cannot run, saying why', { skip }, () => {
  const cases = [
    [['cooking/nosuch', '--pair', 'greedy,greedy'], /unknown env cooking\/nosuch/],
    [['cooking/cramped_room'], /name at least one --pair/],
    [['cooking/cramped_room', '--pair', 'greedy'], /names 1 seats; cooking\/cramped_room has 2/],
    [['cooking/cramped_room', '--pair', 'greedy,robot'], /robot is neither a scripted policy of cooking\/cramped_room nor a shipped agent/],
    [['volley/slime', '--pair', 'ppo_sp,tracker'], /ppo_sp is neither a scripted policy of volley\/slime nor a shipped agent/],
    [['cooking/cramped_room', '--pair', 'greedy:sample,greedy'], /greedy is a scripted policy: it has no :sample/],
    [['cooking/cramped_room', '--pair', 'ppo_sp:best,greedy'], /after ':' comes sample or argmax/],
    [['cooking/cramped_room', '--pair', 'greedy,greedy', '--episodes', '0'], /--episodes must be 1 to/],
    [['cooking/cramped_room', '--pair', 'greedy,greedy', '--seed', '-1'], /--seed must be a whole number/],
  ];
  for (const [args, want] of cases) {
    const r = evalRun(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.err, want, args.join(' '));
  }
});
