/* `cohort export`: frames.csv (every episode re-simulated from its recorded actions, every
 * hash verified, the state decoded by the env) and episodes.csv (docs/DATA.md). */
#include "export_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"

/* ---------------------------------------------------------------------------------------
 * Episodes: find the files, re-simulate, write frames.csv
 * ------------------------------------------------------------------------------------- */

int env_slot(frame_schema *fs, const env_def *env)
{
    for (uint32_t i = 0; i < fs->nenvs; i++)
        if (fs->envs[i] == env)
            return (int)i;
    if (fs->nenvs == 32)
        return -1;
    fs->envs[fs->nenvs] = env;
    return (int)fs->nenvs++;
}

static void push_name(const char ***order, size_t *n, const char *name)
{
    *order = realloc(*order, (*n + 1) * sizeof **order);
    if (!*order) {
        fprintf(stderr, "export: out of memory\n");
        exit(2);
    }
    (*order)[(*n)++] = name;
}

/* Builds the union schema; field names are copied into the arena. */
void build_schema(frame_schema *fs, arena *mem)
{
    for (uint32_t e = 0; e < fs->nenvs; e++) {
        const env_def *env = fs->envs[e];
        if (env->players > fs->seats)
            fs->seats = env->players;
        for (uint32_t i = 0; i < env->ninfo && i < ENV_MAX_INFO; i++)
            if (strset_index(&fs->info, env->info_names[i]) < 0) {
                strset_add(&fs->info, env->info_names[i]);
                push_name(&fs->info_order, &fs->ninfo, env->info_names[i]);
            }
        uint32_t nf = env->fields ? env->fields(0, NULL) : 0;
        for (uint32_t i = 0; i < nf; i++) {
            env_field f;
            env->fields(i, &f);
            if (strset_index(&fs->fields, f.name) < 0) {
                const char *name = arena_str(mem, f.name);
                strset_add(&fs->fields, name);
                push_name(&fs->field_order, &fs->nfields, name);
            }
        }
    }
    for (uint32_t e = 0; e < fs->nenvs; e++) {
        const env_def *env = fs->envs[e];
        fs->info_map[e] = malloc((fs->ninfo + 1) * sizeof(int));
        fs->field_map[e] = malloc((fs->nfields + 1) * sizeof(int));
        for (size_t u = 0; u < fs->ninfo; u++) {
            fs->info_map[e][u] = -1;
            for (uint32_t i = 0; i < env->ninfo && i < ENV_MAX_INFO; i++)
                if (strcmp(env->info_names[i], fs->info_order[u]) == 0)
                    fs->info_map[e][u] = (int)i;
        }
        uint32_t nf = env->fields ? env->fields(0, NULL) : 0;
        for (size_t u = 0; u < fs->nfields; u++) {
            fs->field_map[e][u] = -1;
            for (uint32_t i = 0; i < nf; i++) {
                env_field f;
                env->fields(i, &f);
                if (strcmp(f.name, fs->field_order[u]) == 0)
                    fs->field_map[e][u] = (int)i;
            }
        }
    }
}

void free_schema(frame_schema *fs)
{
    for (uint32_t e = 0; e < fs->nenvs; e++) {
        free(fs->info_map[e]);
        free(fs->field_map[e]);
    }
    free(fs->info.s);
    free(fs->fields.s);
    free(fs->info_order);
    free(fs->field_order);
}

json_t *env_list(const frame_schema *fs, bool (*has)(const env_def *, const char *),
                        const char *name)
{
    json_t *a = json_array();
    for (uint32_t e = 0; e < fs->nenvs; e++)
        if (has(fs->envs[e], name))
            json_array_append_new(a, json_string(fs->envs[e]->name));
    return a;
}

bool env_has_info(const env_def *env, const char *name)
{
    for (uint32_t i = 0; i < env->ninfo && i < ENV_MAX_INFO; i++)
        if (strcmp(env->info_names[i], name) == 0)
            return true;
    return false;
}

const char *info_meaning(const frame_schema *fs, const char *name)
{
    for (uint32_t e = 0; e < fs->nenvs; e++)
        for (uint32_t i = 0; i < fs->envs[e]->ninfo && i < ENV_MAX_INFO; i++)
            if (strcmp(fs->envs[e]->info_names[i], name) == 0 && fs->envs[e]->info_meanings[i])
                return fs->envs[e]->info_meanings[i];
    return "an info field of the env";
}

/* The action codes of every env, for the codebook: [{"value", "label"}], one label per
 * code listing each env's name for it. */
static json_t *action_values(const frame_schema *fs)
{
    uint32_t most = 0;
    for (uint32_t e = 0; e < fs->nenvs; e++)
        if (fs->envs[e]->actions > most)
            most = fs->envs[e]->actions;
    json_t *a = json_array();
    for (uint32_t v = 0; v < most && v < 16; v++) {
        char label[512] = "";
        size_t len = 0;
        for (uint32_t e = 0; e < fs->nenvs; e++) {
            const env_def *env = fs->envs[e];
            if (v >= env->actions || !env->action_names[v])
                continue;
            len += (size_t)snprintf(label + len, sizeof label - len, "%s%s%s",
                                    len ? "; " : "", fs->nenvs > 1 ? env->name : "",
                                    fs->nenvs > 1 ? ": " : "");
            if (len < sizeof label)
                len += (size_t)snprintf(label + len, sizeof label - len, "%s",
                                        env->action_names[v]);
            if (len >= sizeof label)
                len = sizeof label - 1;
        }
        json_array_append_new(a, json_pack("{s:i, s:s}", "value", (int)v, "label", label));
    }
    return a;
}

void declare_frame_columns(xtable *t, const frame_schema *fs)
{
    xt_col(t, "game", XT_STRING, "", false, "game id; with episode, the key into episodes.csv");
    xt_col(t, "episode", XT_INTEGER, "", false, "episode number within the game, from 0");
    xt_col(t, "frame", XT_INTEGER, "step", false,
           "frame number within the episode, from 0; the row's actions step the state from "
           "frame to frame + 1");
    xt_col(t, "t_ms", XT_INTEGER, "ms", false,
           "server time when the frame was confirmed, since the episode began");
    char name[64], desc[256];
    for (uint32_t k = 0; k < fs->seats; k++) {
        snprintf(name, sizeof name, "action.%u", k);
        snprintf(desc, sizeof desc, "action seat %u took this frame (codes per env; see values)", k);
        json_object_set_new(xt_col(t, name, XT_INTEGER, "", false, desc), "values",
                            action_values(fs));
        snprintf(name, sizeof name, "source.%u", k);
        snprintf(desc, sizeof desc,
                 "who chose seat %u's action: input (the person's key), default (the env's "
                 "default action, the input was missing or late), ai (a scripted policy)", k);
        json_object_set_new(xt_col(t, name, XT_STRING, "", false, desc), "values",
                            xt_words(source_words));
        snprintf(name, sizeof name, "reward.%u", k);
        snprintf(desc, sizeof desc,
                 "reward seat %u earned this frame, by the env's reward convention (credited "
                 "to the seat that earned it; see notes)", k);
        xt_col(t, name, XT_INTEGER, "point", false, desc);
        snprintf(name, sizeof name, "focused.%u", k);
        snprintf(desc, sizeof desc,
                 "1 if seat %u's person was connected with the game tab visible (1 for AI and "
                 "defaulted seats)", k);
        xt_col(t, name, XT_BOOLEAN, "", false, desc);
        snprintf(name, sizeof name, "verified.%u", k);
        snprintf(desc, sizeof desc,
                 "1 if seat %u's browser reported the same state hash for this frame as the "
                 "server, 0 if it reported another (a desync), empty if it reported none", k);
        xt_col(t, name, XT_BOOLEAN, "", true, desc);
    }
    xt_col(t, "reward.team", XT_INTEGER, "point", false,
           "the team's reward this frame: the sum of the seats' rewards");
    xt_col(t, "terminated", XT_BOOLEAN, "", false, "1 on the frame where the game reached its natural end");
    xt_col(t, "truncated", XT_BOOLEAN, "", false,
           "1 on the frame where the step limit was reached or the server cut the episode "
           "short (episodes.csv end_reason)");
    for (size_t u = 0; u < fs->ninfo; u++) {
        snprintf(name, sizeof name, "info.%s", fs->info_order[u]);
        json_t *c = xt_col(t, name, XT_INTEGER, "", fs->nenvs > 1,
                           info_meaning(fs, fs->info_order[u]));
        json_object_set_new(c, "envs", env_list(fs, env_has_info, fs->info_order[u]));
    }
    for (size_t u = 0; u < fs->nfields; u++) {
        json_t *c = NULL;
        json_t *envs = json_array();
        for (uint32_t e = 0; e < fs->nenvs; e++) {
            int i = fs->field_map[e][u];
            if (i < 0)
                continue;
            env_field f;
            fs->envs[e]->fields((uint32_t)i, &f);
            json_array_append_new(envs, json_string(fs->envs[e]->name));
            if (!c) {
                char meaning[512];
                snprintf(meaning, sizeof meaning, "state before this frame's step: %s", f.meaning);
                c = xt_col(t, f.name, f.type == ENV_FIELD_BOOL ? XT_BOOLEAN : XT_INTEGER, f.unit,
                           false, meaning);
                json_object_set_new(c, "min", json_integer(f.min));
                json_object_set_new(c, "max", json_integer(f.max));
                if (f.type == ENV_FIELD_ENUM)
                    json_object_set_new(c, "values", xt_labels(f.min, f.nlabels, f.labels));
            } else {
                /* the same column in another env (another layout): widen the range */
                if (f.min < json_integer_value(json_object_get(c, "min")))
                    json_object_set_new(c, "min", json_integer(f.min));
                if (f.max > json_integer_value(json_object_get(c, "max")))
                    json_object_set_new(c, "max", json_integer(f.max));
            }
        }
        if (json_array_size(envs) < fs->nenvs)
            json_object_set_new(c, "nullable", json_true()); /* empty for the other envs */
        json_object_set_new(c, "envs", envs);
    }
    xt_col(t, "hash", XT_STRING, "", false,
           "state hash after the step (FNV-1a 64 of the state bytes, 16 hex digits), as in "
           "the episode files; verified by re-simulation");
}

/* Column indices of an episode CSV. */
typedef struct {
    long frame, terminated, truncated, hash, t_ms;
    long action[ENV_MAX_PLAYERS], source[ENV_MAX_PLAYERS], reward[ENV_MAX_PLAYERS];
    long focused[ENV_MAX_PLAYERS], verified[ENV_MAX_PLAYERS];
    long info[ENV_MAX_INFO]; /* by env info index; -1 when the file has no such column */
} csv_cols;

static int resolve(const csv_file *f, const env_def *env, csv_cols *c, char *err, size_t errlen)
{
    struct {
        long *dst;
        const char *name;
    } fixed[] = {{&c->frame, "frame"}, {&c->terminated, "terminated"},
                 {&c->truncated, "truncated"}, {&c->hash, "hash"}, {&c->t_ms, "t_ms"}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if ((*fixed[i].dst = csv_col(f, fixed[i].name)) < 0) {
            snprintf(err, errlen, "no column %s", fixed[i].name);
            return -1;
        }
    char name[48];
    for (uint32_t k = 0; k < env->players; k++) {
        static const char *const per[] = {"action", "source", "reward", "focused", "verified"};
        long *dst[] = {&c->action[k], &c->source[k], &c->reward[k], &c->focused[k],
                       &c->verified[k]};
        for (int j = 0; j < 5; j++) {
            snprintf(name, sizeof name, "%s.%u", per[j], k);
            if ((*dst[j] = csv_col(f, name)) < 0) {
                snprintf(err, errlen, "no column %s", name);
                return -1;
            }
        }
    }
    for (uint32_t i = 0; i < ENV_MAX_INFO; i++) {
        c->info[i] = -1;
        if (i < env->ninfo) {
            snprintf(name, sizeof name, "info.%s", env->info_names[i]);
            c->info[i] = csv_col(f, name);
        }
    }
    return 0;
}

static int fail_frame(const char *file, size_t row, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_frame(const char *file, size_t row, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "export: %s: frame %zu: %s\n", file, row, msg);
    return 1;
}

/* A sidecar's positive integer no larger than max, else 0 (absent, null or implausible). */
static uint32_t small_count(json_t *v, json_int_t max)
{
    return json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= max
               ? (uint32_t)json_integer_value(v)
               : 0;
}

/* The episode's pace as its sidecar records it: fps or step_ms, one of them; anything
 * else (an older sidecar, an edited one) leaves the columns empty. */
static void read_timing(json_t *sc, episode_out *eo)
{
    eo->fps = small_count(json_object_get(sc, "fps"), 1000);
    eo->step_ms = small_count(json_object_get(sc, "step_ms"), 60000);
    if (eo->fps && eo->step_ms)
        eo->fps = eo->step_ms = 0;
    const char *in = json_string_value(json_object_get(sc, "input"));
    eo->input[0] = '\0';
    if (in && (strcmp(in, "held") == 0 || strcmp(in, "press") == 0))
        snprintf(eo->input, sizeof eo->input, "%s", in);
}

/* Re-simulates one episode from its CSV and writes its frames. 0, 1 on a mismatch, 2 when
 * unreadable (with a message). */
int export_episode(frame_pass *fp, episode_out *eo)
{
    const episode_row *er = eo->row;
    const env_def *env = eo->env;
    char path[4096], sidecar_path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s", fp->data_dir, eo->file);
    snprintf(sidecar_path, sizeof sidecar_path, "%.*s.json", (int)(strlen(path) - 4), path);

    /* The sidecar: env, seed, horizon, end reason, rows (docs/DESIGN.md section 8). */
    json_error_t jerr;
    json_t *sc = json_load_file(sidecar_path, 0, &jerr);
    if (!sc) {
        fprintf(stderr, "export: %s: %s\n", sidecar_path, jerr.text);
        return 2;
    }
    uint64_t seed = 0;
    const char *sc_env = json_string_value(json_object_get(sc, "env"));
    const char *reason = json_string_value(json_object_get(sc, "end_reason"));
    json_t *jh = json_object_get(sc, "horizon"), *jrows = json_object_get(sc, "rows");
    if (!sc_env || strcmp(sc_env, env->name) != 0 ||
        !parse_u64(json_string_value(json_object_get(sc, "seed")), &seed) ||
        !json_is_integer(jh) || json_integer_value(jh) < 0) {
        fprintf(stderr, "export: %s: env, seed or horizon missing or not those of the episode\n",
                sidecar_path);
        json_decref(sc);
        return 2;
    }
    uint32_t horizon = (uint32_t)json_integer_value(jh);
    long long sc_rows = json_is_integer(jrows) ? (long long)json_integer_value(jrows) : -1;
    read_timing(sc, eo);
    /* The server marks the last frame of a cut or stalled episode truncated itself. */
    bool forced_end = reason && (strcmp(reason, "cut") == 0 || strcmp(reason, "stalled") == 0);
    json_decref(sc);
    uint64_t db_seed = 0;
    if (er->seed && parse_u64(er->seed, &db_seed) && db_seed != seed) {
        fprintf(stderr, "export: %s: seed %" PRIu64 ", cohort.db says %s\n", sidecar_path, seed,
                er->seed);
        return 2;
    }

    csv_file f;
    if (csv_load(path, &f, err, sizeof err) != 0) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    csv_cols cc;
    if (resolve(&f, env, &cc, err, sizeof err) != 0) {
        fprintf(stderr, "export: %s: %s\n", eo->file, err);
        csv_free(&f);
        return 2;
    }
    if ((sc_rows >= 0 && (size_t)sc_rows != f.nrows) || (size_t)er->frames != f.nrows) {
        fprintf(stderr, "export: %s: %zu rows, the sidecar says %lld and cohort.db %lld\n",
                eo->file, f.nrows, sc_rows, (long long)er->frames);
        csv_free(&f);
        return 1;
    }

    FILE *ocf = NULL;
    xoc *oc = NULL;
    if (fp->overcooked && strncmp(env->name, "cooking/", 8) == 0) {
        char name[256];
        snprintf(name, sizeof name, "overcooked/%s_ep%u.json", er->game, er->episode);
        ocf = xf_open(fp->xf, name, err, sizeof err);
        if (!ocf) {
            fprintf(stderr, "export: %s\n", err);
            csv_free(&f);
            return 2;
        }
        oc = xoc_begin(ocf, env, er->game, er->episode, horizon, eo->seat_names);
        json_array_append_new(fp->overcooked_files, json_string(name));
    }

    void *state = calloc(1, env->state_size ? env->state_size : 1);
    void *before = calloc(1, env->state_size ? env->state_size : 1);
    env->reset(state, seed, horizon);
    const frame_schema *fs = fp->fs;
    int e = eo->env_index;
    int32_t values[ENV_MAX_FIELDS];
    xtable *t = fp->frames;
    int rc = 0;
    for (size_t r = 0; r < f.nrows && rc == 0; r++) {
        int64_t v;
        if (!parse_int(csv_cell(&f, r, (size_t)cc.frame), &v) || v != (int64_t)r) {
            rc = fail_frame(eo->file, r, "missing (row %zu holds frame %s)", r,
                            csv_cell(&f, r, (size_t)cc.frame));
            break;
        }
        if (r > 0 && (strcmp(csv_cell(&f, r - 1, (size_t)cc.terminated), "1") == 0 ||
                      strcmp(csv_cell(&f, r - 1, (size_t)cc.truncated), "1") == 0)) {
            rc = fail_frame(eo->file, r, "recorded after the episode ended");
            break;
        }
        int32_t actions[ENV_MAX_PLAYERS] = {0};
        for (uint32_t k = 0; k < env->players; k++) {
            if (!parse_int(csv_cell(&f, r, (size_t)cc.action[k]), &v) || v < INT32_MIN ||
                v > INT32_MAX) {
                rc = fail_frame(eo->file, r, "action.%u '%s' is not an action", k,
                                csv_cell(&f, r, (size_t)cc.action[k]));
                break;
            }
            actions[k] = (int32_t)v;
        }
        if (rc)
            break;
        /* the state the actions were taken in: decoded for frames.csv, kept for Overcooked */
        uint32_t nv = env->decode ? env->decode(state, values, ENV_MAX_FIELDS) : 0;
        if (oc)
            memcpy(before, state, env->state_size);
        env_step_out out;
        memset(&out, 0, sizeof out);
        env->step(state, actions, &out);
        bool done = out.terminated || out.truncated || (forced_end && r + 1 == f.nrows);

        /* check what was recorded */
        char hash[17];
        hex16(env_hash(state, env->state_size), hash);
        const char *rec_hash = csv_cell(&f, r, (size_t)cc.hash);
        if (strcmp(rec_hash, hash) != 0) {
            rc = fail_frame(eo->file, r, "hash differs: recorded %s, replay %s", rec_hash, hash);
            break;
        }
        int64_t term, trunc;
        if (!parse_int(csv_cell(&f, r, (size_t)cc.terminated), &term) || term != out.terminated ||
            !parse_int(csv_cell(&f, r, (size_t)cc.truncated), &trunc) ||
            trunc != (out.truncated || (forced_end && r + 1 == f.nrows))) {
            rc = fail_frame(eo->file, r, "terminated/truncated differ from the replay");
            break;
        }
        for (uint32_t i = 0; i < env->ninfo && i < ENV_MAX_INFO; i++) {
            if (cc.info[i] < 0)
                continue;
            if (!parse_int(csv_cell(&f, r, (size_t)cc.info[i]), &v) || v != out.info[i]) {
                rc = fail_frame(eo->file, r, "info.%s differs: recorded %s, replay %d",
                                env->info_names[i], csv_cell(&f, r, (size_t)cc.info[i]),
                                (int)out.info[i]);
                break;
            }
        }
        if (rc)
            break;
        bool reward_differs = false;
        for (uint32_t k = 0; k < env->players; k++)
            if (!parse_int(csv_cell(&f, r, (size_t)cc.reward[k]), &v) || v != out.rewards[k])
                reward_differs = true;
        eo->rewards_recomputed += reward_differs;

        for (uint32_t k = 0; k < env->players && rc == 0; k++) {
            const char *foc = csv_cell(&f, r, (size_t)cc.focused[k]);
            const char *ver = csv_cell(&f, r, (size_t)cc.verified[k]);
            if ((strcmp(foc, "0") != 0 && strcmp(foc, "1") != 0) ||
                (ver[0] && strcmp(ver, "0") != 0 && strcmp(ver, "1") != 0))
                rc = fail_frame(eo->file, r, "focused.%u '%s' or verified.%u '%s' is not 0/1",
                                k, foc, k, ver);
        }
        if (rc)
            break;

        /* the row */
        xt_str(t, er->game);
        xt_uint(t, er->episode);
        xt_uint(t, r);
        xt_str(t, csv_cell(&f, r, (size_t)cc.t_ms));
        int64_t team = 0;
        for (uint32_t k = 0; k < fs->seats; k++) {
            if (k >= env->players) {
                for (int j = 0; j < 5; j++)
                    xt_null(t);
                continue;
            }
            const char *src = csv_cell(&f, r, (size_t)cc.source[k]);
            const char *foc = csv_cell(&f, r, (size_t)cc.focused[k]);
            const char *ver = csv_cell(&f, r, (size_t)cc.verified[k]);
            xt_int(t, actions[k]);
            xt_str(t, src);
            xt_int(t, out.rewards[k]);
            xt_str(t, foc);
            xt_str(t, ver);
            team += out.rewards[k];
            eo->score[k] += out.rewards[k];
            for (int j = 0; j < input_source_COUNT_; j++)
                if (strcmp(src, source_words[j]) == 0)
                    eo->sources[k][j]++;
            eo->unfocused[k] += strcmp(foc, "0") == 0;
            eo->mismatches[k] += strcmp(ver, "0") == 0;
            eo->reports[k] += ver[0] != '\0';
        }
        eo->team += team;
        xt_int(t, team);
        xt_int(t, term);
        xt_int(t, trunc);
        for (size_t u = 0; u < fs->ninfo; u++) {
            int i = fs->info_map[e][u];
            if (i >= 0)
                xt_int(t, out.info[i]);
            else
                xt_null(t);
        }
        for (size_t u = 0; u < fs->nfields; u++) {
            int i = fs->field_map[e][u];
            if (i >= 0 && (uint32_t)i < nv)
                xt_int(t, values[i]);
            else
                xt_null(t);
        }
        xt_str(t, hash);
        xt_end(t);
        for (uint32_t i = 0; i < env->ninfo && i < ENV_MAX_INFO; i++)
            eo->last_info[i] = out.info[i];
        eo->frames++;
        if (oc)
            xoc_step(oc, before, actions, out.rewards, done);
    }
    free(state);
    free(before);
    if (oc) {
        int wrc = xoc_end(oc);
        if (fclose(ocf) != 0)
            wrc = -1;
        if (wrc != 0 && rc == 0) {
            fprintf(stderr, "export: overcooked/%s_ep%u.json: write failed\n", er->game,
                    er->episode);
            rc = 2;
        }
    } else if (ocf) {
        fclose(ocf);
    }
    csv_free(&f);
    fp->rewards_recomputed += eo->rewards_recomputed;
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * episodes.csv
 * ------------------------------------------------------------------------------------- */

int write_episodes(xfiles *xf, json_t *codebook, const vec *outs, const frame_schema *fs,
                          uint64_t *rows)
{
    char err[512], name[64], desc[256];
    xtable *t = xt_new(xf, "episodes.csv",
                       "one row per exported episode, in the order they began; the key is "
                       "(game, episode)", err, sizeof err);
    if (!t) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    xt_col(t, "game", XT_STRING, "", false, "game id (one group of players in one game scene)");
    xt_col(t, "episode", XT_INTEGER, "", false, "episode number within the game, from 0");
    xt_col(t, "scene", XT_STRING, "", false, "id of the game scene in the experiment file");
    xt_col(t, "env", XT_STRING, "", false, "the game played: FAMILY/VARIANT (docs/DESIGN.md section 7)");
    xt_col(t, "condition", XT_STRING, "", true,
           "the condition of the group that played it (docs/EXPERIMENTS.md \"Conditions\"); "
           "empty when the experiment has none or the scene mixes conditions");
    json_object_set_new(xt_col(t, "seed", XT_INTEGER, "", false,
                               "seed the episode was reset with: an unsigned 64-bit integer "
                               "(read it as uint64 or as text to keep every digit)"),
                        "uint64", json_true());
    xt_col(t, "horizon", XT_INTEGER, "step", false, "step limit of the episode");
    xt_col(t, "frames", XT_INTEGER, "step", false, "frames played (rows in frames.csv)");
    xt_col(t, "fps", XT_INTEGER, "step/s", true,
           "the game's fps as its settings gave it; empty when it set step_ms instead (or "
           "the episode predates the record)");
    xt_col(t, "step_ms", XT_INTEGER, "ms", true,
           "the game's step_ms as its settings gave it; empty when it set fps");
    xt_col(t, "step_period_ms", XT_DECIMAL, "ms", true,
           "the time one step was given, either way: step_ms, or 1000 / fps to two decimals "
           "(fps 30: 33.33)");
    {
        static const char *const modes[] = {"held", "press", NULL};
        json_object_set_new(xt_col(t, "input", XT_STRING, "", true,
                                   "how keys became actions: held (the key held at each step) "
                                   "or press (one action per key press, else stay)"),
                            "values", xt_words(modes));
    }
    json_object_set_new(xt_col(t, "end_reason", XT_STRING, "", false,
                               "terminated (natural end), truncated (step limit), cut (the "
                               "server ended it: a player left or the server stopped), stalled "
                               "(nobody sent input)"),
                        "values", xt_words(episode_end_words));
    for (uint32_t k = 0; k < fs->seats; k++) {
        snprintf(name, sizeof name, "seat.%u", k);
        snprintf(desc, sizeof desc, "who sat in seat %u: a subject id, or ai:POLICY for a "
                                    "scripted policy", k);
        xt_col(t, name, XT_STRING, "", fs->nenvs > 1, desc);
        snprintf(name, sizeof name, "seat_kind.%u", k);
        snprintf(desc, sizeof desc, "human or ai: what seat %u was when the game began", k);
        static const char *const kinds[] = {"human", "ai", NULL};
        json_object_set_new(xt_col(t, name, XT_STRING, "", true, desc), "values", xt_words(kinds));
    }
    for (uint32_t k = 0; k < fs->seats; k++) {
        snprintf(name, sizeof name, "score.%u", k);
        snprintf(desc, sizeof desc, "sum of reward.%u over the episode's frames", k);
        xt_col(t, name, XT_INTEGER, "point", fs->nenvs > 1, desc);
    }
    xt_col(t, "score.team", XT_INTEGER, "point", false,
           "sum of reward.team over the episode: the seats' scores added up");
    for (uint32_t k = 0; k < fs->seats; k++) {
        /* In SOURCE_LIST order (src/proto/names.h), as eo->sources counts them. */
        static const char *const says[input_source_COUNT_] = {
            "frames whose action came from seat %u's person",
            "frames where seat %u got the default action (input missing or late)",
            "frames where a scripted policy played seat %u",
            "frames where a trained model played seat %u (its action computed in its host's "
            "page)"};
        for (int j = 0; j < input_source_COUNT_; j++) {
            const char *const *what = source_words;
            snprintf(name, sizeof name, "frames_%s.%u", what[j], k);
            snprintf(desc, sizeof desc, says[j], k);
            xt_col(t, name, XT_INTEGER, "step", fs->nenvs > 1, desc);
        }
        snprintf(name, sizeof name, "frames_unfocused.%u", k);
        snprintf(desc, sizeof desc, "frames where seat %u's person was away or the tab hidden", k);
        xt_col(t, name, XT_INTEGER, "step", fs->nenvs > 1, desc);
        snprintf(name, sizeof name, "hash_reports.%u", k);
        snprintf(desc, sizeof desc, "frames for which seat %u's browser reported a state hash", k);
        xt_col(t, name, XT_INTEGER, "step", fs->nenvs > 1, desc);
        snprintf(name, sizeof name, "hash_mismatches.%u", k);
        snprintf(desc, sizeof desc,
                 "frames for which seat %u's browser reported another hash than the server's", k);
        xt_col(t, name, XT_INTEGER, "step", fs->nenvs > 1, desc);
    }
    xt_col(t, "desync_events", XT_INTEGER, "", false,
           "desync events recorded for the episode in events.csv (at most one a second per "
           "seat; each resent the server's state). Client rollbacks are not recorded");
    for (size_t u = 0; u < fs->ninfo; u++) {
        snprintf(name, sizeof name, "info.%s", fs->info_order[u]);
        char d2[600];
        snprintf(d2, sizeof d2, "value after the last frame: %s", info_meaning(fs, fs->info_order[u]));
        json_t *c = xt_col(t, name, XT_INTEGER, "", fs->nenvs > 1, d2);
        json_object_set_new(c, "envs", env_list(fs, env_has_info, fs->info_order[u]));
    }
    xt_col(t, "t_start", XT_INTEGER, "ms since 1970-01-01 UTC", true, "when the episode began");
    xt_col(t, "t_start_iso", XT_DATETIME, "", true, "t_start as an ISO 8601 UTC time");
    xt_col(t, "t_end", XT_INTEGER, "ms since 1970-01-01 UTC", false,
           "when the episode ended and its files were handed to the store");
    xt_col(t, "t_end_iso", XT_DATETIME, "", false, "t_end as an ISO 8601 UTC time");
    xt_col(t, "file", XT_STRING, "", false,
           "the episode file the frames were read from, relative to the data folder");

    for (size_t i = 0; i < outs->n; i++) {
        const episode_out *eo = AT(*outs, episode_out, i);
        if (eo->skip)
            continue;
        const episode_row *er = eo->row;
        const env_def *env = eo->env;
        xt_str(t, er->game);
        xt_uint(t, er->episode);
        xt_str(t, er->scene);
        xt_str(t, env->name);
        xt_str(t, er->condition && er->condition[0] ? er->condition : NULL);
        xt_str(t, er->seed);
        xt_int(t, er->horizon);
        xt_uint(t, eo->frames);
        eo->fps ? xt_uint(t, eo->fps) : xt_null(t);
        eo->step_ms ? xt_uint(t, eo->step_ms) : xt_null(t);
        if (eo->fps || eo->step_ms) {
            char period[32];
            snprintf(period, sizeof period, "%.2f",
                     eo->step_ms ? (double)eo->step_ms : 1000.0 / eo->fps);
            xt_str(t, period);
        } else {
            xt_null(t);
        }
        xt_str(t, eo->input[0] ? eo->input : NULL);
        xt_str(t, er->reason);
        for (uint32_t k = 0; k < fs->seats; k++) {
            xt_str(t, k < eo->nseats ? eo->seat_names[k] : NULL);
            xt_str(t, k < eo->nseats ? eo->seat_kinds[k] : NULL);
        }
        for (uint32_t k = 0; k < fs->seats; k++) {
            if (k < env->players)
                xt_int(t, eo->score[k]);
            else
                xt_null(t);
        }
        xt_int(t, eo->team);
        for (uint32_t k = 0; k < fs->seats; k++) {
            bool has = k < env->players;
            for (int j = 0; j < input_source_COUNT_; j++)
                has ? xt_uint(t, eo->sources[k][j]) : xt_null(t);
            has ? xt_uint(t, eo->unfocused[k]) : xt_null(t);
            has ? xt_uint(t, eo->reports[k]) : xt_null(t);
            has ? xt_uint(t, eo->mismatches[k]) : xt_null(t);
        }
        xt_uint(t, eo->desync_events);
        for (size_t u = 0; u < fs->ninfo; u++) {
            int ii = fs->info_map[eo->env_index][u];
            if (ii >= 0 && eo->frames > 0)
                xt_int(t, eo->last_info[ii]);
            else
                xt_null(t);
        }
        if (er->t_start > 0)
            xt_int(t, er->t_start);
        else
            xt_null(t);
        xt_time(t, er->t_start);
        xt_int(t, er->t_end);
        xt_time(t, er->t_end);
        xt_str(t, eo->file);
        xt_end(t);
    }
    *rows = xt_rows(t);
    if (xt_finish(t, codebook, err, sizeof err) != 0) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    return 0;
}

