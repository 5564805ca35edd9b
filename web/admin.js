// The researcher's dashboard (web/admin.html). The admin key comes in the URL fragment,
// which browsers never send to the server, and goes to the API in an Authorization
// header, never in an address (addresses end up in proxy and access logs).
const keyFromHash = (() => {
  const m = location.hash.match(/(?:^#|&)key=([^&]*)/);
  return m ? decodeURIComponent(m[1]) : null;
})();
// One key per study folder: a proxy may serve several studies under one origin.
const KEY_NAME = `cohort.adminKey${new URL('./', location.href).pathname}`;
let key = keyFromHash || sessionStorage.getItem(KEY_NAME) || '';
const $ = (id) => document.getElementById(id);

function cell(tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function table(el, headers, rows) {
  el.replaceChildren();
  const head = document.createElement('tr');
  headers.forEach((h) => head.appendChild(cell('th', h)));
  el.appendChild(head);
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell('td', 'none', 'off');
    td.colSpan = headers.length;
    tr.appendChild(td);
    el.appendChild(tr);
  }
  for (const r of rows) {
    const tr = document.createElement('tr');
    r.forEach((v) => tr.appendChild(cell('td', String(v))));
    el.appendChild(tr);
  }
}

function cards(s) {
  const p = s.participants;
  const desyncs = s.games.reduce((n, g) => n + g.desyncs, 0);
  const items = [
    ['participants', p.total], ['connected', p.connected], ['waiting', p.waiting],
    ['playing', p.playing], ['finished', p.done], ['games running', s.games.length],
    ['games started', s.games_started], ['desyncs (running)', desyncs, desyncs > 0],
    ['protocol errors', s.protocol_errors, s.protocol_errors > 0],
  ];
  for (const [outcome, n] of Object.entries(s.outcomes)) items.push([outcome, n]);
  $('cards').replaceChildren(...items.map(([label, n, bad]) => {
    const c = cell('div', label, 'card' + (bad ? ' bad' : ''));
    c.prepend(cell('b', n));
    return c;
  }));
}

async function poll() {
  try {
    const res = await fetch('api/state', { cache: 'no-store', headers: { Authorization: `Bearer ${key}` } });
    if (res.status === 429) {
      $('status').textContent = 'too many wrong keys: wait a moment';
      $('keyform').hidden = false;
      return;
    }
    if (res.status === 403) {
      $('status').textContent = 'admin key needed';
      $('keyform').hidden = false;
      return;
    }
    const s = await res.json();
    sessionStorage.setItem(KEY_NAME, key);
    $('keyform').hidden = true;
    $('status').textContent = 'live';
    $('status').className = '';
    $('experiment').textContent = s.experiment;
    $('uptime').textContent = 'up ' + Math.floor(s.uptime_s / 60) + ' min';
    cards(s);
    table($('games'), ['game', 'scene', 'episode', 'frame', 'verified hashes', 'desyncs', 'late inputs', 'defaulted'],
      s.games.map((g) => [g.game, g.scene, g.episode, g.frame, g.hashes_verified, g.desyncs, g.late_inputs, g.defaulted]));
    // Conditions: what balanced assignment counts (in progress and completed) and who
    // ended otherwise, freeing their place.
    $('conditions-section').hidden = s.conditions.length === 0;
    table($('conditions'), ['condition', 'in progress', 'completed', 'ended otherwise'],
      s.conditions.map((c) => [c.id, c.in_progress, c.completed, c.other]));
    table($('waiting'), ['scene', 'waiting'], Object.entries(s.waiting));
    table($('people'), ['subject', 'state', 'scene', 'condition', 'connected', 'rtt ms', 'game', 'outcome'],
      s.people.map((p) => [p.subject, p.state, p.scene, p.condition, p.connected ? 'yes' : 'no', p.rtt_ms, p.game, p.outcome]));
  } catch (e) {
    $('status').textContent = 'server unreachable';
    $('status').className = 'error';
  }
}

// Every written episode, newest first, each a link to the viewer, which re-simulates it
// from its recorded actions and checks every hash (the key goes along in the fragment).
async function pollEpisodes() {
  if (!key) return;
  try {
    const res = await fetch('api/episodes', { cache: 'no-store', headers: { Authorization: `Bearer ${key}` } });
    if (!res.ok) return;
    const { episodes } = await res.json();
    const t = $('episodes');
    const rows = episodes.map((e) => {
      const a = document.createElement('a');
      a.href = `viewer.html#key=${encodeURIComponent(key)}&game=${encodeURIComponent(e.game)}&episode=${e.episode}`;
      a.textContent = 'replay';
      const pace = e.step_ms ? `${e.step_ms} ms` : e.fps ? `${e.fps} fps` : '';
      return [e.game, e.episode, e.scene, e.env, e.frames, pace + (e.input === 'press' ? ', press' : ''), e.reason, a];
    });
    t.replaceChildren();
    const head = document.createElement('tr');
    for (const h of ['game', 'episode', 'scene', 'env', 'frames', 'step', 'end', '']) head.append(cell('th', h));
    t.append(head);
    if (!rows.length) {
      const tr = document.createElement('tr');
      const td = cell('td', 'none', 'muted');
      td.colSpan = 8;
      tr.append(td);
      t.append(tr);
    }
    for (const r of rows) {
      const tr = document.createElement('tr');
      for (const v of r) {
        const td = document.createElement('td');
        if (v instanceof Node) td.append(v); else td.textContent = String(v);
        tr.append(td);
      }
      t.append(tr);
    }
  } catch { /* the next poll tries again */ }
}

// payments.csv behind the admin key: the key travels in a header, which a plain link
// cannot send, so the file is fetched and handed to the browser as a download.
$('payments').addEventListener('click', async (e) => {
  e.preventDefault();
  const status = $('payments-status');
  try {
    const res = await fetch('api/payments.csv', { cache: 'no-store', headers: { Authorization: `Bearer ${key}` } });
    if (!res.ok) { status.textContent = `not available (${res.status})`; return; }
    const text = await res.text();
    const lines = text ? text.trimEnd().split('\n').length : 0;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    a.download = 'payments.csv';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    status.textContent = `${lines} bonus${lines === 1 ? '' : 'es'}`;
  } catch { status.textContent = 'server unreachable'; }
});

$('keyform').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $('key').value.trim();
  poll();
  pollEpisodes();
});
poll();
setInterval(poll, 2000);
pollEpisodes();
setInterval(pollEpisodes, 10000);
