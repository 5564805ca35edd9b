/*
 * Restart benchmark: how long the server takes to bring back N participants from an
 * earlier run's cohort.db, and whether that grows linearly with N.
 *
 *   build/bench/bench_restart [N ...]        (default: 25000 50000 100000)
 *   make bench                                 (runs it with the defaults)
 *
 * For each N it makes a fresh data folder and fills cohort.db through SQL, in one
 * transaction, with what N participants of a four-scene study (welcome, consent, a
 * two-person game, a survey) leave behind: a participants row each, their sessions
 * (connect, disconnect, sometimes a resume), scene visits, forms, waits, matches, games,
 * seats, outcomes for those who finished and a few events. Then it times what a restart
 * does before the server listens: store_open (schema, indexes), store_rebuild_episodes
 * and flow_new (which reads every participant back through store_load_participants),
 * and checks that every participant came back. Figures go to bench/README.md.
 *
 * Options: --drop-indexes removes the participant-lookup indexes after the fill, so the
 * timed store_open is a first start of this version on an older database (it builds
 * them); --keep leaves the data folders (and experiment.yaml) in place and prints where,
 * so `cohort serve` can be timed against them.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../envs/registry.h"
#include "config/config.h"
#include "flow/flow.h"
#include "store/store.h"
#include "store/store_recover.h"
#include "util/clock.h"
#include "util/log.h"

static const char EXPERIMENT[] =
    "experiment: restart\n"
    "identity: {params: [PROLIFIC_PID], study_params: [STUDY_ID, SESSION_ID]}\n"
    "scenes:\n"
    "  - id: welcome\n"
    "    page: page.html\n"
    "  - id: consent\n"
    "    page: form.html\n"
    "    form: true\n"
    "  - id: game\n"
    "    game: {env: cooking/cramped_room, seats: [human, human], max_steps: 400}\n"
    "  - id: survey\n"
    "    page: form.html\n"
    "    form: true\n"
    "end:\n"
    "  codes: {completed: DONE, partner_dropped: DROP, waitroom_timeout: WAIT, excluded: NO}\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write %s", path);
}

/* Statements for every table the fill writes, prepared once. */
enum { Q_PART, Q_SESSION, Q_VISIT, Q_FORM, Q_WAIT, Q_MATCH, Q_GAME, Q_SEAT, Q_OUTCOME, Q_EVENT, Q_N };
static const char *const SQL[Q_N] = {
    [Q_PART] = "INSERT INTO participants VALUES(?1, ?2, ?3, ?4)",
    [Q_SESSION] = "INSERT INTO sessions VALUES(?1, ?2, ?3, ?4)",
    [Q_VISIT] = "INSERT INTO scene_visits VALUES(?1, ?2, ?3, ?4)",
    [Q_FORM] = "INSERT INTO forms VALUES(?1, ?2, ?3, ?4)",
    [Q_WAIT] = "INSERT INTO waits VALUES(?1, 'game', ?2, ?3, ?4, ?5, ?6)",
    [Q_MATCH] = "INSERT INTO matches VALUES(?1, 'game', ?2, '[40,55]', ?3)",
    [Q_GAME] = "INSERT INTO games VALUES(?1, 'game', 'cooking/cramped_room', ?2, ?3, ?4, ?5)",
    [Q_SEAT] = "INSERT INTO seats VALUES(?1, ?2, ?3, 'human')",
    [Q_OUTCOME] = "INSERT INTO outcomes VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_EVENT] = "INSERT INTO events VALUES(?1, ?2, ?3, ?4, ?5)",
};

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *q[Q_N];
    long long rows;
} filler;

/* Binds each argument in turn: 's' text (NULL allowed), 'i' int64. */
static void row(filler *f, int q, const char *types, ...)
{
    sqlite3_stmt *st = f->q[q];
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 's') {
            const char *v = va_arg(ap, const char *);
            if (v)
                sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, i + 1);
        } else {
            sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        }
    }
    va_end(ap);
    if (sqlite3_step(st) != SQLITE_DONE)
        die("insert: %s", sqlite3_errmsg(f->db));
    sqlite3_reset(st);
    f->rows++;
}

static void subject_of(int i, char *out, size_t len) { snprintf(out, len, "PID%07d", i); }

/* One participant's rows. Fates by i: 60% complete, 10% time out in the waiting room, 5%
 * see their partner drop, 2% are excluded (a hidden tab), 23% are somewhere midway (a
 * quarter of them in a game when the server stopped). Pairs (i, i^1) play together. */
static void fill_one(filler *f, int i, int64_t t0)
{
    char subject[32], token[33], params[160], partner[32], game[32], seats[80];
    subject_of(i, subject, sizeof subject);
    subject_of(i ^ 1, partner, sizeof partner);
    snprintf(token, sizeof token, "%032x", (unsigned)i * 2654435761u);
    snprintf(params, sizeof params,
             "{\"params\":{\"PROLIFIC_PID\":\"%s\"},\"study\":{\"STUDY_ID\":\"S1\","
             "\"SESSION_ID\":\"sess%07d\"}}",
             subject, i);
    snprintf(game, sizeof game, "g-%012x", (unsigned)(i / 2));
    int64_t t = t0 + (int64_t)i * 50;
    int fate = i % 100;
    bool reaches_game = fate < 77 || fate >= 83;
    row(f, Q_PART, "sssi", subject, token, params, t);
    row(f, Q_SESSION, "sssi", subject, "connect", "10.0.0.1", t);
    row(f, Q_VISIT, "sisi", subject, (int64_t)0, "welcome", t);
    row(f, Q_VISIT, "sisi", subject, (int64_t)1, "consent", t + 20000);
    row(f, Q_FORM, "sssi", subject, "consent", "{\"consent\":\"true\",\"age\":\"34\"}", t + 60000);
    if (!reaches_game) {
        row(f, Q_SESSION, "sssi", subject, "disconnect", NULL, t + 90000);
        return;
    }
    row(f, Q_VISIT, "sisi", subject, (int64_t)2, "game", t + 60000);
    if (i % 3 == 0) { /* a reload on the game page */
        row(f, Q_SESSION, "sssi", subject, "disconnect", NULL, t + 61000);
        row(f, Q_SESSION, "sssi", subject, "resumed", "10.0.0.1", t + 62000);
    }
    bool timed_out = fate >= 60 && fate < 70;
    bool midway_playing = fate >= 83 && fate < 89;
    if (timed_out) {
        row(f, Q_WAIT, "siiiss", subject, t + 65000, t + 245000, (int64_t)180000, "timeout", NULL);
        row(f, Q_OUTCOME, "ssssi", subject, "waitroom_timeout", "WAIT", NULL, t + 245000);
        row(f, Q_SESSION, "sssi", subject, "disconnect", NULL, t + 250000);
        return;
    }
    if (fate >= 89)
        return; /* on the game page, not yet waiting */
    row(f, Q_WAIT, "siiiss", subject, t + 65000, t + 70000, (int64_t)5000, "matched", game);
    if (i % 2 == 0) { /* the pair's shared rows, once */
        snprintf(seats, sizeof seats, "[\"%s\",\"%s\"]", subject, partner);
        row(f, Q_MATCH, "ssi", game, seats, t + 70000);
        if (midway_playing)
            row(f, Q_GAME, "ssiss", game, seats, t + 70000, NULL, NULL);
        else
            row(f, Q_GAME, "ssiis", game, seats, t + 70000, t + 90000, "completed");
        row(f, Q_SEAT, "sis", game, (int64_t)0, subject);
        row(f, Q_SEAT, "sis", game, (int64_t)1, partner);
    }
    if (i % 5 == 0)
        row(f, Q_EVENT, "issss", t + 80000, subject, game, "hidden", NULL);
    if (midway_playing)
        return; /* the server stopped mid-game: restore gives them partner_dropped */
    if (fate >= 70 && fate < 75) {
        row(f, Q_OUTCOME, "ssssi", subject, "partner_dropped", "DROP", "partner_dropped", t + 90000);
    } else if (fate >= 75) {
        row(f, Q_OUTCOME, "ssssi", subject, "excluded", "NO", "focus_loss", t + 90000);
    } else {
        row(f, Q_VISIT, "sisi", subject, (int64_t)3, "survey", t + 90000);
        row(f, Q_FORM, "sssi", subject, "survey", "{\"fun\":\"4\",\"comment\":\"ok\"}", t + 150000);
        row(f, Q_OUTCOME, "ssssi", subject, "completed", "DONE", NULL, t + 150000);
    }
    row(f, Q_SESSION, "sssi", subject, "disconnect", NULL, t + 160000);
}

static long long fill(const char *db_path, int n, int64_t t0)
{
    filler f = {0};
    if (sqlite3_open(db_path, &f.db) != SQLITE_OK)
        die("%s: %s", db_path, sqlite3_errmsg(f.db));
    sqlite3_exec(f.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
    for (int q = 0; q < Q_N; q++)
        if (sqlite3_prepare_v2(f.db, SQL[q], -1, &f.q[q], NULL) != SQLITE_OK)
            die("%s: %s", SQL[q], sqlite3_errmsg(f.db));
    for (int i = 0; i < n; i++)
        fill_one(&f, i, t0);
    for (int q = 0; q < Q_N; q++)
        sqlite3_finalize(f.q[q]);
    if (sqlite3_exec(f.db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
        die("commit: %s", sqlite3_errmsg(f.db));
    sqlite3_close(f.db);
    return f.rows;
}

typedef struct {
    int n, restored;
    long long rows;
    double db_mb, open_s, rebuild_s, flow_s;
} result;

static bool drop_indexes, keep;

static void drop_lookup_indexes(const char *db_path)
{
    sqlite3 *db;
    if (sqlite3_open(db_path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "DROP INDEX scene_visits_subject; DROP INDEX outcomes_subject;"
                         " DROP INDEX waits_subject_scene", NULL, NULL, NULL) != SQLITE_OK)
        die("dropping indexes: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static result run_one(const char *root, int n, const experiment *x)
{
    result r = {.n = n};
    char data[512], db_path[600], err[512];
    snprintf(data, sizeof data, "%s/data-%d", root, n);
    /* The schema (and its indexes) as the server creates it, then the rows. */
    store *st = store_open(data, x->id, err, sizeof err);
    if (!st)
        die("store_open: %s", err);
    store_close(st);
    snprintf(db_path, sizeof db_path, "%s/%s/cohort.db", data, x->id);
    r.rows = fill(db_path, n, clock_now().wall_ms - (int64_t)n * 50 - 3600000);
    if (drop_indexes)
        drop_lookup_indexes(db_path);
    struct stat sb;
    r.db_mb = stat(db_path, &sb) == 0 ? (double)sb.st_size / 1e6 : 0;

    /* What `cohort serve` does before it listens (src/main.c). */
    double t = now_s();
    st = store_open(data, x->id, err, sizeof err);
    if (!st)
        die("store_open: %s", err);
    r.open_s = now_s() - t;
    t = now_s();
    if (store_rebuild_episodes(st, x->id, env_find, err, sizeof err) < 0)
        die("store_rebuild_episodes: %s", err);
    r.rebuild_s = now_s() - t;
    t = now_s();
    flow *f = flow_new(x, st, flow_net_io(), clock_now(), err, sizeof err);
    r.flow_s = now_s() - t;
    if (!f)
        die("flow_new: %s", err);
    flow_stats fs;
    flow_get_stats(f, clock_now(), &fs);
    r.restored = fs.people.total;
    flow_free(f, clock_now());
    store_close(st);
    return r;
}

int main(int argc, char **argv)
{
    int sizes[16], nsizes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--drop-indexes") == 0)
            drop_indexes = true;
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (atoi(argv[i]) > 0 && nsizes < 16)
            sizes[nsizes++] = atoi(argv[i]);
        else
            die("usage: bench_restart [--drop-indexes] [--keep] [N ...]");
    }
    if (nsizes == 0) {
        sizes[0] = 25000, sizes[1] = 50000, sizes[2] = 100000;
        nsizes = 3;
    }
    log_set_quiet(1);
    char root[] = "/tmp/cohort-bench-restart-XXXXXX";
    if (!mkdtemp(root))
        die("mkdtemp failed");
    write_file(root, "page.html", "<p>Welcome</p>");
    write_file(root, "form.html", "<label>Age <input name=\"age\"></label>");
    write_file(root, "experiment.yaml", EXPERIMENT);
    char path[600], err[512];
    snprintf(path, sizeof path, "%s/experiment.yaml", root);
    static experiment x;
    if (config_load(path, config_registry_hooks(), &x, err, sizeof err) != 0)
        die("%s", err);

    printf("restart: bringing back N participants from cohort.db (store_open, "
           "store_rebuild_episodes, flow_new)\n");
    printf("%9s %10s %8s %9s %10s %10s %9s %11s\n", "N", "rows", "db_MB", "open_ms",
           "rebuild_ms", "flow_new_ms", "total_s", "us_per_part");
    int failed = 0;
    for (int i = 0; i < nsizes; i++) {
        result r = run_one(root, sizes[i], &x);
        double total = r.open_s + r.rebuild_s + r.flow_s;
        printf("%9d %10lld %8.1f %9.0f %10.0f %10.0f %9.2f %11.1f\n", r.n, r.rows, r.db_mb,
               r.open_s * 1e3, r.rebuild_s * 1e3, r.flow_s * 1e3, total, total * 1e6 / r.n);
        fflush(stdout);
        if (r.restored != r.n) {
            fprintf(stderr, "bench_restart: %d of %d participants came back\n", r.restored, r.n);
            failed = 1;
        }
    }
    if (keep) {
        printf("kept: %s (experiment.yaml, data-N/)\n", root);
        return failed;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_restart: could not remove %s\n", root);
    return failed;
}
