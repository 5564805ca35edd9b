// The episode viewer (web/viewer.html; docs/DATA.md): loads an export folder that
// `cohort export` wrote (episodes.csv and frames.csv, read in the browser, never
// uploaded), re-simulates a chosen episode from its recorded actions with the game's own
// wasm module (web/env.js) and draws it with the game's renderer (web/draw.js), checking
// every frame's recorded state hash on the way. A file whose actions or hashes were
// changed shows up as a mismatch at the first frame that differs.
//
// window.cohortViewer reports what the page shows, for tests and for the curious.

import { loadEnv } from './env.js';
import { drawList, loadSprites } from './draw.js';

// ---- CSV (RFC 4180, as the export writes it) ------------------------------------------

export function parseCsv(text) {
  const rows = [];
  let row = [], field = '', i = 0, q = false;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (q) {
      if (ch === 34) {
        if (text.charCodeAt(i + 1) === 34) { field += '"'; i += 2; continue; }
        q = false; i++; continue;
      }
      const next = text.indexOf('"', i);
      const end = next < 0 ? n : next;
      field += text.slice(i, end);
      i = end;
      continue;
    }
    if (ch === 34) { q = true; i++; continue; }
    if (ch === 44) { row.push(field); field = ''; i++; continue; }
    if (ch === 10 || ch === 13) {
      row.push(field); rows.push(row); row = []; field = '';
      i += ch === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      continue;
    }
    // a run of plain characters
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 44 || c === 10 || c === 13 || c === 34) break;
      j++;
    }
    field += text.slice(i, j);
    i = j;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [header = [], ...body] = rows;
  return { header, rows: body };
}

// ---- the export -------------------------------------------------------------------------

// The recorded step period (episodes.csv step_period_ms, the sidecar's): ms, or null.
function stepMsOf(v) {
  const ms = Number(v);
  return v !== '' && v !== null && v !== undefined && ms > 0 && Number.isFinite(ms) ? ms : null;
}

// files: File objects (or {name, text()}). Returns {episodes, framesOf(ep)}.
export async function readExport(files) {
  const byName = new Map();
  for (const f of files) byName.set(f.name, f);
  const ep = byName.get('episodes.csv'), fr = byName.get('frames.csv');
  if (!ep || !fr) throw new Error('need episodes.csv and frames.csv from a cohort export');
  const E = parseCsv(await ep.text());
  const F = parseCsv(await fr.text());
  const col = (t, name) => t.header.indexOf(name);
  const seatsIn = (t, stub) => t.header.filter((h) => new RegExp(`^${stub}\\.\\d+$`).test(h)).length;
  const nseats = seatsIn(E, 'seat');
  const episodes = E.rows.map((r) => {
    const get = (name) => r[col(E, name)];
    const seats = [];
    for (let k = 0; k < nseats; k++) if (get(`seat.${k}`) !== '') seats.push(get(`seat.${k}`));
    return {
      game: get('game'), episode: Number(get('episode')), env: get('env'), seed: BigInt(get('seed')),
      horizon: Number(get('horizon')), frames: Number(get('frames')), endReason: get('end_reason'),
      team: Number(get('score.team')), seats, rows: [], stepMs: stepMsOf(get('step_period_ms')),
    };
  });
  const key = (g, e) => `${g}\u001f${e}`;
  const index = new Map(episodes.map((e) => [key(e.game, e.episode), e]));
  const gi = col(F, 'game'), ei = col(F, 'episode');
  for (const r of F.rows) {
    const e = index.get(key(r[gi], Number(r[ei])));
    if (e) e.rows.push(r);
  }
  const fseats = seatsIn(F, 'action');
  const cols = {
    frame: col(F, 'frame'), hash: col(F, 'hash'), team: col(F, 'reward.team'),
    action: [], source: [], reward: [], focused: [], verified: [],
  };
  for (let k = 0; k < fseats; k++) {
    for (const c of ['action', 'source', 'reward', 'focused', 'verified']) cols[c].push(col(F, `${c}.${k}`));
  }
  return { episodes, cols };
}

// The columns of an episode file (SCENE/SUBJECT_epN.csv) or of frames.csv, by name.
export function columnsOf(header) {
  const col = (name) => header.indexOf(name);
  const seats = header.filter((h) => /^action\.\d+$/.test(h)).length;
  const cols = { frame: col('frame'), hash: col('hash'), team: col('reward.team'), action: [], source: [], reward: [], focused: [], verified: [] };
  for (let k = 0; k < seats; k++) {
    for (const c of ['action', 'source', 'reward', 'focused', 'verified']) cols[c].push(col(`${c}.${k}`));
  }
  return cols;
}

// The server's episodes (GET /api/episodes, the admin key in a header): the same shape as
// readExport's, each episode's frames fetched when it is opened (GET /api/episode).
export async function readServer(key, fetchImpl = fetch) {
  const auth = { headers: { Authorization: `Bearer ${key}` }, cache: 'no-store' };
  const res = await fetchImpl('api/episodes', auth);
  if (res.status === 403) throw new Error('the admin key was refused');
  if (!res.ok) throw new Error(`the server has no episode list (${res.status})`);
  const { episodes } = await res.json();
  return {
    cols: null,
    episodes: episodes.map((e) => ({
      game: e.game, episode: Number(e.episode), env: e.env, seed: 0n, horizon: 0,
      frames: Number(e.frames), endReason: e.reason, team: '', seats: [], rows: [], stepMs: null,
      async fetch() {
        const q = new URLSearchParams({ game: e.game, episode: String(e.episode) });
        const r = await fetchImpl(`api/episode?${q}`, auth);
        if (!r.ok) throw new Error(`episode ${e.game}/${e.episode}: ${r.status}`);
        const { meta, csv } = await r.json();
        const t = parseCsv(csv);
        this.rows = t.rows;
        this.cols = columnsOf(t.header);
        this.seed = BigInt(meta.seed);
        this.horizon = Number(meta.horizon);
        this.stepMs = stepMsOf(meta.step_period_ms);
        this.seats = (meta.seats ?? []).map((s) => (typeof s === 'string' ? s : s.name ?? ''));
        this.fetch = null;
      },
    })),
  };
}

// Re-simulates an episode: the state before each frame (for drawing), and every frame's
// hash compared with the recorded one.
export function replay(env, ep, cols) {
  env.reset(ep.seed, ep.horizon);
  const states = [env.getState()];
  const mismatches = [];
  for (let k = 0; k < ep.rows.length; k++) {
    const r = ep.rows[k];
    if (Number(r[cols.frame]) !== k) { mismatches.push({ frame: k, why: `row holds frame ${r[cols.frame]}` }); break; }
    const actions = [];
    for (let s = 0; s < env.info.players; s++) actions.push(Number(r[cols.action[s]]));
    env.step(actions);
    const h = env.hash().toString(16).padStart(16, '0');
    if (h !== r[cols.hash]) mismatches.push({ frame: k, recorded: r[cols.hash], replay: h });
    states.push(env.getState());
  }
  if (ep.rows.length !== ep.frames) mismatches.push({ frame: ep.rows.length, why: `${ep.rows.length} rows, episodes.csv says ${ep.frames}` });
  return { states, mismatches };
}

// ---- the page -----------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const state = {
  loaded: false, episodes: 0, selected: null, env: null, frames: 0, verifiedFrames: 0,
  mismatches: [], frame: 0, playing: false, speed: 1, stepMs: null, error: null,
};
window.cohortViewer = state;

let data = null, current = null, run = null, timer = null, envCache = new Map();

function setError(msg) {
  state.error = msg;
  $('error').textContent = msg || '';
}

async function load(files) {
  setError(null);
  stop();
  try {
    data = files === 'server' ? await readServer(serverKey) : await readExport(files);
  } catch (e) {
    setError(e.message);
    return;
  }
  state.loaded = true;
  state.episodes = data.episodes.length;
  const tbody = $('episodes').querySelector('tbody');
  tbody.textContent = '';
  data.episodes.forEach((ep, i) => {
    const tr = document.createElement('tr');
    tr.dataset.index = String(i);
    for (const v of [ep.game, ep.episode, ep.env, ep.seats.join(' + '), ep.frames, ep.team, ep.endReason]) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.appendChild(td);
    }
    tr.addEventListener('click', () => select(i));
    tbody.appendChild(tr);
  });
  // viewer.html#key=...&game=G&episode=N opens that one.
  const want = new URLSearchParams(location.hash.slice(1));
  const pick = data.episodes.findIndex((e) => e.game === want.get('game') && String(e.episode) === want.get('episode'));
  if (data.episodes.length) await select(pick >= 0 ? pick : 0);
}

async function envFor(name) {
  if (!envCache.has(name)) {
    const base = new URL('envs/', location.href).href;
    // the env and its family's sprite painter, as one promise: e.sprites is the painter
    envCache.set(name, Promise.all([loadEnv(name, { base }), loadSprites(name, base)]).then(([e, sprites]) => {
      e.sprites = sprites;
      return e;
    }));
  }
  return envCache.get(name);
}

async function select(i) {
  stop();
  const ep = data.episodes[i];
  current = ep;
  if (ep.fetch) {
    try {
      await ep.fetch();
    } catch (e) {
      setError(e.message);
      return;
    }
  }
  if (ep.cols) data.cols = ep.cols;
  for (const tr of $('episodes').querySelectorAll('tbody tr')) tr.classList.toggle('selected', tr.dataset.index === String(i));
  $('title').textContent = `${ep.game} episode ${ep.episode}: ${ep.env}`;
  const v = $('verify');
  v.className = 'busy';
  v.textContent = 'Re-simulating…';
  let env;
  try {
    env = await envFor(ep.env);
  } catch (e) {
    setError(`cannot load ${ep.env}: ${e.message}`);
    return;
  }
  run = replay(env, ep, data.cols);
  state.selected = `${ep.game}/${ep.episode}`;
  state.env = ep.env;
  state.stepMs = ep.stepMs ?? null; // what Play paces frames at (null: 30 fps)
  state.frames = ep.rows.length;
  state.mismatches = run.mismatches;
  state.verifiedFrames = ep.rows.length - run.mismatches.filter((m) => m.recorded).length;
  if (run.mismatches.length) {
    const m = run.mismatches[0];
    v.className = 'bad';
    v.textContent = m.recorded
      ? `Hash mismatch at frame ${m.frame}: recorded ${m.recorded}, re-simulated ${m.replay} (${run.mismatches.length} frames differ). This file is not what was played.`
      : `Broken episode: frame ${m.frame}: ${m.why}`;
  } else {
    v.className = 'ok';
    v.textContent = `All ${ep.rows.length} recorded state hashes verified by re-simulation.`;
  }
  const scrub = $('scrub');
  scrub.max = String(Math.max(0, ep.rows.length - 1));
  scrub.disabled = false;
  $('play').disabled = false;
  show(0);
}

function show(k) {
  if (!current || !run) return;
  const ep = current, env = envCache.get(ep.env);
  k = Math.max(0, Math.min(k, Math.max(0, ep.rows.length - 1)));
  state.frame = k;
  $('scrub').value = String(k);
  $('frame').textContent = `frame ${k} / ${ep.rows.length}`;
  env.then((e) => {
    e.setState(run.states[k]);
    const canvas = $('view');
    // as wide as the panel allows, at most 420 px tall
    const room = canvas.parentElement.clientWidth - 28 || 720;
    const w = Math.round(Math.min(room, (420 * e.info.viewW) / e.info.viewH));
    canvas.style.width = `${w}px`;
    canvas.width = w * (window.devicePixelRatio || 1);
    canvas.height = Math.round((canvas.width * e.info.viewH) / e.info.viewW);
    drawList(canvas.getContext('2d'), e.render(), e.info.viewW, e.info.viewH, canvas.width, canvas.height, e.sprites);
    const row = ep.rows[k];
    const seats = $('seats');
    seats.textContent = '';
    for (let s = 0; s < e.info.players; s++) {
      const a = Number(row[data.cols.action[s]]);
      const src = row[data.cols.source[s]];
      const div = document.createElement('div');
      div.className = 'seat';
      div.dataset.seat = String(s);
      div.innerHTML = '<b></b><span class="act"></span> <span class="src"></span><br><span class="muted rew"></span>';
      div.querySelector('b').textContent = `seat ${s}: ${ep.seats[s] ?? ''}`;
      div.querySelector('.act').textContent = e.info.actionNames[a] ?? String(a);
      const srcEl = div.querySelector('.src');
      srcEl.textContent = `(${src})`;
      srcEl.className = `src src-${src}`;
      const focus = row[data.cols.focused[s]] === '0' ? ', tab hidden' : '';
      const ver = row[data.cols.verified[s]];
      const verText = ver === '1' ? ', browser hash matched' : ver === '0' ? ', browser hash DIFFERED' : '';
      div.querySelector('.rew').textContent = `reward ${row[data.cols.reward[s]]}${focus}${verText}`;
      seats.appendChild(div);
    }
  });
}

function stop() {
  if (timer) clearInterval(timer);
  timer = null;
  state.playing = false;
  $('play').textContent = 'Play';
}

function play() {
  if (!current) return;
  if (state.playing) { stop(); return; }
  if (state.frame >= current.rows.length - 1) show(0);
  state.playing = true;
  $('play').textContent = 'Pause';
  // At the pace it was played (an episode from before that was recorded: 30 fps).
  timer = setInterval(() => {
    if (state.frame >= current.rows.length - 1) { stop(); return; }
    show(state.frame + 1);
  }, (current.stepMs ?? 1000 / 30) / state.speed);
}

// Opened from the admin page (viewer.html#key=...): the server's own episodes. The key
// stays in the fragment, which browsers never send, and goes to the API in a header.
const serverKey = (() => {
  const m = location.hash.match(/(?:^#|&)key=([^&]*)/);
  return m ? decodeURIComponent(m[1]) : null;
})();
if (serverKey) load('server');

$('folder').addEventListener('change', (ev) => load([...ev.target.files]));
$('files').addEventListener('change', (ev) => load([...ev.target.files]));
$('play').addEventListener('click', play);
$('scrub').addEventListener('input', (ev) => { stop(); show(Number(ev.target.value)); });
$('speed').addEventListener('change', (ev) => {
  state.speed = Number(ev.target.value);
  if (state.playing) { stop(); play(); }
});
