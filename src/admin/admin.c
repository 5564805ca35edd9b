#include "admin.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"

/* The dashboard lists this many people; the counts cover everyone. */
#define STATE_PEOPLE_MAX 1000

struct admin {
    flow *f;
    char key[65];
};

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

/* The value of `name` in a query string "a=1&key=xyz" (no decoding: keys are hex). */
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

static bool person_json(const flow_person_view *p, void *ctx)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:b, s:i, s:s, s:s}", "subject",
                                         p->subject, "state", p->state, "scene", p->scene,
                                         "connected", p->connected, "rtt_ms", (int)p->rtt_ms,
                                         "game", p->game, "outcome", p->outcome));
    return json_array_size(ctx) < STATE_PEOPLE_MAX;
}

char *admin_state_json(admin *a, loop_time now)
{
    flow_stats s;
    flow_get_stats(a->f, now, &s);
    json_t *games = json_array(), *waiting = json_object(), *people = json_array(),
           *outcomes = json_object();
    flow_each_game(a->f, game_json, games);
    flow_each_waitroom(a->f, waitroom_json, waiting);
    flow_each_person(a->f, person_json, people);
    for (int o = 0; o < outcome_COUNT_; o++)
        if (s.people.outcomes[o] > 0)
            json_object_set_new(outcomes, outcome_name((outcome)o),
                                json_integer(s.people.outcomes[o]));
    return dump(json_pack("{s:s, s:I, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i}, s:o, s:o, s:I, s:I, s:o}",
                          "experiment", s.experiment, "uptime_s", (json_int_t)s.uptime_s, "games",
                          games, "waiting", waiting, "participants", "total", s.people.total,
                          "connected", s.people.connected, "waiting", s.people.waiting,
                          "playing", s.people.playing, "done", s.people.done, "outcomes",
                          outcomes, "people", people, "games_started",
                          (json_int_t)s.games_started, "protocol_errors",
                          (json_int_t)s.protocol_errors, "store", store_json(&s.store)));
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

int admin_http(const char *path, const char *query, char **body, const char **ctype,
               loop_time now, void *ud)
{
    admin *a = ud;
    *ctype = "application/json";
    if (strcmp(path, "/healthz") == 0) {
        *body = admin_health_json(a, now);
        return 200;
    }
    if (strcmp(path, "/api/state") != 0 && strcmp(path, "/api/metrics") != 0)
        return 404;
    char key[80];
    if (!query_value(query, "key", key, sizeof key) || !admin_key_ok(a, key)) {
        *body = strdup("{\"error\":\"admin key required\"}");
        return 403;
    }
    if (strcmp(path, "/api/metrics") == 0) {
        *ctype = "text/plain; version=0.0.4";
        *body = admin_metrics_text(a, now);
        return 200;
    }
    *body = admin_state_json(a, now);
    return 200;
}
