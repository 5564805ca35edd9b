// A real Caddy (Debian's `caddy`) in front of a test's cohort, on loopback only, for the
// deploy suite (tests/deploy, docs/DEPLOY.md).
//
// The site block is deploy/Caddyfile's, with its domain replaced by https://localhost:PORT
// (a free port), `bind 127.0.0.1` and `tls internal` (Caddy's own local CA: no ACME, no
// network), and its upstream by the test's cohort. The global options keep Caddy to
// itself: no HTTP listener (`auto_https disable_redirects`, `http_port` another free
// port), no install of its CA into the system's trust store (`skip_install_trust`), the
// admin endpoint on a third free loopback port, its storage and autosave in a fresh temp
// folder (HOME and XDG_* point there too), HTTP/1.1 and 2 only (no UDP listener).
//
//   const caddy = new Caddy();
//   await caddy.start();                 // proxying to nothing yet: 502
//   await caddy.proxyTo('127.0.0.1:PORT'); // `caddy reload`, as `systemctl reload caddy` does
//   caddy.url                            // https://localhost:PORT
//   caddy.spki()                         // for chromium's --ignore-certificate-errors-spki-list
//   await caddy.get('/healthz')          // verified against Caddy's root: {status, headers, body}
//   await caddy.stop()
//
// Caddy runs in its own process group and is killed with it if this process exits.

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO } from './server.js';

export const CADDY = process.env.COHORT_CADDY || 'caddy';
export const DEPLOY_CADDYFILE = path.join(REPO, 'deploy/Caddyfile');

/** A TCP port free on 127.0.0.1 just now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A deploy Caddyfile's site block (the first `NAME {` line to its closing `}`), for a test:
 * the address becomes `address`, `bind` and `tls internal` are added, and each upstream
 * the file names becomes the test's. `upstreams`: one address for deploy/Caddyfile's
 * 127.0.0.1:8000, or an object from the file's upstreams to the test's. Throws if the file
 * no longer has that shape.
 */
export function testSiteBlock(address, upstreams, file = DEPLOY_CADDYFILE) {
  const map = typeof upstreams === 'string' ? { '127.0.0.1:8000': upstreams } : upstreams;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^[^\s#{][^\s]*\s*\{\s*$/.test(l));
  if (start < 0) throw new Error(`${file}: no site block (a line "DOMAIN {")`);
  const end = lines.findIndex((l, i) => i > start && /^\}\s*$/.test(l));
  if (end < 0) throw new Error(`${file}: the site block from line ${start + 1} is not closed`);
  let body = lines.slice(start + 1, end).join('\n');
  for (const [from, to] of Object.entries(map)) {
    if (!body.includes(from)) throw new Error(`${file}: the site block does not proxy to ${from}`);
    body = body.replaceAll(from, to);
  }
  return [`${address} {`, '\tbind 127.0.0.1', '\ttls internal', body, '}'].join('\n');
}

const live = new Set();
process.on('exit', () => {
  for (const pgid of live) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }
});

export class Caddy {
  /** siteFile: the deploy Caddyfile whose site block is served (default deploy/Caddyfile). */
  constructor({ dir, siteFile = DEPLOY_CADDYFILE } = {}) {
    this.siteFile = siteFile;
    this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-caddy-'));
    this.file = path.join(this.dir, 'Caddyfile');
    this.log = '';
    this.proc = null;
    this.exit = null;
    this.upstream = null;
  }

  get url() { return `https://localhost:${this.port}`; }
  get storage() { return path.join(this.dir, 'storage'); }
  get rootCert() { return path.join(this.storage, 'pki/authorities/local/root.crt'); }
  get intermediateCert() { return path.join(this.storage, 'pki/authorities/local/intermediate.crt'); }
  get alive() { return this.proc !== null && this.exit === null; }

  caddyfile(upstream) {
    return [
      '{',
      `\tadmin 127.0.0.1:${this.adminPort}`,
      '\tauto_https disable_redirects',
      '\tskip_install_trust',
      `\thttp_port ${this.httpPort}`,
      `\thttps_port ${this.port}`,
      `\tstorage file_system ${this.storage}`,
      '\tservers {',
      '\t\tprotocols h1 h2',
      '\t}',
      '}',
      '',
      testSiteBlock(this.url, upstream, this.siteFile),
      '',
    ].join('\n');
  }

  env() {
    return {
      ...process.env,
      HOME: this.dir,
      XDG_DATA_HOME: path.join(this.dir, 'data'),
      XDG_CONFIG_HOME: path.join(this.dir, 'config'),
    };
  }

  /**
   * Start Caddy proxying to `upstream` (testSiteBlock's upstreams; default: a closed port),
   * wait for its certificate.
   */
  async start({ upstream = '127.0.0.1:9', timeoutMs = 15000 } = {}) {
    this.port = await freePort();
    this.httpPort = await freePort();
    this.adminPort = await freePort();
    this.upstream = upstream;
    fs.writeFileSync(this.file, this.caddyfile(upstream));
    this.proc = spawn(CADDY, ['run', '--config', this.file, '--adapter', 'caddyfile'], {
      cwd: this.dir, env: this.env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this.proc.pid);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => { this.exit = { code, signal }; resolve(this.exit); });
    });
    this.proc.on('error', (e) => { this.log += `spawn ${CADDY}: ${e.message}\n`; });
    this.proc.stdout.on('data', (d) => { this.log += d.toString(); });
    this.proc.stderr.on('data', (d) => { this.log += d.toString(); });
    // Ready: the intermediate exists and a TLS handshake verified against the root works.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) throw new Error(`caddy exited (${this.exit.code ?? this.exit.signal}) at start:\n${this.log}`);
      if (fs.existsSync(this.rootCert) && fs.existsSync(this.intermediateCert)) {
        try {
          await this.get('/');
          break;
        } catch { /* not yet */ }
      }
      if (Date.now() > deadline) throw new Error(`caddy not serving ${this.url} within ${timeoutMs} ms:\n${this.log}`);
      await sleep(100);
    }
    return this;
  }

  /**
   * Point the reverse proxy at `upstream` (testSiteBlock's upstreams) with `caddy reload`;
   * wait for `healthPath` through it.
   */
  async proxyTo(upstream, { timeoutMs = 10000, healthPath = '/healthz' } = {}) {
    fs.writeFileSync(this.file, this.caddyfile(upstream));
    const r = spawnSync(CADDY, ['reload', '--config', this.file, '--adapter', 'caddyfile', '--address', `127.0.0.1:${this.adminPort}`],
      { cwd: this.dir, env: this.env(), encoding: 'utf8', timeout: timeoutMs });
    this.log += `\n[caddy reload -> ${JSON.stringify(upstream)}] exit ${r.status}\n${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0) throw new Error(`caddy reload exited ${r.status ?? r.signal}:\n${r.stderr}`);
    this.upstream = upstream;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = await this.get(healthPath).catch((e) => ({ status: 0, body: e.message }));
      if (h.status === 200) return h;
      if (Date.now() > deadline) throw new Error(`${this.url}${healthPath} through caddy: ${h.status} ${h.body}\n${this.log}`);
      await sleep(100);
    }
  }

  /** base64 SHA-256 of a certificate's SubjectPublicKeyInfo (default: Caddy's intermediate). */
  spki(file = this.intermediateCert) {
    const der = new crypto.X509Certificate(fs.readFileSync(file)).publicKey.export({ type: 'spki', format: 'der' });
    return crypto.createHash('sha256').update(der).digest('base64');
  }

  /** GET path over HTTPS, the chain verified against Caddy's root only: {status, headers, body}. */
  get(p, { timeoutMs = 5000, headers = {} } = {}) {
    const ca = fs.readFileSync(this.rootCert);
    return new Promise((resolve, reject) => {
      const req = https.get(`${this.url}${p}`, { ca, timeout: timeoutMs, headers }, (res) => {
        const authorized = res.socket?.authorized === true; // rejectUnauthorized is on anyway
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, authorized }));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${p}: timeout`)));
      req.on('error', reject);
    });
  }

  /** SIGTERM the process group (Caddy exits gracefully), SIGKILL after graceMs. */
  async stop({ graceMs = 5000 } = {}) {
    if (!this.proc) return;
    const pgid = this.proc.pid;
    const kill = (sig) => { try { process.kill(-pgid, sig); } catch { /* gone */ } };
    if (this.exit === null) {
      kill('SIGTERM');
      const done = await Promise.race([this.exited, sleep(graceMs).then(() => null)]);
      if (!done) {
        this.log += `\n[caddy did not exit within ${graceMs} ms of SIGTERM: SIGKILL]\n`;
        kill('SIGKILL');
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    kill('SIGKILL');
    live.delete(pgid);
  }

  remove() { fs.rmSync(this.dir, { recursive: true, force: true }); }
}

/**
 * A worker-scoped Playwright fixture: one Caddy for the worker serving `siteFile`'s site
 * block, proxying to `upstream` (testSiteBlock's; default a closed port) until a test
 * points it elsewhere with proxyTo; stopped and removed (unless COHORT_E2E_KEEP) after.
 */
export function caddyFixture({ siteFile, upstream } = {}) {
  return [async ({}, use) => {
    const caddy = new Caddy({ siteFile });
    try {
      await caddy.start({ upstream });
      await use(caddy);
    } finally {
      await caddy.stop();
      if (!process.env.COHORT_E2E_KEEP) caddy.remove();
    }
  }, { scope: 'worker' }];
}
