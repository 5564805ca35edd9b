// The data a game leaves behind (docs/DESIGN.md section 8) and the tools that check it:
// DATA/EXPERIMENT/SCENE/SUBJECT_epN.csv (+ .json), `cohort compare`, `cohort replay`,
// and SQLite at DATA/EXPERIMENT/cohort.db (read with the sqlite3 CLI).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { COHORT, REPO } from './server.js';

export function episodeFile(dataDir, experiment, scene, subject, episode, ext = 'csv') {
  return path.join(dataDir, experiment, scene, `${subject}_ep${episode}.${ext}`);
}

/** The sidecar of an episode file (SUBJECT_epN.json beside SUBJECT_epN.csv), parsed. */
export function sidecar(csv) {
  return JSON.parse(fs.readFileSync(csv.replace(/\.csv$/, '.json'), 'utf8'));
}

/**
 * Poll until SUBJECT_epN.csv and .json exist for every subject and every episode
 * (episodes: a count, or a list of episode numbers). Returns {subject: [csv paths]}.
 * Files are written through a rename, so once a file exists it is complete.
 */
export async function waitForExports(dataDir, experiment, scene, subjects, episodes, { timeout = 20000 } = {}) {
  const eps = Array.isArray(episodes) ? episodes : [...Array(episodes).keys()];
  const want = [];
  for (const s of subjects) for (const e of eps) {
    want.push(episodeFile(dataDir, experiment, scene, s, e, 'csv'));
    want.push(episodeFile(dataDir, experiment, scene, s, e, 'json'));
  }
  const deadline = Date.now() + timeout;
  for (;;) {
    const missing = want.filter((f) => !fs.existsSync(f));
    if (missing.length === 0) break;
    if (Date.now() > deadline) {
      const dir = path.join(dataDir, experiment, scene);
      const have = fs.existsSync(dir) ? fs.readdirSync(dir).join(', ') : '(no folder)';
      throw new Error(`episode files missing after ${timeout} ms:\n  ${missing.map((f) => path.relative(dataDir, f)).join('\n  ')}\n${dir} holds: ${have}`);
    }
    await sleep(100);
  }
  const out = {};
  for (const s of subjects) out[s] = eps.map((e) => episodeFile(dataDir, experiment, scene, s, e, 'csv'));
  return out;
}

function run(args, { timeout = 30000 } = {}) {
  const r = spawnSync(COHORT, args, { cwd: REPO, encoding: 'utf8', timeout });
  return { code: r.status ?? (r.signal ? `signal ${r.signal}` : -1), output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** `cohort compare a b`: {code (0 same, 1 different), output}. */
export function compare(a, b) { return run(['compare', a, b]); }

/** `cohort replay a`: {code (0 every hash re-simulated), output}. */
export function replay(a) { return run(['replay', a]); }

/** A CSV file as {header, rows: [{column: value}]}; handles quoted fields. */
export function readCsv(file) {
  const text = fs.readFileSync(file, 'utf8');
  const lines = [];
  let row = [], field = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') q = false;
      else field += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); lines.push(row); row = []; field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) { row.push(field); lines.push(row); }
  const [header, ...body] = lines;
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

/**
 * Everything one episode file must say about itself. Returns a list of problems (empty
 * when fine) and a summary. opts: game, seats (subject per seat index, or 'ai:NAME'),
 * frames (expected row count, optional), defaultAction (to count real key presses).
 */
export function checkEpisodeCsv(file, { game, seats, frames, episode } = {}) {
  const problems = [];
  const { header, rows } = readCsv(file);
  const base = path.basename(file);
  for (const col of ['frame', 'episode', 'game', 'terminated', 'truncated', 'hash', 't_ms']) {
    if (!header.includes(col)) problems.push(`${base}: no column ${col}`);
  }
  const nseats = header.filter((h) => /^seat\.\d+$/.test(h)).length;
  if (seats && nseats !== seats.length) problems.push(`${base}: ${nseats} seat columns, expected ${seats.length}`);
  for (let k = 0; k < nseats; k++) {
    for (const c of [`action.${k}`, `source.${k}`, `reward.${k}`, `verified.${k}`, `focused.${k}`]) {
      if (!header.includes(c)) problems.push(`${base}: no column ${c}`);
    }
  }
  if (rows.length === 0) problems.push(`${base}: no frames`);
  if (frames !== undefined && rows.length !== frames) problems.push(`${base}: ${rows.length} frames, expected ${frames}`);
  const summary = { frames: rows.length, seats: [] };
  for (let k = 0; k < nseats; k++) summary.seats.push({ verified1: 0, verified0: 0, unreported: 0, sources: {}, actions: {} });
  rows.forEach((r, i) => {
    if (Number(r.frame) !== i) { if (problems.length < 20) problems.push(`${base}: row ${i} has frame ${r.frame}`); }
    if (episode !== undefined && Number(r.episode) !== episode) { if (problems.length < 20) problems.push(`${base}: frame ${i} episode ${r.episode}, expected ${episode}`); }
    if (game && r.game !== game) { if (problems.length < 20) problems.push(`${base}: frame ${i} game ${r.game}, expected ${game}`); }
    for (let k = 0; k < nseats; k++) {
      const s = summary.seats[k];
      if (seats && r[`seat.${k}`] !== seats[k] && problems.length < 20) problems.push(`${base}: frame ${i} seat.${k}=${r[`seat.${k}`]}, expected ${seats[k]}`);
      const v = r[`verified.${k}`];
      if (v === '1') s.verified1++;
      else if (v === '0') {
        s.verified0++;
        if (s.verified0 <= 5) problems.push(`${base}: frame ${i} verified.${k}=0 (seat ${k}'s browser computed another state)`);
      } else if (v === '' || v === undefined) s.unreported++;
      else if (problems.length < 20) problems.push(`${base}: frame ${i} verified.${k}=${JSON.stringify(v)}`);
      const src = r[`source.${k}`];
      s.sources[src] = (s.sources[src] ?? 0) + 1;
      s.actions[r[`action.${k}`]] = (s.actions[r[`action.${k}`]] ?? 0) + 1;
    }
  });
  // Only the last frame may end the episode.
  rows.slice(0, -1).forEach((r, i) => {
    if ((r.terminated === '1' || r.truncated === '1') && problems.length < 20) problems.push(`${base}: frame ${i} ends the episode but is not the last`);
  });
  return { problems, summary, header, rows };
}

/** How many frames (rows of readCsv) have focused.SEAT = 0: that seat's tab was hidden. */
export function unfocusedFrames(rows, seat) {
  return rows.filter((r) => r[`focused.${seat}`] === '0').length;
}

/** Rows of `sql` on DATA/EXPERIMENT/cohort.db, as objects (sqlite3 -json). */
export function sqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-json', '-readonly', db, sql], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`sqlite3 ${db} "${sql}": ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

/** Poll a query until pred(rows) holds (the writer thread commits at least once a second). */
export async function waitForRows(db, sql, pred = (rows) => rows.length > 0, { timeout = 10000 } = {}) {
  const deadline = Date.now() + timeout;
  let rows = [], err = null;
  for (;;) {
    try {
      rows = fs.existsSync(db) ? sqlite(db, sql) : [];
      err = null;
      if (pred(rows)) return rows;
    } catch (e) { err = e; } // locked or not yet created: try again
    if (Date.now() > deadline) throw new Error(`${sql}: condition not met within ${timeout} ms; last rows ${JSON.stringify(rows)}${err ? `; ${err.message}` : ''}`);
    await sleep(200);
  }
}

// The columns of cohort.db that hold a wall time (ms since the Unix epoch). Any other
// column named t, t_start or t_end is checked too; frames.t_ms is not a wall time (ms
// since the episode's start).
export const WALL_TIME_COLUMNS = {
  participants: ['created'],
  sessions: ['t'],
  scene_visits: ['t'],
  forms: ['t'],
  quiz_attempts: ['t'],
  waits: ['t_start', 't_end'],
  matches: ['t'],
  games: ['t_start', 't_end'],
  episodes: ['t'],
  outcomes: ['t'],
  events: ['t'],
};

/**
 * Every wall time recorded in cohort.db lies within the run: not before `since` (when
 * the harness launched the server) and not after `until` (now), give or take slackMs.
 * NULL (not recorded yet, e.g. the end of a game still running) passes. Returns a list
 * of problems (empty when fine), each naming the table, the column and the rows.
 */
export function checkWallTimes(db, { since, until = Date.now(), slackMs = 5000, maxRows = 5 } = {}) {
  const lo = since - slackMs, hi = until + slackMs;
  const when = (ms) => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : 'not a time');
  const problems = [];
  const tables = sqlite(db, "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name");
  const have = new Map(tables.map((t) => [t.name, sqlite(db, `SELECT name FROM pragma_table_info('${t.name}')`).map((c) => c.name)]));
  for (const [table, cols] of Object.entries(WALL_TIME_COLUMNS)) {
    for (const col of cols) {
      if (!have.get(table)?.includes(col)) problems.push(`cohort.db has no column ${table}.${col}: update WALL_TIME_COLUMNS in tests/e2e/lib/exports.js`);
    }
  }
  for (const { name: table, sql } of tables) {
    const cols = (have.get(table) ?? []).filter((c) => WALL_TIME_COLUMNS[table]?.includes(c) || ['t', 't_start', 't_end'].includes(c));
    if (!cols.length) continue;
    const rowid = /without\s+rowid/i.test(sql ?? '') ? '' : 'rowid AS "(rowid)", ';
    const total = sqlite(db, `SELECT count(*) AS n FROM "${table}"`)[0].n;
    for (const col of cols) {
      const bad = `"${col}" IS NOT NULL AND (typeof("${col}") != 'integer' OR "${col}" < ${lo} OR "${col}" > ${hi})`;
      const n = sqlite(db, `SELECT count(*) AS n FROM "${table}" WHERE ${bad}`)[0].n;
      if (!n) continue;
      const rows = sqlite(db, `SELECT ${rowid}* FROM "${table}" WHERE ${bad} LIMIT ${maxRows}`);
      const shown = rows.map((r) => {
        const { '(rowid)': id, ...rest } = r;
        const text = JSON.stringify(rest);
        return `  row ${id ?? '?'}: ${col} = ${r[col]} (${when(Number(r[col]))}) ${text.length > 240 ? `${text.slice(0, 240)}...` : text}`;
      });
      problems.push(`cohort.db ${table}.${col}: ${n} of ${total} rows not a wall time within the run `
        + `(${lo}..${hi} ms, ${when(lo)} to ${when(hi)}: server start - ${slackMs / 1000} s to now + ${slackMs / 1000} s):\n${shown.join('\n')}`
        + (n > rows.length ? `\n  ... and ${n - rows.length} more` : ''));
    }
  }
  return problems;
}
