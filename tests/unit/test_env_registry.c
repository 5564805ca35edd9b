/* Env registry, hash, and the properties every registered env must have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"

static void test_lookup(void **unused)
{
    static const char *names[] = {
        "cooking/cramped_room", "cooking/asymmetric_advantages", "cooking/coordination_ring",
        "cooking/forced_coordination", "cooking/counter_circuit",
        "cooking/counter_circuit_site2019", "volley/slime", "commons/harvest",
    };
    /* families are found in envs/ (in name order): a game added by `cohort new-game` joins
     * them, so neither the count nor the places are pinned, only that these are there */
    assert_true(env_count() >= 8);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const env_def *e = env_find(names[i]);
        assert_non_null(e);
        assert_string_equal(e->name, names[i]);
    }
    assert_null(env_at(env_count()));
    for (uint32_t i = 0; i < env_count(); i++) /* every env is found under its own name */
        assert_ptr_equal(env_find(env_at(i)->name), env_at(i));
    assert_null(env_find("cooking"));
    assert_null(env_find("cooking/cramped_room "));
    assert_null(env_find(""));
    assert_null(env_find(NULL));
    const env_def *c = env_find("cooking/cramped_room");
    assert_int_equal(env_policy_find(c, "greedy"), 0);
    assert_int_equal(env_policy_find(c, "tracker"), -1);
    assert_int_equal(env_policy_find(c, NULL), -1);
    assert_int_equal(env_policy_find(NULL, "greedy"), -1);
    assert_int_equal(env_policy_find(env_find("volley/slime"), "tracker"), 0);
    uint32_t biggest = 0;
    for (uint32_t i = 0; i < env_count(); i++)
        biggest = env_at(i)->state_size > biggest ? env_at(i)->state_size : biggest;
    assert_int_equal(env_max_state_size(), biggest);
    assert_true(env_max_state_size() >= 312); /* commons/harvest's: sizeof(commons_state) */
}

static void test_hash(void **unused)
{
    /* FNV-1a 64 reference values */
    assert_true(env_hash("", 0) == 0xcbf29ce484222325ull);
    assert_true(env_hash("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(env_hash("foobar", 6) == 0x85944171f73967e8ull);
}

static void test_defs_are_sane(void **unused)
{
    for (uint32_t i = 0; i < env_count(); i++) {
        const env_def *e = env_at(i);
        assert_true(e->players >= 1 && e->players <= ENV_MAX_PLAYERS);
        assert_true(e->actions >= 1 && e->actions <= 16);
        assert_true(e->default_action < e->actions);
        assert_true(e->state_size > 0 && e->state_size % 8 == 0);
        assert_true(e->horizon > 0);
        assert_true(e->ninfo <= ENV_MAX_INFO);
        for (uint32_t k = 0; k < e->ninfo; k++)
            assert_non_null(e->info_names[k]);
        for (uint32_t k = 0; k < e->actions; k++)
            assert_non_null(e->action_names[k]);
        assert_true(e->view_w > 0 && e->view_h > 0);
        assert_non_null(e->reset);
        assert_non_null(e->step);
        assert_non_null(e->render);
        assert_true(e->npolicies <= ENV_MAX_POLICIES);
        assert_true(e->npolicies == 0 || e->policy);
        assert_true(e->nobs <= ENV_MAX_OBS);
        assert_true(e->nobs == 0 || e->observe);
        for (uint32_t k = 0; k < e->nobs; k++) {
            assert_non_null(e->obs_names[k]);
            for (uint32_t j = 0; j < k; j++)
                assert_string_not_equal(e->obs_names[j], e->obs_names[k]);
            uint64_t n = (uint64_t)e->obs_dims[k][0] * e->obs_dims[k][1] * e->obs_dims[k][2];
            assert_true(n > 0 && n <= ENV_MAX_OBS_VALUES);
        }
    }
}

static uint32_t lcg(uint32_t *r)
{
    *r = *r * 1664525u + 1013904223u;
    return *r;
}

static int32_t any_action(uint32_t *r, uint32_t n)
{
    uint32_t v = lcg(r);
    return (v >> 28) == 0 ? (int32_t)lcg(r) : (int32_t)((v >> 16) % (n + 4)) - 2;
}

/* Every env: same seed -> same bytes; a snapshot taken mid-episode replays identically,
 * with policies and out-of-range actions mixed in. */
static void test_every_env_snapshot_replay(void **unused)
{
    for (uint32_t i = 0; i < env_count(); i++) {
        const env_def *e = env_at(i);
        uint8_t *s = malloc(e->state_size), *snap = malloc(e->state_size), *end = malloc(e->state_size);
        uint64_t *h = malloc(1000 * sizeof *h);
        for (uint64_t seed = 0; seed < 4; seed++) {
            e->reset(s, seed * 0x9E3779B97F4A7C15ull, 0);
            e->reset(snap, seed * 0x9E3779B97F4A7C15ull, 0);
            assert_memory_equal(s, snap, e->state_size);
            uint32_t r = (uint32_t)seed + 1;
            env_step_out out;
            for (int t = 0; t < 300; t++) {
                int32_t a[ENV_MAX_PLAYERS] = {e->policy ? e->policy(0, s, 0) : 0, any_action(&r, e->actions)};
                e->step(s, a, &out);
            }
            memcpy(snap, s, e->state_size);
            uint32_t r_snap = r;
            for (int t = 0; t < 1000; t++) {
                int32_t a[ENV_MAX_PLAYERS] = {any_action(&r, e->actions), e->policy ? e->policy(0, s, 1) : 0};
                e->step(s, a, &out);
                h[t] = env_hash(s, e->state_size);
            }
            memcpy(end, s, e->state_size);
            memcpy(s, snap, e->state_size);
            r = r_snap;
            for (int t = 0; t < 1000; t++) {
                int32_t a[ENV_MAX_PLAYERS] = {any_action(&r, e->actions), e->policy ? e->policy(0, s, 1) : 0};
                e->step(s, a, &out);
                assert_true(env_hash(s, e->state_size) == h[t]);
            }
            assert_memory_equal(end, s, e->state_size);
        }
        free(s);
        free(snap);
        free(end);
        free(h);
    }
}

/* Every env: arbitrary state bytes never make step, render or policy go out of bounds. */
static void test_every_env_garbage_state(void **unused)
{
    uint32_t r = 7;
    for (uint32_t i = 0; i < env_count(); i++) {
        const env_def *e = env_at(i);
        uint8_t *s = malloc(e->state_size);
        env_drawlist *dl = malloc(sizeof *dl);
        for (int k = 0; k < 1000; k++) {
            for (uint32_t b = 0; b < e->state_size; b++)
                s[b] = (uint8_t)(k % 4 == 0 ? 0xFF : k % 4 == 1 ? 0 : lcg(&r) >> 24);
            e->render(s, dl);
            assert_true(dl->count <= ENV_MAX_DRAW);
            env_step_out out;
            for (int t = 0; t < 4; t++) {
                int32_t a[ENV_MAX_PLAYERS] = {e->policy ? e->policy(0, s, 0) : 0, any_action(&r, e->actions),
                                              0, 0};
                e->step(s, a, &out);
            }
            if (e->policy) {
                int32_t p = e->policy(0, s, 1);
                assert_true(p >= 0 && (uint32_t)p < e->actions);
                e->policy(0, s, 7); /* no such seat */
            }
            static int32_t obs[ENV_MAX_OBS_VALUES];
            for (uint32_t o = 0; o < e->nobs; o++) { /* all of it or nothing, never past it */
                uint32_t n = e->obs_dims[o][0] * e->obs_dims[o][1] * e->obs_dims[o][2];
                uint32_t got = e->observe(o, s, (uint32_t)k % e->players, obs, n);
                assert_true(got == n || got == 0);
            }
        }
        free(s);
        free(dl);
    }
}

/* Every env with observations: each one fills exactly its dims for every seat of a reset
 * and a played state, writes nothing past them, and refuses what it does not have. */
static void test_every_env_observes(void **unused)
{
    int32_t *out = malloc((ENV_MAX_OBS_VALUES + 16) * sizeof *out);
    for (uint32_t i = 0; i < env_count(); i++) {
        const env_def *e = env_at(i);
        if (!e->nobs)
            continue;
        uint8_t *s = malloc(e->state_size);
        e->reset(s, 5, 0);
        for (int round = 0; round < 2; round++) {
            for (uint32_t k = 0; k < e->nobs; k++) {
                uint32_t n = e->obs_dims[k][0] * e->obs_dims[k][1] * e->obs_dims[k][2];
                for (uint32_t seat = 0; seat < e->players; seat++) {
                    for (uint32_t j = 0; j < n + 16; j++)
                        out[j] = INT32_MIN;
                    assert_int_equal(e->observe(k, s, seat, out, n), n);
                    for (uint32_t j = 0; j < 16; j++)
                        assert_int_equal(out[n + j], INT32_MIN);
                    for (uint32_t j = 0; j < n; j++)
                        assert_int_not_equal(out[j], INT32_MIN); /* every value written */
                    assert_int_equal(e->observe(k, s, seat, out, n - 1), 0);
                }
                assert_int_equal(e->observe(k, s, e->players, out, ENV_MAX_OBS_VALUES), 0);
            }
            assert_int_equal(e->observe(e->nobs, s, 0, out, ENV_MAX_OBS_VALUES), 0);
            uint32_t r = 3;
            for (int t = 0; t < 200; t++) { /* then a played state */
                int32_t a[ENV_MAX_PLAYERS] = {0};
                for (uint32_t p = 0; p < e->players; p++)
                    a[p] = e->policy && t % 3 ? e->policy(0, s, p) : any_action(&r, e->actions);
                env_step_out o;
                e->step(s, a, &o);
            }
        }
        free(s);
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_defs_are_sane),
        cmocka_unit_test(test_every_env_snapshot_replay),
        cmocka_unit_test(test_every_env_garbage_state),
        cmocka_unit_test(test_every_env_observes),
    };
    return cmocka_run_group_tests_name("env_registry", tests, NULL, NULL);
}
