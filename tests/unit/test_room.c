/*
 * The game room with a tiny fake env: the confirm rule in every branch, episode
 * boundaries, hash checks and resync, hostile inputs, drops and reconnects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <unistd.h>

#include "room/room.h"
#include "support.h"

/* ---- a fake env: sums weighted actions; truncates at the horizon ------------------- */
typedef struct {
    uint32_t t, horizon;
    int32_t sum;
    uint32_t seed_lo;
} fake_state;

static void fake_reset(void *s, uint64_t seed, uint32_t horizon)
{
    fake_state *f = s;
    memset(f, 0, sizeof *f);
    f->horizon = horizon ? horizon : 100;
    f->seed_lo = (uint32_t)seed;
}
static void fake_step(void *s, const int32_t *a, env_step_out *out)
{
    fake_state *f = s;
    f->sum += a[0] * 7 + a[1] * 13;
    f->t++;
    out->rewards[0] = out->rewards[1] = a[0] == 5 ? 1 : 0;
    out->truncated = f->t >= f->horizon;
    out->info[0] = f->sum;
}
static void fake_render(const void *s, env_drawlist *d) { d->count = 0; }
static int32_t fake_policy(uint32_t which, const void *s, uint32_t seat)
{
    return (int32_t)(((const fake_state *)s)->t % 4);
}

static const env_def FAKE = {
    .name = "fake/sum", .players = 2, .actions = 6, .default_action = 4,
    .state_size = sizeof(fake_state), .horizon = 100, .ninfo = 1, .info_names = {"sum"},
    .reset = fake_reset, .step = fake_step, .render = fake_render, .npolicies = 1,
    .policy_names = {"greedy"}, .policy = fake_policy,
};

/* ---- fake participants that remember what they were sent -------------------------- */
typedef struct {
    char texts[64][512];
    int ntext;
    int confirms, states;
    uint32_t confirmed_upto;     /* first + count of the last CONFIRM */
    uint8_t last_actions[2];
    int actions_seen[2][8];      /* every confirmed frame's action, counted per seat */
} peer;

static peer peers[2];
static int game_overs, removed;
static char over_reason[32], removed_reason[32];
static room *dirty_room;

static void h_text(void *p, const char *json, void *ud)
{
    peer *pe = p;
    if (pe->ntext < 64)
        snprintf(pe->texts[pe->ntext++], 512, "%s", json);
}
static void h_binary(void *p, const void *buf, size_t len, void *ud)
{
    peer *pe = p;
    const uint8_t *b = buf;
    if (b[0] == BIN_CONFIRM) {
        uint8_t ep, ns;
        uint32_t first;
        uint16_t count;
        assert_int_equal(proto_decode_confirm_header(b, len, &ep, &ns, &first, &count), 0);
        assert_int_equal(first, pe->confirmed_upto); /* each frame exactly once, in order */
        pe->confirmed_upto = first + count;
        memcpy(pe->last_actions, b + PROTO_CONFIRM_HEADER + (size_t)(count - 1) * (ns + 8), 2);
        for (uint16_t i = 0; i < count; i++) {
            uint8_t actions[ENV_MAX_PLAYERS];
            uint64_t hash;
            assert_int_equal(proto_decode_confirm_entry(b, len, i, actions, &hash), 0);
            for (int s = 0; s < 2; s++)
                pe->actions_seen[s][actions[s] & 7]++;
        }
        pe->confirms++;
    } else if (b[0] == BIN_STATE) {
        pe->states++;
        pe->confirmed_upto = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
    }
}
static void h_dirty(room *r, void *ud) { dirty_room = r; }
/* The room queues events for its owner; this owner just counts them as they come. */
static void h_event(const room_event *ev, void *ud)
{
    if (ev->kind == ROOM_SEAT_REMOVED) {
        removed++;
        snprintf(removed_reason, sizeof removed_reason, "%s", seat_removal_name(ev->removal));
    } else {
        game_overs++;
        snprintf(over_reason, sizeof over_reason, "%s", game_end_name(ev->end));
    }
}
static const room_hooks HOOKS = {h_text, h_binary, h_dirty, h_event};

/* Loop time at ms into the test; wall time runs from a fixed, plausible instant. */
#define WALL_T0 1764547200000LL /* 2025-12-01T00:00:00Z */
static loop_time at(int64_t ms) { return (loop_time){ms, WALL_T0 + ms}; }

static scene_spec scene;
static store *room_store; /* NULL: the room records nothing */
/* When the running episode began (make_room's countdown ends at 1000 ms): inputs arrive
 * at their frame's time, as an honest client sends them. */
static int64_t episode_began = 1000;

static int has_text(const peer *p, const char *needle)
{
    int n = 0;
    for (int i = 0; i < p->ntext; i++)
        n += strstr(p->texts[i], needle) != NULL;
    return n;
}

/* The next make_room's step clock: 0 for fps 30, else its step_ms (then reset to 0). */
static int room_step_ms;

static room *make_room(seat_kind second, int episodes, int max_steps)
{
    memset(peers, 0, sizeof peers);
    game_overs = removed = 0;
    episode_began = 1000;
    memset(&scene, 0, sizeof scene);
    snprintf(scene.id, sizeof scene.id, "game");
    scene.kind = SCENE_GAME;
    game_spec *g = &scene.game;
    snprintf(g->env, sizeof g->env, "fake/sum");
    g->nseats = 2;
    g->seats[0].kind = SEAT_HUMAN;
    g->seats[1].kind = second;
    snprintf(g->seats[1].policy, sizeof g->seats[1].policy, "greedy");
    g->humans = second == SEAT_HUMAN ? 2 : 1;
    if (second == SEAT_MODEL) {
        snprintf(g->seats[1].model.url, sizeof g->seats[1].model.url, "/models/x/model.json");
        snprintf(g->seats[1].model.obs, sizeof g->seats[1].model.obs, "lossless2019");
        g->seats[1].model.nactions = 6;
    }
    g->fps = room_step_ms > 0 ? 0 : 30;
    g->step_ms = room_step_ms;
    room_step_ms = 0;
    g->episodes = episodes;
    g->max_steps = max_steps;
    g->input_delay = 2;
    g->confirm_window = 5;
    g->prediction_limit = 10;
    g->countdown_s = 1;
    scene.reconnect_grace_s = 2;
    scene.focus_loss_timeout_s = 3;
    scene.on_partner_drop = DROP_END;
    room_config cfg = {.game_id = "g-test", .scene_id = "game", .scene = &scene, .env = &FAKE,
                       .seed = 42, .nseats = 2};
    cfg.peers[0] = &peers[0];
    cfg.names[0] = "alice";
    if (second == SEAT_HUMAN) {
        cfg.peers[1] = &peers[1];
        cfg.names[1] = "bob";
    }
    room *r = room_new(&cfg, &HOOKS, NULL, room_store, at(0));
    assert_non_null(r);
    assert_int_equal(has_text(&peers[0], "\"game_start\""), 1);
    assert_int_equal(has_text(&peers[0], "\"countdown\""), 1);
    room_tick(r, at(999));
    assert_int_equal(has_text(&peers[0], "\"episode_start\""), 0);
    room_tick(r, at(1000));
    assert_int_equal(has_text(&peers[0], "\"episode_start\""), 1);
    return r;
}

static int input(room *r, int seat, uint32_t frame, int32_t action)
{
    input_msg in = {.episode = (uint8_t)room_episode(r), .frame = frame, .action = action};
    return room_on_input(r, seat, &in, at(episode_began + frame * 33));
}

static void confirms_when_every_seat_has_sent(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    input(r, 0, 0, 1);
    assert_int_equal(room_frame(r), 0);
    input(r, 1, 0, 2);
    assert_int_equal(room_frame(r), 1);
    input(r, 1, 1, 3);
    input(r, 0, 1, 3);
    assert_int_equal(room_frame(r), 2);
    room_flush(r, at(2000));
    /* One batched CONFIRM carrying both frames, to both seats. */
    assert_int_equal(peers[0].confirms, 1);
    assert_int_equal(peers[1].confirms, 1);
    assert_int_equal(peers[0].confirmed_upto, 2);
    assert_int_equal(peers[0].last_actions[0], 3);
    room_stats st = room_get_stats(r);
    assert_int_equal(st.defaulted, 0);
    room_free(r);
}

static void a_lagging_seat_is_defaulted_after_the_window(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    /* Seat 0 runs ahead; seat 1 sends nothing. W = 5. */
    for (uint32_t f = 0; f < 5; f++)
        input(r, 0, f, 1);
    assert_int_equal(room_frame(r), 0); /* leader at 4 < 0 + 5 */
    input(r, 0, 5, 1);
    assert_int_equal(room_frame(r), 1); /* leader at 5: frame 0 defaulted for seat 1 */
    input(r, 0, 6, 1);
    assert_int_equal(room_frame(r), 2);
    room_stats st = room_get_stats(r);
    assert_int_equal(st.defaulted, 2);
    /* The laggard's input for a confirmed frame is late: dropped and counted. */
    input(r, 1, 0, 3);
    assert_int_equal(room_get_stats(r).late_inputs, 1);
    /* Its input for frame 2 is on time and used. */
    input(r, 1, 2, 3);
    assert_int_equal(room_frame(r), 3);
    room_flush(r, at(2000));
    assert_int_equal(peers[1].last_actions[1], 3);
    room_free(r);
}

static void a_seat_that_runs_late_is_told_by_how_much(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    input(r, 0, 0, 1);
    input(r, 1, 0, 1); /* seat 1 is playing, then falls behind (a network stall) */
    for (uint32_t f = 1; f <= 8; f++)
        input(r, 0, f, 1);
    /* Frames 1..3 defaulted for seat 1 once seat 0 was W = 5 ahead; it hears the frame
     * the leader has reached, once (hints are at most one per 200 ms). */
    assert_int_equal(room_frame(r), 4);
    assert_int_equal(has_text(&peers[1], "\"lag\""), 1);
    assert_int_equal(has_text(&peers[1], "\"lead\":6"), 1);
    assert_int_equal(has_text(&peers[0], "\"lag\""), 0);
    /* Caught up: its input for the next frame is on time, and no more hints. */
    input(r, 1, 4, 2);
    assert_int_equal(room_frame(r), 5);
    assert_int_equal(has_text(&peers[1], "\"lag\""), 1);
    room_free(r);
}

static void the_last_frames_never_wait_forever_for_a_laggard(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 20);
    for (uint32_t f = 0; f < 20; f++)
        input(r, 0, f, 1);   /* seat 0 sent everything; seat 1 nothing past frame 10 */
    for (uint32_t f = 0; f <= 10; f++)
        input(r, 1, f, 1);
    uint32_t stuck = room_frame(r);
    assert_true(stuck < 20); /* nobody can be W = 5 ahead of the last frames */
    /* 5 frames at 30 fps = 166 ms with no progress: the missing inputs are defaulted. */
    room_tick(r, at(1000 + 19 * 33 + 100));
    assert_int_equal(room_frame(r), stuck);
    room_tick(r, at(1000 + 19 * 33 + 200));
    assert_int_equal(room_frame(r), 20);
    room_flush(r, at(2000));
    assert_int_equal(has_text(&peers[0], "\"episode_end\""), 1);
    room_free(r);
}

static void an_ai_seat_never_waits(void **state)
{
    room *r = make_room(SEAT_AI, 1, 100);
    input(r, 0, 0, 1);
    input(r, 0, 1, 1);
    assert_int_equal(room_frame(r), 2);
    room_flush(r, at(2000));
    assert_int_equal(peers[0].confirmed_upto, 2);
    assert_int_equal(peers[0].last_actions[1], 1); /* policy: t % 4 at t = 1 */
    room_free(r);
}

static int hosted_input(room *r, int from, int model_seat, uint32_t frame, int32_t action)
{
    input_msg in = {.episode = (uint8_t)room_episode(r), .frame = frame, .action = action,
                    .flags = (uint16_t)(PROTO_INPUT_HOSTED | model_seat << 8)};
    return room_on_input(r, from, &in, at(episode_began + frame * 33));
}

/* A trained model's seat: its host's page sends its actions; the room waits for them as
 * for a person, uses them, and names nobody else able to send them. */
static void a_model_seat_plays_what_its_host_sends(void **state)
{
    room *r = make_room(SEAT_MODEL, 1, 100);
    assert_int_equal(has_text(&peers[0], "\"model_host\":0"), 1);
    assert_int_equal(has_text(&peers[0], "\"seats\":[\"human\",\"ai:greedy\"]"), 1);
    input(r, 0, 0, 1);
    assert_int_equal(room_frame(r), 0); /* waits for the model's action, unlike an AI's */
    assert_int_equal(hosted_input(r, 0, 1, 0, 5), 0);
    assert_int_equal(room_frame(r), 1);
    input(r, 0, 1, 2);
    assert_int_equal(hosted_input(r, 0, 1, 1, 3), 0);
    assert_int_equal(room_frame(r), 2);
    room_flush(r, at(2000));
    assert_int_equal(peers[0].last_actions[0], 2);
    assert_int_equal(peers[0].last_actions[1], 3);
    /* A hosted input naming the host's own seat, or a seat past the game's: cut off. */
    assert_int_equal(hosted_input(r, 0, 0, 2, 1), -1);
    assert_int_equal(hosted_input(r, 0, 7, 2, 1), -1);
    /* The model's repeat for a frame is dropped like anyone's: the first action stands. */
    assert_int_equal(hosted_input(r, 0, 1, 2, 0), 0);
    assert_int_equal(hosted_input(r, 0, 1, 2, 1), 0);
    assert_int_equal(room_get_stats(r).duplicate_inputs, 1);
    input(r, 0, 2, 1);
    assert_int_equal(room_frame(r), 3);
    room_flush(r, at(2000));
    assert_int_equal(peers[0].last_actions[1], 0);
    /* Silent model (its host's page stalled): defaulted once the window has passed. */
    for (uint32_t f = 3; f < 10; f++)
        input(r, 0, f, 1);
    room_tick(r, at(episode_began + 20 * 33));
    assert_true(room_frame(r) >= 4);
    room_flush(r, at(episode_began + 20 * 33));
    assert_int_equal(peers[0].last_actions[1], 4);
    assert_true(room_get_stats(r).defaulted >= 1);
    room_free(r);
}

/* Between two people no one may send the other's actions with the hosted flag. */
static void a_hosted_input_between_people_is_refused(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    assert_int_equal(has_text(&peers[0], "\"models\":[]"), 1);
    assert_int_equal(hosted_input(r, 0, 1, 0, 1), -1);
    assert_int_equal(hosted_input(r, 1, 0, 0, 1), -1);
    assert_int_equal(room_frame(r), 0);
    room_free(r);
}

static void hostile_inputs_are_contained(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    /* Out-of-range actions become the default action, counted. */
    input(r, 0, 0, 99);
    input(r, 1, 0, -7);
    assert_int_equal(room_frame(r), 1);
    room_flush(r, at(2000));
    assert_int_equal(peers[0].last_actions[0], 4);
    assert_int_equal(peers[0].last_actions[1], 4);
    assert_int_equal(room_get_stats(r).invalid_actions, 2);
    /* A second input for the same frame cannot rewrite the first. */
    input(r, 0, 1, 1);
    input(r, 0, 1, 2);
    assert_int_equal(room_get_stats(r).duplicate_inputs, 1);
    input(r, 1, 1, 0);
    room_flush(r, at(2000));
    assert_int_equal(peers[0].last_actions[0], 1);
    /* Far ahead: a protocol error (the caller cuts the connection off). */
    assert_int_equal(input(r, 0, 1000, 1), -1);
    /* Another episode's input is stale, not an error. */
    input_msg in = {.episode = 9, .frame = 2, .action = 1};
    assert_int_equal(room_on_input(r, 0, &in, at(2000)), 0);
    assert_int_equal(room_get_stats(r).stale_inputs, 1);
    /* A seat number that is not a human seat does nothing. */
    assert_int_equal(input(r, 5, 2, 1), 0);
    room_free(r);
}

static void hashes_are_verified_and_a_mismatch_resyncs(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    input(r, 0, 0, 1);
    input(r, 1, 0, 2);
    input(r, 0, 1, 1);
    input(r, 1, 1, 2);
    room_flush(r, at(2000));
    /* The true hash of frame 0: recompute it. */
    fake_state s;
    fake_reset(&s, room_episode_seed(42, 0), 100);
    env_step_out out;
    int32_t a[2] = {1, 2};
    fake_step(&s, a, &out);
    uint64_t good = env_hash(&s, sizeof s);
    input_msg in = {.episode = 0, .flags = PROTO_INPUT_HAS_HASH, .frame = 2, .action = 1,
                    .confirmed = 0, .hash = good};
    room_on_input(r, 0, &in, at(2000));
    assert_int_equal(room_get_stats(r).hashes_verified, 1);
    assert_int_equal(peers[0].states, 0);
    in.frame = 2;
    in.confirmed = 1;
    in.hash = 12345;
    room_on_input(r, 1, &in, at(2000));
    assert_int_equal(room_get_stats(r).desyncs, 1);
    assert_int_equal(peers[1].states, 1);
    room_flush(r, at(2100)); /* CONFIRMs continue from the STATE's frame, none missing */
    assert_int_equal(peers[1].confirmed_upto, room_frame(r));
    assert_int_equal(peers[0].states, 0); /* the other seat is not disturbed */
    /* A report about a frame before the resync is not counted again. */
    in.frame = 3;
    in.confirmed = 0;
    room_on_input(r, 1, &in, at(2000));
    assert_int_equal(room_get_stats(r).desyncs, 1);
    /* Forged hashes on every input: each counts, but STATE goes out once a second. */
    input(r, 0, 3, 1);
    for (uint32_t f = 4; f < 10; f++) {
        input(r, 0, f, 1);
        input_msg forged = {.episode = 0, .flags = PROTO_INPUT_HAS_HASH, .frame = f,
                            .action = 1, .confirmed = f - 2, .hash = 99};
        room_on_input(r, 1, &forged, at(2500));
    }
    assert_true(room_get_stats(r).desyncs >= 5);
    assert_int_equal(peers[1].states, 1);
    input_msg later = {.episode = 0, .flags = PROTO_INPUT_HAS_HASH, .frame = 10, .action = 1,
                       .confirmed = 8, .hash = 99};
    room_on_input(r, 1, &later, at(3100));
    assert_int_equal(peers[1].states, 2);
    assert_int_equal(peers[0].states, 0);
    room_free(r);
}

static void episodes_end_announce_and_continue(void **state)
{
    room *r = make_room(SEAT_HUMAN, 2, 3);
    for (uint32_t f = 0; f < 3; f++) {
        input(r, 0, f, 1);
        input(r, 1, f, 1);
    }
    assert_int_equal(room_frame(r), 3);
    /* Extra inputs past the end are ignored. */
    input(r, 0, 3, 1);
    room_flush(r, at(2000));
    assert_int_equal(peers[0].confirmed_upto, 3);
    /* episode_end comes after the last CONFIRM, then the next countdown. */
    assert_int_equal(has_text(&peers[0], "\"episode_end\""), 1);
    assert_int_equal(has_text(&peers[0], "\"truncated\""), 1);
    assert_int_equal(has_text(&peers[0], "\"countdown\""), 2);
    room_tick(r, at(2999));
    assert_int_equal(room_episode(r), 0);
    room_tick(r, at(3000));
    episode_began = 3000;
    assert_int_equal(room_episode(r), 1);
    assert_int_equal(room_frame(r), 0);
    peers[0].confirmed_upto = peers[1].confirmed_upto = 0;
    for (uint32_t f = 0; f < 3; f++) {
        input(r, 0, f, 2);
        input(r, 1, f, 2);
    }
    room_flush(r, at(4000));
    assert_int_equal(game_overs, 0);
    room_tick(r, at(4999));
    assert_int_equal(game_overs, 0);
    room_tick(r, at(5000)); /* the finish grace has passed */
    assert_int_equal(game_overs, 1);
    assert_string_equal(over_reason, "completed");
    assert_true(room_over(r));
    room_free(r);
}

static void drop_past_grace_ends_the_game(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    input(r, 0, 0, 1);
    input(r, 1, 0, 1);
    room_seat_disconnected(r, 1, at(1500));
    assert_int_equal(has_text(&peers[0], "\"reconnecting\""), 1);
    room_tick(r, at(3499));
    assert_int_equal(game_overs, 0);
    room_tick(r, at(3500));
    assert_int_equal(removed, 1);
    assert_int_equal(game_overs, 1);
    assert_string_equal(over_reason, "partner_dropped");
    assert_int_equal(has_text(&peers[0], "\"cut\""), 1);
    room_free(r);
}

static void drop_with_default_policy_plays_on(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    scene.on_partner_drop = DROP_DEFAULT;
    input(r, 0, 0, 1);
    room_seat_disconnected(r, 1, at(1100));
    room_tick(r, at(3200));
    assert_int_equal(removed, 1);
    assert_int_equal(game_overs, 0);
    assert_int_equal(room_frame(r), 1); /* frame 0 confirmed at once with seat 1 defaulted */
    input(r, 0, 1, 1);
    assert_int_equal(room_frame(r), 2);
    room_free(r);
}

static void drop_with_ai_policy_hands_the_seat_over(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    scene.on_partner_drop = DROP_AI;
    snprintf(scene.drop_ai, sizeof scene.drop_ai, "greedy");
    room_seat_disconnected(r, 1, at(1100));
    room_tick(r, at(3200));
    assert_int_equal(has_text(&peers[0], "\"ai\""), 1);
    input(r, 0, 0, 1);
    input(r, 0, 1, 1);
    assert_int_equal(room_frame(r), 2);
    room_flush(r, at(3300));
    assert_int_equal(peers[0].last_actions[1], 1); /* the policy: t % 4 at t = 1 */
    room_free(r);
}

static void reconnect_within_grace_resumes_with_state(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    input(r, 0, 0, 1);
    input(r, 1, 0, 1);
    room_flush(r, at(1100));
    room_seat_disconnected(r, 1, at(1200));
    for (uint32_t f = 1; f < 10; f++)
        input(r, 0, f, 1);
    assert_true(room_frame(r) >= 4); /* seat 1 defaulted meanwhile */
    int before = peers[1].ntext;
    room_seat_reconnected(r, 1, at(2000));
    assert_true(peers[1].ntext > before);
    assert_int_equal(has_text(&peers[1], "\"game_start\""), 2);
    assert_int_equal(peers[1].states, 1);
    assert_int_equal(peers[1].confirmed_upto, room_frame(r));
    assert_int_equal(has_text(&peers[0], "\"back\""), 1);
    room_tick(r, at(9000)); /* long after the grace: nobody is removed */
    assert_int_equal(removed, 0);
    room_free(r);
}

static void hidden_too_long_is_excluded(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 100);
    room_seat_visibility(r, 0, false, at(1000));
    room_seat_visibility(r, 0, true, at(2000)); /* back in time: nothing happens */
    room_tick(r, at(5000));
    assert_int_equal(removed, 0);
    room_seat_visibility(r, 0, false, at(5000));
    room_tick(r, at(7999));
    assert_int_equal(removed, 0);
    room_tick(r, at(8000));
    assert_int_equal(removed, 1);
    assert_string_equal(removed_reason, "focus_loss");
    assert_string_equal(over_reason, "partner_dropped");
    /* The excluded person is still there and hears why their game ended; the partner
     * hears that the game ended because of the drop. */
    assert_int_equal(has_text(&peers[0], "{\"type\":\"game_end\",\"reason\":\"excluded\"}"), 1);
    assert_int_equal(has_text(&peers[1], "\"reason\":\"partner_dropped\""), 1);
    room_free(r);
}

/* Every record a room writes carries the wall time of the pass it happened in: none is 0
 * or otherwise outside the minutes this game ran. */
static void every_record_carries_its_pass_wall_time(void **state)
{
    char dir[64], err[256];
    assert_non_null(test_tmpdir_new(dir, sizeof dir, "room"));
    room_store = store_open(dir, "times", err, sizeof err);
    assert_non_null(room_store);
    room *r = make_room(SEAT_HUMAN, 1, 100);
    input(r, 0, 0, 1);
    input(r, 1, 0, 1);
    room_flush(r, at(1100));
    input_msg forged = {.episode = 0, .frame = 1, .action = 1, .flags = PROTO_INPUT_HAS_HASH,
                        .confirmed = 0, .hash = 12345};
    room_on_input(r, 0, &forged, at(1150)); /* a desync */
    room_seat_visibility(r, 0, false, at(1200));
    room_seat_visibility(r, 0, true, at(1300));
    room_seat_disconnected(r, 1, at(1400));
    room_seat_reconnected(r, 1, at(1500));
    room_seat_disconnected(r, 1, at(1600));
    room_tick(r, at(3600)); /* past the grace: dropped, the game ends */
    assert_int_equal(game_overs, 1);
    room_free(r);
    store_close(room_store); /* everything queued is on disk */
    room_store = NULL;

    char path[128];
    snprintf(path, sizeof path, "%s/times/cohort.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *checks[] = {"SELECT kind, t FROM events", "SELECT 'episode_start', t FROM episode_starts",
                            "SELECT 'episode', t FROM episodes"};
    int rows = 0;
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, checks[i], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t t = sqlite3_column_int64(st, 1);
            if (t < WALL_T0 + 1000 || t > WALL_T0 + 3600)
                fail_msg("%s at t=%lld: outside the game's pass times", sqlite3_column_text(st, 0),
                         (long long)t);
            rows++;
        }
        sqlite3_finalize(st);
    }
    /* desync, hidden, visible, disconnect x2, reconnect, drop; the start; the episode */
    assert_int_equal(rows, 9);
    sqlite3_close(db);
    assert_int_equal(test_rm_tree(dir), 0);
}

/* The durable log gets frames in batches (room.c, log_frames): 8 frames at once; fewer
 * once the oldest has waited 250 ms, even while the game stalls (room_tick); an episode's
 * last frames at once. What is logged is read back after store_flush. */
static uint64_t logged_frames(void)
{
    store_flush(room_store);
    return store_get_stats(room_store).frames_logged;
}

static void frames_reach_the_log_in_batches(void **state)
{
    char dir[64], err[256];
    assert_non_null(test_tmpdir_new(dir, sizeof dir, "room"));
    room_store = store_open(dir, "batches", err, sizeof err);
    assert_non_null(room_store);
    room *r = make_room(SEAT_HUMAN, 1, 20);
    /* Frames 0-4 confirmed by 1132 ms: under 8, and the first waited less than 250 ms. */
    for (uint32_t k = 0; k < 5; k++) {
        input(r, 0, k, 1);
        input(r, 1, k, 1);
        room_flush(r, at(episode_began + k * 33));
    }
    assert_int_equal(room_frame(r), 5);
    assert_int_equal(logged_frames(), 0);
    /* Nobody sends anything more: the tick 250 ms after the first flush logs them. */
    room_tick(r, at(1249));
    assert_int_equal(logged_frames(), 0);
    room_tick(r, at(1250));
    assert_int_equal(logged_frames(), 5);
    /* Frames 5-12: the eighth waiting goes with the seven before it, at once. */
    for (uint32_t k = 5; k < 13; k++) {
        input(r, 0, k, 1);
        input(r, 1, k, 1);
        room_flush(r, at(episode_began + k * 33));
        assert_int_equal(logged_frames(), k < 12 ? 5 : 13);
    }
    /* Frames 13-19 end the episode: its last frames are logged with its end. */
    for (uint32_t k = 13; k < 20; k++) {
        input(r, 0, k, 1);
        input(r, 1, k, 1);
    }
    room_flush(r, at(episode_began + 19 * 33));
    assert_int_equal(room_frame(r), 20);
    assert_int_equal(logged_frames(), 20);
    char path[128];
    snprintf(path, sizeof path, "%s/batches/cohort.db", dir);
    frame_row *rows = NULL;
    uint32_t n = 0;
    assert_int_equal(store_frames_load(path, "g-test", 0, &rows, &n), 0);
    assert_int_equal(n, 20);
    for (uint32_t k = 0; k < n; k++)
        assert_int_equal(rows[k].frame, k);
    free(rows);
    room_free(r);
    store_close(room_store);
    room_store = NULL;
    assert_int_equal(test_rm_tree(dir), 0);
}

static void seeds_differ_by_episode_and_repeat_by_game(void **state)
{
    assert_true(room_episode_seed(1, 0) != room_episode_seed(1, 1));
    assert_true(room_episode_seed(1, 0) == room_episode_seed(1, 0));
    assert_true(room_episode_seed(1, 0) != room_episode_seed(2, 0));
    /* The browser derives the same seeds for a sampling model seat (web/agent.js
     * episodeSeed; tests/web/agent.test.mjs checks these very values). */
    assert_true(room_episode_seed(0, 0) == 16294208416658607535ULL);
    assert_true(room_episode_seed(0, 2) == 487617019471545679ULL);
    assert_true(room_episode_seed(12345, 1) == 3778200017661327597ULL);
    assert_true(room_episode_seed(UINT64_MAX, 2) == 4048727598324417001ULL);
}

/* A seat sending inputs six times faster than the game runs cannot finish the episode
 * early, and its partner's honest inputs are never replaced by defaults. */
static void a_fast_clock_is_held_to_the_room_clock(void **state)
{
    room *r = make_room(SEAT_HUMAN, 1, 150);
    uint32_t fast = 0, honest = 0;
    int64_t ended_at = -1;
    for (int64_t t = 1000; t < 9000 && ended_at < 0; t += 5) {
        if (fast < 150) { /* 200 inputs a second from t = 1000 */
            input_msg in = {.episode = 0, .frame = fast++, .action = 3};
            assert_int_equal(room_on_input(r, 0, &in, at(t)), 0);
        }
        /* The honest seat: input_delay (2) frames at once, then one per 33 ms frame. */
        while (honest < 150 && t >= 1000 + ((int64_t)honest - 2) * 1000 / 30) {
            input_msg in = {.episode = 0, .frame = honest++, .action = 1};
            assert_int_equal(room_on_input(r, 1, &in, at(t)), 0);
        }
        if (t % 20 == 0)
            room_tick(r, at(t));
        room_flush(r, at(t));
        if (room_frame(r) == 150)
            ended_at = t;
    }
    /* The episode lasted as long as its 150 frames at 30 fps (less the input delay), not
     * the 0.75 s the fast seat took to send them. */
    assert_true(ended_at >= 1000 + 147 * 1000 / 30);
    assert_int_equal(peers[1].actions_seen[1][1], 150); /* every honest input was used */
    room_stats st = room_get_stats(r);
    assert_true(st.early_inputs > 0);
    room_free(r);
}

/* Sends seat s's inputs from frame *next on, at time t, for as long as the room takes
 * them (an input past the room's clock is dropped and counted: stop there). */
static void send_while_taken(room *r, int s, uint32_t *next, uint32_t upto, int64_t t)
{
    while (*next < upto) {
        uint64_t early = room_get_stats(r).early_inputs;
        input_msg in = {.episode = 0, .frame = *next, .action = 1};
        assert_int_equal(room_on_input(r, s, &in, at(t)), 0);
        if (room_get_stats(r).early_inputs > early)
            return;
        (*next)++;
    }
}

/* step_ms 150, the 2019 studies' clock: the room's clock counts one frame per 150 ms of
 * wall time, exactly, over a whole 60 s round of 400 steps. Both of its bounds are counted
 * in those frames (D = 2, W = 5, P = 10; the clock frame c = elapsed / 150):
 *   - a silent seat's input for frame n is defaulted once it is late, c >= n - D + W, so
 *     c - 2 frames are confirmed, whatever its partner sends;
 *   - no input is taken for a frame c + P + D + 8 or later, so two seats sending as fast
 *     as the room takes confirm at most c + 20 frames.
 * A rounded rate would be off by 40 frames by the end (6 or 7 fps for 6.67). */
static void a_step_ms_clock_counts_wall_time_in_steps(void **state)
{
    room_step_ms = 150;
    room *r = make_room(SEAT_HUMAN, 1, 400);
    const int64_t t0 = episode_began;
    uint32_t next = 0;
    int64_t ended_at = -1;
    for (int64_t t = t0; t <= t0 + 62000 && ended_at < 0; t += 10) {
        /* seat 0 runs at its prediction limit (P + D past what is confirmed); seat 1 is
         * connected but sends nothing */
        send_while_taken(r, 0, &next, room_frame(r) + 12 > 400 ? 400 : room_frame(r) + 12, t);
        room_tick(r, at(t));
        room_flush(r, at(t));
        int64_t c = (t - t0) / 150, want = c - 2 < 0 ? 0 : c - 2;
        /* (the last W frames wait for the end-of-episode bound instead: below) */
        if (want <= 395 && (int64_t)room_frame(r) != want)
            fail_msg("at %lld ms (clock frame %lld): %u frames confirmed, want %lld",
                     (long long)(t - t0), (long long)c, room_frame(r), (long long)want);
        if (room_frame(r) == 400)
            ended_at = t - t0;
    }
    /* Frames 395..399 have no partner W frames ahead: they go W steps (750 ms) after the
     * last progress, at 397 x 150 + 750 ms. The round took its 60 s, not less. */
    assert_int_equal(ended_at, 60300);
    assert_int_equal(room_get_stats(r).defaulted, 400);
    assert_int_equal(room_get_stats(r).early_inputs, 0);
    room_free(r);

    room_step_ms = 150;
    r = make_room(SEAT_HUMAN, 1, 400);
    uint32_t next0 = 0, next1 = 0;
    ended_at = -1;
    for (int64_t t = t0; t <= t0 + 62000 && ended_at < 0; t += 10) {
        send_while_taken(r, 0, &next0, 400, t);
        send_while_taken(r, 1, &next1, 400, t);
        room_tick(r, at(t));
        room_flush(r, at(t));
        int64_t c = (t - t0) / 150, want = c + 20 > 400 ? 400 : c + 20;
        if ((int64_t)room_frame(r) != want)
            fail_msg("fast: at %lld ms: %u frames confirmed, want %lld", (long long)(t - t0),
                     room_frame(r), (long long)want);
        if (room_frame(r) == 400)
            ended_at = t - t0;
    }
    /* Frame 399 is taken once the clock is at 380: 57 s, not the instant two fast
     * clients could send 400 inputs in. */
    assert_int_equal(ended_at, 380 * 150);
    assert_true(room_get_stats(r).early_inputs > 0);
    assert_int_equal(room_get_stats(r).defaulted, 0);
    room_free(r);
}

/* Two people connected whose pages send nothing: the game does not stay open for ever. */
static void a_game_nobody_sends_to_ends_as_stalled(void **state)
{
    scene.no_input_timeout_s = 2;
    room *r = make_room(SEAT_HUMAN, 1, 100);
    scene.no_input_timeout_s = 2; /* make_room resets the scene: set it again */
    input(r, 0, 0, 1);
    input(r, 1, 0, 1); /* last input at 1000 */
    room_tick(r, at(2999));
    assert_int_equal(game_overs, 0);
    room_tick(r, at(3000));
    assert_int_equal(game_overs, 1);
    assert_string_equal(over_reason, "stalled");
    room_flush(r, at(3000));
    assert_int_equal(has_text(&peers[0], "{\"type\":\"game_end\",\"reason\":\"stalled\"}"), 1);
    room_free(r);
}

/* A page flipping visibility hundreds of times a second writes two rows: the first flip,
 * and where the rest ended with how many there were. */
static void visibility_flapping_is_recorded_sparingly(void **state)
{
    char dir[64], err[256];
    assert_non_null(test_tmpdir_new(dir, sizeof dir, "room"));
    room_store = store_open(dir, "flap", err, sizeof err);
    room *r = make_room(SEAT_HUMAN, 1, 100);
    room_seat_visibility(r, 0, true, at(1000)); /* a repeat: nothing */
    for (int i = 0; i < 100; i++)                /* 100 flips in 100 ms */
        room_seat_visibility(r, 0, i % 2 == 0 ? false : true, at(1000 + i));
    room_seat_visibility(r, 0, false, at(1100)); /* ends hidden */
    room_tick(r, at(1300));                      /* the gap has passed: the state is written */
    room_free(r);
    store_close(room_store);
    room_store = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/flap/cohort.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT kind, coalesce(detail, '') FROM events "
                                            "WHERE kind IN ('hidden', 'visible') ORDER BY rowid",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int rows = 0;
    char last_kind[16] = "", last_detail[64] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        snprintf(last_kind, sizeof last_kind, "%s", sqlite3_column_text(st, 0));
        snprintf(last_detail, sizeof last_detail, "%s", sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(rows, 2); /* the first flip, then where the other 100 ended */
    assert_string_equal(last_kind, "hidden");
    assert_string_equal(last_detail, "{\"changes\":100}");
    assert_int_equal(test_rm_tree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(confirms_when_every_seat_has_sent),
        cmocka_unit_test(a_lagging_seat_is_defaulted_after_the_window),
        cmocka_unit_test(a_seat_that_runs_late_is_told_by_how_much),
        cmocka_unit_test(the_last_frames_never_wait_forever_for_a_laggard),
        cmocka_unit_test(an_ai_seat_never_waits),
        cmocka_unit_test(a_model_seat_plays_what_its_host_sends),
        cmocka_unit_test(a_hosted_input_between_people_is_refused),
        cmocka_unit_test(hostile_inputs_are_contained),
        cmocka_unit_test(hashes_are_verified_and_a_mismatch_resyncs),
        cmocka_unit_test(episodes_end_announce_and_continue),
        cmocka_unit_test(drop_past_grace_ends_the_game),
        cmocka_unit_test(drop_with_default_policy_plays_on),
        cmocka_unit_test(drop_with_ai_policy_hands_the_seat_over),
        cmocka_unit_test(reconnect_within_grace_resumes_with_state),
        cmocka_unit_test(hidden_too_long_is_excluded),
        cmocka_unit_test(seeds_differ_by_episode_and_repeat_by_game),
        cmocka_unit_test(every_record_carries_its_pass_wall_time),
        cmocka_unit_test(frames_reach_the_log_in_batches),
        cmocka_unit_test(a_fast_clock_is_held_to_the_room_clock),
        cmocka_unit_test(a_step_ms_clock_counts_wall_time_in_steps),
        cmocka_unit_test(a_game_nobody_sends_to_ends_as_stalled),
        cmocka_unit_test(visibility_flapping_is_recorded_sparingly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
