/*
 * The state description ABI (envs/env.h) of every registered env, and the reward
 * convention: fields are well formed, decode stays inside the declared ranges and leaves
 * the state alone, and the seats' rewards add up to the team's (docs/DATA.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cooking/cooking.h"
#include "registry.h"
#include "volley/volley.h"

/* Columns every exported frame row has: an env field must never take one of these names. */
static const char *const generic_columns[] = {"game", "episode", "frame", "env", "scene",
                                              "terminated", "truncated", "hash", "t_ms", NULL};

static bool name_ok(const char *n)
{
    if (!n[0] || n[0] == '.' || strlen(n) >= ENV_FIELD_NAME)
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
            return false;
    for (int i = 0; generic_columns[i]; i++)
        if (strcmp(n, generic_columns[i]) == 0)
            return false;
    /* per-seat and info columns of the export are named action.K, info.NAME, ... */
    static const char *const prefixes[] = {"action.", "source.", "reward.", "info.",
                                           "focused.", "verified.", NULL};
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(n, prefixes[i], strlen(prefixes[i])) == 0)
            return false;
    return true;
}

static void test_fields_well_formed(void **unused)
{
    for (uint32_t e = 0; e < env_count(); e++) {
        const env_def *env = env_at(e);
        assert_non_null(env->fields);
        assert_non_null(env->decode);
        assert_non_null(env->reward_meaning);
        for (uint32_t i = 0; i < env->ninfo; i++)
            assert_non_null(env->info_meanings[i]);
        uint32_t n = env->fields(0, NULL);
        assert_true(n > 0 && n <= ENV_MAX_FIELDS);
        env_field f[ENV_MAX_FIELDS];
        for (uint32_t i = 0; i < n; i++) {
            memset(&f[i], 0xA5, sizeof f[i]);
            assert_int_equal(env->fields(i, &f[i]), n);
            if (!name_ok(f[i].name))
                fail_msg("%s: field %u has a bad name '%.32s'", env->name, i, f[i].name);
            assert_true(f[i].type <= ENV_FIELD_BOOL);
            assert_true(f[i].min <= f[i].max);
            assert_non_null(f[i].unit);
            assert_non_null(f[i].meaning);
            assert_true(f[i].meaning[0] != '\0');
            if (f[i].type == ENV_FIELD_BOOL) {
                assert_int_equal(f[i].min, 0);
                assert_int_equal(f[i].max, 1);
            }
            if (f[i].type == ENV_FIELD_ENUM) {
                assert_int_equal(f[i].nlabels, (uint32_t)(f[i].max - f[i].min + 1));
                for (uint32_t l = 0; l < f[i].nlabels; l++)
                    assert_non_null(f[i].labels[l]);
            }
            for (uint32_t j = 0; j < i; j++)
                if (strcmp(f[i].name, f[j].name) == 0)
                    fail_msg("%s: field name %s twice", env->name, f[i].name);
        }
        /* past the end: the count, *out untouched */
        env_field past;
        memset(&past, 0, sizeof past);
        assert_int_equal(env->fields(n, &past), n);
        assert_int_equal(past.name[0], 0);
    }
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Random and scripted play on every env: decode gives nfields values inside the declared
 * ranges, the same twice, without touching the state; rewards add up. */
static void test_decode_in_range(void **unused)
{
    for (uint32_t e = 0; e < env_count(); e++) {
        const env_def *env = env_at(e);
        uint32_t n = env->fields(0, NULL);
        env_field f[ENV_MAX_FIELDS];
        for (uint32_t i = 0; i < n; i++)
            env->fields(i, &f[i]);
        void *s = calloc(1, env->state_size);
        uint32_t rng = 7 + e;
        for (int run = 0; run < 6; run++) {
            env->reset(s, (uint64_t)run * 977, 0);
            int64_t team = 0;
            for (uint32_t t = 0; t < 1500; t++) {
                int32_t v[ENV_MAX_FIELDS], w[ENV_MAX_FIELDS];
                uint64_t h = env_hash(s, env->state_size);
                assert_int_equal(env->decode(s, v, ENV_MAX_FIELDS), n);
                assert_int_equal(env->decode(s, w, ENV_MAX_FIELDS), n);
                assert_true(env_hash(s, env->state_size) == h);
                assert_memory_equal(v, w, n * sizeof v[0]);
                for (uint32_t i = 0; i < n; i++)
                    if (v[i] < f[i].min || v[i] > f[i].max)
                        fail_msg("%s run %d step %u: %s = %d outside %d..%d", env->name, run, t,
                                 f[i].name, v[i], f[i].min, f[i].max);
                /* a short buffer gets a prefix, never an overrun */
                int32_t few[3] = {0, 0, 0x5A5A};
                assert_int_equal(env->decode(s, few, 2), 2);
                assert_int_equal(few[2], 0x5A5A);
                int32_t a[ENV_MAX_PLAYERS];
                for (uint32_t k = 0; k < env->players; k++)
                    a[k] = run % 2 && env->policy ? env->policy(0, s, k)
                                                  : (int32_t)(lcg(&rng) % env->actions);
                env_step_out out;
                env->step(s, a, &out);
                int32_t sum = 0;
                for (uint32_t k = 0; k < env->players; k++)
                    sum += out.rewards[k];
                team += sum;
                if (strncmp(env->name, "volley/", 7) == 0)
                    assert_int_equal(sum, 0); /* zero-sum */
                if (out.terminated || out.truncated)
                    break;
            }
            if (strncmp(env->name, "cooking/", 8) == 0) {
                /* each soup counted once: the seats' rewards add up to the team score */
                const cooking_state *cs = s;
                assert_int_equal(team, cs->score);
                assert_int_equal(team, (int64_t)cs->soups_served * COOKING_SOUP_REWARD);
            }
        }
        free(s);
    }
}

static long field_index(const env_def *env, const char *name)
{
    env_field f;
    for (uint32_t i = 0, n = env->fields(0, NULL); i < n; i++) {
        env->fields(i, &f);
        if (strcmp(f.name, name) == 0)
            return (long)i;
    }
    fail_msg("%s: no field %s", env->name, name);
    return -1;
}

/* cramped_room (cooking_test's map): pot at (2,0), counters at every X. */
static void test_cooking_decode_values(void **unused)
{
    const env_def *env = env_find("cooking/cramped_room");
    assert_non_null(env);
    assert_int_equal(env->fields(0, NULL), 10 + 2 + 9);
    cooking_state s;
    env->reset(&s, 3, 0);
    s.chef[1].held = ITEM_DISH;
    s.chef[1].dir = COOK_LEFT;
    s.item[0 * 5 + 2] = 3; /* pot (2,0) full, cooked 7 steps */
    s.cook[0 * 5 + 2] = 7;
    s.item[3 * 5 + 4] = ITEM_SOUP; /* counter (4,3) */
    s.bumped[0] = 1;
    int32_t v[ENV_MAX_FIELDS];
    env->decode(&s, v, ENV_MAX_FIELDS);
    assert_int_equal(v[field_index(env, "chef0.x")], 1);
    assert_int_equal(v[field_index(env, "chef0.y")], 2);
    assert_int_equal(v[field_index(env, "chef0.bumped")], 1);
    assert_int_equal(v[field_index(env, "chef1.x")], 3);
    assert_int_equal(v[field_index(env, "chef1.y")], 1);
    assert_int_equal(v[field_index(env, "chef1.held")], ITEM_DISH);
    assert_int_equal(v[field_index(env, "chef1.facing")], COOK_LEFT);
    assert_int_equal(v[field_index(env, "pot.x2y0.onions")], 3);
    assert_int_equal(v[field_index(env, "pot.x2y0.cook")], 7);
    assert_int_equal(v[field_index(env, "counter.x4y3")], ITEM_SOUP);
    assert_int_equal(v[field_index(env, "counter.x0y0")], ITEM_NONE);
    env_field f;
    env->fields((uint32_t)field_index(env, "counter.x4y3"), &f);
    assert_int_equal(f.type, ENV_FIELD_ENUM);
    assert_string_equal(f.labels[ITEM_SOUP], "soup");
    env->fields((uint32_t)field_index(env, "chef0.x"), &f);
    assert_int_equal(f.max, 4);
    assert_string_equal(f.unit, "cell");

    /* every layout: one onions and one cook column per pot, one column per counter */
    for (uint32_t l = 0; l < cooking_family_count(); l++) {
        const env_def *e = cooking_family_at(l);
        const cooking_layout *L = &cooking_layouts[l];
        uint32_t pots = 0, counters = 0;
        for (int c = 0; c < L->w * L->h; c++) {
            pots += L->grid[c] == 'P';
            counters += L->grid[c] == 'X';
        }
        assert_int_equal(e->fields(0, NULL), 10 + 2 * pots + counters);
    }
}

static void test_volley_decode_values(void **unused)
{
    const env_def *env = env_find("volley/slime");
    assert_non_null(env);
    volley_state s;
    env->reset(&s, 11, 0);
    s.ball.vx = -77;
    s.slime[1].y = 5 * VOLLEY_ONE;
    int32_t v[ENV_MAX_FIELDS];
    assert_int_equal(env->decode(&s, v, ENV_MAX_FIELDS), 15);
    assert_int_equal(v[field_index(env, "slime0.x")], VOLLEY_W / 4 * VOLLEY_ONE);
    assert_int_equal(v[field_index(env, "slime1.y")], 5 * VOLLEY_ONE);
    assert_int_equal(v[field_index(env, "ball.vx")], -77);
    assert_int_equal(v[field_index(env, "ball.y")], VOLLEY_SERVE_Y * VOLLEY_ONE);
    assert_int_equal(v[field_index(env, "serve_wait")], VOLLEY_SERVE_WAIT);
    assert_int_equal(v[field_index(env, "server")], s.server);
    assert_int_equal(v[field_index(env, "last_hit")], 2);
}

/* A serve pays the serving chef only; the partner's reward is 0 that step. */
static void test_cooking_reward_to_server(void **unused)
{
    const env_def *env = env_find("cooking/cramped_room");
    cooking_state s;
    env->reset(&s, 0, 0);
    for (int who = 0; who < 2; who++) {
        /* chef `who` stands above the serving window (3,3) facing down with a soup */
        s.chef[who] = (cooking_chef){3, 2, COOK_DOWN, ITEM_SOUP};
        s.chef[!who] = (cooking_chef){1, 1, COOK_UP, ITEM_NONE};
        int32_t a[2] = {COOK_STAY, COOK_STAY};
        a[who] = COOK_INTERACT;
        env_step_out out;
        env->step(&s, a, &out);
        assert_int_equal(out.rewards[who], COOKING_SOUP_REWARD);
        assert_int_equal(out.rewards[!who], 0);
        assert_int_equal(out.info[COOKING_INFO_SERVED0 + who], 1);
    }
    assert_int_equal(s.score, 2 * COOKING_SOUP_REWARD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_well_formed),
        cmocka_unit_test(test_decode_in_range),
        cmocka_unit_test(test_cooking_decode_values),
        cmocka_unit_test(test_volley_decode_values),
        cmocka_unit_test(test_cooking_reward_to_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
