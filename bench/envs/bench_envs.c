/*
 * Native env benchmark (`make bench`, or build/bench/env_bench [SECONDS_PER_CASE]).
 * Per env: ns per step (random actions, auto reset), step + hash (the server's work per
 * confirmed frame), snapshot + restore (copy the state out to a ring slot and back),
 * hash alone, one scripted-policy call, one render. Each figure is the best of 5 rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry.h"

#define NACT 65536
#define RING 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink;
static int32_t acts[NACT];

enum { B_STEP, B_STEP_HASH, B_SNAP, B_HASH, B_POLICY, B_RENDER, NB };

/* Runs case `b` in batches until `budget` seconds have passed; returns ns per op. */
static double measure(const env_def *e, int b, double budget, uint8_t *s, uint8_t *ring, env_drawlist *dl)
{
    uint64_t ops = 0, acc = 0;
    uint32_t ai = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < 4096; k++) {
            env_step_out out;
            switch (b) {
            case B_STEP:
            case B_STEP_HASH:
                e->step(s, &acts[ai], &out);
                ai = (ai + e->players) % (NACT - ENV_MAX_PLAYERS);
                if (out.terminated || out.truncated)
                    e->reset(s, ops + (uint64_t)k, 0);
                if (b == B_STEP_HASH)
                    acc += env_hash(s, e->state_size);
                break;
            case B_SNAP: {
                uint8_t *slot = ring + (size_t)(k % RING) * e->state_size;
                memcpy(slot, s, e->state_size);
                s[k % e->state_size] ^= 1; /* keep the copies honest */
                memcpy(s, slot, e->state_size);
                acc += s[0];
                break;
            }
            case B_HASH: acc += env_hash(s, e->state_size); s[0]++; break;
            case B_POLICY:
                acc += (uint64_t)e->policy(0, s, (uint32_t)k & 1);
                if ((k & 63) == 0) { /* move on to other states now and then */
                    e->step(s, &acts[ai], &out);
                    ai = (ai + e->players) % (NACT - ENV_MAX_PLAYERS);
                    if (out.terminated || out.truncated)
                        e->reset(s, ops + (uint64_t)k, 0);
                }
                break;
            case B_RENDER: e->render(s, dl); acc += dl->count; break;
            }
        }
        ops += 4096;
        t = now();
    } while (t - t0 < budget);
    sink = acc;
    return (t - t0) * 1e9 / (double)ops;
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 0.3;
    uint32_t r = 12345;
    for (int i = 0; i < NACT; i++) {
        r = r * 1664525u + 1013904223u;
        acts[i] = (int32_t)((r >> 16) % 6);
    }
    uint8_t *s = malloc(env_max_state_size()), *ring = malloc((size_t)RING * env_max_state_size());
    env_drawlist *dl = malloc(sizeof *dl);
    printf("native (%s, -O2), ns per operation\n", __VERSION__);
    printf("%-31s %6s %9s %10s %9s %11s %7s %8s %8s\n", "env", "bytes", "step", "steps/s", "step+hash",
           "snap+restore", "hash", "policy", "render");
    for (uint32_t i = 0; i < env_count(); i++) {
        const env_def *e = env_at(i);
        double ns[NB];
        for (int b = 0; b < NB; b++) {
            e->reset(s, 1, 0);
            for (int k = 0; k < 100; k++) { /* into mid-game */
                env_step_out out;
                e->step(s, &acts[k * 2], &out);
            }
            /* best of 5 rounds: the machine may be busy with other work */
            ns[b] = 0;
            for (int round = 0; round < 5 && (b != B_POLICY || e->policy); round++) {
                double v = measure(e, b, budget / 5, s, ring, dl);
                if (round == 0 || v < ns[b])
                    ns[b] = v;
            }
        }
        printf("%-31s %6u %9.1f %10.3g %9.1f %11.1f %7.1f %8.1f %8.1f\n", e->name, e->state_size,
               ns[B_STEP], 1e9 / ns[B_STEP], ns[B_STEP_HASH], ns[B_SNAP], ns[B_HASH], ns[B_POLICY],
               ns[B_RENDER]);
    }
    free(s);
    free(ring);
    free(dl);
    return 0;
}
