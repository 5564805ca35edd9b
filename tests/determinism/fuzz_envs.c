/*
 * libFuzzer target over every registered env (`make fuzz-envs`; built with
 * -fsanitize=fuzzer,address,undefined). Input:
 *   byte 0      env index (mod env_count())
 *   byte 1      flags: bit 0 = the state bytes come from the input instead of reset()
 *   bytes 2-9   seed (u64 LE), bytes 10-11 horizon (u16 LE, 0 = default)
 *   [state_size bytes of raw state when flag bit 0]
 *   the rest    one byte per player per step: 0xF0 INT32_MIN, 0xF1 INT32_MAX, 0xF2 a wild
 *               int32, 0xF3-0xF7 the scripted policy's action, else (int8_t) byte
 * The state lives in a heap block of exactly state_size bytes, so ASan reports any access
 * outside it. Every input is run twice and must end in the same bytes; a snapshot taken
 * halfway must replay to the same end; render must stay within its list; policies must
 * return valid actions; observations must fill their size or nothing and leave the state
 * as it was. Any violation aborts (a finding).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

#define MAX_STEPS 4000

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_envs: %s\n", what);
        abort();
    }
}

static int32_t decode_action(const env_def *e, const uint8_t *state, uint32_t seat, uint8_t b,
                             uint32_t *wild)
{
    *wild = *wild * 1664525u + 1013904223u;
    switch (b) {
    case 0xF0: return INT32_MIN;
    case 0xF1: return INT32_MAX;
    case 0xF2: return (int32_t)*wild;
    case 0xF3: case 0xF4: case 0xF5: case 0xF6: case 0xF7:
        if (e->policy) {
            int32_t a = e->policy(b - 0xF3u, state, seat); /* also out-of-range indexes */
            check(a >= 0 && (uint32_t)a < e->actions, "policy returned an invalid action");
            return a;
        }
        return 0;
    default: return (int8_t)b;
    }
}

/* Runs the steps from `state`; snapshots into `snap` after step `snap_at`. */
static uint64_t run(const env_def *e, uint8_t *state, const uint8_t *acts, size_t nsteps,
                    uint8_t *snap, size_t snap_at, uint32_t *wild_at_snap, env_drawlist *dl)
{
    uint32_t wild = 1;
    for (size_t t = 0; t < nsteps; t++) {
        if (snap && t == snap_at) {
            memcpy(snap, state, e->state_size);
            *wild_at_snap = wild;
        }
        int32_t a[ENV_MAX_PLAYERS] = {0};
        for (uint32_t p = 0; p < e->players; p++)
            a[p] = decode_action(e, state, p, acts[t * e->players + p], &wild);
        env_step_out out;
        memset(&out, 0xEE, sizeof out);
        e->step(state, a, &out);
        check(out.terminated <= 1 && out.truncated <= 1, "bad step flags");
        if (t % 64 == 0 || t + 1 == nsteps) {
            e->render(state, dl);
            check(dl->count <= ENV_MAX_DRAW, "draw list overflow");
            if (e->decode) { /* reads any state without touching it (envs/env.h) */
                int32_t v[ENV_MAX_FIELDS];
                uint64_t h = env_hash(state, e->state_size);
                check(e->decode(state, v, ENV_MAX_FIELDS) == e->fields(0, NULL), "decode count");
                check(env_hash(state, e->state_size) == h, "decode changed the state");
            }
            for (uint32_t k = 0; k < e->nobs && e->observe; k++) {
                /* exactly the observation's size on the heap: ASan sees a write past it */
                uint32_t n = e->obs_dims[k][0] * e->obs_dims[k][1] * e->obs_dims[k][2];
                int32_t *obs = malloc(n * sizeof *obs);
                uint64_t h = env_hash(state, e->state_size);
                for (uint32_t seat = 0; seat < e->players + 1; seat++) {
                    uint32_t got = e->observe(k, state, seat, obs, n);
                    check(got == 0 || (got == n && seat < e->players), "observe count");
                }
                check(env_hash(state, e->state_size) == h, "observe changed the state");
                free(obs);
            }
        }
    }
    return env_hash(state, e->state_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12 || env_count() == 0)
        return 0;
    const env_def *e = env_at(data[0] % env_count());
    int raw = data[1] & 1;
    uint64_t seed = le64(data + 2);
    uint32_t horizon = (uint32_t)data[10] | (uint32_t)data[11] << 8;
    data += 12;
    size -= 12;
    if (raw && size < e->state_size)
        return 0;

    uint8_t *start = malloc(e->state_size), *state = malloc(e->state_size);
    uint8_t *snap = malloc(e->state_size), *end = malloc(e->state_size);
    env_drawlist *dl = malloc(sizeof *dl);
    if (raw) {
        memcpy(start, data, e->state_size);
        data += e->state_size;
        size -= e->state_size;
    } else {
        e->reset(start, seed, horizon);
    }
    size_t nsteps = size / e->players;
    if (nsteps > MAX_STEPS)
        nsteps = MAX_STEPS;
    size_t half = nsteps / 2;
    uint32_t wild_at_snap = 0;

    memcpy(state, start, e->state_size);
    uint64_t h1 = run(e, state, data, nsteps, snap, half, &wild_at_snap, dl);
    memcpy(end, state, e->state_size);

    memcpy(state, start, e->state_size); /* the same input again */
    uint64_t h2 = run(e, state, data, nsteps, NULL, 0, NULL, dl);
    check(h1 == h2 && memcmp(state, end, e->state_size) == 0, "two runs of one input differ");

    if (nsteps > 0) { /* replay from the halfway snapshot */
        memcpy(state, snap, e->state_size);
        uint32_t wild = wild_at_snap;
        for (size_t t = half; t < nsteps; t++) {
            int32_t a[ENV_MAX_PLAYERS] = {0};
            for (uint32_t p = 0; p < e->players; p++)
                a[p] = decode_action(e, state, p, data[t * e->players + p], &wild);
            env_step_out out;
            e->step(state, a, &out);
        }
        check(memcmp(state, end, e->state_size) == 0, "snapshot replay differs");
    }
    if (e->policy)
        for (uint32_t seat = 0; seat < e->players + 2; seat++) {
            int32_t a = e->policy(0, state, seat);
            check(a >= 0 && (uint32_t)a < e->actions, "policy returned an invalid action");
        }
    free(start);
    free(state);
    free(snap);
    free(end);
    free(dl);
    return 0;
}
