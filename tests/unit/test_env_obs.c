/*
 * cooking observations: the native encoders against overcooked_ai's own values
 * (tests/fixtures/obs/, made by make_reference.py: README.md there), then the channels a
 * trained agent depends on, checked by hand, and the observe ABI's edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cooking/cooking.h"
#include "registry.h"

#define LINE_MAX_LEN (1 << 17)

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Checks every state of one fixture file; returns how many observations matched. */
static int check_fixture(const char *path, const char *encoding, uint32_t channels)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s (run the test from the repository root)", path);
    char *line = malloc(LINE_MAX_LEN);
    int32_t *want = malloc(ENV_MAX_OBS_VALUES * sizeof *want);
    int32_t *got = malloc(ENV_MAX_OBS_VALUES * sizeof *got);
    uint8_t state[4096];
    const env_def *e = NULL;
    int k = -1, lineno = 0, checked = 0, seen_encoding = 0;
    uint32_t seats_seen = 0, envs_seen = 0;
    while (fgets(line, LINE_MAX_LEN, f)) {
        lineno++;
        size_t len = strlen(line);
        assert_true(len + 1 < LINE_MAX_LEN); /* no line was cut */
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (strncmp(line, "encoding ", 9) == 0) {
            char name[32];
            unsigned ch = 0;
            assert_int_equal(sscanf(line + 9, "%31s %u", name, &ch), 2);
            assert_string_equal(name, encoding);
            assert_int_equal(ch, channels);
            seen_encoding = 1;
        } else if (strncmp(line, "state ", 6) == 0) {
            char name[64];
            int off = 0;
            assert_int_equal(sscanf(line + 6, "%63s %n", name, &off), 1);
            e = env_find(name);
            if (!e)
                fail_msg("%s:%d: no env %s", path, lineno, name);
            k = -1;
            for (uint32_t i = 0; i < e->nobs; i++)
                if (strcmp(e->obs_names[i], encoding) == 0)
                    k = (int)i;
            assert_true(k >= 0);
            assert_int_equal(e->obs_dims[k][2], channels);
            const char *hex = line + 6 + off;
            for (uint32_t b = 0; b < e->state_size; b++) {
                int hi = hexval(hex[2 * b]), lo = hi < 0 ? -1 : hexval(hex[2 * b + 1]);
                if (hi < 0 || lo < 0)
                    fail_msg("%s:%d: state bytes cut short", path, lineno);
                state[b] = (uint8_t)(hi << 4 | lo);
            }
            assert_true(hex[2 * e->state_size] == '\n' || hex[2 * e->state_size] == '\0');
            for (uint32_t i = 0; i < cooking_family_count(); i++)
                if (cooking_family_at(i) == e)
                    envs_seen |= 1u << i;
        } else if (strncmp(line, "obs ", 4) == 0) {
            assert_non_null(e);
            unsigned seat, n;
            int off = 0;
            assert_int_equal(sscanf(line + 4, "%u %u%n", &seat, &n, &off), 2);
            const uint32_t *d = e->obs_dims[k];
            uint32_t total = d[0] * d[1] * d[2];
            memset(want, 0, total * sizeof *want);
            const char *p = line + 4 + off;
            for (unsigned j = 0; j < n; j++) {
                unsigned idx;
                int v, used = 0;
                if (sscanf(p, " %u:%d%n", &idx, &v, &used) != 2 || idx >= total)
                    fail_msg("%s:%d: bad value %u of %u", path, lineno, j, n);
                want[idx] = v;
                p += used;
            }
            for (uint32_t j = 0; j < total; j++)
                got[j] = -12345;
            assert_int_equal(e->observe((uint32_t)k, state, seat, got, ENV_MAX_OBS_VALUES), total);
            for (uint32_t j = 0; j < total; j++)
                if (got[j] != want[j]) {
                    uint32_t c = j % d[2], y = j / d[2] % d[1], x = j / d[2] / d[1];
                    fail_msg("%s:%d: %s seat %u: x %u y %u channel %u is %d, overcooked_ai "
                             "says %d", path, lineno, e->name, seat, x, y, c, got[j], want[j]);
                }
            seats_seen |= 1u << seat;
            checked++;
        } else {
            fail_msg("%s:%d: unknown line", path, lineno);
        }
    }
    fclose(f);
    free(line);
    free(want);
    free(got);
    assert_true(seen_encoding);
    assert_int_equal(seats_seen, 3);                                 /* both seats primary */
    assert_int_equal(envs_seen, (1u << cooking_family_count()) - 1); /* every layout */
    printf("%s: %d observations equal overcooked_ai's\n", path, checked);
    return checked;
}

static void test_reference_2019(void **unused)
{
    assert_true(check_fixture("tests/fixtures/obs/lossless2019.txt", "lossless2019",
                              COOKING_OBS2019_CHANNELS) >= 400);
}

static void test_reference_current(void **unused)
{
    assert_true(check_fixture("tests/fixtures/obs/lossless.txt", "lossless",
                              COOKING_OBS_CHANNELS) >= 400);
}

/* ---- by hand, on cramped_room (5 x 4; pot (2,0), counters (0,0) (0,2) ...) ---- */

static int32_t obs[ENV_MAX_OBS_VALUES];

static int32_t at(uint32_t k, int x, int y, int c)
{
    const uint32_t h = 4, ch = k == 0 ? 20 : 26;
    return obs[((uint32_t)x * h + (uint32_t)y) * ch + (uint32_t)c];
}

static const env_def *cramped_observed(cooking_state *s, uint32_t k, uint32_t seat)
{
    const env_def *e = env_find("cooking/cramped_room");
    assert_non_null(e);
    assert_int_equal(e->observe(k, s, seat, obs, ENV_MAX_OBS_VALUES), e->obs_dims[k][0] * e->obs_dims[k][1] * e->obs_dims[k][2]);
    return e;
}

static void test_players_and_facing(void **unused)
{
    const env_def *e = env_find("cooking/cramped_room");
    cooking_state s;
    e->reset(&s, 1, 0); /* chef 0 at (1,2), chef 1 at (3,1), both facing up */
    s.chef[0].dir = COOK_RIGHT;
    s.chef[1].dir = COOK_LEFT;
    for (uint32_t k = 0; k < 2; k++) {
        cramped_observed(&s, k, 0);
        assert_int_equal(at(k, 1, 2, 0), 1); /* primary's cell */
        assert_int_equal(at(k, 3, 1, 1), 1); /* the other's */
        assert_int_equal(at(k, 1, 2, 1), 0);
        /* overcooked_ai's order is N S E W: right is index 2, left 3 */
        assert_int_equal(at(k, 1, 2, 2 + 2), 1);
        assert_int_equal(at(k, 1, 2, 2 + 3), 0);
        assert_int_equal(at(k, 3, 1, 6 + 3), 1);
        cramped_observed(&s, k, 1); /* seat 1 primary: its layers come first */
        assert_int_equal(at(k, 3, 1, 0), 1);
        assert_int_equal(at(k, 1, 2, 1), 1);
        assert_int_equal(at(k, 3, 1, 2 + 3), 1);
        assert_int_equal(at(k, 1, 2, 6 + 2), 1);
    }
    cramped_observed(&s, 0, 0);
    assert_int_equal(at(0, 2, 0, 10), 1); /* pot */
    assert_int_equal(at(0, 0, 0, 11), 1); /* counter */
    assert_int_equal(at(0, 0, 1, 12), 1); /* onion dispenser */
    assert_int_equal(at(0, 1, 3, 13), 1); /* dish dispenser */
    assert_int_equal(at(0, 3, 3, 14), 1); /* serving window */
    cramped_observed(&s, 1, 0);
    assert_int_equal(at(1, 0, 1, 12), 1);
    assert_int_equal(at(1, 1, 3, 14), 1); /* dish dispenser: 13 is the tomato dispensers */
    assert_int_equal(at(1, 3, 3, 15), 1);
}

static void test_pot_and_cook_time(void **unused)
{
    const env_def *e = env_find("cooking/cramped_room");
    cooking_state s;
    e->reset(&s, 1, 0);
    int pot = 0 * 5 + 2;
    s.item[pot] = 2;
    cramped_observed(&s, 0, 0);
    assert_int_equal(at(0, 2, 0, 15), 2);
    assert_int_equal(at(0, 2, 0, 16), 0);
    cramped_observed(&s, 1, 0);
    assert_int_equal(at(1, 2, 0, 16), 2); /* idle: onions_in_pot */
    assert_int_equal(at(1, 2, 0, 18), 0);
    s.item[pot] = 3;
    s.cook[pot] = 5;
    cramped_observed(&s, 0, 0);
    assert_int_equal(at(0, 2, 0, 15), 3);
    assert_int_equal(at(0, 2, 0, 16), 5); /* steps cooked */
    cramped_observed(&s, 1, 0);
    assert_int_equal(at(1, 2, 0, 16), 0);
    assert_int_equal(at(1, 2, 0, 18), 3);  /* onions in a cooking soup */
    assert_int_equal(at(1, 2, 0, 20), 15); /* steps left */
    assert_int_equal(at(1, 2, 0, 21), 0);
    s.cook[pot] = COOKING_COOK_TIME;
    cramped_observed(&s, 1, 0);
    assert_int_equal(at(1, 2, 0, 20), 0);
    assert_int_equal(at(1, 2, 0, 21), 1); /* done */
}

static void test_held_items_2019_quirk(void **unused)
{
    const env_def *e = env_find("cooking/cramped_room");
    cooking_state s;
    e->reset(&s, 1, 0);
    int counter = 2 * 5 + 0, pot = 2;
    s.item[counter] = ITEM_ONION;
    s.item[pot] = 2;
    cramped_observed(&s, 0, 0);
    assert_int_equal(at(0, 0, 2, 19), 1); /* nobody holds an onion: the counter's is seen */
    s.chef[1].held = ITEM_ONION;
    cramped_observed(&s, 0, 0);
    assert_int_equal(at(0, 3, 1, 19), 1); /* the held one */
    assert_int_equal(at(0, 0, 2, 19), 0); /* 2019: a held onion hides the counter's */
    assert_int_equal(at(0, 2, 0, 15), 2); /* ... but not the pot's (a soup) */
    cramped_observed(&s, 1, 0);
    assert_int_equal(at(1, 0, 2, 23), 1); /* current: every object is encoded */
    assert_int_equal(at(1, 3, 1, 23), 1);
    s.chef[1].held = ITEM_SOUP;
    cramped_observed(&s, 0, 0);
    assert_int_equal(at(0, 3, 1, 17), 1); /* a soup outside a pot */
    assert_int_equal(at(0, 2, 0, 15), 0); /* 2019: a held soup hides the pots */
    assert_int_equal(at(0, 0, 2, 19), 1);
    cramped_observed(&s, 1, 0);
    assert_int_equal(at(1, 2, 0, 16), 2);
    assert_int_equal(at(1, 3, 1, 18), 3); /* a held soup: three onions, done */
    assert_int_equal(at(1, 3, 1, 21), 1);
    s.chef[0].held = ITEM_DISH;
    s.item[counter] = ITEM_DISH;
    cramped_observed(&s, 0, 0);
    assert_int_equal(at(0, 1, 2, 18), 1);
    assert_int_equal(at(0, 0, 2, 18), 0);
}

static void test_urgency(void **unused)
{
    const env_def *e = env_find("cooking/cramped_room");
    cooking_state s;
    e->reset(&s, 1, 100);
    s.t = 100 - COOKING_URGENCY_STEPS;
    cramped_observed(&s, 1, 0);
    assert_int_equal(at(1, 0, 0, 25), 0);
    s.t++;
    cramped_observed(&s, 1, 0);
    for (int x = 0; x < 5; x++)
        for (int y = 0; y < 4; y++)
            assert_int_equal(at(1, x, y, 25), 1);
}

static void test_observe_edges(void **unused)
{
    const env_def *e = env_find("cooking/cramped_room");
    cooking_state s;
    e->reset(&s, 1, 0);
    uint32_t n = 5 * 4 * 20;
    assert_int_equal(e->nobs, 2);
    assert_string_equal(e->obs_names[0], "lossless2019");
    assert_string_equal(e->obs_names[1], "lossless");
    for (uint32_t i = 0; i < n + 8; i++)
        obs[i] = 77;
    assert_int_equal(e->observe(0, &s, 0, obs, n), n);
    assert_int_equal(obs[n], 77); /* nothing past the end */
    assert_int_equal(e->observe(0, &s, 0, obs, n - 1), 0);
    assert_int_equal(e->observe(2, &s, 0, obs, ENV_MAX_OBS_VALUES), 0);
    assert_int_equal(e->observe(0, &s, 2, obs, ENV_MAX_OBS_VALUES), 0);
    s.layout = 1; /* asymmetric_advantages' state: not this env's */
    assert_int_equal(e->observe(0, &s, 0, obs, ENV_MAX_OBS_VALUES), 0);
    assert_int_equal(env_find("cooking/asymmetric_advantages")->observe(0, &s, 0, obs, ENV_MAX_OBS_VALUES), 9 * 5 * 20);
    /* a chef outside the grid is not seen; odd codes read as nothing */
    e->reset(&s, 1, 0);
    s.chef[0].x = 200;
    s.chef[1].dir = 9;
    s.chef[1].held = 7;
    cramped_observed(&s, 0, 0);
    int32_t sum0 = 0, sum1 = 0;
    for (int x = 0; x < 5; x++)
        for (int y = 0; y < 4; y++) {
            for (int c = 0; c < 10; c++)
                sum0 += at(0, x, y, c);
            for (int c = 15; c < 20; c++)
                sum1 += at(0, x, y, c);
        }
    assert_int_equal(sum0, 1); /* chef 1's cell only */
    assert_int_equal(sum1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_2019),
        cmocka_unit_test(test_reference_current),
        cmocka_unit_test(test_players_and_facing),
        cmocka_unit_test(test_pot_and_cook_time),
        cmocka_unit_test(test_held_items_2019_quirk),
        cmocka_unit_test(test_urgency),
        cmocka_unit_test(test_observe_edges),
    };
    return cmocka_run_group_tests_name("env_obs", tests, NULL, NULL);
}
