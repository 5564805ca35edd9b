/*
 * commons/harvest (envs/commons/commons.h): the rules as a player meets them. Moving and
 * its pace, eating (the reward), regrowth that rises with the apples nearby and is zero
 * with none (a bare patch stays bare), the tag beam and the time out, the end when the
 * last apple is eaten, and the two scripted players.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "commons/commons.h"
#include "registry.h"

static const env_def *env(void)
{
    const env_def *e = env_find("commons/harvest");
    assert_non_null(e);
    return e;
}

static env_step_out step4(commons_state *s, int32_t a0, int32_t a1, int32_t a2, int32_t a3)
{
    int32_t a[ENV_MAX_PLAYERS] = {a0, a1, a2, a3};
    env_step_out out;
    env()->step(s, a, &out);
    return out;
}

static env_step_out idle(commons_state *s, int n)
{
    env_step_out out = {0};
    for (int i = 0; i < n; i++)
        out = step4(s, COMMONS_STAY, COMMONS_STAY, COMMONS_STAY, COMMONS_STAY);
    return out;
}

static int apples(const commons_state *s)
{
    int n = 0;
    for (int c = 0; c < COMMONS_CELLS; c++)
        n += s->apple[c];
    return n;
}

static void reset_has_four_players_in_corners_and_a_full_orchard(void **unused)
{
    commons_state s;
    env()->reset(&s, 1, 0);
    assert_int_equal(env()->players, 4);
    assert_int_equal(s.horizon, COMMONS_HORIZON);
    assert_int_equal(s.p[0].x, 0);
    assert_int_equal(s.p[0].y, 0);
    assert_int_equal(s.p[3].x, COMMONS_W - 1);
    assert_int_equal(s.p[3].y, COMMONS_H - 1);
    assert_int_equal(apples(&s), 56);
    for (int c = 0; c < COMMONS_CELLS; c++)
        assert_int_equal(s.apple[c], commons_orchard(c % COMMONS_W, c / COMMONS_W));
}

/* One cell per COMMONS_MOVE_STEPS steps however long the key is held; an apple stepped on
 * is eaten and pays the eater alone. */
static void moving_is_paced_and_eating_pays_the_eater(void **unused)
{
    commons_state s;
    env()->reset(&s, 2, 0);
    /* player 0 at (0,0); the orchard's nearest apple is (4,1): right x4, down x1 */
    for (int i = 0; i < COMMONS_MOVE_STEPS; i++)
        step4(&s, COMMONS_RIGHT, COMMONS_STAY, COMMONS_STAY, COMMONS_STAY);
    assert_int_equal(s.p[0].x, 1); /* four steps held: one cell */
    s.p[0].x = 4;
    s.p[0].y = 0;
    s.p[0].move_wait = 0;
    env_step_out out = step4(&s, COMMONS_DOWN, COMMONS_STAY, COMMONS_STAY, COMMONS_STAY);
    assert_int_equal(s.p[0].y, 1);
    assert_int_equal(out.rewards[0], 1);
    assert_int_equal(out.rewards[1] + out.rewards[2] + out.rewards[3], 0);
    assert_int_equal(s.apple[1 * COMMONS_W + 4], 0);
    assert_int_equal(out.info[COMMONS_INFO_EATEN], 1);
    assert_int_equal(s.p[0].eaten, 1);
}

/* Regrowth rises with the apples nearby and is zero with none: a cell with a full patch
 * around it grows back soon, a patch eaten bare never does. */
static void regrowth_needs_apples_nearby(void **unused)
{
    commons_state s;
    env()->reset(&s, 3, 0);
    /* Bare both left diamonds (x < 8): no apple stands within distance 2 of any of them. */
    for (int y = 0; y < COMMONS_H; y++)
        for (int x = 0; x < 8; x++)
            if (commons_orchard(x, y))
                s.apple[y * COMMONS_W + x] = 0;
    /* Leave the lower-right diamond (centre (13,8)) full but for its centre. */
    s.apple[8 * COMMONS_W + 13] = 0;
    int grown_centre = 0;
    for (int t = 0; t < 1000; t++) {
        idle(&s, 1);
        grown_centre |= s.apple[8 * COMMONS_W + 13];
    }
    assert_true(grown_centre); /* twelve apples around: P = COMMONS_P_MANY a step */
    for (int y = 0; y < COMMONS_H; y++) /* 1000 steps later the bare patches are bare */
        for (int x = 0; x < 8; x++)
            if (commons_orchard(x, y))
                assert_int_equal(s.apple[y * COMMONS_W + x], 0);
}

/* The beam tags out a player in front for COMMONS_TAG_OUT steps; it comes back at its
 * corner. The tagger waits COMMONS_TAG_COOLDOWN steps before tagging again. */
static void the_tag_beam_removes_a_player_for_a_while(void **unused)
{
    commons_state s;
    env()->reset(&s, 4, 0);
    s.p[0].x = 8;
    s.p[0].y = 0;
    s.p[0].facing = COMMONS_RIGHT;
    s.p[1].x = 12; /* four cells ahead */
    s.p[1].y = 1;  /* one row beside: inside the three-wide beam */
    env_step_out out = step4(&s, COMMONS_TAG, COMMONS_STAY, COMMONS_STAY, COMMONS_STAY);
    assert_int_equal(s.p[1].out, COMMONS_TAG_OUT);
    assert_int_equal(out.info[COMMONS_INFO_TAGS], 1);
    assert_int_equal(out.info[COMMONS_INFO_OUT], 1);
    assert_int_equal(s.p[0].tags, 1);
    assert_int_equal(s.p[1].tagged, 1);
    /* Its actions count for nothing while out. */
    step4(&s, COMMONS_STAY, COMMONS_LEFT, COMMONS_STAY, COMMONS_STAY);
    assert_int_equal(s.p[1].x, 12);
    /* A second tag before the cooldown does nothing: player 2 stands in the beam. */
    s.p[2].x = 10;
    s.p[2].y = 0;
    idle(&s, COMMONS_BEAM_STEPS);
    step4(&s, COMMONS_TAG, COMMONS_STAY, COMMONS_STAY, COMMONS_STAY);
    assert_int_equal(s.p[2].out, 0);
    idle(&s, COMMONS_TAG_OUT - COMMONS_BEAM_STEPS - 3);
    assert_true(s.p[1].out > 0);
    idle(&s, 2);
    assert_int_equal(s.p[1].out, 0);
    assert_int_equal(s.p[1].x, COMMONS_W - 1);
    assert_int_equal(s.p[1].y, 0);
}

/* When the last apple is eaten nothing can ever grow: the episode terminates. */
static void the_last_apple_ends_the_episode(void **unused)
{
    commons_state s;
    env()->reset(&s, 5, 0);
    memset(s.apple, 0, sizeof s.apple);
    s.apple[1 * COMMONS_W + 4] = 1;
    s.p[0].x = 4;
    s.p[0].y = 0;
    env_step_out out = step4(&s, COMMONS_DOWN, COMMONS_STAY, COMMONS_STAY, COMMONS_STAY);
    assert_int_equal(out.rewards[0], 1);
    assert_int_equal(out.terminated, 1);
    uint32_t t = s.t;
    out = idle(&s, 3);
    assert_int_equal(out.terminated, 1);
    assert_int_equal(s.t, t); /* a finished episode stands still */
}

/* Four sustainable players keep the orchard alive for the whole horizon; four greedy ones
 * eat it bare first. Both policies only ever move or stay. */
static int32_t play(uint32_t policy, uint64_t seed, uint32_t *steps)
{
    commons_state s;
    env()->reset(&s, seed, 1800);
    env_step_out out = {0};
    int32_t total = 0;
    for (*steps = 0; *steps < 1800; (*steps)++) {
        int32_t a[ENV_MAX_PLAYERS];
        for (uint32_t k = 0; k < 4; k++) {
            a[k] = env()->policy(policy, &s, k);
            assert_true(a[k] >= 0 && a[k] < COMMONS_TAG);
        }
        env()->step(&s, a, &out);
        for (int k = 0; k < 4; k++)
            total += out.rewards[k];
        if (out.terminated || out.truncated)
            break;
    }
    assert_int_equal(total, (int32_t)s.eaten);
    return apples(&s);
}

static void sustainable_players_keep_the_orchard_greedy_ones_strip_it(void **unused)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        uint32_t steps;
        int left = play(0, seed, &steps);
        assert_true(left > 0);
        assert_true(steps >= 1799); /* truncated at the horizon, never terminated */
        int greedy_left = play(1, seed, &steps);
        assert_true(greedy_left < left);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_has_four_players_in_corners_and_a_full_orchard),
        cmocka_unit_test(moving_is_paced_and_eating_pays_the_eater),
        cmocka_unit_test(regrowth_needs_apples_nearby),
        cmocka_unit_test(the_tag_beam_removes_a_player_for_a_while),
        cmocka_unit_test(the_last_apple_ends_the_episode),
        cmocka_unit_test(sustainable_players_keep_the_orchard_greedy_ones_strip_it),
    };
    return cmocka_run_group_tests_name("env_commons", tests, NULL, NULL);
}
