/*
 * `cohort eval ENV --pair A,B [...]` (docs/AGENTS.md): agents against agents, or against
 * scripted policies, without a browser, before a study seats them with people.
 *
 * The C front checks the command line against the env registry and the agent catalog,
 * resolves every seat to the files it needs, writes the job as JSON and execs the Node
 * driver (tools/eval/eval.mjs), which plays it with the same wasm env and the same model
 * code (web/agent.js) the browsers run.
 */
#ifndef COHORT_AGENTS_EVAL_H
#define COHORT_AGENTS_EVAL_H

#include <stddef.h>

/* The job as the driver reads it, for argv (argv[0] is "eval"): malloc'd JSON text, or NULL
 * with a one-line reason in err. web_root holds envs/ and models/ (build/web). */
char *eval_job_json(int argc, char **argv, const char *web_root, char *err, size_t errlen);

/* argv[0] is "eval"; returns an exit code (only when it could not exec the driver). */
int cmd_eval(int argc, char **argv, const char *web_root);

#endif
