#include "admin.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store_schema.h"
#include "../util/clock.h"
#include "../util/file.h"
#include "../util/ident.h"
#include "../util/money.h"

/* The dashboard lists this many people; the counts cover everyone. */
#define STATE_PEOPLE_MAX 1000

/* Failed key attempts, per client address: after FAIL_BURST in a row, one more only every
 * FAIL_GAP_MS (429 meanwhile). The table is small and fixed; a new address takes the slot
 * of the one that failed longest ago, so a flood of addresses costs nothing but slots. */
#define FAIL_SLOTS 256
#define FAIL_BURST 5
#define FAIL_GAP_MS 2000

typedef struct {
    char client[64];
    int failures;
    int64_t last_ms;
} fail_slot;

struct admin {
    flow *f;
    char data_dir[4096];
    char key[ADMIN_KEY_MAX + 1];
    fail_slot fails[FAIL_SLOTS];
};

int admin_key_check(const char *key, char *err, size_t errlen)
{
    size_t n = strlen(key);
    if (n < ADMIN_KEY_MIN || n > ADMIN_KEY_MAX) {
        snprintf(err, errlen, "the admin key must be %d to %d characters (got %zu)", ADMIN_KEY_MIN,
                 ADMIN_KEY_MAX, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (key[i] <= ' ' || key[i] > '~') {
            snprintf(err, errlen, "the admin key may hold printable ASCII but no spaces");
            return -1;
        }
    return 0;
}

admin *admin_new(flow *f, const char *key)
{
    admin *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->f = f;
    if (key && key[0])
        snprintf(a->key, sizeof a->key, "%s", key);
    else
        random_hex(a->key, 16);
    return a;
}

void admin_free(admin *a) { free(a); }

static char *dump(json_t *j);

void admin_set_data_dir(admin *a, const char *dir)
{
    snprintf(a->data_dir, sizeof a->data_dir, "%s", dir ? dir : "");
}

/* The value of `name` in a query "a=1&game=g-1" (net decoded each argument), into out. */
static bool query_value(const char *query, const char *name, char *out, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t seg = end ? (size_t)(end - p) : strlen(p);
        if (seg > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = seg - nlen - 1;
            if (vlen >= len)
                return false;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

static sqlite3 *open_db(const admin *a)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cohort.db", a->data_dir);
    sqlite3 *db = NULL;
    if (!a->data_dir[0] || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 200);
    return db;
}

static json_t *column_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_NULL:
        return json_null();
    default:
        return json_string((const char *)sqlite3_column_text(st, i));
    }
}

/* The files column: a JSON array of paths (an empty one if unreadable). */
static json_t *files_json(sqlite3_stmt *st, int i)
{
    const unsigned char *text = sqlite3_column_text(st, i);
    json_t *files = text ? json_loads((const char *)text, 0, NULL) : NULL;
    if (json_is_array(files))
        return files;
    json_decref(files);
    return json_array();
}

static int episodes_json(admin *a, char **body)
{
    sqlite3 *db = open_db(a);
    if (!db)
        return 404;
    sqlite3_stmt *st = NULL;
    json_t *list = json_array();
    /* With each episode its pace (episode_starts: fps or step_ms, and the input mode), where
     * the database records it. */
    static const char paced_sql[] =
        "SELECT e.game, e.episode, e.scene, e.env, e.frames, e.reason, e.files, e.t, s.fps,"
        " s.step_ms, s.input FROM episodes e LEFT JOIN episode_starts s ON s.game = e.game"
        " AND s.episode = e.episode ORDER BY e.t DESC LIMIT 5000";
    static const char plain_sql[] =
        "SELECT game, episode, scene, env, frames, reason, files, t, NULL, NULL, NULL"
        " FROM episodes ORDER BY t DESC LIMIT 5000";
    bool paced = store_schema_has_column(db, "episode_starts", "step_ms");
    if (sqlite3_prepare_v2(db, paced ? paced_sql : plain_sql, -1, &st, NULL) == SQLITE_OK) {
        static const char *const names[] = {"game", "episode", "scene", "env", "frames", "reason",
                                            "files", "t", "fps", "step_ms", "input"};
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *row = json_object();
            for (int i = 0; i < 11; i++)
                json_object_set_new(row, names[i], i == 6 ? files_json(st, i) : column_json(st, i));
            json_array_append_new(list, row);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    *body = dump(json_pack("{s:o}", "episodes", list));
    return 200;
}

/* payments.csv as `cohort export` writes it (src/tools/export_people.c, write_payments):
 * Prolific's bulk bonus list, `participant_id,amount` for each participant whose latest
 * outcome carries a bonus above zero, ordered by subject, no header. Read from cohort.db
 * (read-only, like /api/episodes), so it is current while the study runs. */
static int payments_csv(admin *a, char **body)
{
    sqlite3 *db = open_db(a);
    if (!db)
        return 404;
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    if (!out) {
        sqlite3_close(db);
        return 500;
    }
    out[0] = '\0';
    sqlite3_stmt *st = NULL;
    /* A database from before bonuses has no bonus column: nothing to pay, an empty list. */
    if (sqlite3_prepare_v2(db, "SELECT o.subject, o.bonus FROM outcomes o WHERE o.rowid ="
                               " (SELECT rowid FROM outcomes WHERE subject = o.subject"
                               " ORDER BY t DESC, rowid DESC LIMIT 1) ORDER BY o.subject",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *subject = (const char *)sqlite3_column_text(st, 0);
            const char *bonus = (const char *)sqlite3_column_text(st, 1);
            int64_t amount = 0;
            if (!subject || !bonus || money_parse(bonus, &amount) != MONEY_OK || amount <= 0)
                continue;
            char text[MONEY_TEXT_MAX];
            size_t need = strlen(subject) + MONEY_TEXT_MAX + 3;
            if (len + need > cap) {
                cap = 2 * cap + need;
                char *grown = realloc(out, cap);
                if (!grown)
                    break;
                out = grown;
            }
            len += (size_t)snprintf(out + len, cap - len, "%s,%s\n", subject,
                                    money_format(amount, text));
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    *body = out;
    return 200;
}

/* A path from the episodes table, relative to the data folder: plain names only. */
static bool safe_relative(const char *path)
{
    if (!path[0] || path[0] == '/' || strlen(path) > 512)
        return false;
    char copy[600];
    snprintf(copy, sizeof copy, "%s", path);
    char *save = NULL;
    for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save))
        if (!ident_valid(part, 128, "."))
            return false;
    return true;
}

#define EPISODE_FILE_MAX ((size_t)16 << 20)

static int episode_json(admin *a, const char *query, char **body)
{
    char game[80], ep[16];
    if (!query_value(query, "game", game, sizeof game) || !query_value(query, "episode", ep, sizeof ep)) {
        *body = strdup("{\"error\":\"give game=ID&episode=N\"}");
        return 400;
    }
    sqlite3 *db = open_db(a);
    if (!db)
        return 404;
    sqlite3_stmt *st = NULL;
    char first[600] = "";
    if (sqlite3_prepare_v2(db, "SELECT files FROM episodes WHERE game = ?1 AND episode = ?2", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, strtoll(ep, NULL, 10));
        if (sqlite3_step(st) == SQLITE_ROW) {
            json_t *files = files_json(st, 0);
            const char *f0 = json_string_value(json_array_get(files, 0));
            if (f0)
                snprintf(first, sizeof first, "%s", f0);
            json_decref(files);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    size_t n = strlen(first);
    if (n < 5 || strcmp(first + n - 4, ".csv") != 0 || !safe_relative(first))
        return 404;
    char path[4800];
    snprintf(path, sizeof path, "%s/%s", a->data_dir, first);
    char *csv = NULL, *meta = NULL;
    size_t len;
    if (file_read_all(path, EPISODE_FILE_MAX, &csv, &len) != FILE_OK)
        return 404;
    memcpy(path + strlen(path) - 4, ".json", 6);
    if (file_read_all(path, EPISODE_FILE_MAX, &meta, &len) != FILE_OK) {
        free(csv);
        return 404;
    }
    json_t *m = json_loads(meta, 0, NULL);
    free(meta);
    *body = dump(json_pack("{s:s, s:o, s:s}", "file", first, "meta", m ? m : json_object(), "csv",
                           csv));
    free(csv);
    return 200;
}
const char *admin_key(const admin *a) { return a->key; }
void admin_register(admin *a, net *n) { net_set_http(n, admin_http, a); }

bool admin_key_ok(const admin *a, const char *presented)
{
    size_t n = strlen(a->key);
    if (!presented || strlen(presented) != n)
        return false;
    unsigned diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned)(a->key[i] ^ presented[i]);
    return diff == 0;
}

/* Whether the query string names `name` ("key=..." anywhere in "a=1&key=xyz"). */
static bool query_has(const char *query, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = query; p && *p;) {
        if (strncmp(p, name, nlen) == 0 && (p[nlen] == '=' || p[nlen] == '&' || !p[nlen]))
            return true;
        p = strchr(p, '&');
        p = p ? p + 1 : NULL;
    }
    return false;
}

static fail_slot *fail_slot_of(admin *a, const char *client, bool take)
{
    fail_slot *oldest = &a->fails[0];
    for (int i = 0; i < FAIL_SLOTS; i++) {
        if (strcmp(a->fails[i].client, client) == 0)
            return &a->fails[i];
        if (a->fails[i].last_ms < oldest->last_ms)
            oldest = &a->fails[i];
    }
    if (!take)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->client, sizeof oldest->client, "%s", client);
    return oldest;
}

static char *dump(json_t *j)
{
    char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return out;
}

/* Public: counts and flags only. The store's last error can name a subject (a file
 * path), so it is in /api/state, behind the key. "degraded" while the store's writes fail
 * (store.h): new participants are refused meanwhile. Still 200: a proxy that took the
 * server out would cut off the participants it still carries. */
char *admin_health_json(admin *a, loop_time now)
{
    flow_stats s;
    flow_get_stats(a->f, now, &s);
    const store_health_info *h = &s.store.health;
    return dump(json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:b, s:I, s:I}",
                          "status", h->failing ? "degraded" : "ok", "experiment", s.experiment,
                          "uptime_s", (json_int_t)s.uptime_s, "participants", s.people.total,
                          "connected", s.people.connected, "waiting", s.people.waiting,
                          "playing", s.people.playing, "games", s.games_running,
                          "games_started", (json_int_t)s.games_started, "store_errors",
                          (json_int_t)s.store.errors, "store_failing", h->failing,
                          "store_held", (json_int_t)h->held, "store_cache_kb",
                          (json_int_t)(s.store.sqlite_heap_bytes / 1024)));
}

/* The store's side of /api/state: what the researcher needs to act on a full disk. */
static json_t *store_json(const store_stats *st)
{
    return json_pack("{s:s, s:b, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "status",
                     st->health.failing ? "degraded" : "ok", "failing", st->health.failing,
                     "errors", (json_int_t)st->errors, "last_error", st->health.last_error,
                     "held", (json_int_t)st->health.held, "held_bytes",
                     (json_int_t)st->health.held_bytes, "jobs_dropped",
                     (json_int_t)st->jobs_dropped, "frames_dropped",
                     (json_int_t)st->frames_dropped, "frames_pruned",
                     (json_int_t)st->frames_pruned);
}

static void game_json(const flow_game_view *g, void *ctx)
{
    json_array_append_new(
        ctx, json_pack("{s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I}", "game", g->game, "scene",
                       g->scene, "episode", g->episode, "frame", (int)g->frame, "desyncs",
                       (json_int_t)g->stats.desyncs, "late_inputs",
                       (json_int_t)g->stats.late_inputs, "defaulted",
                       (json_int_t)g->stats.defaulted, "hashes_verified",
                       (json_int_t)g->stats.hashes_verified));
}

static void waitroom_json(const char *scene, int waiting, void *ctx)
{
    json_object_set_new(ctx, scene, json_integer(waiting));
}

static void condition_json(const flow_condition_view *c, void *ctx)
{
    json_array_append_new(ctx, json_pack("{s:s, s:i, s:i, s:i}", "id", c->id, "in_progress",
                                         c->in_progress, "completed", c->completed, "other",
                                         c->other));
}

static bool person_json(const flow_person_view *p, void *ctx)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s}", "subject",
                                         p->subject, "state", p->state, "scene", p->scene,
                                         "condition", p->condition, "connected", p->connected,
                                         "rtt_ms", (int)p->rtt_ms, "game", p->game, "outcome",
                                         p->outcome));
    return json_array_size(ctx) < STATE_PEOPLE_MAX;
}

char *admin_state_json(admin *a, loop_time now)
{
    flow_stats s;
    flow_get_stats(a->f, now, &s);
    json_t *games = json_array(), *waiting = json_object(), *people = json_array(),
           *outcomes = json_object(), *conditions = json_array();
    flow_each_game(a->f, game_json, games);
    flow_each_condition(a->f, condition_json, conditions);
    flow_each_waitroom(a->f, waitroom_json, waiting);
    flow_each_person(a->f, person_json, people);
    for (int o = 0; o < outcome_COUNT_; o++)
        if (s.people.outcomes[o] > 0)
            json_object_set_new(outcomes, outcome_name((outcome)o),
                                json_integer(s.people.outcomes[o]));
    return dump(json_pack("{s:s, s:I, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i}, s:o, s:o, s:I, s:I, s:o, s:o}",
                          "experiment", s.experiment, "uptime_s", (json_int_t)s.uptime_s, "games",
                          games, "waiting", waiting, "participants", "total", s.people.total,
                          "connected", s.people.connected, "waiting", s.people.waiting,
                          "playing", s.people.playing, "done", s.people.done, "outcomes",
                          outcomes, "people", people, "games_started",
                          (json_int_t)s.games_started, "protocol_errors",
                          (json_int_t)s.protocol_errors, "store", store_json(&s.store),
                          "conditions", conditions));
}

typedef struct {
    unsigned long long desyncs, late, defaulted, verified;
} running_totals;

static void add_game(const flow_game_view *g, void *ctx)
{
    running_totals *t = ctx;
    t->desyncs += g->stats.desyncs;
    t->late += g->stats.late_inputs;
    t->defaulted += g->stats.defaulted;
    t->verified += g->stats.hashes_verified;
}

char *admin_metrics_text(admin *a, loop_time now)
{
    flow_stats s;
    flow_get_stats(a->f, now, &s);
    running_totals t = {0};
    flow_each_game(a->f, add_game, &t);
    const struct {
        const char *state;
        int n;
    } people[] = {{"total", s.people.total},
                  {"connected", s.people.connected},
                  {"waiting", s.people.waiting},
                  {"playing", s.people.playing},
                  {"done", s.people.done}};
    size_t cap = 4096, off = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
#define EMIT(...) off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, __VA_ARGS__)
    EMIT("# HELP cohort_participants Participants by state.\n# TYPE cohort_participants gauge\n");
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++)
        EMIT("cohort_participants{state=\"%s\"} %d\n", people[i].state, people[i].n);
    EMIT("# TYPE cohort_games gauge\ncohort_games %d\n", s.games_running);
    EMIT("# TYPE cohort_running_desyncs gauge\ncohort_running_desyncs %llu\n", t.desyncs);
    EMIT("# TYPE cohort_running_late_inputs gauge\ncohort_running_late_inputs %llu\n", t.late);
    EMIT("# TYPE cohort_running_defaulted gauge\ncohort_running_defaulted %llu\n", t.defaulted);
    EMIT("# TYPE cohort_running_hashes_verified gauge\ncohort_running_hashes_verified %llu\n",
         t.verified);
    EMIT("# TYPE cohort_protocol_errors_total counter\ncohort_protocol_errors_total %llu\n",
         (unsigned long long)s.protocol_errors);
#undef EMIT
    if (off >= cap) { /* a fixed set of lines: only a bug gets here */
        free(out);
        return strdup("# metrics overflowed\n");
    }
    return out;
}

int admin_http(const net_http_request *req, char **body, const char **ctype, loop_time now,
               void *ud)
{
    admin *a = ud;
    const char *path = req->path;
    *ctype = "application/json";
    if (strcmp(path, "/healthz") == 0) {
        *body = admin_health_json(a, now);
        return 200;
    }
    if (strcmp(path, "/api/state") != 0 && strcmp(path, "/api/metrics") != 0 &&
        strcmp(path, "/api/episodes") != 0 && strcmp(path, "/api/episode") != 0 &&
        strcmp(path, "/api/payments.csv") != 0)
        return 404;
    if (query_has(req->query, "key")) {
        /* An address ends up in proxy and access logs: a key in one is as good as leaked. */
        *body = strdup("{\"error\":\"send the admin key in an Authorization: Bearer header, "
                       "never in the address\"}");
        return 400;
    }
    const char *client = req->client ? req->client : "";
    fail_slot *fs = fail_slot_of(a, client, false);
    if (fs && fs->failures >= FAIL_BURST && now.mono_ms - fs->last_ms < FAIL_GAP_MS) {
        *body = strdup("{\"error\":\"too many wrong admin keys: wait and try again\"}");
        return 429;
    }
    if (!admin_key_ok(a, req->bearer)) {
        fs = fs ? fs : fail_slot_of(a, client, true);
        fs->failures++;
        fs->last_ms = now.mono_ms;
        *body = strdup("{\"error\":\"admin key required\"}");
        return 403;
    }
    if (fs)
        memset(fs, 0, sizeof *fs); /* a right key clears the address's record */
    if (strcmp(path, "/api/episodes") == 0)
        return episodes_json(a, body);
    if (strcmp(path, "/api/episode") == 0)
        return episode_json(a, req->query, body);
    if (strcmp(path, "/api/payments.csv") == 0) {
        *ctype = "text/csv; charset=utf-8";
        return payments_csv(a, body);
    }
    if (strcmp(path, "/api/metrics") == 0) {
        *ctype = "text/plain; version=0.0.4";
        *body = admin_metrics_text(a, now);
        return 200;
    }
    *body = admin_state_json(a, now);
    return 200;
}
