// `cohort serve` for one test: tools/harness/server.js (shared with `cohort pilot`) bound
// to this repository's build.

import path from 'node:path';
import { Server as HarnessServer } from '../../../tools/harness/server.js';

export { experimentId } from '../../../tools/harness/server.js';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const E2E = path.join(REPO, 'tests/e2e');
// COHORT_BIN=build/cohort-san runs the suite against the sanitizer build.
export const COHORT = path.resolve(REPO, process.env.COHORT_BIN || 'build/cohort');

/** The experiment file for a name under tests/e2e/experiments/, or a path as given. */
export function experimentPath(name) {
  if (name.endsWith('.yaml') || name.includes('/')) return path.resolve(REPO, name);
  return path.join(E2E, 'experiments', name, 'experiment.yaml');
}

/** The harness's server, run from the repository with build/cohort (or COHORT_BIN). */
export class Server extends HarnessServer {
  constructor(file, opts = {}) {
    super(file, { cohort: COHORT, cwd: REPO, ...opts });
  }
}
