/*
 * Store benchmark: how many frames a second the writer thread sustains into the durable
 * log, and what one store_frames call costs the caller (the event loop).
 *
 * Build and run (from the repo root):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -Ienvs bench/store/bench_store.c src/store/store*.c \
 *      src/util/clock.c $(pkg-config --cflags --libs sqlite3 jansson) -pthread \
 *      -o build/bench_store
 *   build/bench_store [GAMES] [FRAMES_PER_GAME]
 *
 * The load imitates the server: GAMES games confirm one frame each per loop pass, so the
 * writer sees many small jobs (the worst case for it), one row per call.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double *cost;   /* seconds per store_frames call, sorted after the run */
    uint64_t calls;
    double enqueue_s, flushed_s;
    store_stats st;
} result;

/* GAMES games each confirm one frame per loop pass for FRAMES passes; with pace_ms > 0
 * the loop sleeps that long between passes (a real server at 1000/pace_ms fps). */
static int run(const char *root, const char *exp, uint32_t games, uint32_t frames,
               uint32_t pace_ms, result *r)
{
    char err[256];
    store *s = store_open(root, exp, err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    r->calls = (uint64_t)games * frames;
    r->cost = malloc(r->calls * sizeof *r->cost);
    char (*names)[16] = malloc(games * sizeof *names);
    if (!r->cost || !names)
        return -1;
    for (uint32_t g = 0; g < games; g++)
        snprintf(names[g], sizeof names[g], "game%" PRIu32, g);

    frame_row row;
    memset(&row, 0, sizeof row);
    row.sources[1] = SOURCE_AI;
    row.verified[0] = 1;
    row.verified[1] = -1;

    double t0 = now_s();
    uint64_t i = 0;
    for (uint32_t f = 0; f < frames; f++) {
        for (uint32_t g = 0; g < games; g++, i++) {
            row.frame = f;
            row.actions[0] = (uint8_t)(f % 6);
            row.hash = (uint64_t)f * 0x9e3779b97f4a7c15ull + g;
            row.t_ms = f * 33;
            double a = now_s();
            store_frames(s, names[g], 0, &row, 1);
            r->cost[i] = now_s() - a;
        }
        if (pace_ms) {
            struct timespec ts = {0, (long)pace_ms * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    r->enqueue_s = now_s() - t0;
    store_flush(s);
    r->flushed_s = now_s() - t0;
    r->st = store_get_stats(s);
    store_close(s);
    free(names);
    qsort(r->cost, r->calls, sizeof *r->cost, cmp_double);
    return 0;
}

static void print_costs(const char *label, const result *r)
{
    double sum = 0;
    for (uint64_t k = 0; k < r->calls; k++)
        sum += r->cost[k];
    uint64_t n = r->calls;
    printf("| %s: store_frames mean / p50 / p99 / p99.9 / max | %.0f / %.0f / %.0f / %.0f / "
           "%.0f ns |\n", label, sum / (double)n * 1e9, r->cost[n / 2] * 1e9,
           r->cost[n * 99 / 100] * 1e9, r->cost[n * 999 / 1000] * 1e9, r->cost[n - 1] * 1e9);
}

int main(int argc, char **argv)
{
    uint32_t games = argc > 1 ? (uint32_t)atoi(argv[1]) : 100;
    uint32_t frames = argc > 2 ? (uint32_t)atoi(argv[2]) : 2000;
    uint32_t paced_frames = 90; /* 3 s at 30 fps */
    char root[] = "/tmp/cohort_bench_store_XXXXXX";
    if (!mkdtemp(root) || games == 0 || frames == 0)
        return 1;

    result flood = {0}, paced = {0};
    if (run(root, "flood", games, frames, 0, &flood) != 0 ||
        run(root, "paced", games, paced_frames, 33, &paced) != 0)
        return 1;

    printf("store bench: %" PRIu32 " games, one row per call\n", games);
    printf("| metric | value |\n|---|---|\n");
    printf("| flood: frames logged | %" PRIu64 " (errors %" PRIu64 ", dropped %" PRIu64 ") |\n",
           flood.st.frames_logged, flood.st.errors, flood.st.jobs_dropped);
    printf("| flood: writer throughput (first enqueue to flushed) | %.0f frames/s |\n",
           (double)flood.calls / flood.flushed_s);
    printf("| flood: caller enqueue rate | %.0f calls/s |\n",
           (double)flood.calls / flood.enqueue_s);
    print_costs("flood", &flood);
    printf("| paced (%" PRIu32 " games at 30 fps, %" PRIu64 " calls) | frames logged %" PRIu64
           " |\n", games, paced.calls, paced.st.frames_logged);
    print_costs("paced", &paced);

    bool ok = flood.st.frames_logged == flood.calls && paced.st.frames_logged == paced.calls;
    free(flood.cost);
    free(paced.cost);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 && ok ? 0 : 1;
}
