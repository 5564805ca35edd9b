/*
 * libFuzzer target for what cohort runs on a request's target and addresses once the
 * request is parsed (tests/fuzz/fuzz_net.c fuzzes the parsing): the path and the query net
 * rebuilds from the target (net_target_split, src/net/request.c), the admin routes behind
 * it (admin_http and its query_value, with a stub flow), and the X-Forwarded-For and
 * address parsers (src/net/forwarded.c). Built by `make fuzz-http`; run with ASan and UBSan.
 *
 * Input: the request target ("/api/state?key=..."), then a newline, then an
 * X-Forwarded-For value. A NUL ends either part.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "net/forwarded.h"
#include "net/request.h"
#include "store/store_schema.h"

#define KEY "fuzzkey0123"

/* ---- a stub flow: admin only reads through these -------------------------------------- */

void flow_get_stats(flow *f, loop_time now, flow_stats *out)
{
    (void)f;
    memset(out, 0, sizeof *out);
    out->experiment = "fuzz";
    out->uptime_s = now.mono_ms / 1000;
    out->people.total = 3;
    out->people.outcomes[0] = 1;
}

void flow_each_game(flow *f, void (*fn)(const flow_game_view *g, void *ctx), void *ctx)
{
    (void)f;
    flow_game_view g = {.game = "g1", .scene = "game", .episode = 1, .frame = 42};
    fn(&g, ctx);
}

void flow_each_waitroom(flow *f, void (*fn)(const char *scene, int waiting, void *ctx), void *ctx)
{
    (void)f;
    fn("game", 2, ctx);
}

void flow_each_person(flow *f, bool (*fn)(const flow_person_view *p, void *ctx), void *ctx)
{
    (void)f;
    flow_person_view p = {.subject = "s1", .state = "playing", .scene = "game", .game = "g1",
                          .outcome = "", .connected = true, .rtt_ms = 12};
    if (fn(&p, ctx)) {
        p.subject = "s2";
        fn(&p, ctx);
    }
}

void flow_each_condition(flow *f, void (*fn)(const flow_condition_view *c, void *ctx), void *ctx)
{
    (void)f, (void)fn, (void)ctx;
}

/* The admin's database reads are not fuzzed here: no database is open. */
bool store_schema_has_column(sqlite3 *db, const char *table, const char *column)
{
    (void)db, (void)table, (void)column;
    return false;
}

void net_set_http(net *n, net_http_fn fn, void *ud) { (void)n, (void)fn, (void)ud; }

/* ---- the request path ---------------------------------------------------------------- */

static admin *adm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    adm = admin_new(NULL, KEY);
    return adm ? 0 : -1;
}

/* The target as net splits it: the decoded path and the rebuilt query. */
static void request(const char *target, size_t len)
{
    char path[NET_URI_MAX], query[NET_QUERY_MAX];
    if (!net_target_split(target, len, path, query))
        return;
    if (strlen(path) >= NET_URI_MAX || strlen(query) >= NET_QUERY_MAX || path[0] != '/')
        __builtin_trap();
    /* what may be served from a folder never climbs out of it */
    if (net_path_servable(path) && (strstr(path, "/../") || strstr(path, "/./")))
        __builtin_trap();

    char *body = NULL;
    const char *ctype = NULL;
    loop_time now = {.mono_ms = 5000, .wall_ms = 1700000000000};
    /* The bearer token: the key itself when the input's first byte is odd, else garbage
     * from the path (a wrong key), so both branches and the failure limit are reached. */
    net_http_request req = {path, query, (len > 0 && (target[0] & 1)) ? KEY : path, "203.0.113.9"};
    int status = admin_http(&req, &body, &ctype, now, adm);
    /* 500: the routes that read the database (an episode's download) find none open here */
    if (status != 200 && status != 400 && status != 403 && status != 404 && status != 429 &&
        status != 500)
        __builtin_trap();
    /* net starts ctype at application/json: a route need not set it */
    if (status != 404 && status != 500 && !body)
        __builtin_trap();
    free(body);
}

/* ---- addresses ----------------------------------------------------------------------- */

static void forwarded(const char *xff, size_t len)
{
    static net_trusted trusted;
    if (!trusted.n) {
        char err[160];
        net_trusted_add(&trusted, "10.0.0.0/8, 192.168.1.1, ::1, 2001:db8::/32", err, sizeof err);
    }
    net_addr a, again;
    char text[NET_ADDR_STRLEN];
    if (net_forwarded_client(xff, len, &trusted, &a)) {
        /* what it returns prints and parses back to itself */
        net_addr_format(&a, text);
        if (!net_addr_parse(text, strlen(text), &again) || !net_addr_equal(&a, &again))
            __builtin_trap();
    }
    if (net_addr_parse(xff, len, &a)) {
        net_addr_format(&a, text);
        if (!net_addr_parse(text, strlen(text), &again) || !net_addr_equal(&a, &again))
            __builtin_trap();
    }
    /* The same bytes as a --trusted-proxy list: every network it keeps contains itself. */
    char spec[512];
    size_t slen = len < sizeof spec - 1 ? len : sizeof spec - 1;
    memcpy(spec, xff, slen);
    spec[slen] = '\0';
    net_trusted t = {0};
    char err[160];
    if (net_trusted_add(&t, spec, err, sizeof err) == 0) {
        for (int i = 0; i < t.n; i++)
            if (!net_trusted_has(&t, &t.list[i].addr))
                __builtin_trap();
    } else if (t.n != 0) {
        __builtin_trap(); /* a refused list adds nothing */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t n = strnlen(s, size);
    const char *nl = memchr(s, '\n', n);
    size_t tlen = nl ? (size_t)(nl - s) : n;
    request(s, tlen);
    if (nl)
        forwarded(nl + 1, n - tlen - 1);
    return 0;
}
