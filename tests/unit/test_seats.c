/*
 * Groups of up to eight (ENV_MAX_PLAYERS): every piece that carries one value per seat,
 * tested at eight seats. The wire (CONFIRM with eight actions), the room's confirm rule
 * with seven remote inputs, one seat of eight dropping under each drop policy, the lobby
 * forming groups of eight, parties of eight, and the store's frame rows, frame log and
 * CSV columns seat.0 .. seat.7.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lobby/lobby.h"
#include "lobby/party.h"
#include "room/room.h"
#include "store/store.h"
#include "support.h"

#define N 8

/* ---- an eight-player fake env: each seat's action weighed by its seat number --------- */
typedef struct {
    uint32_t t, horizon;
    int32_t sum;
} eight_state;

static void eight_reset(void *s, uint64_t seed, uint32_t horizon)
{
    eight_state *e = s;
    memset(e, 0, sizeof *e);
    e->horizon = horizon ? horizon : 100;
    (void)seed;
}
static void eight_step(void *s, const int32_t *a, env_step_out *out)
{
    eight_state *e = s;
    for (int k = 0; k < N; k++) {
        e->sum += a[k] * (k + 1);
        out->rewards[k] = a[k] == 5 ? k + 1 : 0; /* seat k scores k+1 for action 5 */
    }
    e->t++;
    out->truncated = e->t >= e->horizon;
    out->info[0] = e->sum;
}
static void eight_render(const void *s, env_drawlist *d) { d->count = 0; }
static int32_t eight_policy(uint32_t which, const void *s, uint32_t seat) { return 3; }

static const env_def EIGHT = {
    .name = "fake/eight", .players = N, .actions = 6, .default_action = 4,
    .state_size = sizeof(eight_state), .horizon = 100, .ninfo = 1, .info_names = {"sum"},
    .reset = eight_reset, .step = eight_step, .render = eight_render, .npolicies = 1,
    .policy_names = {"fixed"}, .policy = eight_policy,
};

/* ---- seats that remember every CONFIRM ------------------------------------------------ */
typedef struct {
    uint32_t confirmed_upto;
    uint8_t actions[64][N]; /* frame -> the eight actions the CONFIRM carried */
    int texts_partner_dropped, texts_partner_ai, texts_partner_default, game_ends;
} peer;

static peer peers[N];
static int game_overs, removed;
static char over_reason[32];

static void h_text(void *p, const char *json, void *ud)
{
    peer *pe = p;
    pe->texts_partner_dropped += strstr(json, "\"dropped\"") != NULL;
    pe->texts_partner_ai += strstr(json, "\"status\":\"ai\"") != NULL;
    pe->texts_partner_default += strstr(json, "\"status\":\"default\"") != NULL;
    pe->game_ends += strstr(json, "\"game_end\"") != NULL;
}
static void h_binary(void *p, const void *buf, size_t len, void *ud)
{
    peer *pe = p;
    const uint8_t *b = buf;
    if (b[0] != BIN_CONFIRM)
        return;
    uint8_t ep, ns;
    uint32_t first;
    uint16_t count;
    assert_int_equal(proto_decode_confirm_header(b, len, &ep, &ns, &first, &count), 0);
    assert_int_equal(ns, N);
    assert_int_equal(first, pe->confirmed_upto);
    for (uint16_t i = 0; i < count; i++) {
        uint64_t hash;
        assert_true(first + i < 64);
        assert_int_equal(proto_decode_confirm_entry(b, len, i, pe->actions[first + i], &hash), 0);
    }
    pe->confirmed_upto = first + count;
}
static void h_dirty(room *r, void *ud) {}
static void h_event(const room_event *ev, void *ud)
{
    if (ev->kind == ROOM_SEAT_REMOVED) {
        removed++;
    } else {
        game_overs++;
        snprintf(over_reason, sizeof over_reason, "%s", game_end_name(ev->end));
    }
}
static const room_hooks HOOKS = {h_text, h_binary, h_dirty, h_event};

#define WALL_T0 1764547200000LL
static loop_time at(int64_t ms) { return (loop_time){ms, WALL_T0 + ms}; }

static scene_spec scene;
static const char *const NAMES[N] = {"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"};

static room *make_room(drop_policy drop)
{
    memset(peers, 0, sizeof peers);
    game_overs = removed = 0;
    memset(&scene, 0, sizeof scene);
    snprintf(scene.id, sizeof scene.id, "game");
    scene.kind = SCENE_GAME;
    game_spec *g = &scene.game;
    snprintf(g->env, sizeof g->env, "fake/eight");
    g->nseats = N;
    g->humans = N;
    for (int k = 0; k < N; k++)
        g->seats[k].kind = SEAT_HUMAN;
    g->fps = 30;
    g->episodes = 1;
    g->max_steps = 40;
    g->input_delay = 2;
    g->confirm_window = 5;
    g->prediction_limit = 10;
    g->countdown_s = 1;
    scene.reconnect_grace_s = 2;
    scene.on_partner_drop = drop;
    snprintf(scene.drop_ai, sizeof scene.drop_ai, "fixed");
    room_config cfg = {.game_id = "g-eight", .scene_id = "game", .scene = &scene, .env = &EIGHT,
                       .seed = 7, .nseats = N};
    for (int k = 0; k < N; k++) {
        cfg.peers[k] = &peers[k];
        cfg.names[k] = NAMES[k];
    }
    room *r = room_new(&cfg, &HOOKS, NULL, NULL, at(0));
    assert_non_null(r);
    room_tick(r, at(1000)); /* the countdown ends: episode 0 runs */
    return r;
}

static void input(room *r, int seat, uint32_t frame, int32_t action, int64_t ms)
{
    input_msg in = {.episode = (uint8_t)room_episode(r), .frame = frame, .action = action};
    assert_int_equal(room_on_input(r, seat, &in, at(ms)), 0);
}

/* Seven of eight inputs are not enough; the eighth confirms the frame, and every seat's
 * CONFIRM carries all eight actions in seat order. */
static void eight_seats_confirm_when_all_have_sent(void **state)
{
    room *r = make_room(DROP_END);
    for (int k = 0; k < N - 1; k++) {
        input(r, k, 0, k % 6, 1000);
        assert_int_equal(room_frame(r), 0);
    }
    input(r, N - 1, 0, 1, 1000);
    assert_int_equal(room_frame(r), 1);
    room_flush(r, at(1001));
    for (int p = 0; p < N; p++) {
        assert_int_equal(peers[p].confirmed_upto, 1);
        for (int k = 0; k < N - 1; k++)
            assert_int_equal(peers[p].actions[0][k], k % 6);
        assert_int_equal(peers[p].actions[0][N - 1], 1);
    }
    room_free(r);
}

/* One laggard among eight: the others run a confirm window ahead, and once the room's
 * clock says its input is late the frame confirms with its default action and the seven
 * others' real inputs. Before that, seven inputs hold nothing back but the laggard. */
static void one_laggard_of_eight_is_defaulted_alone(void **state)
{
    room *r = make_room(DROP_END);
    for (uint32_t f = 0; f <= 6; f++)
        for (int k = 0; k < N; k++)
            if (k != 5)
                input(r, k, f, 2, 1000 + f * 33);
    /* The seven are a window ahead and the clock says seat 5's inputs are late. */
    assert_true(room_frame(r) >= 1);
    room_flush(r, at(1000 + 6 * 33));
    assert_int_equal(peers[0].actions[0][5], EIGHT.default_action);
    for (int k = 0; k < N; k++)
        if (k != 5)
            assert_int_equal(peers[0].actions[0][k], 2);
    room_free(r);
}

/* Seat 6 of 8 drops for good under each policy: `end` ends the game for the seven,
 * `default` and `ai` keep them playing with seat 6 played for them. */
static void drop_one_seat_of_eight(drop_policy drop, int32_t want_action)
{
    room *r = make_room(drop);
    input(r, 0, 0, 1, 1000); /* play has begun */
    room_seat_disconnected(r, 6, at(1100));
    room_tick(r, at(1100 + 2000)); /* past the grace */
    assert_int_equal(removed, 1);
    if (drop == DROP_END) {
        assert_int_equal(game_overs, 1);
        assert_string_equal(over_reason, "partner_dropped");
        for (int k = 0; k < N; k++)
            if (k != 6)
                assert_int_equal(peers[k].game_ends, 1);
        room_free(r);
        return;
    }
    assert_int_equal(game_overs, 0);
    for (int k = 0; k < N; k++)
        if (k != 6) {
            assert_int_equal(peers[k].texts_partner_default, drop == DROP_DEFAULT);
            assert_int_equal(peers[k].texts_partner_ai, drop == DROP_AI);
        }
    /* The seven still playing send frames 0..3; seat 6 never waits for anyone. */
    uint32_t before = room_frame(r);
    int64_t t = 3100;
    for (uint32_t f = 0; f < 4; f++)
        for (int k = 0; k < N; k++) /* seat 0's frame 0 again: a duplicate, ignored */
            if (k != 6)
                input(r, k, f, 0, t);
    assert_int_equal(room_frame(r), 4);
    room_flush(r, at(t));
    for (uint32_t f = before; f < 4; f++) {
        assert_int_equal(peers[0].actions[f][6], want_action);
        assert_int_equal(peers[0].actions[f][3], 0);
    }
    room_free(r);
}

static void drop_end_with_eight(void **state) { drop_one_seat_of_eight(DROP_END, 0); }
static void drop_default_with_eight(void **state)
{
    drop_one_seat_of_eight(DROP_DEFAULT, (int32_t)EIGHT.default_action);
}
static void drop_ai_with_eight(void **state) { drop_one_seat_of_eight(DROP_AI, 3); }

/* ---- the wire -------------------------------------------------------------------------- */

static void confirm_carries_eight_actions(void **state)
{
    uint8_t buf[PROTO_CONFIRM_HEADER + 2 * (N + 8)];
    const uint8_t a0[N] = {0, 1, 2, 3, 4, 5, 6, 7}, a1[N] = {7, 6, 5, 4, 3, 2, 1, 0};
    assert_int_equal(proto_confirm_size(N, 2), sizeof buf);
    proto_confirm_header(buf, 3, N, 100, 2);
    size_t off = PROTO_CONFIRM_HEADER;
    off += proto_confirm_entry(buf + off, a0, N, 0x1122334455667788ULL);
    off += proto_confirm_entry(buf + off, a1, N, 42);
    assert_int_equal(off, sizeof buf);
    uint8_t ep, ns, got[N];
    uint32_t first;
    uint16_t count;
    uint64_t hash;
    assert_int_equal(proto_decode_confirm_header(buf, sizeof buf, &ep, &ns, &first, &count), 0);
    assert_int_equal(ns, N);
    assert_int_equal(first, 100);
    assert_int_equal(proto_decode_confirm_entry(buf, sizeof buf, 1, got, &hash), 0);
    assert_memory_equal(got, a1, N);
    assert_int_equal(hash, 42);
    /* A length that disagrees with eight seats is malformed. */
    assert_int_not_equal(proto_decode_confirm_header(buf, sizeof buf - 1, &ep, &ns, &first,
                                                     &count), 0);
}

/* ---- the lobby and parties --------------------------------------------------------------- */

static void the_lobby_forms_groups_of_eight(void **state)
{
    lobby *l = lobby_new(matchmaker_fifo(), N, 60000);
    int who[2 * N];
    void *group[N];
    for (int i = 0; i < N - 1; i++)
        assert_int_equal(lobby_arrive(l, &who[i], 10, i, group), 0);
    assert_int_equal(lobby_count(l), N - 1);
    assert_int_equal(lobby_arrive(l, &who[N - 1], 10, 8, group), N);
    for (int i = 0; i < N; i++)
        assert_ptr_equal(group[i], &who[i]); /* the waiters in arrival order, the arrival last */
    assert_int_equal(lobby_count(l), 0);
    lobby_free(l);
}

/* latency_fifo at eight: a waiter whose round trip does not fit the others is passed over
 * and the next eight who fit together form the group. */
static void latency_groups_of_eight_skip_a_misfit(void **state)
{
    lobby *l = lobby_new(matchmaker_latency_fifo(200), N, 60000);
    int who[N + 1];
    void *group[N];
    assert_int_equal(lobby_arrive(l, &who[0], 50, 0, group), 0);
    assert_int_equal(lobby_arrive(l, &who[1], 180, 1, group), 0); /* 180 + 50 > 200 */
    for (int i = 2; i < N; i++)
        assert_int_equal(lobby_arrive(l, &who[i], 40, i, group), 0);
    assert_int_equal(lobby_arrive(l, &who[N], 30, N, group), N);
    assert_ptr_equal(group[0], &who[0]);
    for (int i = 1; i < N - 1; i++)
        assert_ptr_equal(group[i], &who[i + 1]);
    assert_ptr_equal(group[N - 1], &who[N]);
    assert_int_equal(lobby_count(l), 1);
    assert_true(lobby_contains(l, &who[1])); /* still waiting for partners who fit */
    lobby_free(l);
}

static void parties_hold_eight(void **state)
{
    party_book *b = party_book_new();
    party *pt = party_new(b, "g-eight", 1);
    assert_non_null(pt);
    int who[N];
    for (int k = N - 1; k >= 0; k--) /* added in any order: kept in seat order */
        assert_true(party_add(pt, &who[k], k));
    assert_int_equal(party_size(pt), N);
    assert_false(party_add(pt, &who[0], N));
    party_book_free(b);
}

/* ---- the store at eight seats ------------------------------------------------------------ */

static frame_row eight_row(uint32_t i)
{
    frame_row r;
    memset(&r, 0, sizeof r);
    r.frame = i;
    for (int k = 0; k < N; k++) {
        r.actions[k] = (uint8_t)(k + i);
        r.sources[k] = (uint8_t)(k % 3);
        r.verified[k] = (int8_t)(k % 3 - 1);
        r.focused[k] = (uint8_t)(k & 1);
        r.rewards[k] = -100 * k + (int32_t)i;
    }
    r.info[0] = 77;
    r.hash = 0xfedcba9876543210ULL + i;
    r.t_ms = 33 * i;
    return r;
}

static void csv_has_eight_seat_columns(void **state)
{
    episode_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.game, sizeof rec.game, "g-eight");
    rec.nseats = N;
    for (int k = 0; k < N; k++)
        snprintf(rec.seat_names[k], sizeof rec.seat_names[k], "%s", NAMES[k]);
    rec.ninfo = 1;
    snprintf(rec.info_names[0], sizeof rec.info_names[0], "sum");
    char line[4096];
    assert_true(store_csv_header(&rec, line, sizeof line) > 0);
    assert_non_null(strstr(line, ",seat.0,seat.1,seat.2,seat.3,seat.4,seat.5,seat.6,seat.7,"
                                 "action.0,"));
    assert_non_null(strstr(line, ",reward.7,terminated,"));
    assert_non_null(strstr(line, ",verified.7,focused.0,"));
    assert_non_null(strstr(line, ",focused.7,t_ms"));
    frame_row row = eight_row(2);
    assert_true(store_csv_row(&rec, &row, line, sizeof line) > 0);
    assert_non_null(strstr(line, ",s0,s1,s2,s3,s4,s5,s6,s7,2,3,4,5,6,7,8,9,"
                                 "input,default,ai,input,default,ai,input,default,"
                                 "2,-98,-198,-298,-398,-498,-598,-698,"));
    /* verified: -1 is an empty cell; focused alternates */
    assert_non_null(strstr(line, ",,0,1,,0,1,,0,0,1,0,1,0,1,0,1,66"));
    /* The widest row (eight 79-character names, all quoted) still fits the writer's line. */
    for (int k = 0; k < N; k++) {
        memset(rec.seat_names[k], '"', sizeof rec.seat_names[k] - 1);
        rec.seat_names[k][sizeof rec.seat_names[k] - 1] = '\0';
    }
    assert_true(store_csv_row(&rec, &row, line, sizeof line) > 0);
}

static void the_frame_log_keeps_eight_seats(void **state)
{
    char root[64];
    assert_non_null(test_tmpdir_new(root, sizeof root, "seats"));
    char err[256];
    store *s = store_open(root, "exp8", err, sizeof err);
    assert_non_null(s);
    frame_row rows[3] = {eight_row(0), eight_row(1), eight_row(2)};
    store_frames(s, "g-eight", 0, rows, 3);
    store_flush(s);
    char db[256];
    snprintf(db, sizeof db, "%s/exp8/cohort.db", root);
    frame_row *got = NULL;
    uint32_t n = 0;
    assert_int_equal(store_frames_load(db, "g-eight", 0, &got, &n), 0);
    assert_int_equal(n, 3);
    for (uint32_t i = 0; i < 3; i++)
        assert_memory_equal(&got[i], &rows[i], sizeof rows[i]);
    free(got);
    store_close(s);
    test_rm_tree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eight_seats_confirm_when_all_have_sent),
        cmocka_unit_test(one_laggard_of_eight_is_defaulted_alone),
        cmocka_unit_test(drop_end_with_eight),
        cmocka_unit_test(drop_default_with_eight),
        cmocka_unit_test(drop_ai_with_eight),
        cmocka_unit_test(confirm_carries_eight_actions),
        cmocka_unit_test(the_lobby_forms_groups_of_eight),
        cmocka_unit_test(latency_groups_of_eight_skip_a_misfit),
        cmocka_unit_test(parties_hold_eight),
        cmocka_unit_test(csv_has_eight_seat_columns),
        cmocka_unit_test(the_frame_log_keeps_eight_seats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
