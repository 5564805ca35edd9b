/*
 * `cohort eval`: the C front (eval.h).
 */
#include "eval.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../envs/registry.h"
#include "../util/file.h"
#include "../util/ident.h"
#include "catalog.h"

#define EVAL_MAX_PAIRS 32
#define EVAL_MAX_EPISODES 100000
#define EVAL_MAX_STEPS 1000000

static void eval_usage(FILE *to)
{
    fprintf(to,
            "usage: cohort eval ENV --pair SEAT,SEAT[,...] [--pair ...] [--episodes N] "
            "[--steps N] [--seed N] [--json]\n"
            "  ENV       an env, e.g. cooking/cramped_room\n"
            "  SEAT      a scripted policy of ENV (greedy), a shipped agent (ppo_sp, ppo_bc, "
            "pbt, ppo_sp_hrl, ...), either with :sample to draw actions instead of argmax\n"
            "  --episodes N  episodes per pairing (default 20); --steps N  steps per episode "
            "(default: the env's horizon); --seed N  (default 1): the same seed gives the "
            "same result\n");
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

/* One seat of a pairing: "greedy", "ppo_sp", "ppo_sp:sample". */
static json_t *seat_json(const env_def *env, const char *word, const char *web_root, char *err,
                         size_t errlen)
{
    char name[64];
    const char *colon = strchr(word, ':');
    size_t n = colon ? (size_t)(colon - word) : strlen(word);
    const char *pick = "argmax";
    if (colon) {
        if (strcmp(colon + 1, "sample") == 0)
            pick = "sample";
        else if (strcmp(colon + 1, "argmax") != 0) {
            snprintf(err, errlen, "%s: after ':' comes sample or argmax", word);
            return NULL;
        }
    }
    if (n == 0 || n >= sizeof name) {
        snprintf(err, errlen, "empty or overlong seat name in --pair: %s", word);
        return NULL;
    }
    memcpy(name, word, n);
    name[n] = '\0';
    if (!ident_valid(name, sizeof name - 1, "")) {
        snprintf(err, errlen, "bad seat name %s", name);
        return NULL;
    }
    if (env_policy_find(env, name) >= 0) {
        if (colon) {
            snprintf(err, errlen, "%s is a scripted policy: it has no :%s", name, colon + 1);
            return NULL;
        }
        return json_pack("{s:s, s:s}", "kind", "policy", "name", name);
    }
    const agent_entry *a = agent_catalog_find(name, env->name);
    if (!a) {
        snprintf(err, errlen, "%s is neither a scripted policy of %s nor a shipped agent for it",
                 name, env->name);
        return NULL;
    }
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/models/%s/model.json", web_root, a->dir);
    if (access(file, R_OK) != 0) {
        snprintf(err, errlen, "%s: %s is missing (run make)", name, file);
        return NULL;
    }
    json_t *actions = json_array();
    for (int i = 0; i < a->nactions; i++)
        json_array_append_new(actions, json_integer(a->actions[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "kind", "model", "name", word, "file",
                     file, "format", "tfjs", "obs", a->obs, "actions", actions, "pick", pick);
}

char *eval_job_json(int argc, char **argv, const char *web_root, char *err, size_t errlen)
{
    if (argc < 2 || argv[1][0] == '-') {
        snprintf(err, errlen, "name the env first (e.g. cohort eval cooking/cramped_room ...)");
        return NULL;
    }
    const env_def *env = env_find(argv[1]);
    if (!env) {
        snprintf(err, errlen, "unknown env %s", argv[1]);
        return NULL;
    }
    unsigned long long episodes = 20, steps = env->horizon, seed = 1;
    bool as_json = false;
    const char *pairs[EVAL_MAX_PAIRS];
    int npairs = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            as_json = true;
            continue;
        }
        if (!v) {
            snprintf(err, errlen, "%s needs a value", a);
            return NULL;
        }
        i++;
        if (strcmp(a, "--pair") == 0) {
            if (npairs == EVAL_MAX_PAIRS) {
                snprintf(err, errlen, "at most %d pairings", EVAL_MAX_PAIRS);
                return NULL;
            }
            pairs[npairs++] = v;
        } else if (strcmp(a, "--episodes") == 0) {
            if (!parse_uint(v, EVAL_MAX_EPISODES, &episodes) || episodes == 0) {
                snprintf(err, errlen, "--episodes must be 1 to %d", EVAL_MAX_EPISODES);
                return NULL;
            }
        } else if (strcmp(a, "--steps") == 0) {
            if (!parse_uint(v, EVAL_MAX_STEPS, &steps) || steps == 0) {
                snprintf(err, errlen, "--steps must be 1 to %d", EVAL_MAX_STEPS);
                return NULL;
            }
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_uint(v, UINT64_MAX, &seed)) {
                snprintf(err, errlen, "--seed must be a whole number from 0 to 2^64-1");
                return NULL;
            }
        } else {
            snprintf(err, errlen, "unknown option %s", a);
            return NULL;
        }
    }
    if (npairs == 0) {
        snprintf(err, errlen, "name at least one --pair (e.g. --pair ppo_sp,greedy)");
        return NULL;
    }
    char wasm[PATH_MAX];
    char family[64];
    const char *slash = strchr(env->name, '/');
    snprintf(family, sizeof family, "%.*s", (int)(slash ? slash - env->name : 0), env->name);
    snprintf(wasm, sizeof wasm, "%s/envs/%s.wasm", web_root, family);
    if (access(wasm, R_OK) != 0) {
        snprintf(err, errlen, "%s is missing (run make)", wasm);
        return NULL;
    }
    json_t *list = json_array();
    for (int p = 0; p < npairs; p++) {
        json_t *seats = json_array();
        char buf[512];
        snprintf(buf, sizeof buf, "%s", pairs[p]);
        int count = 0;
        for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            json_t *s = seat_json(env, w, web_root, err, errlen);
            if (!s) {
                json_decref(seats);
                json_decref(list);
                return NULL;
            }
            json_array_append_new(seats, s);
            count++;
        }
        if (count != (int)env->players) {
            snprintf(err, errlen, "--pair %s names %d seats; %s has %u", pairs[p], count,
                     env->name, env->players);
            json_decref(seats);
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, json_pack("{s:s, s:o}", "label", pairs[p], "seats", seats));
    }
    char seed_text[24];
    snprintf(seed_text, sizeof seed_text, "%llu", seed);
    json_t *job = json_pack("{s:s, s:s, s:I, s:I, s:s, s:b, s:o}", "env", env->name, "envWasm",
                            wasm, "episodes", (json_int_t)episodes, "steps", (json_int_t)steps,
                            "seed", seed_text, "json", as_json, "pairings", list);
    char *text = job ? json_dumps(job, JSON_COMPACT) : NULL;
    json_decref(job);
    if (!text)
        snprintf(err, errlen, "out of memory");
    return text;
}


int cmd_eval(int argc, char **argv, const char *web_root)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        eval_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    char err[512];
    char *job = eval_job_json(argc, argv, web_root, err, sizeof err);
    if (!job) {
        fprintf(stderr, "cohort eval: %s\n", err);
        eval_usage(stderr);
        return 2;
    }
    char driver[PATH_MAX + 64];
    if (file_beside_exe("COHORT_EVAL_DRIVER", "../tools/eval/eval.mjs", driver, sizeof driver) !=
        0) {
        fprintf(stderr, "cohort eval: its driver (tools/eval/eval.mjs) is not beside this cohort: "
                        "run cohort eval from the cohort source folder (build/cohort)\n");
        free(job);
        return 2;
    }
    char path[] = "/tmp/cohort-eval-job-XXXXXX";
    int fd = mkstemp(path);
    size_t len = strlen(job);
    bool ok = fd >= 0 && write(fd, job, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    free(job);
    if (!ok) {
        fprintf(stderr, "cohort eval: cannot write the job file: %s\n", strerror(errno));
        unlink(path);
        return 2;
    }
    char *args[] = {"node", driver, path, NULL};
    const char *node = getenv("COHORT_NODE");
    execvp(node && *node ? node : "node", args);
    fprintf(stderr, "cohort eval: cannot run Node.js (%s): run scripts/setup --agents\n",
            strerror(errno));
    unlink(path);
    return 2;
}
