// tests/pilot/run: a passing pilot's report says PASS and has what docs/PILOT.md promises:
// a row per participant with an outcome and code, replayed episodes whose files agree,
// a screenshot file for every image it shows. Prints what is wrong and exits 1.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
const r = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
const problems = [];
if (!html.includes('class="verdict pass"')) problems.push('report.html does not say PASS');
if (r.failures.length) problems.push(`report.json lists failures: ${r.failures.join('; ')}`);
if (r.records.length < r.browsers) problems.push(`${r.records.length} participants for ${r.browsers} browsers`);
for (const p of r.records) {
  if (!p.outcome) problems.push(`${p.name} has no outcome`);
  if (!p.shots.length) problems.push(`${p.name} has no screenshot`);
  for (const s of p.shots) if (!fs.existsSync(path.join(dir, 'shots', s.file))) problems.push(`missing shots/${s.file}`);
  if (!html.includes(`>${p.name}<`)) problems.push(`no row for ${p.name}`);
}
if (!r.episodes.length) problems.push('no episode was checked');
for (const e of r.episodes) {
  if (e.replay.some((x) => x.code !== 0)) problems.push(`episode ${e.game}/${e.episode} did not replay`);
  if (e.compare.some((x) => x.code !== 0)) problems.push(`episode ${e.game}/${e.episode} files differ`);
}
if (!Object.keys(r.profiles).length) problems.push('no network profile figures');
if (problems.length) { console.log(problems.join('; ')); process.exit(1); }
