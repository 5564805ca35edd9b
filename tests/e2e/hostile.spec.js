// Issue 3: bad and hostile input (docs/PROTOCOL.md, docs/DESIGN.md section 9): each gets an
// `error` and a close with a reason, and nobody else is affected: a pair playing at the
// same time finishes with parity. Raw sockets are opened inside a page on the server's
// origin (Node 20 has no stable WebSocket; the page has the browser's).
import http from 'node:http';
import { test, expect } from './fixtures.js';
import { waitForRows } from './lib/exports.js';

// A raw WebSocket session inside `page`: send each step, collect what comes back, wait
// for the close (up to waitMs). Steps: {text}, {repeat: {text, n}}, {bytes: [..]},
// {zeros: n} (binary), {hello: subject|null, token, params}, {waitWelcome: true}.
async function rawSession(page, wsUrl, steps, waitMs = 5000) {
  return page.evaluate(async ({ wsUrl, steps, waitMs }) => {
    const ws = new WebSocket(wsUrl);
    ws.binaryType = 'arraybuffer';
    const got = [];
    let welcome = null;
    const welcomed = new Promise((res) => { welcome = res; });
    ws.onmessage = (e) => {
      if (typeof e.data === 'string') {
        let m = null;
        try { m = JSON.parse(e.data); } catch { m = { unparsed: e.data }; }
        got.push(m);
        if (m?.type === 'welcome') welcome(m);
      } else got.push({ binary: e.data.byteLength });
    };
    const closed = new Promise((res) => { ws.onclose = (e) => res({ code: e.code, reason: e.reason }); });
    const opened = await Promise.race([
      new Promise((res) => { ws.onopen = () => res(true); }),
      closed.then(() => false),
    ]);
    if (!opened) return { got, close: await closed, opened: false };
    for (const s of steps) {
      if (ws.readyState !== 1) break;
      if (s.text !== undefined) ws.send(s.text);
      else if (s.repeat) for (let i = 0; i < s.repeat.n && ws.readyState === 1; i++) ws.send(s.repeat.text);
      else if (s.bytes) ws.send(new Uint8Array(s.bytes));
      else if (s.zeros) ws.send(new Uint8Array(s.zeros));
      else if ('hello' in s) ws.send(JSON.stringify({ type: 'hello', subject: s.hello, token: s.token ?? null, params: s.params ?? {} }));
      else if (s.waitWelcome) {
        const w = await Promise.race([welcomed, closed.then(() => null), new Promise((r) => setTimeout(() => r(null), 3000))]);
        if (!w) break;
      }
    }
    const close = await Promise.race([closed, new Promise((r) => setTimeout(() => r(null), waitMs))]);
    if (!close) ws.close();
    return { got, close, opened: true };
  }, { wsUrl, steps, waitMs });
}

const hello = (subject, extra = {}) => ({ hello: subject, ...extra });
const HELLO_OK = (id) => [hello(id), { waitWelcome: true }];

test.describe('hostile WebSocket input', () => {
  test.use({ experiment: 'game' });

  test('each bad message gets an error and a close with a reason; a pair playing meanwhile keeps parity', async ({ server, participants, orchestrate }) => {
    test.setTimeout(90_000);
    const [p0, p1, attacker] = await participants(3, { names: ['pair-a', 'pair-b', 'attacker'] });
    const orch = orchestrate([p0, p1], { game: { scene: 'game', maxSteps: 150, episodes: 1 } });
    await orch.arrive();
    await orch.verifyPairing();
    orch.startKeys();
    await p0.waitState('playing', { timeout: 10000 });

    await attacker.page.goto(`${server.url}/healthz`);
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    const rnd = (n) => Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
    // A token the server issued to someone else, to try to hijack with.
    const victim = await rawSession(attacker.page, wsUrl, [...HELLO_OK('victim01'), { text: '{"type":"leave"}' }], 300);
    const victimToken = victim.got.find((m) => m.type === 'welcome')?.token;
    expect(victimToken, 'a welcome with a token').toMatch(/^[0-9a-f]{32}$/);

    const cases = [
      ['malformed JSON', [{ text: '{"type":' }]],
      ['JSON that is not an object', [{ text: '[1,2,3]' }]],
      ['an object without type', [{ text: '{"subject":"x"}' }]],
      ['a message before hello', [{ text: '{"type":"start","scene":"game"}' }]],
      ['binary junk before hello', [{ bytes: rnd(7) }]],
      ['a 24-byte INPUT before hello', [{ zeros: 24 }]],
      ['an unknown type', [...HELLO_OK('hostile01'), { text: '{"type":"teleport","to":"anywhere"}' }]],
      ['a mistyped field', [{ text: '{"type":"hello","subject":42,"token":null,"params":{}}' }]],
      ['params that are not strings', [{ text: '{"type":"hello","subject":null,"token":null,"params":{"PROLIFIC_PID":{"$gt":""}}}' }]],
      ['hello twice', [...HELLO_OK('hostile02'), hello('hostile02')]],
      ['binary junk after hello', [...HELLO_OK('hostile03'), { bytes: rnd(7) }]],
      ['a text message over 64 KiB', [{ text: `{"type":"hello","subject":"${'a'.repeat(70 * 1024)}"}` }]],
      ['a binary message over 64 KiB', [...HELLO_OK('hostile04'), { zeros: 70 * 1024 }]],
      ['a flood of 1000 messages', [...HELLO_OK('hostile05'), { repeat: { text: '{"type":"visibility","visible":true}', n: 1000 } }]],
      ['subject with a path', [hello('../../etc/passwd')]],
      ['subject with a slash', [hello('a/b')]],
      ['subject of 65 characters', [hello('a'.repeat(65))]],
      ['empty subject', [hello('')]],
      ['subject with a NUL', [hello('ab\u0000cd')]],
      ['subject with HTML', [hello('<script>alert(1)</script>')]],
      ['subject ..', [hello('..')]],
      ["another subject's token", [hello('thief01', { token: victimToken })]],
    ];
    // Taking over the playing participant's seat must be refused while they play: this case
    // goes first, and p0 must still be playing after it (the game lasts 5 s; a slow
    // machine must not let it end first and turn the case into a finished participant's
    // end page, which a hello without the token may see).
    cases.unshift(["a playing participant's subject without its token", [hello(p0.pid)]]);

    const problems = [];
    let first = true;
    for (const [name, steps] of cases) {
      const r = await rawSession(attacker.page, wsUrl, steps);
      const err = r.got.find((m) => m?.type === 'error');
      const summary = `${name}: got ${JSON.stringify(r.got.map((m) => m.type ?? m)).slice(0, 300)}, close ${JSON.stringify(r.close)}`;
      if (!err) problems.push(`${summary}: no error message`);
      else if (typeof err.code !== 'string' || !err.code || typeof err.message !== 'string' || !err.message) problems.push(`${summary}: error without code and message`);
      if (!r.close) problems.push(`${summary}: the connection was not closed within 5 s`);
      else if (!r.close.reason) problems.push(`${summary}: closed without a reason`);
      if (r.got.some((m) => m?.type === 'welcome' && m.subject === p0.pid)) problems.push(`${summary}: was welcomed as the playing participant`);
      test.info().annotations.push({ type: 'hostile', description: summary });
      if (first) expect((await p0.status()).state, 'still playing after the takeover attempt').toBe('playing');
      first = false;
    }

    // The pair was not affected.
    await orch.waitDone();
    await orch.stopKeys();
    await orch.checkExports();

    const health = await server.health();
    expect(health.status).toBe(200);
    expect(problems, problems.join('\n')).toEqual([]);
    const st = await server.state();
    expect(st.protocol_errors, 'every hostile case counted as a protocol error').toBeGreaterThanOrEqual(cases.length);
    await waitForRows(server.db, "SELECT kind FROM events WHERE kind IN ('protocol_error', 'flood', 'message_too_big')",
      (rs) => rs.length >= cases.length);
  });
});

// Raw HTTP: Node's http.request sends the path exactly as given (fetch would normalise ..).
function rawGet(url, rawPath) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    req.setTimeout(5000, () => { req.destroy(new Error('timeout')); reject(new Error(`GET ${rawPath}: no answer in 5 s`)); });
    req.end();
  });
}

test.describe('static files', () => {
  test.use({ experiment: 'flow' });

  test('.. in a path never serves a file outside the web root', async ({ server }) => {
    const index = await rawGet(server.url, '/');
    expect(index.status).toBe(200);
    const paths = [
      '/../../etc/passwd',
      '/../../../../../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/.%2e/.%2e/.%2e/.%2e/etc/passwd',
      '/..\\..\\..\\..\\etc\\passwd',
      '//etc/passwd',
      '/envs/../../../../../etc/passwd',
      '/pages/../../../../../etc/passwd',
      // The experiment file sits next to pages/: it holds the completion codes.
      '/pages/../experiment.yaml',
      '/pages/%2e%2e/experiment.yaml',
      '/pages/..%2fexperiment.yaml',
      '/pages/../../../../../../proc/self/environ',
    ];
    const problems = [];
    for (const p of paths) {
      const r = await rawGet(server.url, p);
      const leak = /root:x?:0:0|E2EDONE|E2EWAIT|PATH=/.test(r.body);
      const fine = !leak && r.status !== 0 && ((r.status >= 400 && r.status < 500) || (r.status === 200 && r.body === index.body));
      test.info().annotations.push({ type: 'http', description: `GET ${p} -> ${r.status} (${r.body.length} bytes)` });
      if (!fine) problems.push(`GET ${p} -> ${r.status}${r.error ? ` (${r.error})` : ''}${leak ? ' LEAKED a file outside the web root' : ''}: ${JSON.stringify(r.body.slice(0, 120))}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
    // The pages themselves are served.
    const page = await rawGet(server.url, '/pages/welcome.html');
    expect(page.status).toBe(200);
    expect((await server.health()).status).toBe(200);
  });
});
