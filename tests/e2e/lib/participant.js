// The participant driver is shared with `cohort pilot`: it lives in tools/harness/participant.js.
export * from '../../../tools/harness/participant.js';
