/*
 * `cohort replay A.csv`
 *
 * Re-simulates an episode natively: reset the env named in the sidecar A.json with its
 * seed and horizon, then step it with each row's recorded actions and check that row's
 * rewards, terminated/truncated flags, info fields and state hash (PROTOCOL.md: the hash
 * of frame f is the hash of the state after stepping f). Rows must be frames 0..N-1 with
 * none missing, and the sidecar's row count must match. The pace the sidecar records (fps
 * or step_ms, and the input mode) is checked for sense and said on the last line, with
 * when the server confirmed the last frame (t_ms), for a reader to hold the two together.
 */
#include "numbers.h"
#include "tools.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "registry.h"

typedef struct {
    char env[64];
    uint64_t seed;
    uint32_t horizon;
    long long rows; /* -1 when the sidecar does not say */
    bool cut;       /* end_reason "cut" or "stalled": the server ended it early and
                       marked the last row truncated itself */
    long long fps, step_ms; /* 0 when the sidecar does not say (an older one) */
    char input[8];
} sidecar;

/* Columns of the file, resolved against the env. */
typedef struct {
    long frame, terminated, truncated, hash;
    long action[ENV_MAX_PLAYERS], reward[ENV_MAX_PLAYERS];
    uint32_t ninfo;
    long info_col[ENV_MAX_INFO];
    uint32_t info_index[ENV_MAX_INFO]; /* index into env_step_out.info */
} columns;

/* A.csv -> A.json (or A.csv.json when the name does not end in .csv). */
static void sidecar_path(const char *csv, char *out, size_t len)
{
    size_t n = strlen(csv);
    if (n >= 4 && strcmp(csv + n - 4, ".csv") == 0)
        snprintf(out, len, "%.*s.json", (int)(n - 4), csv);
    else
        snprintf(out, len, "%s.json", csv);
}

/* fps or step_ms (at most one: cohort writes the other null) and the input mode, each
 * optional. 0, or -1 with a message for what no server writes. */
static int load_timing(json_t *o, const char *path, sidecar *sc)
{
    json_t *fps = json_object_get(o, "fps"), *step = json_object_get(o, "step_ms");
    json_t *in = json_object_get(o, "input");
    sc->fps = json_is_integer(fps) ? (long long)json_integer_value(fps) : 0;
    sc->step_ms = json_is_integer(step) ? (long long)json_integer_value(step) : 0;
    if ((fps && !json_is_null(fps) && sc->fps <= 0) ||
        (step && !json_is_null(step) && sc->step_ms <= 0)) {
        fprintf(stderr, "replay: %s: fps and step_ms must be positive integers or null\n", path);
        return -1;
    }
    if (sc->fps > 0 && sc->step_ms > 0) {
        fprintf(stderr, "replay: %s: both fps and step_ms are set\n", path);
        return -1;
    }
    sc->input[0] = '\0';
    if (in && !json_is_null(in)) {
        const char *m = json_string_value(in);
        if (!m || (strcmp(m, "held") != 0 && strcmp(m, "press") != 0)) {
            fprintf(stderr, "replay: %s: input must be \"held\" or \"press\"\n", path);
            return -1;
        }
        snprintf(sc->input, sizeof sc->input, "%s", m);
    }
    return 0;
}

static int load_sidecar(const char *path, sidecar *sc)
{
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (!o) {
        if (jerr.line > 0)
            fprintf(stderr, "replay: %s:%d: %s\n", path, jerr.line, jerr.text);
        else
            fprintf(stderr, "replay: %s\n", jerr.text);
        return -1;
    }
    int rc = -1;
    json_t *env = json_object_get(o, "env"), *seed = json_object_get(o, "seed");
    json_t *horizon = json_object_get(o, "horizon"), *rows = json_object_get(o, "rows");
    if (!json_is_string(env) || json_string_length(env) >= sizeof sc->env) {
        fprintf(stderr, "replay: %s: no env name\n", path);
        goto out;
    }
    snprintf(sc->env, sizeof sc->env, "%s", json_string_value(env));
    /* The seed is a decimal string because a u64 does not fit a JSON number reliably. */
    if (json_is_string(seed) ? !parse_u64(json_string_value(seed), &sc->seed)
                             : !(json_is_integer(seed) && json_integer_value(seed) >= 0)) {
        fprintf(stderr, "replay: %s: seed must be a decimal string\n", path);
        goto out;
    }
    if (json_is_integer(seed))
        sc->seed = (uint64_t)json_integer_value(seed);
    if (!json_is_integer(horizon) || json_integer_value(horizon) < 0 ||
        json_integer_value(horizon) > UINT32_MAX) {
        fprintf(stderr, "replay: %s: no horizon\n", path);
        goto out;
    }
    sc->horizon = (uint32_t)json_integer_value(horizon);
    json_t *reason = json_object_get(o, "end_reason");
    sc->cut = json_is_string(reason) && (strcmp(json_string_value(reason), "cut") == 0 ||
                                         strcmp(json_string_value(reason), "stalled") == 0);
    sc->rows = json_is_integer(rows) ? (long long)json_integer_value(rows) : -1;
    if (load_timing(o, path, sc) != 0)
        goto out;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static long need_col(const csv_file *f, const char *path, const char *name)
{
    long c = csv_col(f, name);
    if (c < 0)
        fprintf(stderr, "replay: %s: no column %s\n", path, name);
    return c;
}

static int resolve_columns(const csv_file *f, const char *path, const env_def *env,
                           columns *cols)
{
    memset(cols, 0, sizeof *cols);
    if ((cols->frame = need_col(f, path, "frame")) < 0 ||
        (cols->terminated = need_col(f, path, "terminated")) < 0 ||
        (cols->truncated = need_col(f, path, "truncated")) < 0 ||
        (cols->hash = need_col(f, path, "hash")) < 0)
        return -1;
    char name[32];
    for (uint32_t k = 0; k < env->players; k++) {
        snprintf(name, sizeof name, "action.%" PRIu32, k);
        if ((cols->action[k] = need_col(f, path, name)) < 0)
            return -1;
        snprintf(name, sizeof name, "reward.%" PRIu32, k);
        if ((cols->reward[k] = need_col(f, path, name)) < 0)
            return -1;
    }
    snprintf(name, sizeof name, "action.%" PRIu32, env->players);
    if (csv_col(f, name) >= 0) {
        fprintf(stderr, "replay: %s: more seats than %s has players (%" PRIu32 ")\n", path,
                env->name, env->players);
        return -1;
    }
    /* Every info.NAME column must be one of the env's info fields. */
    for (size_t c = 0; c < f->ncols; c++) {
        const char *col = csv_name(f, c);
        if (strncmp(col, "info.", 5) != 0)
            continue;
        uint32_t i = 0;
        while (i < env->ninfo && strcmp(env->info_names[i], col + 5) != 0)
            i++;
        if (i == env->ninfo || cols->ninfo == ENV_MAX_INFO) {
            fprintf(stderr, "replay: %s: %s is not an info field of %s\n", path, col,
                    env->name);
            return -1;
        }
        cols->info_col[cols->ninfo] = (long)c;
        cols->info_index[cols->ninfo++] = i;
    }
    return 0;
}

/* Checks one integer cell against the recomputed value; reports the first mismatch. */
static bool check_int(const csv_file *f, size_t row, long col, int64_t want)
{
    const char *cell = csv_cell(f, row, (size_t)col);
    int64_t got;
    if (!parse_int(cell, &got)) {
        printf("frame %zu: %s '%s' is not a number\n", row, csv_name(f, (size_t)col), cell);
        return false;
    }
    if (got != want) {
        printf("frame %zu: %s differs: recorded %" PRId64 ", replay %" PRId64 "\n", row,
               csv_name(f, (size_t)col), got, want);
        return false;
    }
    return true;
}

/* Steps row `row` and checks everything recorded about it. */
static bool replay_row(const csv_file *f, size_t row, const env_def *env, const columns *cols,
                       void *state, bool cut_here)
{
    int64_t frame;
    const char *fcell = csv_cell(f, row, (size_t)cols->frame);
    if (!parse_int(fcell, &frame) || frame != (int64_t)row) {
        printf("frame %zu: missing (row %zu holds frame %s; rows must be frames 0..N-1)\n",
               row, row, fcell);
        return false;
    }
    int32_t actions[ENV_MAX_PLAYERS] = {0};
    for (uint32_t k = 0; k < env->players; k++) {
        int64_t a;
        const char *cell = csv_cell(f, row, (size_t)cols->action[k]);
        if (!parse_int(cell, &a) || a < INT32_MIN || a > INT32_MAX) {
            printf("frame %zu: action.%" PRIu32 " '%s' is not an action\n", row, k, cell);
            return false;
        }
        actions[k] = (int32_t)a;
    }
    env_step_out out;
    memset(&out, 0, sizeof out);
    env->step(state, actions, &out);

    for (uint32_t k = 0; k < env->players; k++)
        if (!check_int(f, row, cols->reward[k], out.rewards[k]))
            return false;
    if (!check_int(f, row, cols->terminated, out.terminated) ||
        !check_int(f, row, cols->truncated, out.truncated || cut_here))
        return false;
    for (uint32_t i = 0; i < cols->ninfo; i++)
        if (!check_int(f, row, cols->info_col[i], out.info[cols->info_index[i]]))
            return false;

    char hash[17];
    snprintf(hash, sizeof hash, "%016" PRIx64, env_hash(state, env->state_size));
    const char *recorded = csv_cell(f, row, (size_t)cols->hash);
    if (strcmp(recorded, hash) != 0) {
        printf("frame %zu: hash differs: recorded %s, replay %s\n", row, recorded, hash);
        return false;
    }
    return true;
}

static int replay_rows(const csv_file *f, const sidecar *sc, const env_def *env,
                       const columns *cols)
{
    void *state = calloc(1, env->state_size ? env->state_size : 1);
    if (!state) {
        fprintf(stderr, "replay: out of memory\n");
        return 2;
    }
    env->reset(state, sc->seed, sc->horizon);
    int rc = 0;
    for (size_t r = 0; r < f->nrows && rc == 0; r++) {
        if (r > 0 && (strcmp(csv_cell(f, r - 1, (size_t)cols->terminated), "1") == 0 ||
                      strcmp(csv_cell(f, r - 1, (size_t)cols->truncated), "1") == 0)) {
            printf("frame %zu: recorded after the episode ended at frame %zu\n", r, r - 1);
            rc = 1;
        } else if (!replay_row(f, r, env, cols, state, sc->cut && r + 1 == f->nrows)) {
            rc = 1;
        }
    }
    free(state);
    if (rc == 0 && sc->rows >= 0 && (size_t)sc->rows != f->nrows) {
        printf("frame %zu: missing (the sidecar says %lld rows, the file has %zu)\n",
               f->nrows < (size_t)sc->rows ? f->nrows : (size_t)sc->rows, sc->rows,
               f->nrows);
        rc = 1;
    }
    return rc;
}

/* " (step_ms 150, input press; the last frame confirmed at 8851 ms)", or "" when the
 * sidecar says nothing of the pace. */
static void say_pace(const csv_file *f, const sidecar *sc, char *out, size_t len)
{
    if (!sc->fps && !sc->step_ms)
        return;
    int n = snprintf(out, len, " (%s %lld%s%s", sc->fps ? "fps" : "step_ms",
                     sc->fps ? sc->fps : sc->step_ms, sc->input[0] ? ", input " : "", sc->input);
    long t = csv_col(f, "t_ms");
    int64_t last;
    if (n > 0 && (size_t)n < len && t >= 0 && f->nrows > 0 &&
        parse_int(csv_cell(f, f->nrows - 1, (size_t)t), &last))
        n += snprintf(out + n, len - (size_t)n, "; the last frame confirmed at %" PRId64 " ms",
                      last);
    if (n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, ")");
}

int cmd_replay(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: cohort replay A.csv   (reads A.json beside it)\n");
        return 2;
    }
    const char *path = argv[1];
    char json_path[4096];
    sidecar_path(path, json_path, sizeof json_path);
    sidecar sc;
    if (load_sidecar(json_path, &sc) != 0)
        return 2;
    const env_def *env = env_find(sc.env);
    if (!env) {
        fprintf(stderr, "replay: %s: unknown env '%s'\n", json_path, sc.env);
        return 2;
    }
    if (env->players == 0 || env->players > ENV_MAX_PLAYERS) {
        fprintf(stderr, "replay: env %s has %u players\n", env->name, (unsigned)env->players);
        return 2;
    }
    csv_file f;
    char err[512];
    if (csv_load(path, &f, err, sizeof err) != 0) {
        fprintf(stderr, "replay: %s\n", err);
        return 2;
    }
    columns cols;
    int rc = resolve_columns(&f, path, env, &cols) == 0 ? replay_rows(&f, &sc, env, &cols) : 2;
    if (rc == 0) {
        char pace[160] = "";
        say_pace(&f, &sc, pace, sizeof pace);
        printf("replay: %zu frames ok%s\n", f.nrows, pace);
    }
    csv_free(&f);
    return rc;
}
