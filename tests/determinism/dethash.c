/*
 * Native half of the cross-target determinism check (the other half is check.mjs, which
 * replays the same runs in the wasm builds under Node and compares).
 *
 *   env_dethash OUT [SEEDS [STEPS]]
 *
 * For every registered env and SEEDS seeds, runs STEPS steps whose actions come from a
 * 32-bit LCG that check.mjs implements identically (including out-of-range and wild int32
 * actions, and scripted policies for some seeds), resetting with a derived seed whenever
 * an episode ends. Writes, little-endian:
 *   "CDT2", u32 nenvs, u32 seeds, u32 steps
 *   per env: u32 name length, name, u32 state_size, u32 nobs,
 *     per seed: steps x u64 state hash after each step, u32 checksum of the step
 *     results (rewards, flags, info), the final state bytes, u32 draw count, the
 *     final draw list (48 bytes per command), u32 count and the checksums of the
 *     observations (every one, for every seat) after every OBS_EVERY-th step;
 *     then u32 count and the observation checksums of GARBAGE damaged states (the
 *     reset state with some bytes overwritten at random).
 * The run rules live in run_spec() below and in check.mjs: change both together.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static void put32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void put64(FILE *f, uint64_t v)
{
    put32(f, (uint32_t)v);
    put32(f, (uint32_t)(v >> 32));
}

/* The run for (env e, seed index k): seed, horizon, rng start and who uses a policy. */
static void run_spec(uint32_t e, uint32_t k, uint64_t *seed, uint32_t *horizon, uint32_t *rng,
                     int *policy_seats)
{
    *seed = k == 0 ? 0 : k == 1 ? UINT64_MAX : (uint64_t)k * 0x9E3779B97F4A7C15ull + 0x1234567ull;
    *horizon = k % 4 == 0 ? 0 : 200 + (k * 37) % 900;
    *rng = k * 2654435761u + e * 97u + 1u;
    /* k % 5: 1 -> seat 0 uses policy 0, 2 -> both do, else random actions */
    *policy_seats = k % 5 == 1 ? 1 : k % 5 == 2 ? 3 : 0;
}

#define OBS_EVERY 97
#define GARBAGE 256

/* Every observation of the state, for every seat, as one checksum: the count each call
 * returned, then its values. */
static uint32_t obs_checksum(const env_def *env, const void *state, int32_t *buf)
{
    uint32_t sum = 0;
    for (uint32_t k = 0; k < env->nobs; k++)
        for (uint32_t p = 0; p < env->players; p++) {
            uint32_t n = env->observe(k, state, p, buf, ENV_MAX_OBS_VALUES);
            sum = sum * 31u + n;
            for (uint32_t i = 0; i < n; i++)
                sum = sum * 31u + (uint32_t)buf[i];
        }
    return sum;
}

static int32_t random_action(uint32_t *rng, uint32_t nactions)
{
    uint32_t r = lcg(rng);
    if (((r >> 24) & 63) == 0)
        return (int32_t)r; /* any int32 at all */
    return (int32_t)((r >> 16) % (nactions + 3)) - 1; /* -1 .. nactions+1 */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT [SEEDS [STEPS]]\n", argv[0]);
        return 2;
    }
    uint32_t nseeds = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 50;
    uint32_t nsteps = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 5000;
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    uint8_t *state = malloc(env_max_state_size());
    env_drawlist *dl = malloc(sizeof *dl);
    int32_t *obs = malloc(ENV_MAX_OBS_VALUES * sizeof *obs);
    uint32_t *obs_sums = malloc((nsteps / OBS_EVERY + 1) * sizeof *obs_sums);
    if (!state || !dl || !obs || !obs_sums)
        return 2;
    fwrite("CDT2", 1, 4, f);
    put32(f, env_count());
    put32(f, nseeds);
    put32(f, nsteps);
    for (uint32_t e = 0; e < env_count(); e++) {
        const env_def *env = env_at(e);
        put32(f, (uint32_t)strlen(env->name));
        fwrite(env->name, 1, strlen(env->name), f);
        put32(f, env->state_size);
        put32(f, env->nobs);
        for (uint32_t k = 0; k < nseeds; k++) {
            uint32_t nobs_sums = 0;
            uint64_t seed;
            uint32_t horizon, rng, sum = 0;
            int policy_seats;
            run_spec(e, k, &seed, &horizon, &rng, &policy_seats);
            env->reset(state, seed, horizon);
            uint64_t episode_seed = seed;
            for (uint32_t t = 0; t < nsteps; t++) {
                int32_t actions[ENV_MAX_PLAYERS] = {0};
                for (uint32_t p = 0; p < env->players; p++)
                    actions[p] = (policy_seats >> p) & 1 && env->policy
                                     ? env->policy(0, state, p)
                                     : random_action(&rng, env->actions);
                env_step_out out;
                env->step(state, actions, &out);
                put64(f, env_hash(state, env->state_size));
                for (uint32_t p = 0; p < env->players; p++)
                    sum = sum * 31u + (uint32_t)out.rewards[p];
                sum = sum * 31u + out.terminated;
                sum = sum * 31u + out.truncated;
                for (uint32_t i = 0; i < env->ninfo; i++)
                    sum = sum * 31u + (uint32_t)out.info[i];
                if (env->nobs && (t + 1) % OBS_EVERY == 0)
                    obs_sums[nobs_sums++] = obs_checksum(env, state, obs);
                if (out.terminated || out.truncated) {
                    episode_seed += 1;
                    env->reset(state, episode_seed, horizon);
                }
            }
            put32(f, sum);
            fwrite(state, 1, env->state_size, f);
            env->render(state, dl);
            put32(f, dl->count);
            fwrite(dl->items, sizeof dl->items[0], dl->count, f);
            put32(f, nobs_sums);
            for (uint32_t i = 0; i < nobs_sums; i++)
                put32(f, obs_sums[i]);
        }
        uint32_t ngarbage = env->nobs ? GARBAGE : 0, rng = e * 7919u + 3u;
        put32(f, ngarbage);
        for (uint32_t g = 0; g < ngarbage; g++) {
            env->reset(state, g, 0);
            for (uint32_t b = 1 + lcg(&rng) % 16; b > 0; b--) {
                uint32_t r = lcg(&rng);
                state[(r >> 8) % env->state_size] = (uint8_t)(r >> 24);
            }
            put32(f, obs_checksum(env, state, obs));
        }
    }
    free(state);
    free(dl);
    free(obs);
    free(obs_sums);
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 2;
    }
    return 0;
}
