// The pilot's report (docs/PILOT.md "The report"): DIR/report.html, one self-contained
// page (styles inline, no script) beside DIR/shots/*.png, and DIR/report.json with
// everything it shows for scripts.

import fs from 'node:fs';
import path from 'node:path';

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const secs = (ms) => (ms === undefined || ms === null ? '' : `${(ms / 1000).toFixed(1)} s`);
const num = (v, unit = '') => (v === null || v === undefined ? '–' : `${Math.round(v * 10) / 10}${unit}`);

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.verdict{display:inline-block;font-weight:700;font-size:20px;padding:6px 16px;border-radius:6px;color:#fff;margin:8px 0}
.pass{background:#1a7f37}.fail{background:#cf222e}
table{border-collapse:collapse;background:#fff;margin:4px 0;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6} td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#cf222e;font-weight:600}.ok{color:#1a7f37}.muted{color:#656d76}
ul.failures li{color:#cf222e;margin:2px 0}
.shots{display:flex;flex-wrap:wrap;gap:10px}
.shots figure{margin:0;background:#fff;border:1px solid #d0d7de;padding:4px;width:260px}
.shots img{width:100%;display:block} figcaption{font-size:12px;color:#656d76}
details{margin:6px 0} summary{cursor:pointer;font-weight:600}
pre{background:#fff;border:1px solid #d0d7de;padding:8px;overflow:auto;max-height:300px;font-size:12px}
`;

export function writeReport(dir, R) {
  const failed = R.failures.length > 0;
  const sceneIds = [...new Set(R.records.flatMap((r) => Object.keys(r.times?.scenes ?? {})))];
  const h = [];
  h.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pilot of ${esc(R.experiment)}: ${failed ? 'FAIL' : 'PASS'}</title><style>${CSS}</style></head><body>`);
  h.push(`<h1>Pilot of <code>${esc(R.experiment)}</code></h1>`);
  h.push(`<div class="muted">${esc(R.file)} · ${new Date(R.startedAt).toISOString().replace('T', ' ').slice(0, 19)} UTC · ${R.records.length} browsers (${R.browsers} asked${R.added ? `, ${R.added} added to fill groups` : ''}) · ${R.wallS.toFixed(1)} s · seed ${R.seed} · ${R.options.url ? `server ${esc(R.url)}` : 'own server on a throwaway data folder'}</div>`);
  h.push(`<div class="verdict ${failed ? 'fail' : 'pass'}">${failed ? 'FAIL' : 'PASS'}</div>`);
  if (failed) h.push(`<ul class="failures">${R.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`);
  else h.push('<p>Every participant reached the end page with the outcome and code expected, every form was recorded as sent, every episode replayed and its files agree, and no page showed an error.</p>');
  if (R.warnings.length) h.push(`<ul>${R.warnings.map((w) => `<li class="muted">${esc(w)}</li>`).join('')}</ul>`);

  h.push('<h2>Participants</h2><table><tr><th>who</th><th>condition</th><th>network</th><th>events</th><th>quiz</th>');
  for (const s of sceneIds) h.push(`<th>${esc(s)}</th>`);
  h.push('<th>waited</th><th>outcome</th><th>expected</th><th>code</th><th>bonus</th><th>errors</th></tr>');
  for (const r of R.records) {
    const bad = r.outcome !== r.expected || r.problems.length > 0;
    h.push(`<tr><td>${esc(r.name)}<br><span class="muted">${esc(r.pid)}</span>${r.extra ? '<br><span class="muted">added</span>' : ''}</td><td>${esc(r.condition ?? '–')}</td><td>${esc(r.profile)}</td><td>${esc(r.events.join(', ') || '–')}</td><td>${esc(r.quizPolicy)}${r.quiz.length ? `<br><span class="muted">${r.quiz.length} attempt${r.quiz.length > 1 ? 's' : ''}</span>` : ''}</td>`);
    for (const s of sceneIds) h.push(`<td class="num">${secs(r.times?.scenes?.[s])}</td>`);
    h.push(`<td class="num">${secs(r.times?.waitMs)}</td><td class="${bad ? 'bad' : 'ok'}">${esc(r.outcome ?? 'none')}</td><td>${esc(r.expected)}</td><td><code>${esc(r.code ?? '–')}</code></td><td>${esc(r.bonus ?? '–')}</td><td class="num ${r.errors.filter((e) => !e.expected).length ? 'bad' : ''}">${r.errors.length}</td></tr>`);
  }
  h.push('</table><p class="muted">Times are wall time on each scene (its page, waiting room and game together); "waited" is the time in waiting rooms. Scenes a participant went through twice (a quiz retry) are summed.</p>');

  h.push('<h2>Episodes: parity and replay</h2>');
  if (!R.episodes.length) h.push('<p class="muted">No episode files.</p>');
  else {
    h.push('<table><tr><th>scene</th><th>condition</th><th>game</th><th>episode</th><th>seats</th><th>frames</th><th>end</th><th>cohort replay</th><th>cohort compare</th></tr>');
    for (const e of R.episodes) {
      const rep = e.replay.every((x) => x.code === 0);
      const cmp = e.compare.every((x) => x.code === 0);
      h.push(`<tr><td>${esc(e.scene)}</td><td>${esc(e.condition ?? '–')}</td><td><code>${esc(e.game)}</code></td><td class="num">${esc(e.episode)}</td><td>${esc((e.seats ?? []).join(', '))}</td><td class="num">${esc(e.rows)}</td><td>${esc(e.end)}</td>` +
        `<td class="${rep ? 'ok' : 'bad'}">${rep ? `ok (${e.replay.length} file${e.replay.length > 1 ? 's' : ''})` : esc(e.replay.filter((x) => x.code !== 0).map((x) => `${x.file}: ${x.output}`).join('; '))}</td>` +
        `<td class="${cmp ? 'ok' : 'bad'}">${e.compare.length ? (cmp ? 'identical' : esc(e.compare.filter((x) => x.code !== 0).map((x) => x.output).join('; '))) : '<span class="muted">one human</span>'}</td></tr>`);
    }
    h.push('</table>');
  }

  h.push('<h2>Network profiles</h2><table><tr><th>profile</th><th>participants</th><th>games</th><th>input to confirmation p50</th><th>p95</th><th>max</th><th>rollbacks</th><th>deepest rollback</th><th>stalls</th><th>resyncs</th></tr>');
  for (const [name, p] of Object.entries(R.profiles)) {
    h.push(`<tr><td>${esc(name)}</td><td class="num">${p.participants}</td><td class="num">${p.games}</td><td class="num">${num(p.latencyP50, ' ms')}</td><td class="num">${num(p.latencyP95, ' ms')}</td><td class="num">${num(p.latencyMax, ' ms')}</td><td class="num">${p.rollbacks}</td><td class="num">${p.maxRollback} frames</td><td class="num">${p.stalls}</td><td class="num">${p.resyncs}</td></tr>`);
  }
  h.push('</table><p class="muted">Latency: from a key press to the server\'s confirmation of that frame, as the browser measured it (median over games of each game\'s median and 95th percentile). Rollbacks: frames re-simulated when a partner\'s input arrived later than predicted.</p>');

  if (R.forms.length) {
    h.push('<h2>Forms</h2><table><tr><th>who</th><th>page</th><th>sent</th><th>recorded</th></tr>');
    for (const f of R.forms) h.push(`<tr><td>${esc(f.who)}</td><td>${esc(f.scene)}</td><td><code>${esc(JSON.stringify(f.sent))}</code></td><td class="${f.same ? 'ok' : 'bad'}">${f.same ? 'the same' : esc(JSON.stringify(f.got))}</td></tr>`);
    h.push('</table>');
  }
  const invalid = R.records.flatMap((r) => r.invalid.map((x) => ({ who: r.name, ...x })));
  if (invalid.length) {
    h.push('<h2>Invalid answers tried first</h2><table><tr><th>who</th><th>page</th><th>tried</th><th>refused</th></tr>');
    for (const x of invalid) h.push(`<tr><td>${esc(x.who)}</td><td>${esc(x.scene)}</td><td>${esc(x.what)}</td><td class="${x.refused ? 'ok' : 'bad'}">${x.refused ? 'yes' : 'no: accepted'}</td></tr>`);
    h.push('</table>');
  }
  const quiz = R.records.flatMap((r) => r.quiz.map((x) => ({ who: r.name, ...x })));
  if (quiz.length) {
    h.push('<h2>Quiz attempts</h2><table><tr><th>who</th><th>page</th><th>attempt</th><th>result</th><th>wrong fields</th></tr>');
    for (const q of quiz) h.push(`<tr><td>${esc(q.who)}</td><td>${esc(q.scene)}</td><td class="num">${q.attempt}</td><td>${q.passed === true ? 'passed' : q.passed === false ? 'wrong' : 'left the page'}</td><td>${esc((q.wrong ?? []).join(', '))}</td></tr>`);
    h.push('</table>');
  }

  const errs = R.records.flatMap((r) => r.errors.map((e) => ({ who: r.name, ...e })));
  h.push(`<h2>Console errors (${errs.length})</h2>`);
  if (!errs.length) h.push('<p class="ok">None.</p>');
  else {
    h.push('<table><tr><th>who</th><th>time</th><th>message</th><th></th></tr>');
    for (const e of errs) h.push(`<tr><td>${esc(e.who)}</td><td>${new Date(e.t).toISOString().slice(11, 23)}</td><td><code>${esc(e.text)}</code></td><td class="muted">${e.expected ? 'expected (scripted network event)' : ''}</td></tr>`);
    h.push('</table>');
  }

  h.push('<h2>What each participant saw</h2>');
  for (const r of R.records) {
    h.push(`<details${r.problems.length || r.outcome !== r.expected ? ' open' : ''}><summary>${esc(r.name)} · ${esc(r.condition ?? '')} · ${esc(r.profile)} · ${esc(r.outcome ?? 'no end page')}</summary>`);
    if (r.eventLog.length) h.push(`<pre>${esc(r.eventLog.join('\n'))}</pre>`);
    if (r.endText) h.push(`<p class="muted">End page: ${esc(r.endText)}</p>`);
    h.push('<div class="shots">');
    for (const s of r.shots) h.push(`<figure><a href="shots/${esc(s.file)}"><img loading="lazy" src="shots/${esc(s.file)}" alt="${esc(s.label)}"></a><figcaption>${esc(s.label)}</figcaption></figure>`);
    h.push(`</div><p class="muted">${esc(r.net)}</p></details>`);
  }
  if (failed && R.serverLog) h.push(`<h2>Server log (last lines)</h2><pre>${esc(R.serverLog.split('\n').slice(-60).join('\n'))}</pre>`);
  if (R.dataDir) h.push(`<p class="muted">Data folder kept: ${esc(R.dataDir)}</p>`);
  h.push('</body></html>');
  const file = path.join(dir, 'report.html');
  fs.writeFileSync(file, h.join('\n'));
  const { plan, serverLog, ...rest } = R;
  fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ ...rest, records: R.records.map(({ notes, ...r }) => r) }, null, 1));
  return file;
}
