/*
 * `cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]` (docs/DATA.md)
 *
 * Tidy tables a researcher loads straight into pandas or R, with their codebook:
 *   participants.csv  one row per participant      episodes.csv  one row per episode
 *   frames.csv        one row per frame            events.csv    the events table
 *   codebook.md, codebook.json, export.json (what was exported and what was skipped)
 *   overcooked/GAME_epN.json  with --format overcooked: cooking episodes in
 *                             Overcooked-AI's trajectory format
 *
 * Reading. cohort.db is opened read-only and every query runs inside one read
 * transaction, so the tables describe one consistent moment even while the server writes.
 * Frames come from the episode files, never from the frames table (the durable log is
 * pruned once an episode's files are written): an episode is exported when its
 * `episodes` row is in that snapshot (the store writes the row after the files);
 * episodes begun but not finished are skipped and listed.
 *
 * Checking. Each episode is re-simulated natively from its recorded actions, as
 * `cohort replay` does; every frame's state hash, flags and info must match, or the
 * export fails and writes nothing. The decoded state (the env's `decode`, envs/env.h) of
 * each frame goes into frames.csv; rewards come from the re-simulation, under the env's
 * documented reward convention.
 *
 * Writing. Every file goes to a temporary name and all are renamed into place at the
 * end, so a reader never sees half an export; the same data gives the same bytes.
 * Exit status: 0 exported, 1 a recorded episode disagrees with its re-simulation,
 * 2 usage or unreadable input.
 */
#include "export.h"
#include "tools.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../proto/names.h"
#include "../util/map.h"
#include "registry.h"

/* ---------------------------------------------------------------------------------------
 * Memory: every string loaded from the database lives in one arena, freed at the end.
 * ------------------------------------------------------------------------------------- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

typedef struct {
    chunk *head;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->head->used + n > a->head->cap) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        chunk *c = malloc(sizeof *c + cap);
        if (!c) {
            fprintf(stderr, "export: out of memory\n");
            exit(2);
        }
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static char *arena_str(arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(a, n);
    memcpy(p, s, n);
    return p;
}

static void arena_free(arena *a)
{
    while (a->head) {
        chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* A growable array of fixed-size items in malloc'd memory. */
typedef struct {
    void *items;
    size_t n, cap, size;
} vec;

static void *vec_push(vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *grown = realloc(v->items, cap * v->size);
        if (!grown) {
            fprintf(stderr, "export: out of memory\n");
            exit(2);
        }
        v->items = grown;
        v->cap = cap;
    }
    void *p = (char *)v->items + v->n++ * v->size;
    memset(p, 0, v->size);
    return p;
}
#define VEC(type) ((vec){NULL, 0, 0, sizeof(type)})
#define AT(v, type, i) (&((type *)(v).items)[i])

/* ---------------------------------------------------------------------------------------
 * The snapshot
 * ------------------------------------------------------------------------------------- */

typedef struct {
    const char *subject, *params;
    int64_t created;
} participant_row;

typedef struct {
    const char *subject, *scene;
    int index;
    int64_t t;
} visit_row;

typedef struct {
    const char *subject, *scene, *form;
} form_row;

typedef struct {
    const char *subject, *outcome, *code, *reason;
    int64_t t;
} outcome_row;

typedef struct {
    int64_t t;
    const char *subject, *game, *kind, *detail;
} event_row;

typedef struct {
    const char *game, *name, *kind;
    int seat;
} seat_row;

typedef struct {
    const char *game, *scene, *env, *seed, *reason, *files;
    uint32_t episode;
    int64_t horizon, frames, t_end, t_start;
} episode_row;

typedef struct {
    const char *game;
    uint32_t episode;
} start_row;

typedef struct {
    const char *subject;
    int64_t wait_ms, waits;
} wait_sum;

typedef struct {
    sqlite3 *db;
    arena mem;
    vec participants, visits, forms, outcomes, events, seats, episodes, starts, waits;
} snapshot;

static const char *col_text(arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? arena_str(a, (const char *)t) : NULL;
}

/* Runs sql and calls fn for each row. 0, or -1 with a message on stderr. */
static int query(snapshot *s, const char *sql, void (*fn)(snapshot *, sqlite3_stmt *))
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "export: %s\n  in: %s\n", sqlite3_errmsg(s->db), sql);
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(s, st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "export: %s\n  in: %s\n", sqlite3_errmsg(s->db), sql);
        return -1;
    }
    return 0;
}

static void on_participant(snapshot *s, sqlite3_stmt *st)
{
    participant_row *r = vec_push(&s->participants);
    r->subject = col_text(&s->mem, st, 0);
    r->params = col_text(&s->mem, st, 1);
    r->created = sqlite3_column_int64(st, 2);
}

static void on_visit(snapshot *s, sqlite3_stmt *st)
{
    visit_row *r = vec_push(&s->visits);
    r->subject = col_text(&s->mem, st, 0);
    r->index = sqlite3_column_int(st, 1);
    r->scene = col_text(&s->mem, st, 2);
    r->t = sqlite3_column_int64(st, 3);
}

static void on_form(snapshot *s, sqlite3_stmt *st)
{
    form_row *r = vec_push(&s->forms);
    r->subject = col_text(&s->mem, st, 0);
    r->scene = col_text(&s->mem, st, 1);
    r->form = col_text(&s->mem, st, 2);
}

static void on_outcome(snapshot *s, sqlite3_stmt *st)
{
    outcome_row *r = vec_push(&s->outcomes);
    r->subject = col_text(&s->mem, st, 0);
    r->outcome = col_text(&s->mem, st, 1);
    r->code = col_text(&s->mem, st, 2);
    r->reason = col_text(&s->mem, st, 3);
    r->t = sqlite3_column_int64(st, 4);
}

static void on_event(snapshot *s, sqlite3_stmt *st)
{
    event_row *r = vec_push(&s->events);
    r->t = sqlite3_column_int64(st, 0);
    r->subject = col_text(&s->mem, st, 1);
    r->game = col_text(&s->mem, st, 2);
    r->kind = col_text(&s->mem, st, 3);
    r->detail = col_text(&s->mem, st, 4);
}

static void on_seat(snapshot *s, sqlite3_stmt *st)
{
    seat_row *r = vec_push(&s->seats);
    r->game = col_text(&s->mem, st, 0);
    r->seat = sqlite3_column_int(st, 1);
    r->name = col_text(&s->mem, st, 2);
    r->kind = col_text(&s->mem, st, 3);
}

static void on_episode(snapshot *s, sqlite3_stmt *st)
{
    episode_row *r = vec_push(&s->episodes);
    r->game = col_text(&s->mem, st, 0);
    r->episode = (uint32_t)sqlite3_column_int64(st, 1);
    r->scene = col_text(&s->mem, st, 2);
    r->env = col_text(&s->mem, st, 3);
    r->seed = col_text(&s->mem, st, 4);
    r->horizon = sqlite3_column_int64(st, 5);
    r->frames = sqlite3_column_int64(st, 6);
    r->reason = col_text(&s->mem, st, 7);
    r->files = col_text(&s->mem, st, 8);
    r->t_end = sqlite3_column_int64(st, 9);
    r->t_start = sqlite3_column_type(st, 10) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 10);
}

static void on_start(snapshot *s, sqlite3_stmt *st)
{
    start_row *r = vec_push(&s->starts);
    r->game = col_text(&s->mem, st, 0);
    r->episode = (uint32_t)sqlite3_column_int64(st, 1);
}

static void on_wait(snapshot *s, sqlite3_stmt *st)
{
    wait_sum *r = vec_push(&s->waits);
    r->subject = col_text(&s->mem, st, 0);
    r->wait_ms = sqlite3_column_int64(st, 1);
    r->waits = sqlite3_column_int64(st, 2);
}

static int load_snapshot(const char *db_path, snapshot *s)
{
    if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "export: %s: %s\n", db_path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        return -1;
    }
    sqlite3_busy_timeout(s->db, 5000);
    s->participants = VEC(participant_row);
    s->visits = VEC(visit_row);
    s->forms = VEC(form_row);
    s->outcomes = VEC(outcome_row);
    s->events = VEC(event_row);
    s->seats = VEC(seat_row);
    s->episodes = VEC(episode_row);
    s->starts = VEC(start_row);
    s->waits = VEC(wait_sum);
    /* One read transaction: every SELECT below sees the same committed state. */
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "export: %s: %s\n", db_path, sqlite3_errmsg(s->db));
        return -1;
    }
    int rc = 0;
    rc |= query(s, "SELECT subject, params, created FROM participants ORDER BY created, subject",
                on_participant);
    rc |= query(s, "SELECT subject, scene_index, scene, t FROM scene_visits"
                   " ORDER BY subject, t, rowid", on_visit);
    rc |= query(s, "SELECT subject, scene, form FROM forms ORDER BY subject, t, rowid", on_form);
    rc |= query(s, "SELECT subject, outcome, code, reason, t FROM outcomes"
                   " ORDER BY subject, t, rowid", on_outcome);
    rc |= query(s, "SELECT t, subject, game, kind, detail FROM events ORDER BY t, rowid",
                on_event);
    rc |= query(s, "SELECT game, seat, name, kind FROM seats ORDER BY game, seat", on_seat);
    rc |= query(s, "SELECT e.game, e.episode, e.scene, e.env, e.seed, e.horizon, e.frames,"
                   " e.reason, e.files, e.t, s.t FROM episodes e LEFT JOIN episode_starts s"
                   " ON s.game = e.game AND s.episode = e.episode"
                   " ORDER BY COALESCE(s.t, e.t), e.game, e.episode", on_episode);
    rc |= query(s, "SELECT s.game, s.episode FROM episode_starts s WHERE NOT EXISTS"
                   " (SELECT 1 FROM episodes e WHERE e.game = s.game AND e.episode = s.episode)"
                   " ORDER BY s.t, s.game, s.episode", on_start);
    rc |= query(s, "SELECT subject, SUM(wait_ms), COUNT(*) FROM waits GROUP BY subject"
                   " ORDER BY subject", on_wait);
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return rc ? -1 : 0;
}

static void free_snapshot(snapshot *s)
{
    free(s->participants.items);
    free(s->visits.items);
    free(s->forms.items);
    free(s->outcomes.items);
    free(s->events.items);
    free(s->seats.items);
    free(s->episodes.items);
    free(s->starts.items);
    free(s->waits.items);
    arena_free(&s->mem);
    sqlite3_close(s->db);
}

/* ---------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------- */

static inline bool parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (*p < '0' || *p > '9')
        return false;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p || v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static void hex16(uint64_t h, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = digits[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
}

/* Sorted, de-duplicated list of strings (pointers stay owned by the caller). */
typedef struct {
    const char **s;
    size_t n, cap;
} strset;

static size_t strset_find(const strset *set, const char *s, bool *found)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(set->s[mid], s);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void strset_add(strset *set, const char *s)
{
    bool found;
    size_t at = strset_find(set, s, &found);
    if (found)
        return;
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->s = realloc(set->s, set->cap * sizeof *set->s);
        if (!set->s) {
            fprintf(stderr, "export: out of memory\n");
            exit(2);
        }
    }
    memmove(set->s + at + 1, set->s + at, (set->n - at) * sizeof *set->s);
    set->s[at] = s;
    set->n++;
}

static long strset_index(const strset *set, const char *s)
{
    bool found;
    size_t at = strset_find(set, s, &found);
    return found ? (long)at : -1;
}

#define WORD(id, name) name,
static const char *const outcome_words[] = {OUTCOME_LIST(WORD) NULL};
static const char *const reason_words_all[] = {REASON_LIST(WORD) NULL};
static const char *const episode_end_words[] = {EPISODE_END_LIST(WORD) NULL};
static const char *const source_words[] = {SOURCE_LIST(WORD) NULL};
#undef WORD

/* ---------------------------------------------------------------------------------------
 * Episodes: find the files, re-simulate, write frames.csv
 * ------------------------------------------------------------------------------------- */

/* What frames.csv has columns for: the union over every exported episode's env. */
typedef struct {
    const env_def *envs[32];
    uint32_t nenvs;
    uint32_t seats;                 /* most players of any env */
    strset info, fields;            /* union of info names and state field names */
    const char **info_order, **field_order; /* in column order (first appearance) */
    size_t ninfo, nfields;
    /* per env: union column -> the env's index, or -1 */
    int *info_map[32], *field_map[32];
} frame_schema;

typedef struct {
    const episode_row *row;
    const env_def *env;
    int env_index;
    const char *skip;      /* why it was not exported, or NULL */
    char file[512];        /* the episode CSV read, relative to the data folder */
    uint32_t nseats;
    const char *seat_names[ENV_MAX_PLAYERS];
    const char *seat_kinds[ENV_MAX_PLAYERS];
    uint32_t frames;
    int64_t score[ENV_MAX_PLAYERS], team;
    uint32_t sources[ENV_MAX_PLAYERS][3];
    uint32_t unfocused[ENV_MAX_PLAYERS], mismatches[ENV_MAX_PLAYERS], reports[ENV_MAX_PLAYERS];
    int32_t last_info[ENV_MAX_INFO];
    uint32_t desync_events;
    uint32_t rewards_recomputed;
} episode_out;

static int env_slot(frame_schema *fs, const env_def *env)
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
static void build_schema(frame_schema *fs, arena *mem)
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

static void free_schema(frame_schema *fs)
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

static json_t *env_list(const frame_schema *fs, bool (*has)(const env_def *, const char *),
                        const char *name)
{
    json_t *a = json_array();
    for (uint32_t e = 0; e < fs->nenvs; e++)
        if (has(fs->envs[e], name))
            json_array_append_new(a, json_string(fs->envs[e]->name));
    return a;
}

static bool env_has_info(const env_def *env, const char *name)
{
    for (uint32_t i = 0; i < env->ninfo && i < ENV_MAX_INFO; i++)
        if (strcmp(env->info_names[i], name) == 0)
            return true;
    return false;
}

static const char *info_meaning(const frame_schema *fs, const char *name)
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

static void declare_frame_columns(xtable *t, const frame_schema *fs)
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

typedef struct {
    const char *data_dir;
    xfiles *xf;
    xtable *frames;
    const frame_schema *fs;
    bool overcooked;
    json_t *overcooked_files;
    uint64_t rewards_recomputed;
} frame_pass;

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

/* Re-simulates one episode from its CSV and writes its frames. 0, 1 on a mismatch, 2 when
 * unreadable (with a message). */
static int export_episode(frame_pass *fp, episode_out *eo)
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
            for (int j = 0; j < 3; j++)
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
 * Planning: which file holds each episode, who sat where
 * ------------------------------------------------------------------------------------- */

/* Index of the first seats row of each game (seats are ordered by game, seat). */
static const seat_row *game_seats(const snapshot *s, map *by_game, const char *game, size_t *n)
{
    void *v = map_get(by_game, game);
    *n = 0;
    if (!v)
        return NULL;
    size_t first = (size_t)(uintptr_t)v - 1;
    const seat_row *rows = AT(s->seats, seat_row, first);
    while (first + *n < s->seats.n && strcmp(rows[*n].game, game) == 0)
        (*n)++;
    return rows;
}

static void plan(snapshot *s, const char *data_dir, vec *outs, frame_schema *fs, map *by_game)
{
    for (size_t i = 0; i < s->seats.n; i++) {
        const seat_row *r = AT(s->seats, seat_row, i);
        if (!map_get(by_game, r->game))
            map_put(by_game, r->game, (void *)(uintptr_t)(i + 1));
    }
    for (size_t i = 0; i < s->episodes.n; i++) {
        const episode_row *er = AT(s->episodes, episode_row, i);
        episode_out *eo = vec_push(outs);
        eo->row = er;
        eo->env = env_find(er->env);
        if (!eo->env) {
            eo->skip = "unknown env";
            continue;
        }
        size_t nseats;
        const seat_row *seats = game_seats(s, by_game, er->game, &nseats);
        eo->nseats = eo->env->players;
        for (size_t k = 0; k < nseats; k++)
            if (seats[k].seat >= 0 && (uint32_t)seats[k].seat < eo->nseats) {
                eo->seat_names[seats[k].seat] = seats[k].name;
                eo->seat_kinds[seats[k].seat] = seats[k].kind;
            }
        json_t *files = er->files ? json_loads(er->files, 0, NULL) : NULL;
        size_t fi;
        json_t *f;
        json_array_foreach(files, fi, f) {
            const char *rel = json_string_value(f);
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", data_dir, rel ? rel : "");
            size_t n = rel ? strlen(rel) : 0;
            if (n > 4 && n < sizeof eo->file && strcmp(rel + n - 4, ".csv") == 0 &&
                !strstr(rel, "..") && rel[0] != '/' && access(path, R_OK) == 0) {
                snprintf(eo->file, sizeof eo->file, "%s", rel);
                break;
            }
        }
        json_decref(files);
        if (!eo->file[0]) {
            eo->skip = "episode files missing";
            continue;
        }
        eo->env_index = env_slot(fs, eo->env);
        if (eo->env_index < 0)
            eo->skip = "more than 32 envs in one export";
    }
}

static void count_desyncs(const snapshot *s, vec *outs)
{
    map *m = map_new();
    for (size_t i = 0; i < outs->n; i++) {
        episode_out *eo = AT(*outs, episode_out, i);
        char key[160];
        snprintf(key, sizeof key, "%s/%u", eo->row->game, eo->row->episode);
        map_put(m, key, eo);
    }
    for (size_t i = 0; i < s->events.n; i++) {
        const event_row *ev = AT(s->events, event_row, i);
        if (!ev->kind || strcmp(ev->kind, "desync") != 0 || !ev->game || !ev->detail)
            continue;
        json_t *d = json_loads(ev->detail, 0, NULL);
        json_t *ep = json_object_get(d, "episode");
        if (json_is_integer(ep)) {
            char key[160];
            snprintf(key, sizeof key, "%s/%" JSON_INTEGER_FORMAT, ev->game, json_integer_value(ep));
            episode_out *eo = map_get(m, key);
            if (eo)
                eo->desync_events++;
        }
        json_decref(d);
    }
    map_free(m);
}

/* ---------------------------------------------------------------------------------------
 * episodes.csv
 * ------------------------------------------------------------------------------------- */

static int write_episodes(xfiles *xf, json_t *codebook, const vec *outs, const frame_schema *fs,
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
    xt_col(t, "condition", XT_STRING, "", true, "experimental condition (reserved: empty for now)");
    json_object_set_new(xt_col(t, "seed", XT_INTEGER, "", false,
                               "seed the episode was reset with: an unsigned 64-bit integer "
                               "(read it as uint64 or as text to keep every digit)"),
                        "uint64", json_true());
    xt_col(t, "horizon", XT_INTEGER, "step", false, "step limit of the episode");
    xt_col(t, "frames", XT_INTEGER, "step", false, "frames played (rows in frames.csv)");
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
        static const char *const what[] = {"input", "default", "ai"};
        static const char *const says[] = {
            "frames whose action came from seat %u's person",
            "frames where seat %u got the default action (input missing or late)",
            "frames where a scripted policy played seat %u"};
        for (int j = 0; j < 3; j++) {
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
        xt_null(t);
        xt_str(t, er->seed);
        xt_int(t, er->horizon);
        xt_uint(t, eo->frames);
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
            for (int j = 0; j < 3; j++)
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

/* ---------------------------------------------------------------------------------------
 * participants.csv
 * ------------------------------------------------------------------------------------- */

/* A JSON value as a cell: strings as they are, anything else as compact JSON text. */
static char *json_cell(const json_t *v)
{
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
}

typedef struct {
    size_t first_visit, nvisits;  /* in s->visits (ordered by subject, t) */
    size_t first_form, nforms;
    const outcome_row *outcome;   /* the latest */
    const wait_sum *waits;
    uint32_t games, episodes;
    json_t *study;                /* params.study */
} person;

static void index_runs(const vec *v, size_t offset_subject, map *m)
{
    /* rows are ordered by subject: record the first row and the run length of each */
    for (size_t i = 0; i < v->n;) {
        const char *subj = *(const char *const *)((const char *)v->items + i * v->size + offset_subject);
        size_t j = i + 1;
        while (j < v->n &&
               subj && strcmp(subj, *(const char *const *)((const char *)v->items + j * v->size +
                                                         offset_subject)) == 0)
            j++;
        if (subj) {
            size_t *run = malloc(2 * sizeof *run);
            run[0] = i;
            run[1] = j - i;
            free(map_put(m, subj, run));
        }
        i = j;
    }
}

static void free_run(const char *key, void *value, void *ctx)
{
    (void)key;
    (void)ctx;
    free(value);
}

static int write_participants(xfiles *xf, json_t *codebook, const snapshot *s, const vec *outs,
                              uint64_t *rows)
{
    char err[512];
    size_t np = s->participants.n;
    person *people = calloc(np ? np : 1, sizeof *people);
    map *by_subject = map_new(), *visit_runs = map_new(), *form_runs = map_new();
    for (size_t i = 0; i < np; i++)
        map_put(by_subject, AT(s->participants, participant_row, i)->subject,
                &people[i]);
    index_runs(&s->visits, offsetof(visit_row, subject), visit_runs);
    index_runs(&s->forms, offsetof(form_row, subject), form_runs);

    /* column sets: study params, scenes (by index), form fields per scene */
    strset params = {0};
    json_t *param_keys = json_array(); /* keeps the key strings alive */
    for (size_t i = 0; i < np; i++) {
        const participant_row *p = AT(s->participants, participant_row, i);
        person *pp = &people[i];
        json_t *all = p->params ? json_loads(p->params, 0, NULL) : NULL;
        pp->study = json_incref(json_object_get(all, "study"));
        json_decref(all);
        const char *key;
        json_t *v;
        json_object_foreach(pp->study, key, v) {
            if (strset_index(&params, key) < 0) {
                json_t *k = json_string(key);
                json_array_append_new(param_keys, k);
                strset_add(&params, json_string_value(k));
            }
        }
        size_t *run = map_get(visit_runs, p->subject);
        if (run) {
            pp->first_visit = run[0];
            pp->nvisits = run[1];
        }
        run = map_get(form_runs, p->subject);
        if (run) {
            pp->first_form = run[0];
            pp->nforms = run[1];
        }
    }
    for (size_t i = 0; i < s->outcomes.n; i++) {
        const outcome_row *o = AT(s->outcomes, outcome_row, i);
        person *pp = o->subject ? map_get(by_subject, o->subject) : NULL;
        if (pp)
            pp->outcome = o; /* ordered by t: the last one wins */
    }
    for (size_t i = 0; i < s->waits.n; i++) {
        const wait_sum *w = AT(s->waits, wait_sum, i);
        person *pp = w->subject ? map_get(by_subject, w->subject) : NULL;
        if (pp)
            pp->waits = w;
    }
    map *games_seen = map_new();
    for (size_t i = 0; i < outs->n; i++) {
        const episode_out *eo = AT(*outs, episode_out, i);
        for (uint32_t k = 0; k < eo->nseats; k++) {
            person *pp = eo->seat_names[k] ? map_get(by_subject, eo->seat_names[k]) : NULL;
            if (!pp)
                continue;
            pp->episodes++;
            char key[256];
            snprintf(key, sizeof key, "%s\x1f%s", eo->row->game, eo->seat_names[k]);
            if (!map_get(games_seen, key)) {
                map_put(games_seen, key, pp);
                pp->games++;
            }
        }
    }
    map_free(games_seen);

    /* scenes in experiment order (scene_index), each id once */
    typedef struct {
        const char *id;
        int index;
    } scene_col;
    scene_col *scenes = NULL;
    size_t nscenes = 0;
    for (size_t i = 0; i < s->visits.n; i++) {
        const visit_row *v = AT(s->visits, visit_row, i);
        size_t j = 0;
        while (j < nscenes && strcmp(scenes[j].id, v->scene) != 0)
            j++;
        if (j == nscenes) {
            scenes = realloc(scenes, (nscenes + 1) * sizeof *scenes);
            scenes[nscenes++] = (scene_col){v->scene, v->index};
        } else if (v->index < scenes[j].index) {
            scenes[j].index = v->index;
        }
    }
    for (size_t i = 1; i < nscenes; i++) /* insertion sort by index, then id */
        for (size_t j = i; j > 0 && (scenes[j].index < scenes[j - 1].index ||
                                     (scenes[j].index == scenes[j - 1].index &&
                                      strcmp(scenes[j].id, scenes[j - 1].id) < 0)); j--) {
            scene_col tmp = scenes[j];
            scenes[j] = scenes[j - 1];
            scenes[j - 1] = tmp;
        }
    /* form columns: form.SCENE.FIELD, scenes in that order (then any other), fields sorted */
    strset form_cols_set = {0};
    json_t *form_col_names = json_array();
    json_t *forms_parsed = json_array(); /* one object per forms row, same order */
    for (size_t i = 0; i < s->forms.n; i++) {
        const form_row *f = AT(s->forms, form_row, i);
        json_t *o = f->form ? json_loads(f->form, 0, NULL) : NULL;
        if (!json_is_object(o)) {
            json_decref(o);
            o = json_object();
        }
        json_array_append_new(forms_parsed, o);
    }
    const char **form_order = NULL;
    size_t nform_cols = 0;
    for (size_t pass = 0; pass <= nscenes; pass++) {
        strset fields = {0};
        json_t *keep = json_array();
        for (size_t i = 0; i < s->forms.n; i++) {
            const form_row *f = AT(s->forms, form_row, i);
            bool in_scene = pass < nscenes ? strcmp(f->scene, scenes[pass].id) == 0 : true;
            if (pass == nscenes)
                for (size_t k = 0; k < nscenes; k++)
                    if (strcmp(f->scene, scenes[k].id) == 0)
                        in_scene = false;
            if (!in_scene)
                continue;
            const char *key;
            json_t *v;
            json_object_foreach(json_array_get(forms_parsed, i), key, v) {
                char col[512];
                snprintf(col, sizeof col, "form.%s.%s", f->scene, key);
                if (strset_index(&form_cols_set, col) >= 0 || strset_index(&fields, col) >= 0)
                    continue;
                json_t *k = json_string(col);
                json_array_append_new(keep, k);
                strset_add(&fields, json_string_value(k));
            }
        }
        for (size_t i = 0; i < fields.n; i++) {
            json_t *k = json_string(fields.s[i]);
            json_array_append_new(form_col_names, k);
            strset_add(&form_cols_set, json_string_value(k));
            form_order = realloc(form_order, (nform_cols + 1) * sizeof *form_order);
            form_order[nform_cols++] = json_string_value(k);
        }
        free(fields.s);
        json_decref(keep);
    }

    xtable *t = xt_new(xf, "participants.csv",
                       "one row per participant (everyone who opened the study link), in the "
                       "order they arrived; the key is subject", err, sizeof err);
    if (!t) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    xt_col(t, "subject", XT_STRING, "", false,
           "participant id (from the recruitment platform's URL parameter, or made up)");
    for (size_t i = 0; i < params.n; i++) {
        char name[300], desc[400];
        snprintf(name, sizeof name, "param.%s", params.s[i]);
        snprintf(desc, sizeof desc, "study parameter %s from the study link (identity.study_params)",
                 params.s[i]);
        xt_col(t, name, XT_STRING, "", true, desc);
    }
    xt_col(t, "condition", XT_STRING, "", true, "experimental condition (reserved: empty for now)");
    json_object_set_new(xt_col(t, "outcome", XT_STRING, "", true,
                               "how the study ended for them (docs/EXPERIMENTS.md); empty while "
                               "they are still in it"),
                        "values", xt_words(outcome_words));
    json_object_set_new(xt_col(t, "reason", XT_STRING, "", true, "why they got that outcome, if a reason applies"),
                        "values", xt_words(reason_words_all + 1));
    xt_col(t, "code", XT_STRING, "", true, "the completion code they were given for the outcome");
    xt_col(t, "last_scene", XT_STRING, "", true, "id of the last scene they entered");
    xt_col(t, "t_start", XT_INTEGER, "ms since 1970-01-01 UTC", false, "when they first arrived");
    xt_col(t, "t_start_iso", XT_DATETIME, "", false, "t_start as an ISO 8601 UTC time");
    xt_col(t, "t_end", XT_INTEGER, "ms since 1970-01-01 UTC", true,
           "when their outcome was decided (the end of the study for them)");
    xt_col(t, "t_end_iso", XT_DATETIME, "", true, "t_end as an ISO 8601 UTC time");
    xt_col(t, "duration_ms", XT_INTEGER, "ms", true, "t_end - t_start");
    for (size_t i = 0; i < nscenes; i++) {
        char name[300], desc[400];
        snprintf(name, sizeof name, "scene_ms.%s", scenes[i].id);
        snprintf(desc, sizeof desc,
                 "time spent in scene %s (scene %d): from entering it to entering the next "
                 "scene or the end; empty if never entered or still there",
                 scenes[i].id, scenes[i].index);
        xt_col(t, name, XT_INTEGER, "ms", true, desc);
    }
    xt_col(t, "wait_ms", XT_INTEGER, "ms", false, "total time in waiting rooms");
    xt_col(t, "waits", XT_INTEGER, "", false, "stays in a waiting room");
    xt_col(t, "games", XT_INTEGER, "", false, "games they sat in (with an exported episode)");
    xt_col(t, "episodes", XT_INTEGER, "", false, "exported episodes they sat in (episodes.csv)");
    xt_col(t, "bonus", XT_INTEGER, "", true, "bonus payment (reserved: empty for now)");
    for (size_t i = 0; i < nform_cols; i++) {
        char desc[600];
        const char *scene_field = form_order[i] + 5;
        snprintf(desc, sizeof desc,
                 "answer to form field %s as submitted (text; non-text answers as JSON); "
                 "empty if not answered",
                 scene_field);
        xt_col(t, form_order[i], XT_STRING, "", true, desc);
    }

    for (size_t i = 0; i < np; i++) {
        const participant_row *p = AT(s->participants, participant_row, i);
        const person *pp = &people[i];
        xt_str(t, p->subject);
        for (size_t k = 0; k < params.n; k++) {
            char *cell = json_cell(json_object_get(pp->study, params.s[k]));
            xt_str(t, cell);
            free(cell);
        }
        xt_null(t);
        const outcome_row *o = pp->outcome;
        xt_str(t, o ? o->outcome : NULL);
        xt_str(t, o && o->reason && o->reason[0] ? o->reason : NULL);
        xt_str(t, o ? o->code : NULL);
        const visit_row *visits = pp->nvisits ? AT(s->visits, visit_row, pp->first_visit) : NULL;
        xt_str(t, visits ? visits[pp->nvisits - 1].scene : NULL);
        xt_int(t, p->created);
        xt_time(t, p->created);
        if (o) {
            xt_int(t, o->t);
            xt_time(t, o->t);
            xt_int(t, o->t - p->created);
        } else {
            xt_null(t);
            xt_null(t);
            xt_null(t);
        }
        for (size_t sc = 0; sc < nscenes; sc++) {
            int64_t total = 0;
            bool any = false;
            for (size_t v = 0; v < pp->nvisits; v++) {
                if (strcmp(visits[v].scene, scenes[sc].id) != 0)
                    continue;
                int64_t end = v + 1 < pp->nvisits ? visits[v + 1].t
                              : o && o->t >= visits[v].t ? o->t : -1;
                if (end >= 0) {
                    total += end - visits[v].t;
                    any = true;
                }
            }
            if (any)
                xt_int(t, total);
            else
                xt_null(t);
        }
        xt_int(t, pp->waits ? pp->waits->wait_ms : 0);
        xt_int(t, pp->waits ? pp->waits->waits : 0);
        xt_uint(t, pp->games);
        xt_uint(t, pp->episodes);
        xt_null(t);
        /* each field's answer from the last submission of its scene's form */
        char **cells = calloc(nform_cols ? nform_cols : 1, sizeof *cells);
        for (size_t k = 0; k < pp->nforms; k++) {
            size_t fi = pp->first_form + k;
            const form_row *f = AT(s->forms, form_row, fi);
            const char *key;
            json_t *v;
            json_object_foreach(json_array_get(forms_parsed, fi), key, v) {
                char col[512];
                snprintf(col, sizeof col, "form.%s.%s", f->scene, key);
                for (size_t c = 0; c < nform_cols; c++)
                    if (strcmp(form_order[c], col) == 0) {
                        free(cells[c]);
                        cells[c] = json_cell(v);
                        break;
                    }
            }
        }
        for (size_t c = 0; c < nform_cols; c++) {
            xt_str(t, cells[c]);
            free(cells[c]);
        }
        free(cells);
        xt_end(t);
    }
    *rows = xt_rows(t);
    int rc = xt_finish(t, codebook, err, sizeof err) == 0 ? 0 : 2;
    if (rc)
        fprintf(stderr, "export: %s\n", err);

    for (size_t i = 0; i < np; i++)
        json_decref(people[i].study);
    free(people);
    free(scenes);
    free(params.s);
    free(form_cols_set.s);
    free(form_order);
    json_decref(param_keys);
    json_decref(form_col_names);
    json_decref(forms_parsed);
    map_each(visit_runs, free_run, NULL);
    map_each(form_runs, free_run, NULL);
    map_free(visit_runs);
    map_free(form_runs);
    map_free(by_subject);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * events.csv
 * ------------------------------------------------------------------------------------- */

static int write_events(xfiles *xf, json_t *codebook, const snapshot *s, uint64_t *rows)
{
    char err[512];
    xtable *t = xt_new(xf, "events.csv",
                       "the events table of cohort.db, one row per event in time order, its "
                       "detail JSON flattened into the known columns (and kept whole in detail)",
                       err, sizeof err);
    if (!t) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    static const char *const kinds[] = {
        "desync", "ahead_of_clock", "drop", "excluded", "disconnect", "reconnect", "visible",
        "hidden", "protocol_error", "excluded_browser", "excluded_latency", "send_queue_full",
        "ping_timeout", NULL};
    xt_col(t, "t", XT_INTEGER, "ms since 1970-01-01 UTC", false, "when it happened");
    xt_col(t, "t_iso", XT_DATETIME, "", false, "t as an ISO 8601 UTC time");
    xt_col(t, "subject", XT_STRING, "", true, "the participant it concerns, if any");
    xt_col(t, "game", XT_STRING, "", true, "the game it concerns, if any");
    /* an open vocabulary: the kinds known today are examples, not a closed list */
    json_object_set_new(xt_col(t, "kind", XT_STRING, "", false,
                               "what happened (docs/DESIGN.md section 8); kinds known when this "
                               "cohort was built: desync, ahead_of_clock, drop, excluded, "
                               "disconnect, reconnect, visible, hidden, protocol_error, "
                               "excluded_browser, excluded_latency, send_queue_full, "
                               "ping_timeout"),
                        "examples", xt_words(kinds));
    /* the flattened detail keys: name, type, meaning */
    static const struct {
        const char *key, *type, *unit, *meaning;
    } known[] = {
        {"seat", XT_INTEGER, "", "seat index the event concerns (desync, drop, excluded, ahead_of_clock)"},
        {"episode", XT_INTEGER, "", "episode number (desync, ahead_of_clock)"},
        {"frame", XT_INTEGER, "step", "frame number (desync: the frame whose hash differed)"},
        {"reason", XT_STRING, "", "why a seat left (drop, excluded)"},
        {"rtt_ms", XT_INTEGER, "ms", "median round-trip time measured (excluded_latency)"},
        {"limit_ms", XT_INTEGER, "ms", "the round-trip limit it broke (excluded_latency)"},
        {"changes", XT_INTEGER, "", "visibility changes folded into this row (visible, hidden)"},
        {"code", XT_STRING, "", "error code (protocol_error)"},
    };
    size_t nknown = sizeof known / sizeof known[0];
    for (size_t k = 0; k < nknown; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s", known[k].key);
        xt_col(t, name, known[k].type, known[k].unit, true, known[k].meaning);
    }
    xt_col(t, "detail", XT_STRING, "", true, "the event's whole detail as recorded (JSON)");

    for (size_t i = 0; i < s->events.n; i++) {
        const event_row *ev = AT(s->events, event_row, i);
        xt_int(t, ev->t);
        xt_time(t, ev->t);
        xt_str(t, ev->subject);
        xt_str(t, ev->game);
        xt_str(t, ev->kind ? ev->kind : "");
        json_t *d = ev->detail ? json_loads(ev->detail, JSON_DECODE_ANY, NULL) : NULL;
        for (size_t k = 0; k < nknown; k++) {
            json_t *v = json_is_object(d) ? json_object_get(d, known[k].key) : NULL;
            if (strcmp(known[k].type, XT_INTEGER) == 0 && json_is_integer(v)) {
                xt_int(t, json_integer_value(v));
            } else if (strcmp(known[k].type, XT_STRING) == 0 && json_is_string(v)) {
                xt_str(t, json_string_value(v));
            } else {
                xt_null(t);
            }
        }
        json_decref(d);
        xt_str(t, ev->detail);
        xt_end(t);
    }
    *rows = xt_rows(t);
    if (xt_finish(t, codebook, err, sizeof err) != 0) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------------------- */

static int write_text(xfiles *xf, const char *name, const char *text)
{
    char err[512];
    FILE *fp = xf_open(xf, name, err, sizeof err);
    if (!fp) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, fp) == n;
    ok = fclose(fp) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "export: %s: write failed\n", name);
        return 2;
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]\n"
                    "  writes participants.csv, episodes.csv, frames.csv, events.csv,\n"
                    "  codebook.md, codebook.json and export.json into DIR\n"
                    "  (default DATA/EXPERIMENT/export); with --format overcooked also\n"
                    "  overcooked/GAME_epN.json for each cooking episode\n");
}

static json_t *reward_notes(const frame_schema *fs)
{
    json_t *notes = json_array();
    json_array_append_new(notes, json_string(
        "Rewards: each reward is credited to the seat that earned it, so reward.team (the sum "
        "of the seats' rewards) counts every point once; frames.csv holds the rewards of the "
        "re-simulation under this convention."));
    for (uint32_t e = 0; e < fs->nenvs; e++) {
        char line[600];
        snprintf(line, sizeof line, "%s rewards: %s.", fs->envs[e]->name,
                 fs->envs[e]->reward_meaning ? fs->envs[e]->reward_meaning : "not described");
        json_array_append_new(notes, json_string(line));
    }
    json_array_append_new(notes, json_string(
        "frames.csv is wide: one row per frame, one group of columns per seat (action.K, "
        "source.K, reward.K, focused.K, verified.K), then the state the frame's actions were "
        "taken in, decoded by the env (its fields are listed below with their envs)."));
    return notes;
}

int cmd_export(int argc, char **argv)
{
    const char *data_dir = NULL, *out_dir = NULL;
    bool overcooked = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (strcmp(argv[++i], "overcooked") != 0) {
                fprintf(stderr, "export: unknown format %s (known: overcooked)\n", argv[i]);
                return 2;
            }
            overcooked = true;
        } else if (argv[i][0] != '-' && !data_dir) {
            data_dir = argv[i];
        } else {
            usage();
            return 2;
        }
    }
    if (!data_dir) {
        usage();
        return 2;
    }
    char dir[4096], db_path[4200], default_out[4200];
    snprintf(dir, sizeof dir, "%s", data_dir);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    snprintf(db_path, sizeof db_path, "%s/cohort.db", dir);
    snprintf(default_out, sizeof default_out, "%s/export", dir);
    if (!out_dir)
        out_dir = default_out;
    if (access(db_path, R_OK) != 0) {
        fprintf(stderr, "export: %s: %s\n", db_path, strerror(errno));
        return 2;
    }
    const char *experiment = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;

    snapshot s;
    memset(&s, 0, sizeof s);
    int rc = load_snapshot(db_path, &s) == 0 ? 0 : 2;
    xfiles *xf = xf_new(out_dir);
    json_t *tables = json_array(), *manifest = json_object(), *skipped = json_array();
    json_t *oc_files = json_array();
    frame_schema fs;
    memset(&fs, 0, sizeof fs);
    vec outs = VEC(episode_out);
    map *by_game = map_new();
    uint64_t n_part = 0, n_ep = 0, n_ev = 0;
    frame_pass fp = {.data_dir = dir, .xf = xf, .fs = &fs, .overcooked = overcooked,
                     .overcooked_files = oc_files};
    if (rc == 0) {
        plan(&s, dir, &outs, &fs, by_game);
        build_schema(&fs, &s.mem);
        count_desyncs(&s, &outs);
        char err[512];
        fp.frames = xt_new(xf, "frames.csv",
                           "one row per frame of every exported episode, re-simulated and "
                           "verified; the key is (game, episode, frame)", err, sizeof err);
        if (!fp.frames) {
            fprintf(stderr, "export: %s\n", err);
            rc = 2;
        }
    }
    if (rc == 0) {
        declare_frame_columns(fp.frames, &fs);
        for (size_t i = 0; i < outs.n && rc == 0; i++) {
            episode_out *eo = AT(outs, episode_out, i);
            if (!eo->skip)
                rc = export_episode(&fp, eo);
        }
        char err[512];
        uint64_t n_frames = xt_rows(fp.frames);
        if (xt_finish(fp.frames, tables, err, sizeof err) != 0 && rc == 0) {
            fprintf(stderr, "export: %s\n", err);
            rc = 2;
        }
        if (rc == 0)
            rc = write_episodes(xf, tables, &outs, &fs, &n_ep);
        if (rc == 0)
            rc = write_participants(xf, tables, &s, &outs, &n_part);
        if (rc == 0)
            rc = write_events(xf, tables, &s, &n_ev);
        if (rc == 0) {
            /* the codebook: participants, episodes, frames, events in that order */
            json_t *ordered = json_array();
            static const char *const order[] = {"participants.csv", "episodes.csv",
                                                "frames.csv", "events.csv"};
            for (size_t k = 0; k < 4; k++) {
                size_t ti;
                json_t *tab;
                json_array_foreach(tables, ti, tab)
                    if (strcmp(json_string_value(json_object_get(tab, "file")), order[k]) == 0)
                        json_array_append(ordered, tab);
            }
            json_t *doc = json_pack("{s:s, s:o, s:O}", "experiment", experiment, "notes",
                                    reward_notes(&fs), "tables", ordered);
            char *md = xt_codebook_md(doc);
            char *js = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            rc = md && js ? 0 : 2;
            if (rc == 0)
                rc = write_text(xf, "codebook.md", md);
            if (rc == 0) {
                size_t n = strlen(js);
                js = realloc(js, n + 2);
                js[n] = '\n';
                js[n + 1] = '\0';
                rc = write_text(xf, "codebook.json", js);
            }
            free(md);
            free(js);
            json_decref(doc);
            json_decref(ordered);

            /* the manifest: what was exported, what was skipped and why */
            json_t *eps = json_array();
            for (size_t i = 0; i < outs.n; i++) {
                const episode_out *eo = AT(outs, episode_out, i);
                if (eo->skip) {
                    json_array_append_new(skipped, json_pack("{s:s, s:i, s:s}", "game",
                                                             eo->row->game, "episode",
                                                             (int)eo->row->episode, "reason",
                                                             eo->skip));
                    continue;
                }
                json_t *seats = json_array();
                for (uint32_t k = 0; k < eo->nseats; k++)
                    json_array_append_new(seats, json_string(eo->seat_names[k] ? eo->seat_names[k] : ""));
                json_array_append_new(eps, json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:o}",
                                                     "game", eo->row->game, "episode",
                                                     (int)eo->row->episode, "scene",
                                                     eo->row->scene ? eo->row->scene : "",
                                                     "env", eo->env->name, "frames",
                                                     (int)eo->frames, "file", eo->file, "seats",
                                                     seats));
            }
            for (size_t i = 0; i < s.starts.n; i++) {
                const start_row *sr = AT(s.starts, start_row, i);
                json_array_append_new(skipped, json_pack("{s:s, s:i, s:s}", "game", sr->game,
                                                         "episode", (int)sr->episode, "reason",
                                                         "not finished: its files are not "
                                                         "written yet"));
            }
            json_object_set_new(manifest, "experiment", json_string(experiment));
            json_object_set_new(manifest, "tables",
                                json_pack("{s:I, s:I, s:I, s:I}", "participants.csv",
                                          (json_int_t)n_part, "episodes.csv", (json_int_t)n_ep,
                                          "frames.csv", (json_int_t)n_frames, "events.csv",
                                          (json_int_t)n_ev));
            json_object_set_new(manifest, "episodes", eps);
            json_object_set(manifest, "skipped", skipped);
            json_object_set_new(manifest, "rewards_recomputed_frames",
                                json_integer((json_int_t)fp.rewards_recomputed));
            json_object_set(manifest, "overcooked", oc_files);
            if (rc == 0) {
                char *mj = json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                size_t n = strlen(mj);
                mj = realloc(mj, n + 2);
                mj[n] = '\n';
                mj[n + 1] = '\0';
                rc = write_text(xf, "export.json", mj);
                free(mj);
            }
            if (rc == 0) {
                char err2[512];
                if (xf_commit(xf, err2, sizeof err2) != 0) {
                    fprintf(stderr, "export: %s\n", err2);
                    rc = 2;
                }
            }
            if (rc == 0) {
                printf("export: %" PRIu64 " participants, %" PRIu64 " episodes, %" PRIu64
                       " frames (every hash verified), %" PRIu64 " events -> %s\n",
                       n_part, n_ep, n_frames, n_ev, out_dir);
                size_t ns = json_array_size(skipped);
                if (ns) {
                    printf("export: skipped %zu episode%s:\n", ns, ns == 1 ? "" : "s");
                    size_t k;
                    json_t *sk;
                    json_array_foreach(skipped, k, sk)
                        printf("  %s episode %" JSON_INTEGER_FORMAT ": %s\n",
                               json_string_value(json_object_get(sk, "game")),
                               json_integer_value(json_object_get(sk, "episode")),
                               json_string_value(json_object_get(sk, "reason")));
                }
                if (fp.rewards_recomputed)
                    printf("export: %" PRIu64 " frames recorded rewards under another reward "
                           "convention (an earlier version); frames.csv holds the current "
                           "env's\n", fp.rewards_recomputed);
            }
        }
    }
    if (rc != 0)
        fprintf(stderr, "export: nothing written%s\n", rc == 1 ? " (a recorded episode "
                        "disagrees with its re-simulation)" : "");
    xf_free(xf);
    json_decref(tables);
    json_decref(manifest);
    json_decref(skipped);
    json_decref(oc_files);
    free_schema(&fs);
    free(outs.items);
    map_free(by_game);
    free_snapshot(&s);
    return rc;
}
