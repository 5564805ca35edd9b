#include "admin.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"

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

static char *metrics_text(flow *f)
{
    char *state = flow_state_json(f);
    json_t *j = state ? json_loads(state, 0, NULL) : NULL;
    free(state);
    if (!j)
        return strdup("");
    json_t *people = json_object_get(j, "participants");
    size_t cap = 8192, off = 0;
    char *out = malloc(cap);
    if (!out) {
        json_decref(j);
        return NULL;
    }
#define EMIT(...) off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, __VA_ARGS__)
    EMIT("# HELP cohort_participants Participants by state.\n# TYPE cohort_participants gauge\n");
    const char *states[] = {"total", "connected", "waiting", "playing", "done"};
    for (size_t i = 0; i < 5; i++)
        EMIT("cohort_participants{state=\"%s\"} %lld\n", states[i],
             (long long)json_integer_value(json_object_get(people, states[i])));
    json_t *games = json_object_get(j, "games");
    long long desyncs = 0, late = 0, defaulted = 0, verified = 0;
    size_t i;
    json_t *g;
    json_array_foreach(games, i, g)
    {
        desyncs += json_integer_value(json_object_get(g, "desyncs"));
        late += json_integer_value(json_object_get(g, "late_inputs"));
        defaulted += json_integer_value(json_object_get(g, "defaulted"));
        verified += json_integer_value(json_object_get(g, "hashes_verified"));
    }
    EMIT("# TYPE cohort_games gauge\ncohort_games %zu\n", json_array_size(games));
    EMIT("# TYPE cohort_running_desyncs gauge\ncohort_running_desyncs %lld\n", desyncs);
    EMIT("# TYPE cohort_running_late_inputs gauge\ncohort_running_late_inputs %lld\n", late);
    EMIT("# TYPE cohort_running_defaulted gauge\ncohort_running_defaulted %lld\n", defaulted);
    EMIT("# TYPE cohort_running_hashes_verified gauge\ncohort_running_hashes_verified %lld\n",
         verified);
    EMIT("# TYPE cohort_protocol_errors_total counter\ncohort_protocol_errors_total %lld\n",
         (long long)json_integer_value(json_object_get(j, "protocol_errors")));
#undef EMIT
    json_decref(j);
    if (off >= cap) {
        free(out);
        return strdup("# metrics overflowed\n");
    }
    return out;
}

int admin_http(admin *a, const char *path, const char *query, char **body, const char **ctype)
{
    *ctype = "application/json";
    if (strcmp(path, "/healthz") == 0) {
        *body = flow_health_json(a->f);
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
        *body = metrics_text(a->f);
        return 200;
    }
    *body = flow_state_json(a->f);
    return 200;
}
