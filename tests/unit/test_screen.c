/*
 * Device screening (`require:`): the decision (src/flow/screen.h) over the facts a hello
 * reports, the end page's words, and the flow around it, driven through the stager's
 * network handlers with fake connections and a real store: a participant screened out
 * leaves no row, is counted in events, sees what is needed, and gets in on a reload that
 * meets the requirement; whoever passed and acted is not screened again.
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

#include "config/config.h"
#include "flow/flow.h"
#include "flow/screen.h"
#include "proto/proto.h"
#include "store/store.h"
#include "texts/texts.h"
#include "texts/texts_fill.h"
#include "util/clock.h"
#include "util/log.h"
#include "support.h"

/* ---- the decision ------------------------------------------------------------------ */

static const device_facts LAPTOP = {true, 1440, 800, false, POINTER_FINE, true, 0};
static const device_facts TOUCH_LAPTOP = {true, 1440, 800, false, POINTER_FINE, true, 10};
static const device_facts PHONE = {true, 412, 839, true, POINTER_COARSE, false, 5};
/* iPadOS Safari asks for desktop pages; the page still reports it as mobile (web/device.js)
 * and its primary pointer is a finger. */
static const device_facts IPAD_AS_MAC = {true, 1180, 820, true, POINTER_COARSE, false, 5};
/* A Windows tablet: a desktop user agent, but touch is its main input. */
static const device_facts WINDOWS_TABLET = {true, 1368, 912, false, POINTER_COARSE, false, 10};
/* A tablet with a keyboard cover and trackpad: its primary pointer is fine. */
static const device_facts SMALL_LAPTOP = {true, 900, 600, false, POINTER_FINE, true, 0};
static const device_facts SAID_NOTHING = {0};

static void each_requirement_refuses_what_it_names(void **state)
{
    const require_spec desktop = {.desktop = true};
    const require_spec keyboard = {.keyboard = true};
    const require_spec window = {.min_width = 1000, .min_height = 700};
    const require_spec all = {true, true, 1000, 700};
    const require_spec none = {0};
    const struct {
        const require_spec *r;
        const device_facts *d;
        outcome_reason want;
    } cases[] = {
        {&desktop, &LAPTOP, REASON_NONE},
        {&desktop, &TOUCH_LAPTOP, REASON_NONE},
        {&desktop, &PHONE, REASON_NOT_DESKTOP},
        {&desktop, &IPAD_AS_MAC, REASON_NOT_DESKTOP},
        {&desktop, &WINDOWS_TABLET, REASON_NOT_DESKTOP},
        {&desktop, &SMALL_LAPTOP, REASON_NONE},
        {&keyboard, &LAPTOP, REASON_NONE},
        {&keyboard, &PHONE, REASON_NO_KEYBOARD},
        {&keyboard, &WINDOWS_TABLET, REASON_NO_KEYBOARD},
        {&window, &LAPTOP, REASON_NONE},
        {&window, &SMALL_LAPTOP, REASON_SMALL_WINDOW},
        {&window, &PHONE, REASON_SMALL_WINDOW},
        /* A phone is told it is a phone, not to enlarge its window. */
        {&all, &PHONE, REASON_NOT_DESKTOP},
        {&all, &SMALL_LAPTOP, REASON_SMALL_WINDOW},
        {&all, &LAPTOP, REASON_NONE},
        /* Nothing unproven passes; nothing required lets anything in. */
        {&desktop, &SAID_NOTHING, REASON_NOT_DESKTOP},
        {&window, &SAID_NOTHING, REASON_SMALL_WINDOW},
        {&none, &SAID_NOTHING, REASON_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        outcome_reason got = screen_device(cases[i].r, cases[i].d);
        if (got != cases[i].want)
            fail_msg("case %zu: %s, wanted %s", i, outcome_reason_name(got),
                     outcome_reason_name(cases[i].want));
    }
    assert_false(screen_required(&none));
    assert_true(screen_required(&window));
}

/* Exactly the window's edge passes: the minimum is inclusive. */
static void the_minimum_window_is_inclusive(void **state)
{
    const require_spec window = {.min_width = 1000, .min_height = 700};
    device_facts d = LAPTOP;
    d.width = 1000, d.height = 700;
    assert_int_equal(screen_device(&window, &d), REASON_NONE);
    d.height = 699;
    assert_int_equal(screen_device(&window, &d), REASON_SMALL_WINDOW);
}

static void texts_fill_replaces_known_placeholders_only(void **state)
{
    const text_value v[] = {{"w", "1000"}, {"h", "700"}};
    char out[64];
    texts_fill("{w} × {h}, {other} and {w", v, 2, out, sizeof out);
    assert_string_equal(out, "1000 × 700, {other} and {w");
    /* Cut short, never mid-character. */
    texts_fill("ab × {w}", v, 2, out, 5);
    assert_string_equal(out, "ab ");
    texts_fill("ab {w}", v, 2, out, 6);
    assert_string_equal(out, "ab ");
}

/* ---- the flow around it ------------------------------------------------------------ */

#define MAX_MSGS 64
struct net_conn {
    char *texts[MAX_MSGS];
    int ntext;
    void *user;
    bool closed, hung_up;
    uint32_t id;
};

static int fake_send_text(net_conn *c, const char *msg, size_t len)
{
    if (c->closed || c->ntext >= MAX_MSGS)
        return -1;
    c->texts[c->ntext++] = strndup(msg, len);
    return 0;
}
static int fake_send_binary(net_conn *c, const void *msg, size_t len) { return c->closed ? -1 : 0; }
static void fake_close(net_conn *c, const char *reason) { c->closed = true; }
static void fake_set_user(net_conn *c, void *u) { c->user = u; }
static void *fake_user(const net_conn *c) { return c->user; }
static const char *fake_peer(const net_conn *c) { return "127.0.0.1"; }
static uint32_t fake_id(const net_conn *c) { return c->id; }
static void fake_admit(net_conn *c) { (void)c; }
static const flow_io FAKE_IO = {fake_send_text, fake_send_binary, fake_close, fake_set_user,
                                fake_user,      fake_peer,        fake_id,    fake_admit};

static char dir[64];
static experiment *x;
static store *st;
static flow *fl;
static net_handlers h;
static loop_time now;
#define MAX_CONNS 16
static net_conn conns[MAX_CONNS];
static int nconns;

static const char EXPERIMENT[] =
    "experiment: t\n"
    "identity: {params: [PROLIFIC_PID]}\n"
    "require:\n"
    "  desktop: true\n"
    "  keyboard: true\n"
    "  min_window: {width: 1000, height: 700}\n"
    "texts:\n"
    "  end_screened_out_window: \"Need {min_width}x{min_height}, have {width}x{height}.\"\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: welcome.html\n"
    "  - id: consent\n"
    "    page: welcome.html\n"
    "end:\n"
    "  codes: {completed: DONE1, screened_out: SCREEN1}\n";

static int setup(void **state)
{
    assert_non_null(test_tmpdir_new(dir, sizeof dir, "screen"));
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/welcome.html", dir);
    test_write_file(path, "<h1>Hi</h1>");
    snprintf(path, sizeof path, "%s/experiment.yaml", dir);
    test_write_file(path, EXPERIMENT);
    memset(conns, 0, sizeof conns);
    nconns = 0;
    now = clock_now();
    log_set_quiet(1);
    x = calloc(1, sizeof *x);
    assert_int_equal(config_load(path, config_registry_hooks(), x, err, sizeof err), 0);
    st = store_open(dir, x->id, err, sizeof err);
    assert_non_null(st);
    fl = flow_new(x, st, &FAKE_IO, now, err, sizeof err);
    assert_non_null(fl);
    h = flow_net_handlers();
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < nconns; i++)
        if (!conns[i].hung_up)
            h.on_close(&conns[i], now, fl);
    flow_free(fl, now);
    store_close(st);
    free(x);
    for (int i = 0; i < MAX_CONNS; i++)
        for (int k = 0; k < conns[i].ntext; k++)
            free(conns[i].texts[k]);
    return test_rm_tree(dir);
}

static net_conn *connect_one(void)
{
    assert_true(nconns < MAX_CONNS);
    net_conn *c = &conns[nconns++];
    c->id = (uint32_t)nconns;
    h.on_open(c, now, fl);
    return c;
}

static void hang_up(net_conn *c)
{
    c->closed = c->hung_up = true;
    h.on_close(c, now, fl);
}

static void say(net_conn *c, const char *json)
{
    h.on_text(c, json, strlen(json), now, fl);
    store_flush(st);
    h.on_pass_end(now, fl);
}

/* A hello from pid (with tok, if not NULL) whose page reports this device. */
static void hello(net_conn *c, const char *pid, const char *tok, const device_facts *d)
{
    char msg[512], device[256] = "";
    if (d->present)
        snprintf(device, sizeof device,
                 ",\"device\":{\"width\":%d,\"height\":%d,\"mobile\":%s,\"pointer\":\"%s\","
                 "\"hover\":%s,\"touch_points\":%d}",
                 d->width, d->height, d->mobile ? "true" : "false",
                 pointer_kind_name(d->pointer), d->hover ? "true" : "false", d->touch_points);
    char token[64] = "";
    if (tok)
        snprintf(token, sizeof token, "\"token\":\"%s\",", tok);
    snprintf(msg, sizeof msg, "{\"type\":\"hello\",%s\"params\":{\"PROLIFIC_PID\":\"%s\"}%s}",
             token, pid, device);
    say(c, msg);
}

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

static const char *str(json_t *m, const char *key) { return json_string_value(json_object_get(m, key)); }

static void token_of(net_conn *c, char out[33])
{
    json_t *w = last(c, "welcome");
    assert_non_null(w);
    snprintf(out, 33, "%s", str(w, "token"));
    json_decref(w);
}

/* The last scene c was sent: its id, and for an end scene its outcome, code and message. */
static void expect_scene(net_conn *c, const char *id)
{
    json_t *m = last(c, "scene");
    assert_non_null(m);
    assert_string_equal(str(m, "id"), id);
    json_decref(m);
}

static void expect_screened(net_conn *c, const char *message)
{
    json_t *m = last(c, "scene");
    assert_non_null(m);
    assert_string_equal(str(m, "kind"), "end");
    assert_string_equal(str(m, "outcome"), "screened_out");
    assert_string_equal(str(m, "code"), "SCREEN1");
    assert_string_equal(str(m, "message"), message);
    json_decref(m);
    assert_false(c->closed);
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

static void a_small_window_is_screened_out_and_let_in_when_larger(void **state)
{
    net_conn *c = connect_one();
    hello(c, "small", NULL, &SMALL_LAPTOP);
    expect_screened(c, "Need 1000x700, have 900x600.");
    char tok[33];
    token_of(c, tok);
    /* Not recorded: they never acted. Counted, without a name. */
    assert_int_equal(db_count("SELECT count(*) FROM participants"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'screened_out' AND "
                              "subject IS NULL AND detail LIKE '%\"verdict\":\"small_window\"%' "
                              "AND detail LIKE '%\"width\":900%' AND detail LIKE '%\"attempt\":1%'"),
                     1);
    /* A reload still too small: the page again, with this window's numbers. */
    hang_up(c);
    device_facts bigger = SMALL_LAPTOP;
    bigger.width = 1200;
    net_conn *c2 = connect_one();
    hello(c2, "small", tok, &bigger);
    expect_screened(c2, "Need 1000x700, have 1200x600.");
    /* Large enough: in, at the first scene, and on as anyone else. */
    hang_up(c2);
    net_conn *c3 = connect_one();
    hello(c3, "small", tok, &LAPTOP);
    expect_scene(c3, "welcome");
    say(c3, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    expect_scene(c3, "consent");
    assert_int_equal(db_count("SELECT count(*) FROM participants WHERE subject = 'small'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM outcomes"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'screened_out'"), 2);
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'screened_in' AND "
                              "detail LIKE '%\"verdict\":\"passed\"%' AND "
                              "detail LIKE '%\"attempt\":3%'"),
                     1);
}

static void a_phone_is_told_it_needs_a_computer(void **state)
{
    net_conn *c = connect_one();
    hello(c, "phone", NULL, &PHONE);
    expect_screened(c, texts_get(TEXT_END_SCREENED_OUT));
    net_conn *t = connect_one();
    hello(t, "tablet", NULL, &WINDOWS_TABLET);
    expect_screened(t, texts_get(TEXT_END_SCREENED_OUT));
    /* A page that says nothing about its device is not let in either. */
    net_conn *n = connect_one();
    hello(n, "silent", NULL, &SAID_NOTHING);
    expect_screened(n, texts_get(TEXT_END_SCREENED_OUT));
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind = 'screened_out' AND "
                              "detail LIKE '%\"verdict\":\"not_desktop\"%'"),
                     3);
    /* The phone's owner on their computer, without the token: in, afresh. */
    hang_up(c);
    net_conn *pc = connect_one();
    hello(pc, "phone", NULL, &LAPTOP);
    expect_scene(pc, "welcome");
}

/* Screened at arrival only: whoever passed and has acted is not screened out later by a
 * smaller window (their work so far would be lost), nor by a reconnect. */
static void who_passed_and_acted_is_not_screened_again(void **state)
{
    net_conn *c = connect_one();
    hello(c, "ok", NULL, &LAPTOP);
    expect_scene(c, "welcome");
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    char tok[33];
    token_of(c, tok);
    hang_up(c);
    net_conn *again = connect_one();
    hello(again, "ok", tok, &SMALL_LAPTOP);
    expect_scene(again, "consent");
    assert_int_equal(db_count("SELECT count(*) FROM events WHERE kind LIKE 'screened%'"), 0);
}

/* The participant's tab with the token, excluded for its browser features and screened:
 * a window made larger does not undo a browser that cannot run the game. */
static void a_readmitted_browser_is_still_checked_for_features(void **state)
{
    net_conn *c = connect_one();
    hello(c, "weak", NULL, &SMALL_LAPTOP);
    char tok[33];
    token_of(c, tok);
    hang_up(c);
    net_conn *c2 = connect_one();
    char msg[512];
    snprintf(msg, sizeof msg,
             "{\"type\":\"hello\",\"token\":\"%s\",\"params\":{\"PROLIFIC_PID\":\"weak\"},"
             "\"missing\":[\"WebAssembly\"],\"device\":{\"width\":1400,\"height\":900,"
             "\"mobile\":false,\"pointer\":\"fine\",\"hover\":true,\"touch_points\":0}}",
             tok);
    say(c2, msg);
    json_t *m = last(c2, "scene");
    assert_string_equal(str(m, "outcome"), "excluded");
    json_decref(m);
}

static bool refused_with(net_conn *c, const char *code)
{
    json_t *e = last(c, "error"), *w = last(c, "welcome");
    bool yes = e && !w && c->closed && strcmp(str(e, "code"), code) == 0;
    json_decref(e);
    json_decref(w);
    return yes;
}

/* After consent, the link opened on a phone (no token) cannot take the participant over:
 * refused, and nothing about them changes; their computer still can. Before they act, the
 * phone is simply screened. */
static void another_browser_must_pass_to_take_over(void **state)
{
    net_conn *c = connect_one();
    hello(c, "mover", NULL, &LAPTOP);
    say(c, "{\"type\":\"advance\",\"scene\":\"welcome\"}");
    hang_up(c);
    net_conn *phone = connect_one();
    hello(phone, "mover", NULL, &PHONE);
    assert_true(refused_with(phone, "device_unsupported"));
    net_conn *small = connect_one();
    hello(small, "mover", NULL, &SMALL_LAPTOP);
    assert_true(refused_with(small, "device_unsupported"));
    net_conn *pc = connect_one();
    hello(pc, "mover", NULL, &LAPTOP);
    expect_scene(pc, "consent");
    assert_int_equal(db_count("SELECT count(*) FROM outcomes"), 0);

    net_conn *early = connect_one();
    hello(early, "early", NULL, &LAPTOP);
    hang_up(early);
    net_conn *early_phone = connect_one();
    hello(early_phone, "early", NULL, &PHONE);
    expect_screened(early_phone, texts_get(TEXT_END_SCREENED_OUT));
}

static void require_is_off_by_default(void **state)
{
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/plain.yaml", dir);
    test_write_file(path, "experiment: p\nscenes:\n  - {id: welcome, page: welcome.html}\n");
    experiment *plain = calloc(1, sizeof *plain);
    assert_int_equal(config_load(path, config_registry_hooks(), plain, err, sizeof err), 0);
    assert_false(screen_required(&plain->require));
    free(plain);
    assert_true(x->require.desktop);
    assert_true(x->require.keyboard);
    assert_int_equal(x->require.min_width, 1000);
    assert_int_equal(x->require.min_height, 700);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_requirement_refuses_what_it_names),
        cmocka_unit_test(the_minimum_window_is_inclusive),
        cmocka_unit_test(texts_fill_replaces_known_placeholders_only),
        cmocka_unit_test_setup_teardown(a_small_window_is_screened_out_and_let_in_when_larger,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_phone_is_told_it_needs_a_computer, setup, teardown),
        cmocka_unit_test_setup_teardown(who_passed_and_acted_is_not_screened_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_readmitted_browser_is_still_checked_for_features,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(another_browser_must_pass_to_take_over, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(require_is_off_by_default, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
