// Memory of the browser this test worker launched: the chromium(-headless-shell) processes
// among this process's descendants, read from /proc (Linux only). sampleMemory() starts a
// sampler; stop() returns {peakRssMB, peakPssMB, peakProcs, samples}. RSS counts shared
// pages once per process (an upper bound); PSS shares them out (closer to the truth).

import fs from 'node:fs';

function children() {
  const kids = new Map(); // ppid -> [pid]
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  return kids;
}

/** {rssKB, pssKB, procs} summed over the chromium processes descended from root. */
export function browserMemory(root = process.pid) {
  const kids = children();
  const todo = [root];
  let rssKB = 0, pssKB = 0, procs = 0;
  while (todo.length) {
    const pid = todo.pop();
    for (const k of kids.get(pid) ?? []) todo.push(k);
    if (pid === root) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
      if (!/chrom/i.test(cmd)) continue;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      rssKB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      try {
        pssKB += Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch { /* no smaps_rollup */ }
      procs++;
    } catch { /* gone */ }
  }
  return { rssKB, pssKB, procs };
}

export function sampleMemory(everyMs = 500) {
  const peak = { rssKB: 0, pssKB: 0, procs: 0, samples: 0 };
  const take = () => {
    const m = browserMemory();
    peak.rssKB = Math.max(peak.rssKB, m.rssKB);
    peak.pssKB = Math.max(peak.pssKB, m.pssKB);
    peak.procs = Math.max(peak.procs, m.procs);
    peak.samples++;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakRssMB: peak.rssKB / 1024, peakPssMB: peak.pssKB / 1024, peakProcs: peak.procs, samples: peak.samples };
    },
  };
}
