// GameOrchestrator: many participants, many concurrent games (docs/DESIGN.md section 11).
//
// Participants arrive group by group (a group is the people meant to play together):
// groups `groupStaggerMs` apart, members of a group `memberStaggerMs` apart. Each member's
// #start is sent only after the previous member's was taken by the server, so the FIFO
// matchmaker sees the arrival order the test intends. Every later step runs per game with
// its own timeout, and a failure names the game (index, id, subjects) that failed.

import { setTimeout as sleep } from 'node:timers/promises';
import { checkEpisodeCsv, compare, replay, waitForExports, waitForRows } from './exports.js';

export class GameOrchestrator {
  /**
   * server: the server fixture; participants: Participant[] (in arrival order);
   * game: {scene, episodes, maxSteps, fps or stepMs, seats (['human','human'] or with 'ai:NAME')};
   * forms: {scene: {field: value}} for static pages before the game.
   */
  constructor(server, participants, { game, groupSize, forms = {}, groupStaggerMs = 300, memberStaggerMs = 50 }) {
    this.server = server;
    this.game = { fps: 30, episodes: 1, seats: ['human', 'human'], ...game };
    this.groupSize = groupSize ?? this.game.seats.filter((s) => s === 'human').length;
    this.forms = forms;
    this.groupStaggerMs = groupStaggerMs;
    this.memberStaggerMs = memberStaggerMs;
    this.groups = [];
    for (let i = 0; i < participants.length; i += this.groupSize) {
      this.groups.push({ index: this.groups.length, members: participants.slice(i, i + this.groupSize), id: null });
    }
    this.arrivals = []; // {name, t} in the order #start was taken
  }

  label(g) {
    return `game ${g.index}${g.id ? ` (${g.id})` : ''} [${g.members.map((p) => `${p.name}=${p.pid}`).join(', ')}]`;
  }

  /** Per game, at once; all games run; a failure lists every failed game by name. */
  async eachGame(what, fn, timeoutMs) {
    const results = await Promise.allSettled(this.groups.map((g) => withTimeout(fn(g), timeoutMs, `${this.label(g)}: ${what} took over ${timeoutMs} ms`)));
    const failed = results.map((r, i) => (r.status === 'rejected' ? `${this.label(this.groups[i])}: ${what}: ${r.reason?.message ?? r.reason}` : null)).filter(Boolean);
    if (failed.length) throw new Error(`${failed.length} of ${this.groups.length} games failed at "${what}":\n${failed.join('\n')}`);
    return results.map((r) => r.value);
  }

  /** Open every participant's page and bring it to #start; press #start in arrival order. */
  async arrive({ openGroupInParallel = true } = {}) {
    for (const g of this.groups) {
      if (g.index > 0 && this.groupStaggerMs > 0) await sleep(this.groupStaggerMs); // stated arrival gap
      const ready = async (p) => {
        await p.open(this.server.url);
        await p.advanceTo(this.game.scene, this.forms);
      };
      if (openGroupInParallel) await Promise.all(g.members.map(ready));
      else for (const p of g.members) await ready(p);
      for (const [i, p] of g.members.entries()) {
        if (i > 0 && this.memberStaggerMs > 0) await sleep(this.memberStaggerMs); // stated gap
        await p.start();
        this.arrivals.push({ name: p.name, t: Date.now() });
      }
    }
  }

  /** Every group is one game: the same id on every member, distinct seats, distinct games. */
  async verifyPairing({ timeoutMs = 15000 } = {}) {
    await this.eachGame('pairing', async (g) => {
      const sts = [];
      for (const p of g.members) {
        await p.gameId(timeoutMs);
        sts.push(await p.status());
      }
      const ids = new Set(sts.map((s) => s.game.id));
      if (ids.size !== 1) throw new Error(`members are in different games: ${sts.map((s, i) => `${g.members[i].name}->${s.game.id}`).join(', ')}`);
      g.id = sts[0].game.id;
      const seats = sts.map((s) => s.game.seat);
      if (new Set(seats).size !== seats.length) throw new Error(`seats clash: ${seats}`);
      g.seats = seats;
    }, timeoutMs + 5000);
    const all = this.groups.map((g) => g.id);
    if (new Set(all).size !== all.length) throw new Error(`two groups share a game: ${all.join(', ')}`);
  }

  /**
   * An orchestrator over some of this one's games (by index), sharing their state (ids,
   * seats): for tests where games end differently (waitDone/checkExports on a subset).
   */
  only(indexes) {
    const o = Object.create(GameOrchestrator.prototype);
    Object.assign(o, this, { groups: indexes.map((i) => this.groups[i]) });
    return o;
  }

  /** The subject in each seat of game g (humans by their seat; AIs as 'ai:NAME'). */
  seatNames(g) {
    const names = [...this.game.seats];
    g.members.forEach((p, i) => { names[g.seats[i]] = p.pid; });
    return names;
  }

  /**
   * The server's `matches` table pairs exactly the arrival groups, in arrival order (each
   * group's subjects, whatever their order within the group). Needs verifyPairing first.
   */
  async verifyMatchedAsArrived({ timeoutMs = 10000 } = {}) {
    const n = this.groups.length;
    const rows = await waitForRows(this.server.db, 'SELECT game, subjects FROM matches ORDER BY t, rowid', (rs) => rs.length >= n, { timeout: timeoutMs });
    const got = rows.map((r) => ({ game: r.game, subjects: JSON.parse(r.subjects).sort() }));
    const want = this.groups.map((g) => ({ game: g.id, subjects: g.members.map((p) => p.pid).sort() }));
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`matches not in arrival order:\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
    }
  }

  startKeys() {
    for (const g of this.groups) g.members.forEach((p, i) => p.startKeys(undefined, { seed: 1000 * g.index + i + 1 }));
  }

  async stopKeys() {
    await Promise.all(this.groups.flatMap((g) => g.members.map((p) => p.stopKeys())));
  }

  /** A game's wall time: episodes x (countdown + max_steps steps of stepMs or 1000 / fps), plus slack. */
  expectedMs(slackMs = 20000) {
    const g = this.game;
    const stepMs = g.stepMs ?? 1000 / g.fps;
    return g.episodes * ((g.countdownS ?? 1) * 1000 + g.maxSteps * stepMs) + slackMs;
  }

  /** Every member of every game reaches the end scene (state done), per game timeouts. */
  async waitDone({ timeoutMs = this.expectedMs(), outcome = 'completed' } = {}) {
    return this.eachGame('finish', async (g) => {
      const out = [];
      for (const p of g.members) {
        const r = await p.completionCode(timeoutMs);
        if (outcome && r.outcome !== outcome) throw new Error(`${p.name} ended with outcome ${r.outcome} (code ${r.code}), expected ${outcome}`);
        out.push(r.status);
      }
      g.final = out;
      return out;
    }, timeoutMs + 5000);
  }

  /**
   * Per game: the episode files of every human exist, `cohort compare` says every pair is
   * the same trajectory, `cohort replay` re-simulates each file, every frame a browser
   * reported is verified (1, never 0), frame counts and seats are right, no browser counted
   * a desync. Returns per game {files, summaries}.
   */
  async checkExports({ timeoutMs = 20000, frames = this.game.maxSteps, allowUnverified = false } = {}) {
    const { dataDir, experiment } = this.server;
    return this.eachGame('export check', async (g) => {
      const subjects = g.members.map((p) => p.pid);
      const files = await waitForExports(dataDir, experiment, this.game.scene, subjects, this.game.episodes, { timeout: timeoutMs });
      const problems = [];
      const summaries = [];
      const seats = this.seatNames(g);
      for (let e = 0; e < this.game.episodes; e++) {
        const eFiles = subjects.map((s) => files[s][e]);
        for (const f of eFiles) {
          const r = replay(f);
          if (r.code !== 0) problems.push(`cohort replay ${f} exited ${r.code}:\n${r.output}`);
          const c = checkEpisodeCsv(f, { game: g.id, seats, frames, episode: e });
          problems.push(...c.problems);
          summaries.push({ file: f, ...c.summary });
          // Each human seat's browser reported hashes (verified.K = 1) on some frames.
          seats.forEach((name, k) => {
            if (!name.startsWith('ai:') && !allowUnverified && c.summary.seats[k].verified1 === 0) {
              problems.push(`${f}: seat ${k} (${name}) has no verified frame: its browser never reported a hash`);
            }
          });
        }
        for (let i = 1; i < eFiles.length; i++) {
          const r = compare(eFiles[0], eFiles[i]);
          if (r.code !== 0) problems.push(`cohort compare ${eFiles[0]} ${eFiles[i]} exited ${r.code}:\n${r.output}`);
        }
      }
      for (const st of g.final ?? []) {
        if (st.game?.desyncs) problems.push(`a browser counted ${st.game.desyncs} desyncs`);
      }
      if (problems.length) throw new Error(problems.slice(0, 30).join('\n'));
      g.files = files;
      g.summaries = summaries;
      return { files, summaries };
    }, timeoutMs + 30000);
  }
}

/**
 * Two participants, `a` and `b`, matched into one game and playing, both pressing keys,
 * until a's confirmed frame reaches 60. netSeed: a gets lib/network.js (a.withNet(seed))
 * before its page opens, for tests that cut or slow its connection.
 * Returns {a, b, orch, g (the game's group), seatA, seatB}.
 */
export async function playingPair(participants, orchestrate, { game = { scene: 'game', maxSteps: 300 }, netSeed } = {}) {
  const [a, b] = await participants(2, { names: ['a', 'b'] });
  if (netSeed !== undefined) await a.withNet(netSeed);
  const orch = orchestrate([a, b], { game });
  await orch.arrive();
  await orch.verifyPairing();
  orch.startKeys();
  await a.waitFor(() => window.cohort.state === 'playing' && window.cohort.game.confirmed >= 60, { what: 'frame 60' });
  const g = orch.groups[0];
  return { a, b, orch, g, seatA: g.seats[0], seatB: g.seats[1] };
}

export async function withTimeout(promise, ms, message) {
  let t;
  try {
    return await Promise.race([promise, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(message)), ms); })]);
  } finally {
    clearTimeout(t);
  }
}
