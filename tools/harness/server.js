// Starting and stopping `cohort serve` for one test or one pilot (docs/DESIGN.md section 11).
// Shared by tests/e2e (lib/server.js binds it to the repository's build) and `cohort
// pilot` (tools/pilot, which passes the running cohort's own executable).
//
// The server runs in its own process group (detached) so teardown can kill it and
// anything it started, whatever state the test left it in. Its stdout and stderr are
// kept in memory (`log`) and attached to failed tests by the fixture.

import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The `experiment:` id of an experiment file (first top-level line). */
export function experimentId(file) {
  const m = fs.readFileSync(file, 'utf8').match(/^experiment:\s*["']?([A-Za-z0-9_.-]+)/m);
  if (!m) throw new Error(`${file}: no experiment id`);
  return m[1];
}

// Where a hung server is stuck (gdb if installed), for the failure report.
function stacks(pid) {
  const r = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt'], { encoding: 'utf8', timeout: 20000 });
  if (r.error) return `(no gdb: ${r.error.message})`;
  return (r.stdout || '').split('\n').filter((l) => /^(Thread|#)/.test(l)).join('\n') || r.stderr;
}

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

// Servers still running when this process exits (a killed or crashed test run) are not
// left behind: their process groups get SIGKILL.
const live = new Set();
process.on('exit', () => {
  for (const pgid of live) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }
});

/** The status of a GET, 0 if none came. Readiness only: a self-signed certificate (the
 * TLS tests') is not checked here. */
function statusOf(url) {
  const get = url.startsWith('https:') ? https.get : http.get;
  return new Promise((resolve) => {
    const req = get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export class Server {
  /**
   * serveArgs: more `cohort serve` options. By default `--drain-s 0`: SIGTERM stops at
   * once, as a test's teardown wants; a test of the drain passes its own.
   */
  constructor(file, { cohort, cwd = process.cwd(), serveArgs = ['--drain-s', '0'], dataPrefix = 'cohort-e2e-' } = {}) {
    this.cohort = cohort; // the cohort executable
    this.cwd = cwd;
    this.serveArgs = serveArgs;
    this.file = file;
    this.experiment = experimentId(file);
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), dataPrefix));
    this.log = '';
    this.url = null;
    this.proc = null;
    this.exit = null; // {code, signal} once it has exited
    this.killedByUs = false;
    this.stopRequested = false;
    this.adminKey = null;
    this.startedAt = null; // Date.now() just before the process was launched
  }

  /** DATA/EXPERIMENT: where cohort.db and the scene folders go. */
  get expDir() { return path.join(this.dataDir, this.experiment); }
  get db() { return path.join(this.expDir, 'cohort.db'); }

  async start({ timeoutMs = 15000 } = {}) {
    if (!fs.existsSync(this.cohort)) throw new Error(`${this.cohort} does not exist: run make at the repo root first`);
    const args = ['serve', this.file, '--port', '0', '--data', this.dataDir, ...this.serveArgs];
    this.startedAt = Date.now(); // every wall time the server records must be after this
    this.proc = spawn(this.cohort, args, { cwd: this.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.proc.pid);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => { this.exit = { code, signal }; resolve(this.exit); });
    });
    const listening = new Promise((resolve, reject) => {
      let buf = '';
      this.proc.stdout.on('data', (d) => {
        const s = d.toString();
        this.log += s;
        buf += s;
        const k = buf.match(/[#?&]key=([0-9A-Za-z]+)/);
        if (k) this.adminKey = k[1];
        const m = buf.match(/listening on (https?:\/\/[^\s]+)/);
        if (m) resolve(m[1].replace(/\/$/, ''));
      });
      this.proc.stderr.on('data', (d) => { this.log += d.toString(); });
      this.proc.on('error', reject);
      this.exited.then((e) => reject(new Error(`cohort serve exited (${e.code ?? e.signal}) before listening:\n${this.log}`)));
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`cohort serve did not print "listening on" within ${timeoutMs} ms:\n${this.log}`)), timeoutMs);
    });
    try {
      this.url = await Promise.race([listening, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // Ready means /healthz answers 200.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await statusOf(`${this.url}/healthz`) === 200) break;
      if (Date.now() > deadline) throw new Error(`${this.url}/healthz never answered 200:\n${this.log}`);
      await sleep(50);
    }
    return this;
  }

  get alive() { return this.proc !== null && this.exit === null; }

  async health() {
    const r = await fetch(`${this.url}/healthz`);
    return { status: r.status, body: await r.json() };
  }

  /** /api/state (admin): games, waiting per scene, participants, protocol_errors. */
  async state() {
    if (!this.adminKey) {
      // The admin line may come just after "listening on".
      for (let i = 0; i < 20 && !this.adminKey; i++) await sleep(50);
    }
    const r = await fetch(`${this.url}/api/state`, { headers: { Authorization: `Bearer ${this.adminKey ?? ''}` } });
    if (r.status !== 200) throw new Error(`/api/state: ${r.status} ${await r.text()} (admin key ${this.adminKey ?? 'not seen in the server output'})`);
    return r.json();
  }

  /** Send a signal to the server alone (not its group) and return at once. */
  signal(sig) {
    this.stopRequested = true;
    this.log += `\n[e2e ${new Date().toISOString()}] harness sends ${sig} to the server\n`;
    try { process.kill(this.proc.pid, sig); } catch { /* gone */ }
  }

  /** SIGTERM the process group, SIGKILL it if it is still there after graceMs. */
  async stop({ graceMs = 5000 } = {}) {
    if (!this.proc) return;
    this.stopRequested = true;
    const pgid = this.proc.pid;
    const kill = (sig) => {
      if (this.exit === null) this.log += `\n[e2e ${new Date().toISOString()}] harness sends ${sig} to process group ${pgid}\n`;
      try { process.kill(-pgid, sig); } catch { /* gone */ }
    };
    if (this.exit === null) {
      kill('SIGTERM');
      const done = await Promise.race([this.exited, sleep(graceMs).then(() => null)]);
      if (!done) {
        this.killedByUs = true;
        this.log += `\n--- no exit ${graceMs} ms after SIGTERM; threads: ---\n${stacks(this.proc.pid)}`;
        kill('SIGKILL');
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    kill('SIGKILL'); // anything left in the group
    live.delete(pgid);
  }

  /** Problems the server itself showed: a crash, a sanitizer report, a hang on SIGTERM. */
  problems({ expectRunning = true } = {}) {
    const out = [];
    if (SANITIZER.test(this.log)) out.push('sanitizer report in the server log');
    if (this.killedByUs) out.push('server did not exit within 5 s of SIGTERM (killed)');
    else if (this.exit && this.exit.signal && this.exit.signal !== 'SIGTERM') out.push(`server died of ${this.exit.signal}`);
    else if (this.exit && this.exit.code !== 0 && this.exit.code !== null) out.push(`server exited with code ${this.exit.code}`);
    return out;
  }

  removeData() {
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
