/* volley env: physics, bounces, scoring, episode end, snapshots and the tracker policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"
#include "volley/volley.h"

#define Q VOLLEY_ONE
enum { ST = VOLLEY_STAY, LE = VOLLEY_LEFT, RI = VOLLEY_RIGHT, JU = VOLLEY_JUMP };

static const env_def *volley(void)
{
    const env_def *e = env_find("volley/slime");
    assert_non_null(e);
    return e;
}

static env_step_out step2(volley_state *s, int32_t a0, int32_t a1)
{
    int32_t a[2] = {a0, a1};
    env_step_out out;
    volley()->step(s, a, &out);
    return out;
}

/* A state with the ball in play at x,y (units) moving vx,vy (Q8 per tick). */
static void ball_at(volley_state *s, int x, int y, int vx, int vy)
{
    volley()->reset(s, 1, 0);
    s->serve_wait = 0;
    s->ball = (volley_body){x * Q, y * Q, vx, vy};
}

static void test_reset(void **unused)
{
    const env_def *e = volley();
    volley_state a, b;
    memset(&a, 0x5A, sizeof a);
    memset(&b, 0xA5, sizeof b);
    e->reset(&a, 42, 0);
    e->reset(&b, 42, 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(e->state_size, 104);
    assert_int_equal(a.horizon, VOLLEY_HORIZON);
    assert_int_equal(a.slime[0].x, 250 * Q);
    assert_int_equal(a.slime[1].x, 750 * Q);
    assert_int_equal(a.slime[0].y, 0);
    assert_int_equal(a.serve_wait, VOLLEY_SERVE_WAIT);
    assert_int_equal(a.ball.x, a.slime[a.server].x);
    assert_int_equal(a.ball.y, VOLLEY_SERVE_Y * Q);
    /* the seed picks the first server: both sides occur */
    int servers[2] = {0, 0};
    for (uint64_t seed = 0; seed < 32; seed++) {
        e->reset(&a, seed, 0);
        servers[a.server]++;
    }
    assert_true(servers[0] > 0 && servers[1] > 0);
}

static void test_serve_and_gravity(void **unused)
{
    volley_state s;
    volley()->reset(&s, 3, 0);
    for (int k = 0; k < VOLLEY_SERVE_WAIT; k++) {
        assert_int_equal(s.ball.y, VOLLEY_SERVE_Y * Q); /* hangs until served */
        step2(&s, ST, ST);
    }
    assert_int_equal(s.serve_wait, 0);
    int32_t y0 = s.ball.y, vy0 = s.ball.vy;
    step2(&s, ST, ST);
    assert_true(s.ball.y < y0);
    assert_true(s.ball.vy < vy0);
    assert_int_equal(s.ball.vy, vy0 - VOLLEY_TICKS * VOLLEY_BALL_G);
}

static void test_slime_walk_and_limits(void **unused)
{
    volley_state s;
    volley()->reset(&s, 1, 0);
    s.serve_wait = 100000; /* keep the ball hanging */
    step2(&s, RI, LE);
    assert_int_equal(s.slime[0].x, 250 * Q + VOLLEY_TICKS * VOLLEY_SLIME_VX);
    assert_int_equal(s.slime[1].x, 750 * Q - VOLLEY_TICKS * VOLLEY_SLIME_VX);
    for (int k = 0; k < 100; k++)
        step2(&s, RI, LE);
    /* nobody crosses the net */
    assert_int_equal(s.slime[0].x, (VOLLEY_NET_X - VOLLEY_NET_HW - VOLLEY_SLIME_R) * Q);
    assert_int_equal(s.slime[1].x, (VOLLEY_NET_X + VOLLEY_NET_HW + VOLLEY_SLIME_R) * Q);
    for (int k = 0; k < 100; k++)
        step2(&s, LE, RI);
    /* nor leaves the court */
    assert_int_equal(s.slime[0].x, VOLLEY_SLIME_R * Q);
    assert_int_equal(s.slime[1].x, (VOLLEY_W - VOLLEY_SLIME_R) * Q);
}

static void test_jump(void **unused)
{
    volley_state s;
    volley()->reset(&s, 1, 0);
    s.serve_wait = 100000;
    step2(&s, JU, ST);
    assert_true(s.slime[0].y > 0);
    assert_int_equal(s.slime[1].y, 0);
    int32_t peak = 0, steps = 1;
    while (s.slime[0].y > 0 && steps < 200) {
        volley_state again = s;
        int32_t vy = s.slime[0].vy;
        step2(&s, ST, ST);
        step2(&again, JU, ST);
        if (s.slime[0].y > 0) {
            /* gravity pulls; jump pressed in the air does nothing */
            assert_true(s.slime[0].vy < vy);
            assert_memory_equal(&s.slime[0], &again.slime[0], sizeof s.slime[0]);
        }
        if (s.slime[0].y > peak)
            peak = s.slime[0].y;
        steps++;
    }
    assert_int_equal(s.slime[0].y, 0);
    assert_int_equal(s.slime[0].vy, 0);
    assert_true(peak > 100 * Q && peak < 200 * Q);
    assert_true(steps > 10 && steps < 60);
}

static void test_point_and_new_rally(void **unused)
{
    volley_state s;
    ball_at(&s, 100, 20, 0, -400); /* about to land on the left side, nobody under it */
    s.slime[0].x = 400 * Q;
    env_step_out out = step2(&s, ST, ST);
    assert_int_equal(out.rewards[0], -1);
    assert_int_equal(out.rewards[1], 1);
    assert_int_equal(s.score[1], 1);
    assert_int_equal(s.rallies, 1);
    assert_int_equal(out.info[VOLLEY_INFO_SCORE1], 1);
    assert_int_equal(out.info[VOLLEY_INFO_RALLIES], 1);
    assert_int_equal(out.terminated, 0);
    /* the scorer serves; everything back to the start */
    assert_int_equal(s.server, 1);
    assert_int_equal(s.serve_wait, VOLLEY_SERVE_WAIT);
    assert_int_equal(s.ball.x, 750 * Q);
    assert_int_equal(s.slime[0].x, 250 * Q);

    ball_at(&s, 900, 20, 0, -400); /* right side: left player scores */
    out = step2(&s, ST, ST);
    assert_int_equal(out.rewards[0], 1);
    assert_int_equal(out.rewards[1], -1);
    assert_int_equal(s.score[0], 1);
}

static void test_bounce_on_slime(void **unused)
{
    volley_state s;
    ball_at(&s, 250, 80, 0, -600); /* falling onto the top of the resting left slime */
    int bounced = 0;
    for (int k = 0; k < 10 && !bounced; k++) {
        step2(&s, ST, ST);
        bounced = s.ball.vy > 0;
    }
    assert_true(bounced);
    assert_int_equal(s.hits[0], 1);
    assert_int_equal(s.hits[1], 0);
    assert_int_equal(s.last_hit, 0);
    assert_int_equal(s.score[0] + s.score[1], 0);
    /* off-centre: the ball leaves sideways, away from the centre */
    ball_at(&s, 280, 90, 0, -600);
    for (int k = 0; k < 10 && s.ball.vy <= 0; k++)
        step2(&s, ST, ST);
    assert_true(s.ball.vy > 0);
    assert_true(s.ball.vx > 0);
    /* a jumping slime hits harder than a resting one */
    volley_state rest, jump;
    ball_at(&rest, 250, 140, 0, -300);
    ball_at(&jump, 250, 140, 0, -300);
    for (int k = 0; k < 12; k++) {
        step2(&rest, ST, ST);
        step2(&jump, JU, ST);
    }
    assert_true(jump.hits[0] == 1 && rest.hits[0] == 1);
    assert_true(jump.ball.y > rest.ball.y);
}

static void test_bounce_on_walls(void **unused)
{
    volley_state s;
    ball_at(&s, 20, 300, -800, 0);
    s.slime[0].x = 400 * Q;
    step2(&s, ST, ST);
    assert_true(s.ball.vx > 0);
    assert_true(s.ball.x >= VOLLEY_BALL_R * Q);
    ball_at(&s, 980, 300, 800, 0);
    step2(&s, ST, ST);
    assert_true(s.ball.vx < 0);
    assert_true(s.ball.x <= (VOLLEY_W - VOLLEY_BALL_R) * Q);
}

static void test_bounce_on_net(void **unused)
{
    volley_state s;
    /* low and fast into the side of the net: bounces back, stays on the left */
    ball_at(&s, 470, 50, 1000, 200);
    s.slime[0].x = 100 * Q;
    for (int k = 0; k < 6; k++)
        step2(&s, ST, ST);
    assert_true(s.ball.vx < 0);
    assert_true(s.ball.x < VOLLEY_NET_X * Q);
    /* straight down onto the top of the net: up again, pushed off sideways */
    ball_at(&s, 500, 130, 0, -500);
    int up = 0;
    for (int k = 0; k < 10 && !up; k++) {
        step2(&s, ST, ST);
        up = s.ball.vy > 0;
    }
    assert_true(up);
    assert_true(s.ball.vx <= -32 || s.ball.vx >= 32);
    assert_true(s.ball.y > VOLLEY_NET_H * Q);
}

static void test_episode_end(void **unused)
{
    volley_state s;
    ball_at(&s, 900, 20, 0, -400);
    s.score[0] = VOLLEY_WIN_SCORE - 1;
    env_step_out out = step2(&s, ST, ST);
    assert_int_equal(out.terminated, 1);
    assert_int_equal(s.score[0], VOLLEY_WIN_SCORE);
    assert_int_equal(s.done, 1);
    volley_state done = s;
    out = step2(&s, RI, JU);
    assert_int_equal(out.terminated, 1);
    assert_int_equal(out.rewards[0], 0);
    assert_memory_equal(&done, &s, sizeof s);

    volley()->reset(&s, 1, 10);
    for (int k = 1; k <= 10; k++) {
        out = step2(&s, ST, ST);
        assert_int_equal(out.truncated, k == 10);
    }
}

static void test_invalid_actions_are_stay(void **unused)
{
    const int32_t bad[] = {-1, 6, 100, INT32_MIN, INT32_MAX};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        volley_state a, b;
        volley()->reset(&a, 9, 0);
        for (int t = 0; t < 30; t++)
            step2(&a, RI, JU);
        b = a;
        env_step_out oa = step2(&a, bad[k], bad[k]);
        env_step_out ob = step2(&b, ST, ST);
        assert_memory_equal(&a, &b, sizeof a);
        assert_memory_equal(&oa, &ob, sizeof oa);
    }
}

static uint32_t lcg(uint32_t *r)
{
    *r = *r * 1664525u + 1013904223u;
    return *r >> 16;
}

static void test_snapshot_restore(void **unused)
{
    const env_def *e = volley();
    volley_state s, snap;
    e->reset(&s, 77, 0);
    uint32_t r = 3;
    for (int t = 0; t < 400; t++)
        step2(&s, e->policy(0, &s, 0), (int32_t)(lcg(&r) % 6));
    snap = s;
    uint32_t r_snap = r;
    uint64_t h[500];
    for (int t = 0; t < 500; t++) {
        step2(&s, e->policy(0, &s, 0), (int32_t)(lcg(&r) % 6));
        h[t] = env_hash(&s, sizeof s);
    }
    s = snap;
    r = r_snap;
    for (int t = 0; t < 500; t++) {
        step2(&s, e->policy(0, &s, 0), (int32_t)(lcg(&r) % 6));
        assert_true(env_hash(&s, sizeof s) == h[t]);
    }
}

static void test_tracker(void **unused)
{
    const env_def *e = volley();
    assert_int_equal(env_policy_find(e, "tracker"), 0);
    /* against a player that never moves, the tracker wins every point */
    for (uint32_t seat = 0; seat < 2; seat++) {
        volley_state s;
        e->reset(&s, 5 + seat, 0);
        env_step_out out = {0};
        for (int t = 0; t < VOLLEY_HORIZON && !out.terminated; t++) {
            int32_t a[2] = {ST, ST};
            a[seat] = e->policy(0, &s, seat);
            e->step(&s, a, &out);
        }
        printf("tracker (seat %u) vs idle: %d-%d, tracker touches %u\n", seat, s.score[0], s.score[1],
               s.hits[seat]);
        assert_int_equal(out.terminated, 1);
        assert_int_equal(s.score[seat], VOLLEY_WIN_SCORE);
        assert_int_equal(s.score[!seat], 0);
        assert_true(s.hits[seat] >= 3);
    }
    /* two trackers keep the ball in play: both return it again and again */
    volley_state s;
    e->reset(&s, 8, 0);
    for (int t = 0; t < 1500; t++)
        step2(&s, e->policy(0, &s, 0), e->policy(0, &s, 1));
    printf("tracker vs tracker, 1500 steps: touches %u/%u, points %d-%d\n", s.hits[0], s.hits[1],
           s.score[0], s.score[1]);
    assert_true(s.hits[0] >= 10 && s.hits[1] >= 10);
}

static void test_render(void **unused)
{
    const env_def *e = volley();
    volley_state s;
    env_drawlist dl;
    e->reset(&s, 1, 0);
    s.score[1] = 3;
    e->render(&s, &dl);
    int slimes = 0, balls = 0, texts = 0;
    for (uint32_t k = 0; k < dl.count; k++) {
        const env_draw *d = &dl.items[k];
        slimes += d->kind == DRAW_SPRITE && d->id == 10;
        balls += d->kind == DRAW_CIRCLE;
        if (d->kind == DRAW_TEXT)
            texts += strcmp(d->text, "3") == 0 || strcmp(d->text, "0") == 0 ||
                     strcmp(d->text, "time 3600") == 0;
    }
    assert_int_equal(slimes, 2);
    assert_int_equal(balls, 1);
    assert_int_equal(texts, 3);
}

static void test_garbage_state_is_safe(void **unused)
{
    /* any bytes at all: step, render and policy stay in bounds (ASan/UBSan check it) */
    const env_def *e = volley();
    uint32_t r = 1;
    for (int k = 0; k < 2000; k++) {
        uint8_t raw[sizeof(volley_state)];
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = (uint8_t)(k % 3 == 0 ? 0xFF : k % 3 == 1 ? lcg(&r) : (lcg(&r) & 1 ? 0x80 : 0x7F));
        volley_state s;
        memcpy(&s, raw, sizeof s);
        env_drawlist dl;
        e->render(&s, &dl);
        int32_t a[2] = {e->policy(0, &s, 0), e->policy(0, &s, 1)};
        env_step_out out;
        for (int t = 0; t < 5; t++)
            e->step(&s, a, &out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_serve_and_gravity),
        cmocka_unit_test(test_slime_walk_and_limits),
        cmocka_unit_test(test_jump),
        cmocka_unit_test(test_point_and_new_rally),
        cmocka_unit_test(test_bounce_on_slime),
        cmocka_unit_test(test_bounce_on_walls),
        cmocka_unit_test(test_bounce_on_net),
        cmocka_unit_test(test_episode_end),
        cmocka_unit_test(test_invalid_actions_are_stay),
        cmocka_unit_test(test_snapshot_restore),
        cmocka_unit_test(test_tracker),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_garbage_state_is_safe),
    };
    return cmocka_run_group_tests_name("env_volley", tests, NULL, NULL);
}
