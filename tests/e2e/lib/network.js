// The fault injector is shared with `cohort pilot`: it lives in tools/harness/network.js.
export * from '../../../tools/harness/network.js';
