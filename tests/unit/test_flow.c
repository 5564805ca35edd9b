/*
 * The participant state machine, driven through the stager's network handlers with fake
 * connections, a real experiment file, the real envs and a real store in a temp folder:
 * pages, forms, the waiting room (join, leave, drop, time out), matching, reconnects and
 * takeovers, refusals, drops past the grace, exclusion, finished participants coming
 * back, and a restart.
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
#include "proto/proto.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

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
static const flow_io FAKE_IO = {fake_send_text, fake_send_binary, fake_close, fake_set_user,
                                fake_user,      fake_peer,        fake_id};

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
static net_conn conns[16];
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

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

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
    snprintf(dir, sizeof dir, "/tmp/cohort_flow_XXXXXX");
    assert_non_null(mkdtemp(dir));
    write_file("experiment.yaml", EXPERIMENT);
    write_file("welcome.html", "<h1>Hi</h1>");
    write_file("consent.html", "<label>Age <input name=\"age\"></label>");
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
    for (int i = 0; i < 16; i++)
        for (int k = 0; k < conns[i].ntext; k++)
            free(conns[i].texts[k]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- driving it ------------------------------------------------------------------- */
static net_conn *connect_one(void)
{
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

/* The newest message of `type` sent to c, parsed (caller decrefs), or NULL. */
static json_t *last(net_conn *c, const char *type)
{
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
    /* From another browser while this tab is still open: shown the code, not refused. */
    net_conn *other = connect_one();
    hello(other, "a");
    assert_false(other->closed);
    end = last(other, "scene");
    assert_string_equal(str(end, "code"), "WAIT1");
    json_decref(end);
    assert_int_equal(count(again, "replaced"), 1);
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

/* A completion code is shown only once its outcome is in cohort.db: a crash right after
 * can never lose a code a participant has seen. While the writer has not committed it,
 * the participant waits (a few milliseconds in practice). */
static void an_end_scene_waits_for_its_outcome(void **state)
{
    store_test_pause(st, true); /* the writer takes nothing until told */
    net_conn *c = connect_one();
    say(c, "{\"type\":\"hello\",\"params\":{\"PROLIFIC_PID\":\"slow\"},"
           "\"missing\":[\"WebAssembly\"]}");
    pass();
    assert_true(has(c, "welcome"));
    assert_false(has(c, "scene")); /* excluded, but not yet recorded: no code yet */
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
    store_participant(st, "probe", NULL, NULL, 1);
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
    assert_int_equal(db_count("SELECT count(*) FROM outcomes WHERE subject='a' AND code='EXCL1'"),
                     1);
    assert_int_equal(db_count("SELECT count(*) FROM participants WHERE subject='newcomer'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pages_forms_and_stale_clicks, setup, teardown),
        cmocka_unit_test_setup_teardown(hello_first_and_bad_messages_cut_off_only_the_sender,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(waiting_matching_and_leaving, setup, teardown),
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
        cmocka_unit_test_setup_teardown(restart_restores_everyone, setup, teardown),
        cmocka_unit_test_setup_teardown(an_end_scene_waits_for_its_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(newcomers_wait_while_the_store_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
