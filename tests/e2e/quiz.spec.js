// Comprehension quizzes (docs/EXPERIMENTS.md): graded on the server, feedback next to the
// form, what was typed kept; three wrong attempts end the study with quiz_failed and its
// code. Every attempt is a quiz_attempts row.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { readCsv, sqlite, waitForRows } from './lib/exports.js';
import { COHORT } from './lib/server.js';

test.use({ experiment: 'quiz' });

const RIGHT = { chef: 'partner', onions: '3', serve: ['dish', 'pass'] };
const FEEDBACK = 'Not quite: read the instructions again, then correct the marked questions.';

/** Fill the quiz as `answers` says and press Continue (a double click when `double`);
 * resolves once the server has graded it (a quiz_result for this attempt, or a new scene). */
async function attempt(p, answers, { double = false } = {}) {
  const before = await p.status();
  const { page } = p;
  await page.locator(`#scene [name="chef"][value="${answers.chef}"]`).check();
  await page.locator('#scene [name="onions"]').fill(answers.onions);
  for (const box of await page.locator('#scene [name="serve"]').all()) {
    await box.setChecked(answers.serve.includes(await box.getAttribute('value')));
  }
  if (double) await page.locator('#advance').dblclick();
  else await page.locator('#advance').click();
  const graded = (before.quiz?.attempt ?? 0) + 1;
  await p.waitFor(({ scene, n }) => window.cohort?.scene !== scene || window.cohort?.quiz?.attempt === n,
    { arg: { scene: before.scene, n: graded }, what: `attempt ${graded} graded` });
  return p.status();
}

test('failed twice with feedback each time, then passed', async ({ server, participants }, testInfo) => {
  const [p] = await participants(1);
  await p.open(server.url);
  await p.advanceTo('check');

  // A double click is one attempt; the marked question is the one that was wrong.
  let st = await attempt(p, { ...RIGHT, chef: 'me' }, { double: true });
  expect(st.scene).toBe('check');
  expect(st.quiz).toMatchObject({ attempt: 1, attemptsLeft: 2, passed: false, wrong: ['chef'] });
  const box = p.page.locator('#quiz-feedback');
  await expect(box.locator('.quiz-feedback-text')).toHaveText(FEEDBACK);
  await expect(box.locator('.quiz-attempts-left')).toHaveText('2 attempts left.');
  await expect(p.page.locator('fieldset.quiz-wrong')).toHaveCount(1);
  await expect(p.page.locator('fieldset.quiz-wrong legend')).toHaveText('Who controls the blue chef?');
  await expect(p.page.locator('#scene [name="onions"]')).toHaveValue('3'); // what they typed stays
  await expect(p.page.locator('#advance')).toBeEnabled();
  await p.page.screenshot({ path: testInfo.outputPath('quiz-wrong-1.png'), fullPage: true });

  st = await attempt(p, { ...RIGHT, serve: ['dish'], onions: '4' });
  expect(st.quiz).toMatchObject({ attempt: 2, attemptsLeft: 1, wrong: ['onions', 'serve'] });
  await expect(box.locator('.quiz-attempts-left')).toHaveText('1 attempt left.');
  await expect(p.page.locator('fieldset.quiz-wrong')).toHaveCount(2);
  await p.page.screenshot({ path: testInfo.outputPath('quiz-wrong-2.png'), fullPage: true });

  st = await attempt(p, RIGHT);
  expect(st.scene).toBe('thanks');
  await p.advance();
  const end = await p.completionCode();
  expect(end.outcome).toBe('completed');
  expect(end.code).toBe('QUIZOK');

  const rows = await waitForRows(server.db,
    `SELECT attempt, passed, wrong FROM quiz_attempts WHERE subject = '${p.pid}' ORDER BY attempt`,
    (rs) => rs.length >= 3);
  expect(rows).toEqual([
    { attempt: 1, passed: 0, wrong: '["chef"]' },
    { attempt: 2, passed: 0, wrong: '["onions","serve"]' },
    { attempt: 3, passed: 1, wrong: '[]' },
  ]);
  const forms = sqlite(server.db, `SELECT form FROM forms WHERE subject = '${p.pid}' AND scene = 'check'`);
  expect(forms.map((r) => JSON.parse(r.form))).toEqual([{ chef: 'partner', onions: '3', serve: 'dish,pass' }]);

  // The researcher's table counts them: quiz_attempts.SCENE in participants.csv.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-quiz-export-'));
  const r = spawnSync(COHORT, ['export', server.expDir, '--out', out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const people = readCsv(path.join(out, 'participants.csv'));
  expect(people.header).toContain('quiz_attempts.check');
  expect(people.rows.find((row) => row.subject === p.pid)['quiz_attempts.check']).toBe('3');
  fs.rmSync(out, { recursive: true, force: true });
});

test('three wrong attempts end the study with quiz_failed and its code', async ({ server, participants }, testInfo) => {
  const [p] = await participants(1);
  await p.open(server.url);
  await p.advanceTo('check');
  await attempt(p, { ...RIGHT, chef: 'computer' });
  await attempt(p, { ...RIGHT, onions: '2' });
  await attempt(p, { ...RIGHT, serve: [] });
  const end = await p.completionCode();
  expect(end.outcome).toBe('quiz_failed');
  expect(end.code).toBe('QUIZFAIL');
  await expect(p.page.locator('.end-message')).toHaveText(
    'You did not pass the comprehension check, so the study ends here. Thank you for your interest.');
  await p.page.screenshot({ path: testInfo.outputPath('quiz-failed.png'), fullPage: true });

  const outcome = await waitForRows(server.db,
    `SELECT outcome, code FROM outcomes WHERE subject = '${p.pid}'`);
  expect(outcome).toEqual([{ outcome: 'quiz_failed', code: 'QUIZFAIL' }]);
  const attempts = sqlite(server.db, `SELECT count(*) AS n, sum(passed) AS passed FROM quiz_attempts WHERE subject = '${p.pid}'`);
  expect(attempts).toEqual([{ n: 3, passed: 0 }]);
  // A reload shows the same end page, never the quiz again.
  await p.page.reload();
  const again = await p.completionCode();
  expect(again.code).toBe('QUIZFAIL');
});
