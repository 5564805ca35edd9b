// HTTPS in cohort itself (`--tls-cert FILE --tls-key FILE`, docs/DEPLOY.md): two headless
// browsers play a whole game over https and wss with parity; a new certificate is read on
// SIGHUP in the middle of it, without dropping the game; every kind of response carries
// the security headers; the admin API takes its key only from a header and limits wrong
// guesses. The certificates are self-signed, made here; the browsers trust exactly those
// two (by SPKI), so any other certificate error would still fail.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test as e2e, expect } from '../e2e/fixtures.js';
import { GameOrchestrator } from '../e2e/lib/orchestrator.js';
import { trustingBrowser } from '../e2e/lib/trust.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-tls-'));
const CERT = path.join(dir, 'cert.pem'), KEY = path.join(dir, 'key.pem');

/** A self-signed certificate for localhost into cert and key; its SPKI hash (base64). */
function makeCert(cert, key, cn) {
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  const spki = new crypto.X509Certificate(fs.readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}
const FIRST = makeCert(CERT, KEY, 'cohort-first');
const NEXT_CERT = path.join(dir, 'next-cert.pem'), NEXT_KEY = path.join(dir, 'next-key.pem');
const SECOND = makeCert(NEXT_CERT, NEXT_KEY, 'cohort-second');

/** The subject CN of the certificate a new TLS connection to url is given. */
function servedCn(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: hostname, port: Number(port), servername: 'localhost', rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.end();
      resolve(cn);
    });
    s.on('error', reject);
  });
}

/** GET over HTTPS (the chain checked against our two certificates): {status, headers, body}. */
function get(url, headers = {}) {
  const ca = [fs.readFileSync(CERT), fs.readFileSync(NEXT_CERT)];
  return new Promise((resolve, reject) => {
    https.get(url, { ca, headers, servername: 'localhost' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

const test = e2e.extend({
  browser: [async ({ playwright, launchOptions }, use) =>
    trustingBrowser({ playwright, launchOptions, spkis: [FIRST, SECOND] }, use), { scope: 'worker' }],
});

test.use({ experiment: 'game', serveArgs: ['--drain-s', '0', '--tls-cert', CERT, '--tls-key', KEY] });
test.afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('two browsers play over https and wss; SIGHUP mid-game reads a new certificate and drops nobody', async ({ server, participants }) => {
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const url = server.url.replace('127.0.0.1', 'localhost'); // the name the certificates carry
  const front = Object.create(server, { url: { value: url } });
  expect(await servedCn(url)).toBe('cohort-first');

  const ps = await participants(2);
  const sockets = new Map(ps.map((p) => [p, []]));
  const violations = new Map(ps.map((p) => [p, []]));
  for (const p of ps) {
    p.page.on('websocket', (ws) => sockets.get(p).push(ws.url()));
    await p.page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  }
  const orch = new GameOrchestrator(front, ps, { game: { scene: 'game', maxSteps: 150 } });
  await orch.arrive();
  await orch.verifyPairing();
  for (const p of ps) {
    expect(await p.page.evaluate(() => location.protocol)).toBe('https:');
    for (const u of sockets.get(p)) expect(u).toBe(`wss://localhost:${new URL(url).port}/ws`);
  }
  orch.startKeys();
  await ps[0].waitFor(() => window.cohort.game.confirmed >= 40, { what: 'frame 40' });

  // A renewed certificate, read again on SIGHUP while the game runs.
  fs.copyFileSync(NEXT_CERT, CERT);
  fs.copyFileSync(NEXT_KEY, KEY);
  process.kill(server.proc.pid, 'SIGHUP');
  for (let i = 0; i < 100 && !/TLS certificate reloaded/.test(server.log); i++) await sleep(50);
  expect(server.log).toMatch(/TLS certificate reloaded/);
  expect(await servedCn(url), 'a new connection gets the new certificate').toBe('cohort-second');

  await orch.waitDone();
  await orch.stopKeys();
  await orch.checkExports(); // both files, compare, replay, every hash verified
  for (const p of ps) {
    const st = await p.status();
    expect(st.game.desyncs, `${p.name}: no desync`).toBe(0);
    expect(await p.page.evaluate(() => window.__csp), `${p.name}: no Content-Security-Policy violation`).toEqual([]);
  }
});

test('every response carries the security headers; the admin key only in a header, wrong guesses limited', async ({ server }) => {
  const url = server.url.replace('127.0.0.1', 'localhost');
  const kinds = [
    ['/', 200, 'text/html'], ['/app.js', 200, 'text/javascript'], ['/envs/cooking.wasm', 200, 'application/wasm'],
    ['/admin.html', 200, 'text/html'], ['/healthz', 200, 'application/json'], ['/api/state', 403, 'application/json'],
    [`/api/state?key=${server.adminKey}`, 400, 'application/json'], ['/no-such-file.js', 404, 'application/json'],
  ];
  for (const [p, status, type] of kinds) {
    const r = await get(`${url}${p}`);
    expect(r.status, p).toBe(status);
    expect(r.headers['content-type'], p).toBe(type);
    expect(r.headers['content-security-policy'], p).toMatch(/default-src 'self'.*script-src 'self' 'wasm-unsafe-eval'.*frame-ancestors 'none'/);
    expect(r.headers['content-security-policy'], p).not.toMatch(/unsafe-inline'[^;]*;.*script|script-src[^;]*unsafe-inline/);
    expect(r.headers['x-content-type-options'], p).toBe('nosniff');
    expect(r.headers['referrer-policy'], p).toBe('no-referrer');
    expect(r.headers['x-frame-options'], p).toBe('DENY');
    expect(r.headers['cache-control'], p).toBe('no-store');
  }
  // No inline script anywhere in the pages served (the policy would block it).
  for (const p of ['/', '/admin.html']) expect((await get(`${url}${p}`)).body, p).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

  const state = await get(`${url}/api/state`, { Authorization: `Bearer ${server.adminKey}` });
  expect(state.status, state.body).toBe(200);
  const codes = [];
  for (let i = 0; i < 7; i++) codes.push((await get(`${url}/api/state`, { Authorization: 'Bearer not-the-key-0000000000' })).status);
  expect(codes, 'five wrong keys, then a pause').toEqual([403, 403, 403, 403, 403, 429, 429]);
});
