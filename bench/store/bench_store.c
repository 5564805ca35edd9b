/*
 * Store benchmark: how many frames a second the writer thread sustains into the durable
 * log, and what one store_frames call costs the caller (the event loop).
 *
 * Build and run (from the repo root; `make bench` runs it too):
 *   make build/bench/bench_store && build/bench/bench_store [GAMES] [FRAMES_PER_GAME]
 *
 * The load imitates the server: GAMES games confirm one frame each per loop pass, so the
 * writer sees many small jobs (the worst case for it), one row per call; then the same
 * flood 8 frames a call, as rooms hand the log their frames (room.c, log_frames).
 *
 * Two more runs measure the durability rules (docs/DESIGN.md section 8):
 *   episodes  GAMES games play 3 episodes of 300 frames; each episode is handed off at
 *             its end: its files (fsync'd, folder fsync'd), its row, the prune of its
 *             frames. The frame log must be empty afterwards.
 *   held      every commit and file write fails (store_fault_*, as on a full disk) while
 *             10 000 outcomes are recorded: the memory they hold, and how long the writer
 *             takes to write them all once the fault is gone.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

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
    uint64_t calls, frames;
    double enqueue_s, flushed_s;
    store_stats st;
} result;

/* GAMES games each confirm one frame per loop pass for FRAMES passes and hand the log
 * BATCH frames at a time (1: every frame, the worst case; 8: as rooms do, room.c
 * log_frames); with pace_ms > 0 the loop sleeps that long between passes (a real server
 * at 1000/pace_ms fps). */
static int run(const char *root, const char *exp, uint32_t games, uint32_t frames,
               uint32_t pace_ms, uint32_t batch, result *r)
{
    enum { MAX_BATCH = 8 };
    if (batch == 0 || batch > MAX_BATCH)
        return -1;
    char err[256];
    store *s = store_open(root, exp, err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    r->calls = (uint64_t)games * (frames / batch);
    r->frames = r->calls * batch;
    r->cost = malloc(r->calls * sizeof *r->cost);
    char (*names)[16] = malloc(games * sizeof *names);
    if (!r->cost || !names)
        return -1;
    for (uint32_t g = 0; g < games; g++)
        snprintf(names[g], sizeof names[g], "game%" PRIu32, g);

    frame_row rows[MAX_BATCH];
    memset(rows, 0, sizeof rows);
    for (uint32_t k = 0; k < MAX_BATCH; k++) {
        rows[k].sources[1] = SOURCE_AI;
        rows[k].verified[0] = 1;
        rows[k].verified[1] = -1;
    }

    double t0 = now_s();
    uint64_t i = 0;
    for (uint32_t f = 0; f + batch <= frames; f += batch) {
        for (uint32_t g = 0; g < games; g++, i++) {
            for (uint32_t k = 0; k < batch; k++) {
                rows[k].frame = f + k;
                rows[k].actions[0] = (uint8_t)((f + k) % 6);
                rows[k].hash = (uint64_t)(f + k) * 0x9e3779b97f4a7c15ull + g;
                rows[k].t_ms = (f + k) * 33;
            }
            double a = now_s();
            store_frames(s, names[g], 0, rows, batch);
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

/* The episodes run: wall time from the first frame to everything flushed, and what is
 * left in the frame log. */
typedef struct {
    double secs;
    uint64_t episodes, files, frames_left, pruned;
} episodes_result;

static int64_t frames_left(const char *root, const char *exp)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/cohort.db", root, exp);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT coalesce(sum(n), 0) FROM frame_log", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void fill_episode(episode_record *rec, uint32_t g, uint32_t e, uint32_t frames)
{
    memset(rec, 0, sizeof *rec);
    snprintf(rec->scene, sizeof rec->scene, "game");
    snprintf(rec->game, sizeof rec->game, "game%" PRIu32, g);
    snprintf(rec->env, sizeof rec->env, "bench/env");
    rec->episode = e;
    rec->horizon = frames;
    rec->nseats = 2;
    snprintf(rec->seat_names[0], sizeof rec->seat_names[0], "s%" PRIu32 "a", g);
    snprintf(rec->seat_names[1], sizeof rec->seat_names[1], "s%" PRIu32 "b", g);
    rec->seat_is_human[0] = rec->seat_is_human[1] = true;
    snprintf(rec->end_reason, sizeof rec->end_reason, "truncated");
    rec->nrows = frames;
    rec->rows = calloc(frames, sizeof *rec->rows);
    for (uint32_t f = 0; f < frames && rec->rows; f++) {
        rec->rows[f].frame = f;
        rec->rows[f].truncated = f + 1 == frames;
    }
}

static int run_episodes(const char *root, uint32_t games, episodes_result *r)
{
    const uint32_t episodes = 3, frames = 300;
    char err[256];
    store *s = store_open(root, "episodes", err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    frame_row row;
    memset(&row, 0, sizeof row);
    double t0 = now_s();
    for (uint32_t e = 0; e < episodes; e++) {
        for (uint32_t f = 0; f < frames; f++)
            for (uint32_t g = 0; g < games; g++) {
                char name[16];
                snprintf(name, sizeof name, "game%" PRIu32, g);
                row.frame = f;
                row.truncated = f + 1 == frames;
                store_frames(s, name, e, &row, 1);
            }
        for (uint32_t g = 0; g < games; g++) {
            episode_record rec;
            fill_episode(&rec, g, e, frames);
            store_episode(s, &rec);
        }
    }
    store_flush(s);
    r->secs = now_s() - t0;
    store_stats st = store_get_stats(s);
    r->episodes = (uint64_t)games * episodes;
    r->files = st.files_written;
    r->pruned = st.frames_pruned;
    store_close(s);
    r->frames_left = (uint64_t)frames_left(root, "episodes");
    return st.errors == 0 ? 0 : -1;
}

/* The held run: bytes held per outcome while writes fail, and the drain time after. */
typedef struct {
    uint64_t held, held_bytes, written;
    double drain_s;
} held_result;

static int run_held(const char *root, held_result *r)
{
    const uint32_t n = 10000;
    char err[256];
    store *s = store_open(root, "held", err, sizeof err);
    if (!s)
        return -1;
    store_fault_commits(0, -1);
    store_fault_files(0, -1);
    for (uint32_t i = 0; i < n; i++) {
        char subject[32];
        snprintf(subject, sizeof subject, "PROLIFIC%08" PRIu32, i);
        store_outcome(s, subject, "completed", "C0DE1234", NULL, 1000 + i);
    }
    store_flush(s);
    store_health_info h = store_health(s);
    r->held = h.held;
    r->held_bytes = h.held_bytes;
    store_fault_commits(0, 0);
    store_fault_files(0, 0);
    double t0 = now_s();
    while (store_failing(s) || store_health(s).held > 0) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
        if (now_s() - t0 > 30)
            break;
    }
    r->drain_s = now_s() - t0;
    store_flush(s);
    r->written = store_get_stats(s).jobs_done;
    store_close(s);
    return r->written == n ? 0 : -1;
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

    result flood = {0}, batched = {0}, paced = {0};
    if (run(root, "flood", games, frames, 0, 1, &flood) != 0 ||
        run(root, "batched", games, frames, 0, 8, &batched) != 0 ||
        run(root, "paced", games, paced_frames, 33, 1, &paced) != 0)
        return 1;

    printf("store bench: %" PRIu32 " games, one row per call (batched: 8)\n", games);
    printf("| metric | value |\n|---|---|\n");
    const result *floods[] = {&flood, &batched};
    const char *labels[] = {"flood", "flood, 8 frames a call"};
    for (int k = 0; k < 2; k++) {
        const result *r = floods[k];
        printf("| %s: frames logged | %" PRIu64 " (errors %" PRIu64 ", dropped %" PRIu64 ") |\n",
               labels[k], r->st.frames_logged, r->st.errors, r->st.jobs_dropped);
        printf("| %s: writer throughput (first enqueue to flushed) | %.0f frames/s |\n",
               labels[k], (double)r->frames / r->flushed_s);
        printf("| %s: caller enqueue rate | %.0f calls/s |\n", labels[k],
               (double)r->calls / r->enqueue_s);
        print_costs(labels[k], r);
    }
    printf("| paced (%" PRIu32 " games at 30 fps, %" PRIu64 " calls) | frames logged %" PRIu64
           " |\n", games, paced.calls, paced.st.frames_logged);
    print_costs("paced", &paced);

    episodes_result ep = {0};
    held_result held = {0};
    bool ok2 = run_episodes(root, games, &ep) == 0 && run_held(root, &held) == 0;
    printf("| episodes: %" PRIu64 " episodes of 300 frames handed off (files, row, prune) |"
           " %.2f s, %.0f episodes/s, %" PRIu64 " files, %" PRIu64 " frames pruned, %" PRIu64
           " left in the log |\n", ep.episodes, ep.secs, (double)ep.episodes / ep.secs, ep.files,
           ep.pruned, ep.frames_left);
    printf("| held: 10000 outcomes while every write fails | %" PRIu64 " held, %" PRIu64
           " bytes (%.0f per outcome); written %.2f s after the fault ended |\n", held.held,
           held.held_bytes, held.held ? (double)held.held_bytes / (double)held.held : 0.0,
           held.drain_s);

    bool ok = flood.st.frames_logged == flood.frames &&
              batched.st.frames_logged == batched.frames && paced.st.frames_logged == paced.frames &&
              ok2 && ep.frames_left == 0 && held.held == 10000;
    free(flood.cost);
    free(batched.cost);
    free(paced.cost);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 && ok ? 0 : 1;
}
