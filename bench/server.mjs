// The benchmarks' cohort server: `cohort serve EXPERIMENT` on a free port with a data
// folder of its own. Resolves to { url, proc, data }; stop() ends it and removes the data.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export function startServer(experiment) {
  const data = mkdtempSync(path.join(tmpdir(), 'cohort-bench-'));
  const proc = spawn(path.join(root, 'build/cohort'), ['serve', path.join(root, experiment), '--port', '0', '--data', data],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) {
        resolve({
          url: m[1], proc, data,
          stop() {
            process.kill(-proc.pid, 'SIGTERM');
            rmSync(data, { recursive: true, force: true });
          },
        });
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}
