/*
 * The participant state machine, driven through the stager's network handlers with fake
 * connections, a real experiment file, the real envs and a real store in a temp folder:
 * pages, forms, the waiting room (join, leave, drop, time out), matching, reconnects and
 * takeovers, refusals, drops past the grace, exclusion, finished participants coming
 * back, and a restart; what is written when (nothing before the first act), the limits
 * and expiry of those who never acted, and what a hello without the token may do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "flow/flow.h"
#include "flow/identity.h"
#include "proto/proto.h"
#include "store/store.h"
#include "texts/texts.h"
#include "util/clock.h"
#include "util/log.h"
#include "support.h"

/* ---- fake connections ------------------------------------------------------------- */
#define MAX_MSGS 256

struct net_conn {
    char *texts[MAX_MSGS];
    int ntext;
    int nbinary;
    int nstate;
    void *user;
    bool closed;
    bool hung_up;
    char reason[128];
    uint32_t id;
};

static int fake_send_text(net_conn *c, const char *msg, size_t len)
{
    if (c->closed || c->ntext >= MAX_MSGS)
        return -1;
    c->texts[c->ntext++] = strndup(msg, len);
    return 0;
}
static int fake_send_binary(net_conn *c, const void *msg, size_t len)
{
    if (c->closed)
        return -1;
    c->nbinary++;
    if (((const uint8_t *)msg)[0] == BIN_STATE)
        c->nstate++;
    return 0;
}
static void fake_close(net_conn *c, const char *reason)
{
    c->closed = true;
    snprintf(c->reason, sizeof c->reason, "%s", reason ? reason : "");
}
static void fake_set_user(net_conn *c, void *u) { c->user = u; }
static void *fake_user(const net_conn *c) { return c->user; }
static const char *fake_peer(const net_conn *c) { return "127.0.0.1"; }
static uint32_t fake_id(const net_conn *c) { return c->id; }
static void fake_admit(net_conn *c) { (void)c; }
static const flow_io FAKE_IO = {fake_send_text, fake_send_binary, fake_close, fake_set_user,
                                fake_user,      fake_peer,        fake_id,    fake_admit};

/* ---- the world: an experiment, a store, a flow ------------------------------------ */
static char dir[64];
static experiment *x;
static store *st;
static flow *fl;
static net_handlers h;
/* The loop's time as the flow sees it: set at setup, moved only by at(). */
static loop_time test_t0, test_now;
static loop_time at(int64_t ms_after_start)
{
    test_now = (loop_time){test_t0.mono_ms + ms_after_start, test_t0.wall_ms + ms_after_start};
    return test_now;
}
#define MAX_CONNS 260
static net_conn conns[MAX_CONNS];
static int nconns;

static const char EXPERIMENT[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: consent\n"
    "    page: consent.html\n"
    "    form: true\n"
    "  - id: game\n"
    "    game:\n"
    "      env: cooking/cramped_room\n"
    "      seats: [human, human]\n"
    "      max_steps: 30\n"
    "      countdown_s: 1\n"
    "    waitroom: {timeout_s: 60, on_timeout: end}\n"
    "    reconnect_grace_s: 5\n"
    "    entry_max_rtt_ms: 400\n"
    "end:\n"
    "  redirect: \"https://example.org/done?cc={code}\"\n"
    "  codes: {completed: DONE1, partner_dropped: DROP1, waitroom_timeout: WAIT1,"
    " excluded: EXCL1, abandoned: GONE1}\n";

static void start_flow(void)
{
    char err[512], path[128];
    snprintf(path, sizeof path, "%s/experiment.yaml", dir);
    x = calloc(1, sizeof *x);
    assert_int_equal(config_load(path, config_registry_hooks(), x, err, sizeof err), 0);
    st = store_open(dir, x->id, err, sizeof err);
    assert_non_null(st);
    fl = flow_new(x, st, &FAKE_IO, test_now, err, sizeof err);
    assert_non_null(fl);
    h = flow_net_handlers();
}

static void stop_flow(void)
{
    /* As net_destroy does: every connection still open is closed first. */
    for (int i = 0; i < nconns; i++)
        if (!conns[i].hung_up) {
            conns[i].hung_up = true;
            h.on_close(&conns[i], test_now, fl);
        }
    flow_free(fl, test_now);
    store_close(st);
    free(x);
}

static int setup(void **state)
{
    assert_non_null(test_tmpdir_new(dir, sizeof dir, "flow"));
    char path[128];
    snprintf(path, sizeof path, "%s/experiment.yaml", dir);
    test_write_file(path, EXPERIMENT);
    snprintf(path, sizeof path, "%s/welcome.html", dir);
    test_write_file(path, "<h1>Hi</h1>");
    snprintf(path, sizeof path, "%s/consent.html", dir);
    test_write_file(path, "<label>Age <input name=\"age\"></label>");
    memset(conns, 0, sizeof conns);
    nconns = 0;
    test_t0 = test_now = clock_now();
    log_set_quiet(1);
    start_flow();
    return 0;
}

static int teardown(void **state)
{
    stop_flow();
    for (int i = 0; i < MAX_CONNS; i++)
        for (int k = 0; k < conns[i].ntext; k++)
            free(conns[i].texts[k]);
    return test_rm_tree(dir);
}

/* ---- driving it ------------------------------------------------------------------- */
static net_conn *connect_one(void)
{
    assert_true(nconns < MAX_CONNS);
    net_conn *c = &conns[nconns++];
    c->id = (uint32_t)nconns;
    h.on_open(c, test_now, fl);
    return c;
}

static void pass(void);

/* One message in a loop pass of its own, as net delivers it: the pass then ends. */
static void say(net_conn *c, const char *json)
{
    h.on_text(c, json, strlen(json), test_now, fl);
    pass();
}

static void hang_up(net_conn *c)
{
    c->closed = true;
    c->hung_up = true;
    h.on_close(c, test_now, fl);
}

static void pass(void) { h.on_pass_end(test_now, fl); }

/* An end scene is shown once its outcome is committed (flow.c, store_durable): let the
 * writer commit what is queued, then end a pass. */
static void settle(void)
{
    store_flush(st);
    pass();
}

/* The newest message of `type` sent to c, parsed (caller decrefs), or NULL. An end scene
 * waits for its outcome's commit: looking for a scene lets the store and a pass settle. */
static json_t *last(net_conn *c, const char *type)
{
    if (strcmp(type, "scene") == 0)
        settle();
    for (int i = c->ntext - 1; i >= 0; i--) {
        json_t *m = json_loads(c->texts[i], 0, NULL);
        if (m && strcmp(json_string_value(json_object_get(m, "type")), type) == 0)
            return m;
        json_decref(m);
    }
    return NULL;
}

static bool has(net_conn *c, const char *type)
{
    json_t *m = last(c, type);
    json_decref(m);
    return m != NULL;
}

static int count(net_conn *c, const char *type)
{
    int n = 0;
    char needle[64];
    snprintf(needle, sizeof needle, "\"type\":\"%s\"", type);
    for (int i = 0; i < c->ntext; i++)
        n += strstr(c->texts[i], needle) != NULL;
    return n;
}

static const char *str(json_t *m, const char *key) { return json_string_value(json_object_get(m, key)); }

static void expect_scene(net_conn *c, const char *id)
{
    json_t *m = last(c, "scene");
    assert_non_null(m);
    assert_string_equal(str(m, "id"), id);
    json_decref(m);
}

static void hello(net_conn *c, const char *pid)
{
    char msg[256];
    snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"%s\"}}", pid);
    say(c, msg);
}

/* A participant from hello to the game scene's start page. */
static net_conn *to_game_scene(const char *pid)
{
    net_conn *c = connect_one();
    hello(c, pid);
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    say(c, "{\"type\":\"advance\",\"scene\":\"consent\",\"form\":{\"age\":\"33\"}}");
    expect_scene(c, "game");
    return c;
}

static void say_hello_with_token(net_conn *c, const char *pid, const char *tok);

static char token_of(net_conn *c, char *out)
{
    json_t *w = last(c, "welcome");
    assert_non_null(w);
    snprintf(out, 33, "%s", str(w, "token"));
    json_decref(w);
    return 0;
}

static long long db_count(const char *sql)
{
    store_flush(st);
    char path[128];
    snprintf(path, sizeof path, "%s/t/cohort.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    long long n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* ---- tests ------------------------------------------------------------------------ */

static void pages_forms_and_stale_clicks(void **state)
{
    net_conn *c = connect_one();
    hello(c, "alice");
    json_t *w = last(c, "welcome");
    assert_string_equal(str(w, "subject"), "alice");
    assert_false(json_is_true(json_object_get(w, "resumed")));
    json_decref(w);
    expect_scene(c, "welcome");
    /* A doubled click names a scene they already left: they are shown where they are. */
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    expect_scene(c, "consent");
    say(c, "{\"type\":\"advance\",\"scene\":\"consent\",\"form\":{\"age\":\"41\"}}");
    expect_scene(c, "game");
    assert_int_equal(db_count("SELECT count(*) FROM forms WHERE subject='alice' AND "
                              "form LIKE '%\"age\": \"41\"%' OR form LIKE '%\"age\":\"41\"%'"),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM scene_visits WHERE subject='alice'"), 3);
    /* A start for a page scene, or an advance on the game scene, moves nothing. */
    say(c, "{\"type\":\"advance\",\"scene\":\"game\"}");
    expect_scene(c, "game");
    assert_false(c->closed);
}

/* Repeating a stale message cannot turn small messages into large replies: the current
 * scene (its whole page) is sent again at most once a second. */
static void repeated_stale_messages_get_one_answer_a_second(void **state)
{
    net_conn *c = connect_one();
    hello(c, "rita");
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}"); /* now on consent */
    int before = count(c, "scene");
    for (int i = 0; i < 50; i++)
        say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    assert_int_equal(count(c, "scene"), before + 1);
    at(1500);
    say(c, "{\"type\":\"start\",\"scene\":\"consent\"}");
    assert_int_equal(count(c, "scene"), before + 2);
    expect_scene(c, "consent");
    assert_false(c->closed);
}

static void hello_first_and_bad_messages_cut_off_only_the_sender(void **state)
{
    net_conn *bob = to_game_scene("bob");
    net_conn *c = connect_one();
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    assert_true(c->closed);
    json_t *e = last(c, "error");
    assert_string_equal(str(e, "message"), "the first message must be hello");
    json_decref(e);

    net_conn *d = connect_one();
    say(d, "{not json");
    assert_true(d->closed);
    net_conn *b = connect_one();
    uint8_t junk[24] = {9};
    h.on_binary(b, junk, sizeof junk, test_now, fl);
    assert_true(b->closed);
    net_conn *s = connect_one();
    hello(s, "../etc/passwd");
    assert_true(s->closed);
    e = last(s, "error");
    assert_string_equal(str(e, "code"), "bad_subject");
    json_decref(e);
    assert_false(bob->closed);
    assert_true(db_count("SELECT count(*) FROM events WHERE kind='protocol_error'") >= 4);
}

static void waiting_matching_and_leaving(void **state)
{
    net_conn *a = to_game_scene("a");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    json_t *wt = last(a, "waiting");
    assert_int_equal(json_integer_value(json_object_get(wt, "count")), 1);
    assert_int_equal(json_integer_value(json_object_get(wt, "needed")), 2);
    json_decref(wt);
    /* a leaves: back to the game page; b then waits alone instead of being matched. */
    say(a, "{\"type\":\"leave\"}");
    expect_scene(a, "game");
    net_conn *b = to_game_scene("b");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_int_equal(count(b, "matched"), 0);
    /* c arrives and is matched with b, the one still waiting. */
    net_conn *c = to_game_scene("c");
    say(c, "{\"type\":\"start\",\"scene\":\"game\"}");
    json_t *mb = last(b, "matched"), *mc = last(c, "matched");
    assert_non_null(mb);
    assert_string_equal(str(mb, "game"), str(mc, "game"));
    assert_int_equal(count(b, "game_start"), 1);
    assert_int_equal(count(a, "matched"), 0);
    json_decref(mb);
    json_decref(mc);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE subject='a' AND outcome='left'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE subject='b' AND outcome='matched'"),
                     1);
}

/* Everyone waiting hears the count once per loop pass, however many joins and leaves the
 * pass saw: a page joining and leaving in a loop cannot make the server broadcast to every
 * waiting person for each message. */
static void waiting_counts_go_out_once_per_pass(void **state)
{
    net_conn *a = to_game_scene("a");
    const char *churn[] = {"{\"type\":\"start\",\"scene\":\"game\"}", "{\"type\":\"leave\"}"};
    for (int i = 0; i < 9; i++) /* nine messages in one pass: a joins five times, leaves four */
        h.on_text(a, churn[i % 2], strlen(churn[i % 2]), test_now, fl);
    assert_int_equal(count(a, "waiting"), 0); /* nothing until the pass ends */
    pass();
    assert_int_equal(count(a, "waiting"), 1);
    json_t *wt = last(a, "waiting");
    assert_int_equal(json_integer_value(json_object_get(wt, "count")), 1);
    json_decref(wt);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE subject='a' AND outcome='left'"), 4);
}

static void a_waiter_who_disconnects_is_removed(void **state)
{
    net_conn *a = to_game_scene("a");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    hang_up(a);
    net_conn *b = to_game_scene("b");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_int_equal(count(b, "matched"), 0);
    json_t *wt = last(b, "waiting");
    assert_int_equal(json_integer_value(json_object_get(wt, "count")), 1);
    json_decref(wt);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE subject='a' AND outcome='dropped'"),
                     1);
}

static void waitroom_timeout_ends_with_its_code(void **state)
{
    net_conn *a = to_game_scene("a");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    h.on_tick(at(59000), fl);
    assert_false(has(a, "error"));
    json_t *end = last(a, "scene");
    assert_string_equal(str(end, "kind"), "game");
    json_decref(end);
    h.on_tick(at(61000), fl);
    settle();
    end = last(a, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "outcome"), "waitroom_timeout");
    assert_string_equal(str(end, "code"), "WAIT1");
    assert_string_equal(str(end, "redirect"), "https://example.org/done?cc=WAIT1");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE subject='a' AND outcome='timeout'"
                              " AND wait_ms >= 0"),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='a' AND "
                              "outcome='waitroom_timeout' AND code='WAIT1'"),
                     1);
}

static void reconnect_resumes_the_seat_with_state(void **state)
{
    net_conn *a = to_game_scene("a"), *b = to_game_scene("b");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}");
    char tok[33];
    token_of(a, tok);
    hang_up(a);
    pass();
    assert_int_equal(count(b, "partner"), 1); /* reconnecting */
    net_conn *a2 = connect_one();
    char msg[160];
    snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"token\":\"%s\"}", tok);
    say(a2, msg);
    json_t *w = last(a2, "welcome");
    assert_true(json_is_true(json_object_get(w, "resumed")));
    assert_string_equal(str(w, "subject"), "a");
    json_decref(w);
    expect_scene(a2, "game");
    assert_int_equal(count(a2, "game_start"), 1);
}

static void second_tab_takes_over_and_the_first_is_told(void **state)
{
    net_conn *a = to_game_scene("a");
    char tok[33], msg[160];
    token_of(a, tok);
    net_conn *a2 = connect_one();
    snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"token\":\"%s\"}", tok);
    say(a2, msg);
    assert_int_equal(count(a, "replaced"), 1);
    assert_true(a->closed);
    assert_false(a2->closed);
    expect_scene(a2, "game");
    hang_up(a); /* the old socket's close must not disturb the new one */
    say(a2, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_true(has(a2, "waiting"));
}

static void a_live_id_cannot_be_taken_without_its_token(void **state)
{
    net_conn *a = to_game_scene("a");
    net_conn *intruder = connect_one();
    hello(intruder, "a");
    assert_true(intruder->closed);
    json_t *e = last(intruder, "error");
    assert_string_equal(str(e, "code"), "subject_in_use");
    json_decref(e);
    assert_false(a->closed);
    /* Once a is gone, the same id may come back from another browser. */
    hang_up(a);
    net_conn *back = connect_one();
    hello(back, "a");
    assert_false(back->closed);
    expect_scene(back, "game");
}

static void partner_drop_past_grace_pays_the_survivor(void **state)
{
    net_conn *a = to_game_scene("a"), *b = to_game_scene("b");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}");
    hang_up(b);
    h.on_tick(at(4000), fl);
    assert_false(has(a, "game_end"));
    h.on_tick(at(5100), fl);
    pass(); /* the room's news: the game ends, outcomes are recorded */
    settle();
    json_t *end = last(a, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "outcome"), "partner_dropped");
    assert_string_equal(str(end, "code"), "DROP1");
    json_decref(end);
    /* b comes back later: the game is gone; b's outcome is abandoned, shown again. */
    net_conn *b2 = connect_one();
    hello(b2, "b");
    settle();
    end = last(b2, "scene");
    assert_string_equal(str(end, "outcome"), "abandoned");
    assert_string_equal(str(end, "code"), "GONE1");
    json_decref(end);
}

static void finished_participants_see_their_code_again(void **state)
{
    net_conn *a = to_game_scene("a");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    h.on_tick(at(61000), fl);
    hang_up(a);
    net_conn *again = connect_one();
    hello(again, "a");
    settle();
    json_t *end = last(again, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "code"), "WAIT1");
    json_decref(end);
    say(again, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_false(has(again, "waiting")); /* never a new game */
    /* From another browser while this tab is still open: shown the end page and nothing
     * else. Its welcome's token is not a's and opens nothing; the open tab stays. */
    char tok[33], given[33], given2[33];
    token_of(again, tok);
    net_conn *other = connect_one();
    hello(other, "a");
    assert_false(other->closed);
    end = last(other, "scene");
    assert_string_equal(str(end, "code"), "WAIT1");
    json_decref(end);
    token_of(other, given);
    assert_string_not_equal(given, tok);
    assert_int_equal(count(again, "replaced"), 0);
    assert_false(again->closed);
    net_conn *with_given = connect_one();
    say_hello_with_token(with_given, "a", given);
    token_of(with_given, given2);
    assert_string_not_equal(given2, given); /* unknown: shown the end page again */
    assert_string_not_equal(given2, tok);
    assert_int_equal(count(again, "replaced"), 0);
    /* What a shown end page sends (visibility, stray clicks) is ignored, not an error; a
     * second hello is one. */
    say(other, "{\"type\":\"visibility\",\"visible\":false}");
    say(other, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_false(other->closed);
    hello(other, "a");
    assert_true(other->closed);
}

static void a_slow_connection_is_excluded_at_entry(void **state)
{
    net_conn *a = to_game_scene("a");
    for (int i = 0; i < 5; i++)
        h.on_rtt(a, 900, test_now, fl);
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    settle();
    json_t *end = last(a, "scene");
    assert_string_equal(str(end, "outcome"), "excluded");
    assert_string_equal(str(end, "code"), "EXCL1");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind='excluded_latency'"), 1);
}

static void a_browser_that_cannot_run_the_game_is_excluded_at_once(void **state)
{
    net_conn *c = connect_one();
    say(c, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"old\"},"
           "\"missing\":[\"WebAssembly\",\"Web Workers\"]}");
    settle();
    json_t *end = last(c, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "outcome"), "excluded");
    assert_string_equal(str(end, "code"), "EXCL1");
    json_decref(end);
    assert_false(c->closed);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind='excluded_browser' AND "
                              "detail LIKE '%WebAssembly, Web Workers%'"),
                     1);
    net_conn *d = connect_one();
    say(d, "{\"type\":\"hello\",\"missing\":[{\"x\":1}]}");
    assert_true(d->closed);
}

static void input_far_ahead_cuts_off_only_that_player(void **state)
{
    net_conn *a = to_game_scene("a"), *b = to_game_scene("b");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}");
    h.on_tick(at(1100), fl); /* the countdown ends: episode 0 */
    assert_true(has(a, "episode_start"));
    input_msg in = {.episode = 0, .frame = 100000, .action = 1};
    uint8_t buf[PROTO_INPUT_SIZE];
    proto_encode_input(buf, &in);
    h.on_binary(a, buf, sizeof buf, test_now, fl);
    assert_true(a->closed);
    json_t *e = last(a, "error");
    assert_string_equal(str(e, "code"), "bad_input");
    json_decref(e);
    assert_false(b->closed);
}

static int drained_calls;
static void count_drained(void *ctx) { drained_calls++; }

/* SIGTERM's drain: whoever waits is paid and released, a start is refused the same way,
 * a newcomer sees the closed page and is not recorded, a running game plays on, and the
 * drain is over once no game is left. */
static void a_drain_lets_games_finish_and_takes_nobody_new(void **state)
{
    drained_calls = 0;
    flow_on_drained(fl, 60000, count_drained, NULL);
    net_conn *a = to_game_scene("a"), *b = to_game_scene("b"), *w = to_game_scene("w");
    net_conn *p = to_game_scene("p");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}"); /* a and b play */
    say(w, "{\"type\":\"start\",\"scene\":\"game\"}"); /* w waits */
    flow_request_drain(fl);
    assert_false(flow_draining(fl)); /* a signal handler only set a flag... */
    h.on_tick(at(100), fl);          /* ...the next tick acts on it */
    pass();
    assert_true(flow_draining(fl));
    json_t *end = last(w, "scene");
    assert_string_equal(str(end, "outcome"), "waitroom_timeout");
    assert_string_equal(str(end, "code"), "WAIT1");
    json_decref(end);
    say(p, "{\"type\":\"start\",\"scene\":\"game\"}");
    end = last(p, "scene");
    assert_string_equal(str(end, "outcome"), "waitroom_timeout");
    json_decref(end);
    net_conn *n = connect_one();
    hello(n, "newcomer");
    end = last(n, "scene");
    assert_string_equal(str(end, "id"), "closed");
    assert_string_equal(str(end, "code"), "");
    json_decref(end);
    assert_true(n->closed);
    assert_int_equal(db_count("SELECT count(*) FROM participants WHERE subject='newcomer'"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE reason='study_closing'"), 2);
    assert_false(a->closed);
    h.on_tick(at(200), fl);
    assert_int_equal(drained_calls, 0); /* a and b still play */
    hang_up(a);
    hang_up(b);
    h.on_tick(at(200 + 6000), fl); /* past the grace: the game is over */
    pass();   /* the room's news handled: their outcomes queued, their end scenes held */
    settle(); /* the outcomes committed, the end scenes out: nothing is held */
    h.on_tick(at(200 + 6100), fl);
    assert_int_equal(drained_calls, 1);
    h.on_tick(at(200 + 6200), fl);
    assert_int_equal(drained_calls, 1); /* once */
}

static void restart_restores_everyone(void **state)
{
    net_conn *a = to_game_scene("a"), *b = to_game_scene("b"), *c = to_game_scene("c");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}");
    (void)c;
    stop_flow();
    start_flow();
    /* a was mid-game: paid, told why. c was on the game page: carries on from there. */
    net_conn *a2 = connect_one();
    hello(a2, "a");
    settle();
    json_t *end = last(a2, "scene");
    assert_string_equal(str(end, "outcome"), "partner_dropped");
    assert_non_null(strstr(str(end, "message"), "restarted"));
    json_decref(end);
    net_conn *c2 = connect_one();
    hello(c2, "c");
    expect_scene(c2, "game");
    say(c2, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_true(has(c2, "waiting"));
}

/* ---- what is written when, limits and expiry (docs/DESIGN.md section 5) ------------ */

static void restart_with(const char *yaml)
{
    stop_flow();
    char path[128];
    snprintf(path, sizeof path, "%s/experiment.yaml", dir);
    test_write_file(path, yaml);
    start_flow();
}

static int people_known(void)
{
    flow_stats fs;
    flow_get_stats(fl, test_now, &fs);
    return fs.people.total;
}

static long long db_countf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long db_countf(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return db_count(sql);
}

/* Rows about `subject` in every table that names one. */
static long long rows_about(const char *subject)
{
    static const char *const tables[] = {"participants", "sessions", "scene_visits", "forms",
                                         "waits", "outcomes", "events"};
    long long n = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        n += db_countf("SELECT count(*) FROM %s WHERE subject = '%s'", tables[i], subject);
    return n;
}

static void say_hello_with_token(net_conn *c, const char *pid, const char *tok)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "{\"type\":\"hello\",\"token\":\"%s\",\"params\":{\"PROLIFIC_PID\":\"%s\"}}", tok, pid);
    say(c, msg);
}

static void expect_refused(net_conn *c, const char *code)
{
    assert_true(c->closed);
    json_t *e = last(c, "error");
    assert_non_null(e);
    assert_string_equal(str(e, "code"), code);
    json_decref(e);
    assert_false(has(c, "welcome"));
}

static bool welcomed_resumed(net_conn *c)
{
    json_t *w = last(c, "welcome");
    assert_non_null(w);
    bool r = json_is_true(json_object_get(w, "resumed"));
    json_decref(w);
    return r;
}

static void nothing_is_written_before_the_first_act(void **state)
{
    net_conn *c = connect_one();
    say(c, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"quiet\",\"STUDY_ID\":\"S1\","
           "\"utm_campaign\":\"junk\"}}");
    char tok[33];
    token_of(c, tok);
    expect_scene(c, "welcome");
    /* A reload, a stale click and a page hidden: none of them is an act. */
    hang_up(c);
    at(1000);
    net_conn *c2 = connect_one();
    say_hello_with_token(c2, "quiet", tok);
    assert_true(welcomed_resumed(c2));
    say(c2, "{\"type\":\"advance\",\"scene\":\"consent\"}");
    say(c2, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(c2, "{\"type\":\"visibility\",\"visible\":false}");
    expect_scene(c2, "welcome");
    assert_int_equal(rows_about("quiet"), 0);
    /* The first act writes who they are (first hello's time, the token, only the
     * configured params), the connection they act from, the page they read, then the act. */
    at(2000);
    say(c2, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    expect_scene(c2, "consent");
    assert_int_equal(db_countf("SELECT count(*) FROM participants WHERE subject = 'quiet' AND "
                               "token = '%s' AND created = %lld AND params LIKE '%%\"STUDY_ID\"%%'"
                               " AND params NOT LIKE '%%utm_campaign%%'",
                               tok, (long long)test_t0.wall_ms),
                     1);
    assert_int_equal(db_countf("SELECT count(*) FROM sessions WHERE subject = 'quiet' AND "
                               "event = 'connect' AND t = %lld",
                               (long long)test_t0.wall_ms + 1000),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM sessions WHERE subject = 'quiet'"), 1);
    assert_int_equal(db_countf("SELECT count(*) FROM scene_visits WHERE subject = 'quiet' AND "
                               "((scene = 'welcome' AND t = %lld) OR (scene = 'consent' AND "
                               "t = %lld))",
                               (long long)test_t0.wall_ms, (long long)test_t0.wall_ms + 2000),
                     2);
    /* From now on everything is written as it happens. */
    hang_up(c2);
    assert_int_equal(db_count("SELECT count(*) FROM sessions WHERE subject = 'quiet' AND "
                              "event = 'disconnect'"),
                     1);
}

static void a_game_scene_first_is_recorded_at_start(void **state)
{
    restart_with("experiment: t\n"
                 "identity: {params: [PROLIFIC_PID]}\n"
                 "scenes:\n"
                 "  - id: game\n"
                 "    game: {env: cooking/cramped_room, seats: [human, human], max_steps: 30}\n");
    net_conn *c = connect_one();
    hello(c, "gamer");
    expect_scene(c, "game");
    assert_int_equal(rows_about("gamer"), 0);
    say(c, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_true(has(c, "waiting"));
    assert_int_equal(db_count("SELECT count(*) FROM participants WHERE subject = 'gamer'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM scene_visits WHERE subject = 'gamer' AND "
                              "scene = 'game'"),
                     1);
}

static void long_configured_params_are_refused_and_others_not_kept(void **state)
{
    char msg[8192], value[IDENTITY_VALUE_MAX + 2];
    memset(value, 's', sizeof value - 1);
    value[IDENTITY_VALUE_MAX + 1] = '\0'; /* one byte over */
    net_conn *c = connect_one();
    snprintf(msg, sizeof msg,
             "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"long\",\"STUDY_ID\":\"%s\"}}", value);
    say(c, msg);
    expect_refused(c, "bad_params");
    assert_int_equal(people_known(), 0);
    /* At the limit it is accepted; the refused hello left nothing behind. Parameters the
     * experiment does not name may be as long as the protocol allows, and are not kept. */
    value[IDENTITY_VALUE_MAX] = '\0';
    char junk[PROTO_MAX_VALUE + 1];
    memset(junk, 'j', PROTO_MAX_VALUE);
    junk[PROTO_MAX_VALUE] = '\0';
    net_conn *ok = connect_one();
    snprintf(msg, sizeof msg,
             "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"long\",\"STUDY_ID\":\"%s\","
             "\"junk\":\"%s\"}}",
             value, junk);
    say(ok, msg);
    assert_false(ok->closed);
    assert_false(welcomed_resumed(ok));
    say(ok, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    assert_int_equal(db_countf("SELECT count(*) FROM participants WHERE subject = 'long' AND "
                               "length(params) BETWEEN %d AND %d AND params NOT LIKE '%%junk%%'",
                               IDENTITY_VALUE_MAX, IDENTITY_VALUE_MAX + 100),
                     1);
}

static void excluded_before_acting_leaves_no_row_and_may_try_another_browser(void **state)
{
    net_conn *c = connect_one();
    say(c, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"old\"},\"missing\":[\"BigInt\"]}");
    json_t *end = last(c, "scene");
    assert_string_equal(str(end, "outcome"), "excluded");
    json_decref(end);
    char tok[33];
    token_of(c, tok);
    /* No row names them; the exclusion is counted without a name. */
    assert_int_equal(rows_about("old"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'excluded_browser' AND "
                              "subject IS NULL AND detail LIKE '%BigInt%'"),
                     1);
    /* The same browser comes back to the same end page. */
    hang_up(c);
    net_conn *again = connect_one();
    say_hello_with_token(again, "old", tok);
    end = last(again, "scene");
    assert_string_equal(str(end, "outcome"), "excluded");
    json_decref(end);
    hang_up(again);
    /* Another browser that also lacks the feature is turned away; one that has it starts
     * afresh, with a new token (the old browser's no longer works). */
    net_conn *weak = connect_one();
    say(weak, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"old\"},\"missing\":[\"BigInt\"]}");
    expect_refused(weak, "browser_unsupported");
    net_conn *good = connect_one();
    hello(good, "old");
    expect_scene(good, "welcome");
    char tok2[33];
    token_of(good, tok2);
    assert_string_not_equal(tok, tok2);
    net_conn *stale = connect_one();
    say_hello_with_token(stale, "old", tok);
    expect_refused(stale, "subject_in_use");
    say(good, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    assert_int_equal(db_count("SELECT count(*) FROM participants WHERE subject = 'old'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject = 'old'"), 0);
}

static void who_never_acted_is_forgotten_after_the_expiry(void **state)
{
    net_conn *idle = connect_one();
    hello(idle, "idle");
    char tok[33];
    token_of(idle, tok);
    hang_up(idle);
    net_conn *kept = to_game_scene("kept");
    hang_up(kept);
    net_conn *live = connect_one();
    hello(live, "live");
    /* A reconnect starts the clock again. */
    at(300 * 1000);
    net_conn *back = connect_one();
    say_hello_with_token(back, "idle", tok);
    assert_true(welcomed_resumed(back));
    hang_up(back);
    assert_int_equal(people_known(), 3);
    h.on_tick(at(899 * 1000), fl);
    assert_int_equal(people_known(), 3);
    h.on_tick(at(900 * 1000), fl);
    assert_int_equal(people_known(), 2);
    /* Forgotten in both maps: the token names nobody, the id is new again. */
    net_conn *later = connect_one();
    say_hello_with_token(later, "idle", tok);
    assert_false(welcomed_resumed(later));
    char tok2[33];
    token_of(later, tok2);
    assert_string_not_equal(tok, tok2);
    /* Connected, however long: kept. Recorded, however long away: kept. */
    h.on_tick(at(100000 * 1000LL), fl);
    assert_int_equal(people_known(), 3);
    assert_false(live->closed);
    hang_up(live);
    hang_up(later);
    h.on_tick(at(100599 * 1000LL), fl);
    assert_int_equal(people_known(), 3);
    h.on_tick(at(100600 * 1000LL), fl);
    assert_int_equal(people_known(), 1);
    net_conn *k2 = connect_one();
    hello(k2, "kept");
    expect_scene(k2, "game");
    assert_int_equal(rows_about("idle") + rows_about("live"), 0);
}

static const char LIMITED[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "limits: {participants: 3, unacted: 2, unacted_expiry_s: 60}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: consent\n"
    "    page: consent.html\n"
    "    form: true\n";

static void limits_make_room_by_forgetting_the_longest_away(void **state)
{
    restart_with(LIMITED);
    net_conn *u1 = connect_one(), *u2 = connect_one();
    hello(u1, "u1");
    hello(u2, "u2");
    /* Two not yet acted and both here: a third must wait. */
    net_conn *u3 = connect_one();
    hello(u3, "u3");
    expect_refused(u3, "busy");
    hang_up(u1);
    u3 = connect_one();
    hello(u3, "u3");
    assert_false(u3->closed);
    assert_int_equal(people_known(), 2); /* u1 made room */
    /* Acting moves them out of the unacted share; the cap counts everyone. */
    say(u2, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    say(u3, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    net_conn *u4 = connect_one();
    hello(u4, "u4");
    net_conn *u5 = connect_one();
    hello(u5, "u5");
    expect_refused(u5, "study_full");
    hang_up(u4);
    u5 = connect_one();
    hello(u5, "u5");
    assert_false(u5->closed);
    /* Someone recorded is never forgotten to make room, away or not. */
    hang_up(u2);
    net_conn *u6 = connect_one();
    hello(u6, "u6");
    expect_refused(u6, "study_full");
    net_conn *u2b = connect_one();
    hello(u2b, "u2");
    expect_scene(u2b, "consent");
}

static void strangers_events_are_budgeted_participants_are_not(void **state)
{
    net_conn *known = to_game_scene("known");
    for (int i = 0; i < 120; i++) {
        net_conn *c = connect_one();
        say(c, "{not json");
        assert_true(c->closed);
    }
    /* A burst of 100 rows without a subject, then nothing until time passes. */
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'protocol_error' AND "
                              "subject IS NULL"),
                     100);
    h.on_tick(at(1000), fl);
    for (int i = 0; i < 20; i++)
        say(connect_one(), "{not json");
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'protocol_error' AND "
                              "subject IS NULL"),
                     110);
    /* Someone who acted is always written, with their id. */
    say(known, "{not json");
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'protocol_error' AND "
                              "subject = 'known'"),
                     1);
}

/* ---- hellos without the token (src/flow/identity.h, rule 4) ----------------------- */

static void a_live_participant_is_neither_taken_nor_excluded(void **state)
{
    net_conn *v = to_game_scene("v");
    net_conn *intruder = connect_one();
    say(intruder, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"v\"},"
                  "\"missing\":[\"WebAssembly\"]}");
    expect_refused(intruder, "subject_in_use");
    net_conn *by_subject = connect_one();
    say(by_subject, "{\"type\":\"hello\",\"subject\":\"v\",\"missing\":[\"WebAssembly\"]}");
    expect_refused(by_subject, "subject_in_use");
    assert_false(v->closed);
    assert_int_equal(count(v, "replaced"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject = 'v'"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'excluded_browser'"), 0);
    say(v, "{\"type\":\"start\",\"scene\":\"game\"}");
    assert_true(has(v, "waiting"));
}

static void a_player_away_mid_game_is_neither_taken_nor_excluded(void **state)
{
    net_conn *a = to_game_scene("a"), *b = to_game_scene("b");
    say(a, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(b, "{\"type\":\"start\",\"scene\":\"game\"}");
    h.on_tick(at(1100), fl);
    assert_true(has(a, "episode_start"));
    char tok[33];
    token_of(a, tok);
    hang_up(a);
    pass();
    for (int i = 0; i < 2; i++) {
        net_conn *intruder = connect_one();
        say(intruder, i == 0 ? "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"a\"},"
                               "\"missing\":[\"WebAssembly\"]}"
                             : "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"a\"}}");
        expect_refused(intruder, "subject_in_use");
    }
    /* The real player comes back within the grace with the token: the seat is theirs. */
    h.on_tick(at(3000), fl);
    net_conn *a2 = connect_one();
    say_hello_with_token(a2, "a", tok);
    assert_true(welcomed_resumed(a2));
    assert_int_equal(count(a2, "game_start"), 1);
    assert_true(a2->nstate > 0);
    assert_false(b->closed);
    assert_false(has(b, "game_end"));
    assert_int_equal(db_count("SELECT count(*) FROM outcomes"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'excluded_browser'"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'resumed_without_token'"),
                     0);
}

static void before_a_game_another_browser_gets_a_new_token(void **state)
{
    net_conn *v = to_game_scene("v");
    char old[33], fresh[33];
    token_of(v, old);
    hang_up(v);
    /* A browser that cannot run the game may not take over: refused, nothing changes. */
    net_conn *weak = connect_one();
    say(weak, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"v\"},\"missing\":[\"Web Workers\"]}");
    expect_refused(weak, "browser_unsupported");
    assert_int_equal(db_countf("SELECT count(*) FROM participants WHERE token = '%s'", old), 1);
    /* An honest one does, with a token of its own; the old one stops working. */
    net_conn *other = connect_one();
    hello(other, "v");
    assert_true(welcomed_resumed(other));
    expect_scene(other, "game");
    token_of(other, fresh);
    assert_string_not_equal(old, fresh);
    assert_int_equal(db_countf("SELECT count(*) FROM participants WHERE subject = 'v' AND "
                               "token = '%s' AND params LIKE '%%\"PROLIFIC_PID\":\"v\"%%' AND "
                               "created = %lld",
                               fresh, (long long)test_t0.wall_ms),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE subject = 'v' AND "
                              "kind = 'resumed_without_token'"),
                     1);
    net_conn *stale = connect_one();
    say_hello_with_token(stale, "v", old);
    expect_refused(stale, "subject_in_use"); /* the old token is unknown, v is connected */
    assert_false(other->closed);
    /* Once they have waited for a game, only the token brings them back. */
    say(other, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(other, "{\"type\":\"leave\"}");
    hang_up(other);
    net_conn *late = connect_one();
    hello(late, "v");
    expect_refused(late, "subject_in_use");
    net_conn *mine = connect_one();
    say_hello_with_token(mine, "v", fresh);
    assert_true(welcomed_resumed(mine));
    expect_scene(mine, "game");
    /* After a restart the new token is the one on disk; the old one stays revoked. */
    stop_flow();
    start_flow();
    net_conn *old_again = connect_one();
    say_hello_with_token(old_again, "v", old);
    expect_refused(old_again, "subject_in_use"); /* unknown token, and v has waited */
    net_conn *mine_again = connect_one();
    say_hello_with_token(mine_again, "v", fresh);
    assert_true(welcomed_resumed(mine_again));
    expect_scene(mine_again, "game");
}

static void never_lets_only_the_token_back_in(void **state)
{
    restart_with("experiment: t\n"
                 "identity: {params: [PROLIFIC_PID], resume_without_token: never}\n"
                 "scenes:\n"
                 "  - id: welcome\n"
                 "    page: welcome.html\n"
                 "  - id: consent\n"
                 "    page: consent.html\n"
                 "    form: true\n");
    net_conn *v = connect_one();
    hello(v, "v");
    say(v, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    char tok[33];
    token_of(v, tok);
    hang_up(v);
    net_conn *other = connect_one();
    hello(other, "v");
    expect_refused(other, "subject_in_use");
    net_conn *mine = connect_one();
    say_hello_with_token(mine, "v", tok);
    assert_true(welcomed_resumed(mine));
    /* Finished: their end page only with the token too. */
    say(mine, "{\"type\":\"advance\",\"scene\":\"consent\",\"form\":{\"age\":\"20\"}}");
    json_t *end = last(mine, "scene");
    assert_string_equal(str(end, "kind"), "end");
    json_decref(end);
    hang_up(mine);
    net_conn *viewer = connect_one();
    hello(viewer, "v");
    expect_refused(viewer, "subject_in_use");
}

static void restart_brings_back_only_those_who_acted(void **state)
{
    net_conn *q = connect_one();
    hello(q, "quiet");
    net_conn *w = to_game_scene("w");
    say(w, "{\"type\":\"start\",\"scene\":\"game\"}");
    say(w, "{\"type\":\"leave\"}");
    net_conn *p = to_game_scene("p");
    (void)p;
    stop_flow();
    start_flow();
    assert_int_equal(people_known(), 2);
    net_conn *q2 = connect_one();
    hello(q2, "quiet");
    assert_false(welcomed_resumed(q2)); /* new: nothing of them was kept */
    net_conn *w2 = connect_one();
    hello(w2, "w");
    expect_refused(w2, "subject_in_use"); /* they waited for a game before the restart */
    net_conn *p2 = connect_one();
    hello(p2, "p");
    assert_true(welcomed_resumed(p2));
    expect_scene(p2, "game");
}

/* A completion code is shown only once its outcome is in cohort.db: a crash right after
 * can never lose a code a participant has seen. While the writer has not committed it,
 * the participant waits (a few milliseconds in practice). */
static void an_end_scene_waits_for_its_outcome(void **state)
{
    net_conn *c = to_game_scene("slow"); /* acted: what happens to them is recorded */
    for (int i = 0; i < 5; i++)
        h.on_rtt(c, 900, test_now, fl);
    store_test_pause(st, true); /* the writer takes nothing until told */
    int scenes = count(c, "scene");
    say(c, "{\"type\":\"start\",\"scene\":\"game\"}"); /* too slow: excluded */
    pass();
    assert_int_equal(count(c, "scene"), scenes); /* excluded, not yet recorded: no code yet */
    store_test_pause(st, false);
    settle();
    json_t *end = last(c, "scene");
    assert_non_null(end);
    assert_string_equal(str(end, "code"), "EXCL1");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='slow'"), 1);
}

/* Bounded polling: until the store says it is healthy again (it retries every second). */
static bool store_recovers(int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        if (!store_failing(st))
            return true;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* While the store cannot write, a newcomer is refused with the try-later sentence and
 * nothing of theirs is recorded; someone already in the study goes on, and a code is
 * shown without waiting for a disk that is full. Admission comes back by itself. */
static void newcomers_wait_while_the_store_fails(void **state)
{
    net_conn *a = to_game_scene("a");
    char token[33];
    token_of(a, token);
    hang_up(a);
    store_flush(st);
    store_fault_commits(0, -1); /* every commit fails, as on a full disk */
    store_participant(st, "probe", NULL, NULL, NULL, NULL, 1);
    store_flush(st);
    assert_true(store_failing(st));

    net_conn *n = connect_one();
    hello(n, "newcomer");
    json_t *e = last(n, "error");
    assert_non_null(e);
    assert_string_equal(str(e, "code"), "try_later");
    assert_string_equal(str(e, "message"), "The study cannot take new participants right "
                                           "now. Please try again in a few minutes.");
    json_decref(e);
    assert_true(n->closed);
    assert_false(has(n, "welcome"));

    net_conn *back = connect_one();
    char msg[160];
    snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"token\":\"%s\",\"params\":"
                              "{\"PROLIFIC_PID\":\"a\"}}", token);
    say(back, msg);
    assert_false(back->closed);
    expect_scene(back, "game");
    for (int i = 0; i < 5; i++)
        h.on_rtt(back, 900, test_now, fl);
    say(back, "{\"type\":\"start\",\"scene\":\"game\"}"); /* too slow: excluded */
    json_t *end = last(back, "scene");
    assert_non_null(end); /* shown at once: the outcome is held and retried */
    assert_string_equal(str(end, "code"), "EXCL1");
    json_decref(end);

    store_fault_commits(0, 0);
    assert_true(store_recovers(5000));
    net_conn *later = connect_one();
    hello(later, "newcomer");
    assert_true(has(later, "welcome"));
    assert_false(later->closed);
    say(later, "{\"type\":\"advance\",\"scene\":\"welcome\"}"); /* acts: now recorded */
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='a' AND code='EXCL1'"),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM participants WHERE subject='newcomer'"), 1);
}


/* ---- the design: conditions, routes, exit scenes ---------------------------------- */

/* The flow again, on another experiment file with a survey page beside it (the data
 * folder stays). */
static void use_experiment(const char *yaml)
{
    char path[128];
    snprintf(path, sizeof path, "%s/survey.html", dir);
    test_write_file(path, "<label>Why <input name=\"why\"></label>");
    restart_with(yaml);
}

static const char FOUR_CONDITIONS[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "limits: {unacted_expiry_s: 10}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: game\n"
    "    game: {env: cooking/cramped_room, seats: [human, ai:greedy], max_steps: 30,"
    " countdown_s: 0}\n"
    "    entry_max_rtt_ms: 400\n"
    "    no_input_timeout_s: 0\n"
    "    reconnect_grace_s: 1\n"
    "  - id: survey\n"
    "    page: survey.html\n"
    "    form: true\n"
    "conditions:\n"
    "  - {id: a}\n"
    "  - {id: b, scenes: {game: {game: {env: cooking/coordination_ring}}}}\n"
    "  - {id: c}\n"
    "  - {id: d}\n";

static char *db_text(const char *sql, char *out, size_t cap);

/* The condition a participant was given, from their row. */
static void condition_of(const char *pid, char *out, size_t len)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT condition FROM participants WHERE subject = '%s'", pid);
    db_text(sql, out, len);
}

/* Time moves in loop passes of 100 ms until `until` (ms after the test's start). */
static int64_t clock_ms;
static void run_until(int64_t until)
{
    while (clock_ms < until) {
        clock_ms += 100;
        h.on_tick(at(clock_ms), fl);
        pass();
    }
}

/* 200 participants arrive in ten bursts; of the first 180, one in five drops out at a
 * random point (never acts and is forgotten, is excluded at Start for a slow connection,
 * or leaves mid-game past the grace). Balanced assignment refills every freed place, so
 * the completed counts end within one of even. (The last burst has no drops: a place
 * freed after the last arrival has nobody left to fill it.) */
static void balanced_assignment_refills_places_freed_by_drops(void **state)
{
    use_experiment(FOUR_CONDITIONS);
    clock_ms = 0;
    srand(20261202);
    int completed[4] = {0}, dropped = 0;
    for (int burst = 0; burst < 10; burst++) {
        net_conn *cs[20];
        int fate[20]; /* 0 completes, 1 never acts, 2 slow at entry, 3 leaves mid-game */
        char pids[20][16];
        for (int i = 0; i < 20; i++) {
            snprintf(pids[i], sizeof pids[i], "p%d", burst * 20 + i);
            fate[i] = burst < 9 && rand() % 5 == 0 ? 1 + rand() % 3 : 0;
            cs[i] = connect_one();
            hello(cs[i], pids[i]);
        }
        for (int i = 0; i < 20; i++) {
            if (fate[i] == 1) {
                hang_up(cs[i]);
                continue;
            }
            say(cs[i], "{\"type\":\"advance\",\"scene\":\"welcome\"}");
            if (fate[i] == 2)
                for (int k = 0; k < 5; k++)
                    h.on_rtt(cs[i], 900, test_now, fl);
            say(cs[i], "{\"type\":\"start\",\"scene\":\"game\"}");
            if (fate[i] == 3)
                hang_up(cs[i]);
        }
        run_until(clock_ms + 200); /* the episodes begin */
        for (int i = 0; i < 20; i++)
            if (fate[i] == 0)
                for (uint32_t frame = 0; frame < 30; frame++) {
                    input_msg in = {.episode = 0, .frame = frame, .action = 4};
                    uint8_t buf[PROTO_INPUT_SIZE];
                    proto_encode_input(buf, &in);
                    h.on_binary(cs[i], buf, sizeof buf, test_now, fl);
                }
        run_until(clock_ms + 12000); /* games end, the grace and the expiry pass */
        for (int i = 0; i < 20; i++) {
            if (fate[i] != 0) {
                dropped++;
                continue;
            }
            expect_scene(cs[i], "survey");
            say(cs[i], "{\"type\":\"advance\",\"scene\":\"survey\",\"form\":{\"why\":\"x\"}}");
            json_t *end = last(cs[i], "scene");
            assert_string_equal(str(end, "outcome"), "completed");
            json_decref(end);
            char cond[16];
            condition_of(pids[i], cond, sizeof cond);
            completed[cond[0] - 'a']++;
        }
    }
    assert_true(dropped >= 20); /* the seed drops 1 in 5 of 180: the drops did happen */
    int lo = completed[0], hi = completed[0];
    for (int c = 1; c < 4; c++) {
        lo = completed[c] < lo ? completed[c] : lo;
        hi = completed[c] > hi ? completed[c] : hi;
    }
    assert_true(hi - lo <= 1);
    /* The variant of condition b is what b's games played. */
    assert_int_equal(db_count("SELECT count(*) FROM games g JOIN episodes e ON e.game = g.game"
                              " WHERE g.condition = 'b' AND g.env != 'cooking/coordination_ring'"),
                     0);
    assert_true(db_count("SELECT count(*) FROM games WHERE condition = 'b'") > 0);
}

static const char GROUPED[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: game\n"
    "    game: {env: cooking/cramped_room, seats: [human, human], max_steps: 30}\n"
    "conditions: [{id: a}, {id: b}, {id: c}]\n"
    "assignment: random\n";

/* People of different conditions never share a game, however they arrive. */
static void groups_never_mix_conditions(void **state)
{
    use_experiment(GROUPED);
    for (int i = 0; i < 60; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "g%d", i);
        net_conn *c = connect_one();
        hello(c, pid);
        say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
        say(c, "{\"type\":\"start\",\"scene\":\"game\"}");
    }
    assert_true(db_count("SELECT count(*) FROM games") >= 25);
    assert_int_equal(db_count("SELECT count(*) FROM games g, json_each(g.seats) s"
                              " JOIN participants p ON p.subject = s.value"
                              " WHERE p.condition IS NOT g.condition"), 0);
}

static const char EXITS[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - shuffle: [{id: one, page: welcome.html}, {id: two, page: welcome.html},"
    " [{id: three, page: welcome.html}, {id: four, page: welcome.html}]]\n"
    "  - repeat: 2\n"
    "    scenes: [{id: round, page: welcome.html}]\n"
    "  - id: game\n"
    "    game: {env: cooking/cramped_room, seats: [human, human], max_steps: 30}\n"
    "    waitroom: {timeout_s: 5}\n"
    "exit_scenes:\n"
    "  - {id: survey, page: survey.html, form: true}\n"
    "  - {id: debrief, page: welcome.html}\n"
    "on_outcome:\n"
    "  waitroom_timeout: [survey, debrief]\n"
    "end:\n"
    "  codes: {completed: DONE1, waitroom_timeout: WAIT1}\n";

/* The scene ids of a participant's route, as recorded, joined by commas. */
static void route_of(const char *pid, char *out, size_t len)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT group_concat(j.value, ',') FROM participants p,"
             " json_each(p.route) j WHERE p.subject = '%s'", pid);
    db_text(sql, out, len);
}

/* Walks a participant along their recorded route up to the game. */
static void walk_route(net_conn *c, const char *route)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", route);
    for (char *id = strtok(copy, ","); id && strcmp(id, "game") != 0; id = strtok(NULL, ",")) {
        expect_scene(c, id);
        char msg[96];
        snprintf(msg, sizeof msg, "{\"type\":\"advance\",\"scene\":\"%s\"}", id);
        say(c, msg);
    }
    expect_scene(c, "game");
}

/* Shuffled blocks come in an order of their own per participant (kept together where a
 * list says so), repetitions are numbered, and after a waitroom timeout the participant
 * goes through the exit scenes (the survey, then the debrief) before the end page with
 * the outcome's code; a restart in the middle brings them back where they were. */
static void routes_shuffle_repeat_and_exit_scenes(void **state)
{
    use_experiment(EXITS);
    clock_ms = 0;
    char first[256] = "", route[256];
    bool differs = false;
    net_conn *c = NULL;
    for (int i = 0; i < 12; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "r%d", i);
        c = connect_one();
        hello(c, pid);
        say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
        route_of(pid, route, sizeof route);
        const char *three = strstr(route, "three");
        assert_non_null(three);
        assert_int_equal(strncmp(three, "three,four", 10), 0); /* a list stays together */
        assert_non_null(strstr(route, ",round-1,round-2,game"));
        if (!first[0])
            snprintf(first, sizeof first, "%s", route);
        differs |= strcmp(first, route) != 0;
        if (i < 11)
            hang_up(c);
    }
    assert_true(differs); /* 12 draws of 6 orders: all alike has odds 6^-11 */
    /* The last one goes on to the game, waits alone and times out. */
    walk_route(c, route + strlen("welcome,"));
    say(c, "{\"type\":\"start\",\"scene\":\"game\"}");
    run_until(6000);
    expect_scene(c, "survey");
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='r11' AND"
                              " outcome='waitroom_timeout' AND code='WAIT1'"), 1);
    /* A restart on the survey: back on the survey, not at the end or the start. */
    char tok[33];
    token_of(c, tok);
    hang_up(c);
    stop_flow();
    start_flow();
    net_conn *back = connect_one();
    say_hello_with_token(back, "r11", tok);
    expect_scene(back, "survey");
    say(back, "{\"type\":\"advance\",\"scene\":\"survey\",\"form\":{\"why\":\"alone\"}}");
    expect_scene(back, "debrief");
    say(back, "{\"type\":\"advance\",\"scene\":\"debrief\"}");
    json_t *end = last(back, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "outcome"), "waitroom_timeout");
    assert_string_equal(str(end, "code"), "WAIT1");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM forms WHERE subject='r11' AND scene='survey'"),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='r11'"), 1);
    /* After the end page, a restart shows the end page again. */
    stop_flow();
    start_flow();
    net_conn *again = connect_one();
    say_hello_with_token(again, "r11", tok);
    end = last(again, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "code"), "WAIT1");
    json_decref(end);
}

static const char BY_PARAM[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID], study_params: [COND]}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "conditions: [{id: human}, {id: ai, scenes: {welcome: {page: survey.html, form: true}}}]\n"
    "assignment: {param: COND}\n";

/* `param`: the link names the condition; a link without it (or with an unknown one) is
 * refused with a message, and the condition's own page is shown. */
static void param_assignment_takes_the_link_and_refuses_a_broken_one(void **state)
{
    use_experiment(BY_PARAM);
    net_conn *a = connect_one();
    say(a, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"x1\",\"COND\":\"ai\"}}");
    json_t *m = last(a, "scene");
    assert_true(json_is_true(json_object_get(m, "form"))); /* the ai variant's page */
    json_decref(m);
    net_conn *b = connect_one();
    say(b, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"x2\",\"COND\":\"robot\"}}");
    json_t *e = last(b, "error");
    assert_non_null(e);
    assert_string_equal(str(e, "code"), "bad_condition");
    json_decref(e);
    assert_true(b->closed);
}

/* ---- comprehension quizzes (docs/EXPERIMENTS.md) --------------------------------- */

static const char QUIZZED[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: quiz\n"
    "    page: quiz.html\n"
    "    form: true\n"
    "    quiz:\n"
    "      answers: {q1: b, q2: \"4\"}\n"
    "      max_attempts: 2\n"
    "  - id: after\n"
    "    page: welcome.html\n"
    "end:\n"
    "  codes: {completed: DONE1, quiz_failed: QUIZ1}\n";

static void quiz_world(const char *yaml)
{
    char path[128];
    snprintf(path, sizeof path, "%s/quiz.html", dir);
    test_write_file(path, "<label><input type=radio name=q1 value=a> A</label>"
                          "<label><input type=radio name=q1 value=b> B</label>"
                          "<label>Onions <input type=number name=q2></label>"
                          "<textarea name=notes></textarea>");
    restart_with(yaml);
}

static net_conn *to_quiz(const char *pid)
{
    net_conn *c = connect_one();
    hello(c, pid);
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    expect_scene(c, "quiz");
    return c;
}

static void attempt(net_conn *c, int n, const char *q1, const char *q2)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "{\"type\":\"advance\",\"scene\":\"quiz\",\"attempt\":%d,"
             "\"form\":{\"q1\":\"%s\",\"q2\":\"%s\",\"notes\":\"hm\"}}", n, q1, q2);
    say(c, msg);
}

static void a_wrong_attempt_stays_on_the_page_and_a_right_one_moves_on(void **state)
{
    quiz_world(QUIZZED);
    net_conn *c = to_quiz("quinn");
    int scenes = count(c, "scene");
    attempt(c, 1, "a", "4");
    json_t *r = last(c, "quiz_result");
    assert_non_null(r);
    assert_string_equal(str(r, "scene"), "quiz");
    assert_false(json_is_true(json_object_get(r, "passed")));
    assert_int_equal(json_integer_value(json_object_get(r, "attempt")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "attempts_left")), 1);
    assert_string_equal(str(r, "feedback"), texts_get(TEXT_QUIZ_FEEDBACK));
    json_t *wrong = json_object_get(r, "wrong");
    assert_int_equal(json_array_size(wrong), 1);
    assert_string_equal(json_string_value(json_array_get(wrong, 0)), "q1");
    /* What the page learns: never the answers. */
    assert_int_equal(json_object_size(r), 8);
    assert_null(json_object_get(r, "answers"));
    json_decref(r);
    assert_int_equal(count(c, "scene"), scenes); /* stays: the page keeps what they typed */
    /* A doubled click repeats attempt 1: not graded again, however often. */
    attempt(c, 1, "a", "4");
    attempt(c, 1, "b", "4");
    assert_int_equal(count(c, "quiz_result"), 2); /* the state again, once (rate limited) */
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts WHERE subject='quinn'"), 1);
    /* Right: spaces and "4.0" count as 4. */
    attempt(c, 2, "b", " 4.0");
    expect_scene(c, "after");
    r = last(c, "quiz_result");
    assert_true(json_is_true(json_object_get(r, "passed")));
    json_decref(r);
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts WHERE subject='quinn' AND "
                              "scene='quiz' AND attempt=1 AND passed=0 AND wrong='[\"q1\"]' AND "
                              "form LIKE '%\"q1\":\"a\"%'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts WHERE subject='quinn' AND "
                              "attempt=2 AND passed=1 AND wrong='[]'"), 1);
    /* The passing answers are the scene's form, as on any form page. */
    assert_int_equal(db_count("SELECT count(*) FROM forms WHERE subject='quinn' AND scene='quiz' "
                              "AND form LIKE '%\"notes\":\"hm\"%'"), 1);
    /* Stale after the pass: shown where they are, nothing graded. */
    attempt(c, 3, "a", "1");
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts"), 2);
}

static void too_many_wrong_attempts_end_with_quiz_failed_and_its_code(void **state)
{
    quiz_world(QUIZZED);
    net_conn *c = to_quiz("fay");
    attempt(c, 1, "a", "4");
    attempt(c, 2, "b", "5");
    json_t *r = last(c, "quiz_result");
    assert_int_equal(json_integer_value(json_object_get(r, "attempts_left")), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "wrong"), 0)), "q2");
    json_decref(r);
    json_t *end = last(c, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "outcome"), "quiz_failed");
    assert_string_equal(str(end, "code"), "QUIZ1");
    assert_string_equal(str(end, "message"), texts_get(TEXT_END_QUIZ_FAILED));
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='fay' AND "
                              "outcome='quiz_failed' AND code='QUIZ1'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts WHERE subject='fay' AND "
                              "passed=0"), 2);
    assert_int_equal(db_count("SELECT count(*) FROM forms WHERE subject='fay'"), 0);
    /* Without `attempt` (an older page) every advance counts; here, none is left. */
    say(c, "{\"type\":\"advance\",\"scene\":\"quiz\",\"form\":{\"q1\":\"b\",\"q2\":\"4\"}}");
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts WHERE subject='fay'"), 2);
}

static void retry_goes_back_and_counts_afresh(void **state)
{
    quiz_world("experiment: t\n"
               "identity: {params: [PROLIFIC_PID]}\n"
               "scenes:\n"
               "  - id: welcome\n"
               "    page: welcome.html\n"
               "  - id: quiz\n"
               "    page: quiz.html\n"
               "    form: true\n"
               "    quiz:\n"
               "      answers: {q1: b}\n"
               "      feedback: Read it again.\n"
               "      show_wrong: false\n"
               "      max_attempts: 1\n"
               "      on_fail: retry\n"
               "      retry_from: welcome\n");
    net_conn *c = to_quiz("ron");
    attempt(c, 1, "a", "");
    json_t *r = last(c, "quiz_result");
    assert_string_equal(str(r, "retry_from"), "welcome");
    assert_string_equal(str(r, "feedback"), "Read it again.");
    assert_int_equal(json_array_size(json_object_get(r, "wrong")), 0); /* show_wrong: false */
    json_decref(r);
    expect_scene(c, "welcome");
    /* The old attempt repeated from the quiz page: stale, nothing graded. */
    attempt(c, 1, "b", "");
    expect_scene(c, "welcome");
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    expect_scene(c, "quiz");
    attempt(c, 1, "b", ""); /* attempt 1 of the new visit */
    json_t *end = last(c, "scene");
    assert_string_equal(str(end, "outcome"), "completed");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts WHERE subject='ron'"), 2);
    assert_int_equal(db_count("SELECT count(*) FROM quiz_attempts WHERE subject='ron' AND "
                              "attempt=1 AND passed=1"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM scene_visits WHERE subject='ron' AND "
                              "scene='welcome'"), 2);
}

static void attempts_survive_a_reconnect_and_a_restart(void **state)
{
    quiz_world(QUIZZED);
    net_conn *c = to_quiz("rex");
    char tok[33];
    token_of(c, tok);
    at(800); /* an attempt comes a round trip after its page at the least */
    attempt(c, 1, "a", "4");
    hang_up(c);
    /* Back on the page: its feedback again, and which attempt comes next. */
    net_conn *c2 = connect_one();
    at(2000);
    say_hello_with_token(c2, "rex", tok);
    expect_scene(c2, "quiz");
    json_t *r = last(c2, "quiz_result");
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "attempt")), 1);
    json_decref(r);
    /* A restart gives nobody fresh attempts. */
    stop_flow();
    start_flow();
    net_conn *c3 = connect_one();
    at(4000);
    say_hello_with_token(c3, "rex", tok);
    r = last(c3, "quiz_result");
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "attempts_left")), 1);
    json_decref(r);
    attempt(c3, 2, "a", "4");
    json_t *end = last(c3, "scene");
    assert_string_equal(str(end, "outcome"), "quiz_failed");
    json_decref(end);
}

/* ---- bonuses (docs/EXPERIMENTS.md "Bonus") ------------------------------------------ */

static const char BONUS_EXPERIMENT[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "bonus: {per_point: 0.02, per_minute_waited: 0.60, show: true, currency: GBP}\n"
    "texts: {end_bonus: \"Bonus earned: {bonus}\"}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: solo\n"
    "    game: {env: cooking/cramped_room, seats: [ai:greedy, human], max_steps: 400,"
    " countdown_s: 0}\n"
    "  - id: duo\n"
    "    game: {env: cooking/cramped_room, seats: [human, human], max_steps: 30}\n"
    "    waitroom: {timeout_s: 20}\n"
    "end:\n"
    "  codes: {completed: DONE1, waitroom_timeout: WAIT1}\n";

/* One text cell of the first row of sql ("" for NULL), into out. */
static char *db_text(const char *sql, char *out, size_t cap)
{
    store_flush(st);
    char path[128];
    snprintf(path, sizeof path, "%s/t/cohort.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(q, 0);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
}

/* Time passes in 50 ms ticks, each its own pass, as the loop would run them. A player
 * (if any) keeps pressing nothing: an INPUT of "stay" for every frame as its time comes,
 * episode 0 having begun at from_ms. */
static void run_ticks(net_conn *player, int64_t from_ms, int64_t to_ms)
{
    uint32_t next = 0;
    for (int64_t t = from_ms; t <= to_ms; t += 50) {
        h.on_tick(at(t), fl);
        for (; player && next <= (uint32_t)((t - from_ms) * 30 / 1000) + 2; next++) {
            input_msg in = {.episode = 0, .frame = next, .action = 4};
            uint8_t buf[PROTO_INPUT_SIZE];
            proto_encode_input(buf, &in);
            h.on_binary(player, buf, sizeof buf, test_now, fl);
        }
        pass();
    }
}

/* A game against the greedy AI earns points; a restart on the next page loses none of
 * them; a wait in the next scene that times out adds its minutes. The outcome's row, the
 * end page and the end page after another restart all say the same amount, which is the
 * rule applied to the episodes' recorded scores and the recorded wait. */
static void the_bonus_counts_score_and_waiting_and_survives_restarts(void **state)
{
    restart_with(BONUS_EXPERIMENT);
    net_conn *a = connect_one();
    hello(a, "a");
    char tok[33];
    token_of(a, tok);
    say(a, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    say(a, "{\"type\":\"start\",\"scene\":\"solo\"}");
    run_ticks(a, 0, 15000); /* 400 frames at 30 fps: a stays put, the AI cooks */
    expect_scene(a, "duo");
    long long points = db_count("SELECT sum(score) FROM episodes");
    assert_true(points > 0); /* the AI served: the score part is not zero */

    stop_flow(); /* a is on the duo page: the tallies must come back from cohort.db */
    start_flow();
    net_conn *a2 = connect_one();
    say_hello_with_token(a2, "a", tok);
    expect_scene(a2, "duo");
    h.on_tick(at(16000), fl);
    say(a2, "{\"type\":\"start\",\"scene\":\"duo\"}");
    run_ticks(NULL, 36000, 36000); /* 20 s later: the waiting room times out */
    json_t *end = last(a2, "scene");
    assert_string_equal(str(end, "outcome"), "waitroom_timeout");
    /* points x 0.02 + 20 s at 0.60 a minute (0.20), rounded down to a cent. */
    long long cents = points * 2 + 20;
    char expected[64], amount[32], got[64];
    snprintf(amount, sizeof amount, "%lld.%02lld", cents / 100, cents % 100);
    snprintf(expected, sizeof expected, "Bonus earned: %s GBP", amount);
    assert_string_equal(str(end, "bonus"), expected);
    assert_string_equal(str(end, "bonus_amount"), amount);
    json_decref(end);
    assert_string_equal(db_text("SELECT bonus FROM outcomes WHERE subject='a'", got, sizeof got),
                        amount);
    assert_int_equal(db_count("SELECT bonus_points FROM outcomes WHERE subject='a'"), points);
    assert_int_equal(db_count("SELECT bonus_wait_ms FROM outcomes WHERE subject='a'"),
                     db_count("SELECT sum(wait_ms) FROM waits WHERE subject='a'"));
    assert_int_equal(db_count("SELECT bonus_wait_ms FROM outcomes WHERE subject='a'"), 20000);

    stop_flow(); /* finished: the same end page after a restart */
    start_flow();
    net_conn *a3 = connect_one();
    say_hello_with_token(a3, "a", tok);
    end = last(a3, "scene");
    assert_string_equal(str(end, "bonus"), expected);
    json_decref(end);
}

/* Without show the end page says nothing of money, but the bonus is still recorded; an
 * experiment without a rule records none (NULL, not 0.00). */
static void a_hidden_bonus_is_recorded_and_no_rule_records_none(void **state)
{
    net_conn *n = to_game_scene("norule");
    say(n, "{\"type\":\"start\",\"scene\":\"game\"}");
    h.on_tick(at(61000), fl);
    json_t *end = last(n, "scene");
    assert_string_equal(str(end, "bonus"), "");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='norule' AND"
                              " bonus IS NULL AND bonus_points IS NULL"), 1);

    char yaml[sizeof EXPERIMENT + 128];
    snprintf(yaml, sizeof yaml, "%s", EXPERIMENT);
    char *scenes = strstr(yaml, "scenes:");
    memmove(scenes + 40, scenes, strlen(scenes) + 1);
    memcpy(scenes, "bonus: {per_minute_waited: 1.00}       \n", 40);
    restart_with(yaml);
    net_conn *h2 = to_game_scene("hidden");
    say(h2, "{\"type\":\"start\",\"scene\":\"game\"}");
    h.on_tick(at(121400), fl); /* 60.4 s waited: 60 s to the nearest, one minute at 1.00 */
    end = last(h2, "scene");
    assert_string_equal(str(end, "outcome"), "waitroom_timeout");
    assert_string_equal(str(end, "bonus"), "");
    assert_string_equal(str(end, "bonus_amount"), "");
    json_decref(end);
    char got[32];
    assert_string_equal(db_text("SELECT bonus FROM outcomes WHERE subject='hidden'", got,
                                sizeof got), "1.00");
}

/* ---- same partners across games (partners:, docs/DESIGN.md section 5) ------------- */

static const char PARTNERS[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: game1\n"
    "    game: {env: cooking/cramped_room, seats: [human, human], max_steps: 30,"
    " countdown_s: 1}\n"
    "    waitroom: {timeout_s: 60}\n"
    "  - id: between\n"
    "    page: welcome.html\n"
    "  - id: game2\n"
    "    game: {env: cooking/cramped_room, seats: [human, human], max_steps: 30,"
    " countdown_s: 1}\n"
    "    waitroom: {timeout_s: 60}\n"
    "    partners: {same_as: game1, wait_s: 20, if_gone: IF_GONE}\n"
    "end:\n"
    "  codes: {completed: DONE1, partner_dropped: DROP1, waitroom_timeout: WAIT1,"
    " excluded: EXCL1, abandoned: GONE1}\n";

static int64_t party_clock; /* ms after the test's start; only moves forward */

static void with_partners(const char *if_gone)
{
    char yaml[sizeof PARTNERS + 16];
    const char *mark = strstr(PARTNERS, "IF_GONE");
    snprintf(yaml, sizeof yaml, "%.*s%s%s", (int)(mark - PARTNERS), PARTNERS, if_gone,
             mark + strlen("IF_GONE"));
    restart_with(yaml);
    party_clock = 0;
}

static void tick_after(int64_t ms)
{
    party_clock += ms;
    h.on_tick(at(party_clock), fl);
    pass();
}

static net_conn *arrive(const char *pid)
{
    net_conn *c = connect_one();
    hello(c, pid);
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    expect_scene(c, "game1");
    return c;
}

static void start(net_conn *c, const char *scene)
{
    char msg[80];
    snprintf(msg, sizeof msg, "{\"type\":\"start\",\"scene\":\"%s\"}", scene);
    say(c, msg);
}

/* The game just matched for c: its id and c's seat. */
static int matched_seat(net_conn *c, char *game)
{
    json_t *m = last(c, "matched");
    assert_non_null(m);
    snprintf(game, 32, "%s", str(m, "game"));
    int seat = (int)json_integer_value(json_object_get(m, "seat"));
    json_decref(m);
    return seat;
}

/* Both seats send every frame's input: the episode ends, a second later the game, and
 * they are on the next scene. */
static void play_through(net_conn *a, net_conn *b)
{
    tick_after(1100); /* the countdown: episode 0 begins */
    assert_true(has(a, "episode_start"));
    uint8_t buf[PROTO_INPUT_SIZE];
    for (uint32_t frame = 0; frame < 30; frame++) {
        input_msg in = {.episode = 0, .frame = frame, .action = 0};
        proto_encode_input(buf, &in);
        h.on_binary(a, buf, sizeof buf, test_now, fl);
        h.on_binary(b, buf, sizeof buf, test_now, fl);
    }
    pass();
    tick_after(1100);
    json_t *end = last(a, "game_end");
    assert_non_null(end);
    assert_string_equal(str(end, "reason"), "completed");
    json_decref(end);
}

static int waiting_count(net_conn *c, int *needed)
{
    json_t *w = last(c, "waiting");
    assert_non_null(w);
    int n = (int)json_integer_value(json_object_get(w, "count"));
    *needed = (int)json_integer_value(json_object_get(w, "needed"));
    json_decref(w);
    return n;
}

/* a and b play game1 together and are on the page between the games. */
static void pair_through_game1(net_conn *a, net_conn *b, char *game1)
{
    start(a, "game1");
    start(b, "game1");
    matched_seat(a, game1);
    play_through(a, b);
    expect_scene(a, "between");
    expect_scene(b, "between");
    say(a, "{\"type\":\"advance\",\"scene\":\"between\"}");
    say(b, "{\"type\":\"advance\",\"scene\":\"between\"}");
    expect_scene(a, "game2");
}

/* A participant leaves the study on the page between the games: their browser turns out
 * unable to run the game when they come back (excluded, finished). */
static void exclude_between(net_conn *c, const char *pid)
{
    char tok[33], msg[256];
    token_of(c, tok);
    hang_up(c);
    net_conn *again = connect_one();
    snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"token\":\"%s\",\"params\":{\"PROLIFIC_PID\":"
                              "\"%s\"},\"missing\":[\"WebAssembly\"]}", tok, pid);
    say(again, msg);
    settle();
    json_t *end = last(again, "scene");
    assert_string_equal(str(end, "outcome"), "excluded");
    json_decref(end);
}

static void the_same_pairs_play_the_second_game(void **state)
{
    with_partners("regroup");
    net_conn *a = arrive("a"), *b = arrive("b"), *c = arrive("c"), *d = arrive("d");
    char g1ab[32], g1cd[32], g2[32], g2b[32];
    start(a, "game1");
    start(b, "game1");
    int seat_a = matched_seat(a, g1ab);
    start(c, "game1");
    start(d, "game1");
    matched_seat(c, g1cd);
    play_through(a, b);
    play_through(c, d);
    net_conn *all[] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        say(all[i], "{\"type\":\"advance\",\"scene\":\"between\"}");
    /* They come back in another order: a waits for b only, not for c who is here too. */
    start(a, "game2");
    int needed;
    assert_int_equal(waiting_count(a, &needed), 1);
    assert_int_equal(needed, 2);
    start(c, "game2");
    assert_int_equal(count(a, "matched"), 1); /* game1's only */
    assert_int_equal(waiting_count(c, &needed), 1);
    start(d, "game2");
    matched_seat(c, g2);
    matched_seat(d, g2b);
    assert_string_equal(g2, g2b);
    assert_int_equal(count(a, "matched"), 1);
    start(b, "game2");
    assert_int_equal(matched_seat(a, g2), seat_a); /* each keeps their seat */
    matched_seat(b, g2b);
    assert_string_equal(g2, g2b);
    /* The data says whose group each game is: game1's id on game2's matches rows. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM matches WHERE scene='game2' AND party='%s'"
                              " AND subjects IN ('[\"a\",\"b\"]', '[\"b\",\"a\"]')", g1ab);
    assert_int_equal(db_count(sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM matches WHERE scene='game2' AND party='%s'",
             g1cd);
    assert_int_equal(db_count(sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM participants WHERE party='%s'", g1ab);
    assert_int_equal(db_count(sql), 2);
    assert_int_equal(db_count("SELECT count(*) FROM matches WHERE scene='game1' AND party IS NULL"),
                     2);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE scene='game2' AND "
                              "outcome='matched' AND subject='a' AND wait_ms >= 0"), 1);
}

/* b leaves the study between the games: a does not wait for someone who is gone but is
 * matched afresh, with others whose partners are gone too. */
static void a_gone_partner_sends_the_other_to_ordinary_matching(void **state)
{
    with_partners("regroup");
    net_conn *a = arrive("a"), *b = arrive("b"), *c = arrive("c"), *d = arrive("d");
    char g1[32], g1cd[32], g2[32], g2c[32];
    pair_through_game1(a, b, g1);
    pair_through_game1(c, d, g1cd);
    exclude_between(b, "b");
    exclude_between(d, "d");
    start(a, "game2");
    int needed;
    assert_int_equal(waiting_count(a, &needed), 1);
    assert_int_equal(needed, 2);
    json_t *w = last(a, "waiting");
    assert_true(json_integer_value(json_object_get(w, "remaining_ms")) > 20000); /* lobby's 60 s */
    json_decref(w);
    start(c, "game2");
    matched_seat(a, g2);
    matched_seat(c, g2c);
    assert_string_equal(g2, g2c);
    assert_int_equal(db_count("SELECT count(*) FROM matches WHERE scene='game2' AND party IS NULL"
                              " AND subjects LIKE '%\"a\"%' AND subjects LIKE '%\"c\"%'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind='party_broken' AND "
                              "detail LIKE '%\"why\":\"gone\"%' AND detail LIKE "
                              "'%\"then\":\"regroup\"%'"), 2);
}

/* b is still in the study but does not come within wait_s: a is matched afresh (the
 * scene's own waiting-room timeout from then on), and b, coming later, too. */
static void a_late_partner_is_left_behind_with_regroup(void **state)
{
    with_partners("regroup");
    net_conn *a = arrive("a"), *b = arrive("b");
    char g1[32];
    pair_through_game1(a, b, g1);
    start(a, "game2");
    tick_after(19000);
    assert_int_equal(count(a, "matched"), 1);
    json_t *w = last(a, "waiting");
    assert_true(json_integer_value(json_object_get(w, "remaining_ms")) <= 20000);
    json_decref(w);
    tick_after(1100); /* 20 s after a arrived */
    pass();
    w = last(a, "waiting");
    assert_true(json_integer_value(json_object_get(w, "remaining_ms")) > 50000); /* lobby */
    json_decref(w);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE subject='a' AND scene='game2' AND"
                              " outcome='partner_gone' AND wait_ms >= 20000"), 1);
    start(b, "game2"); /* too late for the group: ordinary matching, with a as it happens */
    char g2[32];
    matched_seat(b, g2);
    assert_int_equal(db_count("SELECT count(*) FROM matches WHERE scene='game2' AND party IS NULL"),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind='party_broken' AND "
                              "detail LIKE '%\"why\":\"late\"%'"), 1);
}

static void a_late_partner_ends_both_with_end(void **state)
{
    with_partners("end");
    net_conn *a = arrive("a"), *b = arrive("b");
    char g1[32];
    pair_through_game1(a, b, g1);
    start(a, "game2");
    tick_after(20100);
    settle();
    json_t *end = last(a, "scene");
    assert_string_equal(str(end, "outcome"), "partner_dropped");
    assert_string_equal(str(end, "code"), "DROP1");
    json_decref(end);
    start(b, "game2");
    settle();
    end = last(b, "scene");
    assert_string_equal(str(end, "outcome"), "partner_dropped");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE outcome='partner_dropped' AND "
                              "reason='partner_gone'"), 2);
    assert_int_equal(db_count("SELECT count(*) FROM matches WHERE scene='game2'"), 0);
}

/* a waits; b leaves the study meanwhile: a is not kept waiting for the rest of wait_s. */
static void a_partner_gone_while_waiting_ends_the_wait_at_once(void **state)
{
    with_partners("end");
    net_conn *a = arrive("a"), *b = arrive("b");
    char g1[32];
    pair_through_game1(a, b, g1);
    start(a, "game2");
    exclude_between(b, "b");
    json_t *end = last(a, "scene");
    assert_string_equal(str(end, "kind"), "end");
    assert_string_equal(str(end, "outcome"), "partner_dropped");
    json_decref(end);
    assert_int_equal(db_count("SELECT count(*) FROM waits WHERE subject='a' AND "
                              "outcome='partner_gone'"), 1);
}

/* Leaving the waiting room (or a dropped connection) keeps the group: back in time, the
 * pair still plays together. */
static void leaving_and_coming_back_keeps_the_group(void **state)
{
    with_partners("end");
    net_conn *a = arrive("a"), *b = arrive("b");
    char g1[32], g2[32];
    pair_through_game1(a, b, g1);
    start(a, "game2");
    say(a, "{\"type\":\"leave\"}");
    expect_scene(a, "game2");
    start(b, "game2");
    int needed;
    assert_int_equal(waiting_count(b, &needed), 1); /* a left: only b is there */
    tick_after(5000);
    start(a, "game2");
    matched_seat(a, g2);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM matches WHERE scene='game2' AND party='%s'",
             g1);
    assert_int_equal(db_count(sql), 1);
}

/* The server restarts between the games: the groups come back from participants.party. */
static void groups_survive_a_restart(void **state)
{
    with_partners("end");
    net_conn *a = arrive("a"), *b = arrive("b"), *c = arrive("c"), *d = arrive("d");
    char g1ab[32], g1cd[32], g2[32], g2b[32];
    pair_through_game1(a, b, g1ab);
    pair_through_game1(c, d, g1cd);
    exclude_between(d, "d");
    char ta[33], tb[33], tc[33];
    token_of(a, ta);
    token_of(b, tb);
    token_of(c, tc);
    stop_flow();
    start_flow();
    net_conn *a2 = connect_one(), *b2 = connect_one(), *c2 = connect_one();
    say_hello_with_token(a2, "a", ta);
    say_hello_with_token(b2, "b", tb);
    say_hello_with_token(c2, "c", tc);
    expect_scene(a2, "game2");
    start(b2, "game2");
    start(c2, "game2"); /* d finished before the restart: the group is incomplete */
    settle();
    json_t *end = last(c2, "scene");
    assert_string_equal(str(end, "outcome"), "partner_dropped");
    json_decref(end);
    start(a2, "game2");
    matched_seat(a2, g2);
    matched_seat(b2, g2b);
    assert_string_equal(g2, g2b);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM matches WHERE game='%s' AND party='%s'", g2,
             g1ab);
    assert_int_equal(db_count(sql), 1);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pages_forms_and_stale_clicks, setup, teardown),
        cmocka_unit_test_setup_teardown(repeated_stale_messages_get_one_answer_a_second, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(hello_first_and_bad_messages_cut_off_only_the_sender,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(waiting_matching_and_leaving, setup, teardown),
        cmocka_unit_test_setup_teardown(waiting_counts_go_out_once_per_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(a_waiter_who_disconnects_is_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(waitroom_timeout_ends_with_its_code, setup, teardown),
        cmocka_unit_test_setup_teardown(reconnect_resumes_the_seat_with_state, setup, teardown),
        cmocka_unit_test_setup_teardown(second_tab_takes_over_and_the_first_is_told, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_live_id_cannot_be_taken_without_its_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(partner_drop_past_grace_pays_the_survivor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(finished_participants_see_their_code_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_slow_connection_is_excluded_at_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(a_browser_that_cannot_run_the_game_is_excluded_at_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(input_far_ahead_cuts_off_only_that_player, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_drain_lets_games_finish_and_takes_nobody_new, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(restart_restores_everyone, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_is_written_before_the_first_act, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_game_scene_first_is_recorded_at_start, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(long_configured_params_are_refused_and_others_not_kept,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            excluded_before_acting_leaves_no_row_and_may_try_another_browser, setup, teardown),
        cmocka_unit_test_setup_teardown(who_never_acted_is_forgotten_after_the_expiry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(limits_make_room_by_forgetting_the_longest_away, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(strangers_events_are_budgeted_participants_are_not,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_live_participant_is_neither_taken_nor_excluded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_player_away_mid_game_is_neither_taken_nor_excluded,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(before_a_game_another_browser_gets_a_new_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(never_lets_only_the_token_back_in, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_brings_back_only_those_who_acted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_end_scene_waits_for_its_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(newcomers_wait_while_the_store_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(the_bonus_counts_score_and_waiting_and_survives_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(a_hidden_bonus_is_recorded_and_no_rule_records_none, setup, teardown),
        cmocka_unit_test_setup_teardown(the_same_pairs_play_the_second_game, setup, teardown),
        cmocka_unit_test_setup_teardown(a_gone_partner_sends_the_other_to_ordinary_matching,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_late_partner_is_left_behind_with_regroup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_late_partner_ends_both_with_end, setup, teardown),
        cmocka_unit_test_setup_teardown(a_partner_gone_while_waiting_ends_the_wait_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(leaving_and_coming_back_keeps_the_group, setup, teardown),
        cmocka_unit_test_setup_teardown(groups_survive_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(balanced_assignment_refills_places_freed_by_drops, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(groups_never_mix_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(routes_shuffle_repeat_and_exit_scenes, setup, teardown),
        cmocka_unit_test_setup_teardown(param_assignment_takes_the_link_and_refuses_a_broken_one,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_wrong_attempt_stays_on_the_page_and_a_right_one_moves_on,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(too_many_wrong_attempts_end_with_quiz_failed_and_its_code,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(retry_goes_back_and_counts_afresh, setup, teardown),
        cmocka_unit_test_setup_teardown(attempts_survive_a_reconnect_and_a_restart, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
