/*
 * The store's writer thread and job queue.
 *
 * Every public function copies its arguments into one heap block (a job) and appends it
 * to a mutex-protected list; the writer thread takes the whole list at once and works
 * through it. The caller (the event loop) therefore only ever pays for a malloc, a copy
 * and a short critical section, never for the disk.
 *
 * The writer keeps one SQLite transaction open across many jobs and commits it when it
 * is COMMIT_INTERVAL_MS old (waking on a timer if the queue is idle), on store_flush and
 * on store_close. In WAL mode with synchronous=NORMAL a commit is durable against a
 * process crash, so a crash loses at most COMMIT_INTERVAL_MS of data.
 */
#include "store.h"

#include "../util/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

/* Well inside the "at most ~1 s lost" promise, and commits are cheap in WAL mode. */
#define COMMIT_INTERVAL_MS 250
/* While a transaction is open, the writer is left asleep until its commit is due unless
 * this much is queued: nothing it writes is visible before the commit anyway, and at a
 * few hundred games one wake per job cost a quarter of a core in futex calls and small
 * batches (bench/README.md). */
#define WAKE_PENDING_BYTES ((size_t)4 << 20)
/* SQLite's page cache. With hundreds of games appending frames, the default 2 MB no longer
 * holds the pages being written and every commit rereads them (bench/README.md). It fills
 * over the first hours of a study and then stays at this size. */
#define CACHE_KB 16384
#define STR_(x) #x
#define STR(x) STR_(x)
/* Queued but unwritten bytes beyond which new jobs are dropped (and counted) instead of
 * growing without limit if the disk stalls. Generous: hours of frames for many games. */
#define MAX_PENDING_BYTES ((size_t)512 << 20)
/* At most one error line a second, so a full disk does not flood the log. */
#define ERROR_LOG_INTERVAL_MS 1000

/* ---------------------------------------------------------------------------------------
 * Schema and statements
 * ------------------------------------------------------------------------------------- */

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS participants(subject TEXT PRIMARY KEY, token TEXT,"
    "  params TEXT, created INTEGER);"
    "CREATE TABLE IF NOT EXISTS sessions(subject TEXT, event TEXT, detail TEXT, t INTEGER);"
    "CREATE TABLE IF NOT EXISTS scene_visits(subject TEXT, scene_index INTEGER, scene TEXT,"
    "  t INTEGER);"
    "CREATE TABLE IF NOT EXISTS forms(subject TEXT, scene TEXT, form TEXT, t INTEGER);"
    "CREATE TABLE IF NOT EXISTS waits(subject TEXT, scene TEXT, t_start INTEGER,"
    "  t_end INTEGER, wait_ms INTEGER, outcome TEXT, game TEXT);"
    "CREATE TABLE IF NOT EXISTS matches(game TEXT, scene TEXT, subjects TEXT, rtts TEXT,"
    "  t INTEGER);"
    "CREATE TABLE IF NOT EXISTS games(game TEXT PRIMARY KEY, scene TEXT, env TEXT,"
    "  seats TEXT, t_start INTEGER, t_end INTEGER, end_reason TEXT);"
    /* What a rebuild after a crash reads (store_recover.c): who sat where, kind 'human'
     * or 'ai', and each episode's seed (u64 as a decimal string) and step limit. */
    "CREATE TABLE IF NOT EXISTS seats(game TEXT, seat INTEGER, name TEXT, kind TEXT,"
    "  PRIMARY KEY(game, seat));"
    "CREATE TABLE IF NOT EXISTS episode_starts(game TEXT, episode INTEGER, seed TEXT,"
    "  horizon INTEGER, t INTEGER, PRIMARY KEY(game, episode));"
    "CREATE TABLE IF NOT EXISTS episodes(game TEXT, episode INTEGER, scene TEXT, env TEXT,"
    "  seed TEXT, horizon INTEGER, frames INTEGER, reason TEXT, files TEXT, t INTEGER,"
    "  PRIMARY KEY(game, episode));"
    "CREATE TABLE IF NOT EXISTS outcomes(subject TEXT, outcome TEXT, code TEXT,"
    "  reason TEXT, t INTEGER);"
    "CREATE TABLE IF NOT EXISTS events(t INTEGER, subject TEXT, game TEXT, kind TEXT,"
    "  detail TEXT);"
    /* The durable frame log. Per-seat fields are fixed-size blobs (see encode_frame). */
    "CREATE TABLE IF NOT EXISTS frames(game TEXT, episode INTEGER, frame INTEGER,"
    "  actions BLOB, sources BLOB, rewards BLOB, terminated INTEGER, truncated INTEGER,"
    "  info BLOB, hash INTEGER, verified BLOB, focused BLOB, t_ms INTEGER,"
    "  PRIMARY KEY(game, episode, frame)) WITHOUT ROWID;"
    /* store_load_participants looks up each participant's latest visit and outcome and
     * their matched waits: without these, a restart is quadratic in participants. Added
     * to an existing database the first time this version opens it. */
    "CREATE INDEX IF NOT EXISTS scene_visits_subject ON scene_visits(subject);"
    "CREATE INDEX IF NOT EXISTS outcomes_subject ON outcomes(subject);"
    "CREATE INDEX IF NOT EXISTS waits_subject_scene ON waits(subject, scene);";

enum {
    ST_PARTICIPANT,
    ST_SESSION,
    ST_SCENE_VISIT,
    ST_FORM,
    ST_WAIT,
    ST_OUTCOME,
    ST_EVENT,
    ST_MATCH,
    ST_GAME,
    ST_SEATS_CLEAR,
    ST_SEAT,
    ST_GAME_END,
    ST_EPISODE_START,
    ST_FRAME,
    ST_EPISODE,
    ST_COUNT
};

static const char *const STMT_SQL[ST_COUNT] = {
    [ST_PARTICIPANT] = "INSERT INTO participants(subject, token, params, created)"
                       " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(subject) DO UPDATE SET"
                       " token = coalesce(excluded.token, token),"
                       " params = coalesce(excluded.params, params)",
    [ST_SESSION] = "INSERT INTO sessions VALUES(?1, ?2, ?3, ?4)",
    [ST_SCENE_VISIT] = "INSERT INTO scene_visits VALUES(?1, ?2, ?3, ?4)",
    [ST_FORM] = "INSERT INTO forms VALUES(?1, ?2, ?3, ?4)",
    [ST_WAIT] = "INSERT INTO waits VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_OUTCOME] = "INSERT INTO outcomes VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_EVENT] = "INSERT INTO events VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_MATCH] = "INSERT INTO matches VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_GAME] = "INSERT INTO games(game, scene, env, seats, t_start) VALUES(?1, ?2, ?3, ?4, ?5)"
                " ON CONFLICT(game) DO UPDATE SET scene = excluded.scene,"
                " env = excluded.env, seats = excluded.seats, t_start = excluded.t_start",
    [ST_SEATS_CLEAR] = "DELETE FROM seats WHERE game = ?1",
    [ST_SEAT] = "INSERT OR REPLACE INTO seats VALUES(?1, ?2, ?3, ?4)",
    [ST_EPISODE_START] = "INSERT OR REPLACE INTO episode_starts VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_GAME_END] = "INSERT INTO games(game, t_end, end_reason) VALUES(?1, ?2, ?3)"
                    " ON CONFLICT(game) DO UPDATE SET t_end = excluded.t_end,"
                    " end_reason = excluded.end_reason",
    [ST_FRAME] = "INSERT OR REPLACE INTO frames VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                 " ?10, ?11, ?12, ?13)",
    [ST_EPISODE] = "INSERT OR REPLACE INTO episodes VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                   " ?9, ?10)",
};

/* ---------------------------------------------------------------------------------------
 * Jobs
 * ------------------------------------------------------------------------------------- */

typedef enum {
    JOB_PARTICIPANT,
    JOB_SESSION,
    JOB_SCENE_VISIT,
    JOB_FORM,
    JOB_WAIT,
    JOB_OUTCOME,
    JOB_EVENT,
    JOB_MATCH,
    JOB_GAME,
    JOB_GAME_END,
    JOB_EPISODE_START,
    JOB_FRAMES,
    JOB_EPISODE,
    JOB_FLUSH, /* commit, then wake whoever waits in store_flush */
    JOB_STOP,  /* commit and end the thread */
} job_kind;

/* JOB_GAME: game, scene, env and one name per seat. */
#define JOB_GAME_NAME0 3
#define JOB_MAX_STR (JOB_GAME_NAME0 + ENV_MAX_PLAYERS)

typedef struct job {
    struct job *next;
    job_kind kind;
    uint64_t seq;
    size_t bytes;                  /* for the pending-bytes limit */
    int64_t t, t2, num;
    uint64_t u64;                  /* JOB_EPISODE_START: the seed */
    const char *str[JOB_MAX_STR];  /* copies, in `text` below; NULL stays NULL */
    frame_row *rows;               /* JOB_FRAMES: owned copy; JOB_EPISODE: rec->rows */
    uint32_t nrows;
    episode_record *rec;           /* JOB_EPISODE */
    char text[];
} job;

struct store {
    char dir[4096];
    char experiment[STORE_NAME_MAX + 1];
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    pthread_t thread;
    struct job *stop_job;    /* preallocated for store_close */

    /* Shared with callers, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* writer: there is work */
    pthread_cond_t flushed;  /* callers of store_flush: flushed_seq moved */
    job *head, *tail;
    size_t pending_bytes;
    uint64_t next_seq, flushed_seq;
    bool closing;
    bool writer_idle;        /* writer waits with no transaction open: only a signal wakes it */

    /* Writer thread only. */
    bool txn_open;
    int64_t txn_started_ms;
    int64_t last_error_log_ms;
    uint64_t suppressed_errors, dropped_reported;

    _Atomic uint64_t jobs_queued, jobs_done, jobs_dropped, frames_logged, files_written,
        errors;
};

/* Counts an error and logs it, at most one line per ERROR_LOG_INTERVAL_MS. */
static void store_error(store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void store_error(store *s, const char *fmt, ...)
{
    atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    int64_t now = clock_mono_ms();
    if (s->last_error_log_ms && now - s->last_error_log_ms < ERROR_LOG_INTERVAL_MS) {
        s->suppressed_errors++;
        return;
    }
    s->last_error_log_ms = now;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->suppressed_errors)
        fprintf(stderr, "store: %s (and %" PRIu64 " more errors)\n", msg, s->suppressed_errors);
    else
        fprintf(stderr, "store: %s\n", msg);
    s->suppressed_errors = 0;
}

/* One allocation holding the job and copies of its strings. NULL when s is NULL or on
 * out-of-memory (counted). */
static job *job_new(store *s, job_kind kind, const char *const *strs, int nstr)
{
    if (!s)
        return NULL;
    size_t text = 0;
    for (int i = 0; i < nstr; i++)
        if (strs[i])
            text += strlen(strs[i]) + 1;
    job *j = calloc(1, sizeof *j + text);
    if (!j) {
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
        return NULL;
    }
    j->kind = kind;
    j->bytes = sizeof *j + text;
    char *p = j->text;
    for (int i = 0; i < nstr; i++) {
        if (!strs[i])
            continue;
        size_t n = strlen(strs[i]) + 1;
        memcpy(p, strs[i], n);
        j->str[i] = p;
        p += n;
    }
    return j;
}

static void job_free(job *j)
{
    if (!j)
        return;
    free(j->rows);
    if (j->rec)
        free(j->rec->rows);
    free(j->rec);
    free(j);
}

/* Appends j to the queue; returns its sequence number, or 0 when it was dropped (queue
 * over its byte limit, or the store is closing). Never blocks on the writer. */
static uint64_t submit(store *s, job *j)
{
    bool control = j->kind == JOB_FLUSH || j->kind == JOB_STOP;
    uint64_t seq = 0;
    pthread_mutex_lock(&s->mu);
    if (!s->closing && (control || s->pending_bytes + j->bytes <= MAX_PENDING_BYTES)) {
        seq = j->seq = ++s->next_seq;
        /* An idle writer must be woken. One with a transaction open wakes by itself when
         * the commit is due and takes everything queued then: waking it for each job
         * would only buy more, smaller batches. Flush and stop are waited on: wake. */
        bool wake = s->writer_idle || control ||
                    (s->pending_bytes < WAKE_PENDING_BYTES &&
                     s->pending_bytes + j->bytes >= WAKE_PENDING_BYTES);
        if (s->tail)
            s->tail->next = j;
        else
            s->head = j;
        s->tail = j;
        s->pending_bytes += j->bytes;
        if (j->kind == JOB_STOP)
            s->closing = true;
        if (wake)
            pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->mu);

    if (seq == 0) {
        if (!control) { /* a flush racing a close is not lost data */
            atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        }
        job_free(j);
    } else if (!control) {
        atomic_fetch_add_explicit(&s->jobs_queued, 1, memory_order_relaxed);
    }
    return seq;
}

/* ---------------------------------------------------------------------------------------
 * Writer: transactions and statements
 * ------------------------------------------------------------------------------------- */

static void txn_commit(store *s)
{
    if (!s->txn_open)
        return;
    s->txn_open = false;
    char *msg = NULL;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        store_error(s, "commit failed: %s", msg ? msg : "?");
        sqlite3_free(msg);
        /* The transaction may still be open after a failed COMMIT (e.g. SQLITE_BUSY):
         * roll it back so the next batch starts clean rather than stacking onto it. */
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

/* The statement `id`, inside the open transaction (begun on first use). */
static sqlite3_stmt *stmt(store *s, int id)
{
    if (!s->txn_open) {
        char *msg = NULL;
        if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, &msg) == SQLITE_OK) {
            s->txn_open = true;
            s->txn_started_ms = clock_mono_ms();
        } else {
            /* Statements then run in autocommit mode: slower, but nothing is lost. */
            store_error(s, "begin failed: %s", msg ? msg : "?");
            sqlite3_free(msg);
        }
    }
    return s->st[id];
}

/* Binds a string, or NULL for a missing optional argument. The job outlives the step,
 * so SQLite need not copy. */
static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static bool run(store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    bool ok = rc == SQLITE_DONE;
    if (!ok)
        store_error(s, "%s: %s", what, sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ok;
}

/* One statement parameter: a string (NULL allowed) or an integer. Built with S() and I()
 * so that the compiler checks every argument's type. */
typedef struct {
    bool is_text;
    const char *s;
    int64_t i;
} param;
#define S(x) ((param){.is_text = true, .s = (x)})
#define I(x) ((param){.is_text = false, .i = (int64_t)(x)})
#define PARAMS(...) (const param[]){__VA_ARGS__}, sizeof((param[]){__VA_ARGS__}) / sizeof(param)

/* Runs statement `id` with parameters ?1..?n. */
static void run_row(store *s, int id, const char *what, const param *p, size_t n)
{
    sqlite3_stmt *st = stmt(s, id);
    for (size_t i = 0; i < n; i++) {
        if (p[i].is_text)
            bind_str(st, (int)i + 1, p[i].s);
        else
            sqlite3_bind_int64(st, (int)i + 1, p[i].i);
    }
    run(s, st, what);
}

/* ---------------------------------------------------------------------------------------
 * Writer: the durable frame log
 *
 * Per-seat fields are stored as fixed-size little-endian blobs (ENV_MAX_PLAYERS or
 * ENV_MAX_INFO entries): compact, and independent of how many seats a game has.
 * ------------------------------------------------------------------------------------- */

static void put_i32le(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

static int32_t get_i32le(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    return (int32_t)u;
}

static void log_frames(store *s, const char *game, int64_t episode, const frame_row *rows,
                       uint32_t n)
{
    for (uint32_t r = 0; r < n; r++) {
        const frame_row *f = &rows[r];
        uint8_t rewards[4 * ENV_MAX_PLAYERS], info[4 * ENV_MAX_INFO], verified[ENV_MAX_PLAYERS];
        for (int i = 0; i < ENV_MAX_PLAYERS; i++) {
            put_i32le(rewards + 4 * i, f->rewards[i]);
            verified[i] = (uint8_t)f->verified[i];
        }
        for (int i = 0; i < ENV_MAX_INFO; i++)
            put_i32le(info + 4 * i, f->info[i]);

        sqlite3_stmt *st = stmt(s, ST_FRAME);
        bind_str(st, 1, game);
        sqlite3_bind_int64(st, 2, episode);
        sqlite3_bind_int64(st, 3, f->frame);
        sqlite3_bind_blob(st, 4, f->actions, sizeof f->actions, SQLITE_STATIC);
        sqlite3_bind_blob(st, 5, f->sources, sizeof f->sources, SQLITE_STATIC);
        sqlite3_bind_blob(st, 6, rewards, sizeof rewards, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, f->terminated);
        sqlite3_bind_int(st, 8, f->truncated);
        sqlite3_bind_blob(st, 9, info, sizeof info, SQLITE_STATIC);
        /* The u64 hash is stored bit for bit in SQLite's signed 64-bit integer. */
        int64_t hash;
        memcpy(&hash, &f->hash, sizeof hash);
        sqlite3_bind_int64(st, 10, hash);
        sqlite3_bind_blob(st, 11, verified, sizeof verified, SQLITE_STATIC);
        sqlite3_bind_blob(st, 12, f->focused, sizeof f->focused, SQLITE_STATIC);
        sqlite3_bind_int64(st, 13, f->t_ms);
        if (run(s, st, "frame"))
            atomic_fetch_add_explicit(&s->frames_logged, 1, memory_order_relaxed);
    }
}

/* Copies a blob column into dst, zero-filling when it is shorter (or NULL). */
static void column_blob(sqlite3_stmt *st, int col, void *dst, size_t len)
{
    memset(dst, 0, len);
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (p)
        memcpy(dst, p, n < len ? n : len);
}

int store_frames_load(const char *db_path, const char *game, uint32_t episode,
                      frame_row **rows_out, uint32_t *n_out)
{
    *rows_out = NULL;
    *n_out = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    frame_row *rows = NULL;
    uint32_t n = 0, cap = 0;
    int rc = -1;

    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto out;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db,
                           "SELECT frame, actions, sources, rewards, terminated, truncated,"
                           " info, hash, verified, focused, t_ms FROM frames"
                           " WHERE game = ?1 AND episode = ?2 ORDER BY frame",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, episode);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            frame_row *grown = realloc(rows, cap * sizeof *rows);
            if (!grown)
                goto out;
            rows = grown;
        }
        frame_row *f = &rows[n++];
        memset(f, 0, sizeof *f);
        uint8_t rewards[4 * ENV_MAX_PLAYERS], info[4 * ENV_MAX_INFO], verified[ENV_MAX_PLAYERS];
        f->frame = (uint32_t)sqlite3_column_int64(st, 0);
        column_blob(st, 1, f->actions, sizeof f->actions);
        column_blob(st, 2, f->sources, sizeof f->sources);
        column_blob(st, 3, rewards, sizeof rewards);
        f->terminated = (uint8_t)sqlite3_column_int(st, 4);
        f->truncated = (uint8_t)sqlite3_column_int(st, 5);
        column_blob(st, 6, info, sizeof info);
        int64_t hash = sqlite3_column_int64(st, 7);
        memcpy(&f->hash, &hash, sizeof hash);
        column_blob(st, 8, verified, sizeof verified);
        column_blob(st, 9, f->focused, sizeof f->focused);
        f->t_ms = (uint32_t)sqlite3_column_int64(st, 10);
        for (int i = 0; i < ENV_MAX_PLAYERS; i++) {
            f->rewards[i] = get_i32le(rewards + 4 * i);
            f->verified[i] = (int8_t)verified[i];
        }
        for (int i = 0; i < ENV_MAX_INFO; i++)
            f->info[i] = get_i32le(info + 4 * i);
    }
    if (step == SQLITE_DONE) {
        *rows_out = rows;
        *n_out = n;
        rows = NULL;
        rc = 0;
    }
out:
    free(rows);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Writer: one job
 * ------------------------------------------------------------------------------------- */

static void do_form(store *s, const job *j)
{
    const char *subject = j->str[0], *scene = j->str[1], *form = j->str[2];
    run_row(s, ST_FORM, "form", PARAMS(S(subject), S(scene), S(form), I(j->t)));
    char err[512];
    if (store_write_form_file(s->dir, scene, subject, form, err, sizeof err) == 0)
        atomic_fetch_add_explicit(&s->files_written, 1, memory_order_relaxed);
    else
        store_error(s, "form file: %s", err);
}

static void do_episode(store *s, const job *j)
{
    const episode_record *rec = j->rec;
    char files[2048], err[512];
    int n = store_write_episode_files(s->dir, s->experiment, rec, files, sizeof files, err,
                                      sizeof err);
    if (n > 0)
        atomic_fetch_add_explicit(&s->files_written, (uint64_t)n, memory_order_relaxed);
    if (n < 0)
        store_error(s, "episode files: %s", err);

    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, rec->seed);
    /* The name fields were terminated when the job was made (store_episode). */
    run_row(s, ST_EPISODE, "episode",
            PARAMS(S(rec->game), I(rec->episode), S(rec->scene), S(rec->env), S(seed),
                   I(rec->horizon), I(rec->nrows), S(rec->end_reason), S(files),
                   I(rec->t ? rec->t : clock_wall_ms())));
}

/* The games row with the JSON array of names, then the seats rows. j->t2 is the number
 * of seats, bit i of j->num tells whether seat i is human. */
static void do_game(store *s, const job *j)
{
    const char *const *a = j->str;
    int n = (int)j->t2;
    json_t *names = json_array();
    for (int i = 0; i < n && names; i++) {
        json_t *v = a[JOB_GAME_NAME0 + i] ? json_string(a[JOB_GAME_NAME0 + i]) : NULL;
        if (json_array_append_new(names, v ? v : json_null()) != 0) {
            json_decref(names);
            names = NULL;
        }
    }
    char *seats_json = names ? json_dumps(names, JSON_COMPACT) : NULL;
    json_decref(names);
    if (!seats_json)
        store_error(s, "game %s: cannot encode the seat names", a[0] ? a[0] : "?");
    run_row(s, ST_GAME, "game", PARAMS(S(a[0]), S(a[1]), S(a[2]), S(seats_json), I(j->t)));
    free(seats_json);
    run_row(s, ST_SEATS_CLEAR, "seats", PARAMS(S(a[0])));
    for (int i = 0; i < n; i++)
        run_row(s, ST_SEAT, "seat",
                PARAMS(S(a[0]), I(i), S(a[JOB_GAME_NAME0 + i]),
                       S((j->num >> i) & 1 ? "human" : "ai")));
}

static void do_episode_start(store *s, const job *j)
{
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, j->u64);
    run_row(s, ST_EPISODE_START, "episode_start",
            PARAMS(S(j->str[0]), I(j->num), S(seed), I(j->t2), I(j->t)));
}

/* Mark every job up to seq as done for store_flush's waiters. */
static void signal_flushed(store *s, uint64_t seq)
{
    pthread_mutex_lock(&s->mu);
    s->flushed_seq = seq;
    pthread_cond_broadcast(&s->flushed);
    pthread_mutex_unlock(&s->mu);
}

/* Returns false for JOB_STOP. */
static bool process(store *s, const job *j)
{
    const char *const *a = j->str;
    switch (j->kind) {
    case JOB_PARTICIPANT:
        run_row(s, ST_PARTICIPANT, "participant",
                PARAMS(S(a[0]), S(a[1]), S(a[2]), I(j->t)));
        break;
    case JOB_SESSION:
        run_row(s, ST_SESSION, "session", PARAMS(S(a[0]), S(a[1]), S(a[2]), I(j->t)));
        break;
    case JOB_SCENE_VISIT:
        run_row(s, ST_SCENE_VISIT, "scene_visit",
                PARAMS(S(a[0]), I(j->num), S(a[1]), I(j->t)));
        break;
    case JOB_FORM:
        do_form(s, j);
        break;
    case JOB_WAIT:
        run_row(s, ST_WAIT, "wait",
                PARAMS(S(a[0]), S(a[1]), I(j->t), I(j->t2), I(j->t2 - j->t), S(a[2]), S(a[3])));
        break;
    case JOB_OUTCOME:
        run_row(s, ST_OUTCOME, "outcome", PARAMS(S(a[0]), S(a[1]), S(a[2]), S(a[3]), I(j->t)));
        break;
    case JOB_EVENT:
        run_row(s, ST_EVENT, "event", PARAMS(I(j->t), S(a[0]), S(a[1]), S(a[2]), S(a[3])));
        break;
    case JOB_MATCH:
        run_row(s, ST_MATCH, "match", PARAMS(S(a[0]), S(a[1]), S(a[2]), S(a[3]), I(j->t)));
        break;
    case JOB_GAME:
        do_game(s, j);
        break;
    case JOB_GAME_END:
        run_row(s, ST_GAME_END, "game_end", PARAMS(S(a[0]), I(j->t), S(a[1])));
        break;
    case JOB_EPISODE_START:
        do_episode_start(s, j);
        break;
    case JOB_FRAMES:
        log_frames(s, a[0], j->num, j->rows, j->nrows);
        break;
    case JOB_EPISODE:
        do_episode(s, j);
        break;
    case JOB_FLUSH:
        txn_commit(s);
        signal_flushed(s, j->seq);
        break;
    case JOB_STOP:
        txn_commit(s);
        signal_flushed(s, j->seq);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Writer: the thread
 * ------------------------------------------------------------------------------------- */

static void deadline_timespec(int64_t ms, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ms / 1000);
    ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

/* Takes the whole queue, waiting for work; commits an idle open transaction when it is
 * due. Called and returns with mu unlocked. */
static job *take_batch(store *s)
{
    pthread_mutex_lock(&s->mu);
    while (!s->head) {
        if (!s->txn_open) {
            s->writer_idle = true;
            pthread_cond_wait(&s->wake, &s->mu);
            s->writer_idle = false;
            continue;
        }
        int64_t due = s->txn_started_ms + COMMIT_INTERVAL_MS;
        if (clock_mono_ms() >= due) {
            pthread_mutex_unlock(&s->mu); /* never hold mu across disk work */
            txn_commit(s);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        struct timespec ts;
        deadline_timespec(due, &ts);
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
    }
    job *batch = s->head;
    s->head = s->tail = NULL;
    s->pending_bytes = 0;
    pthread_mutex_unlock(&s->mu);
    return batch;
}

static void report_drops(store *s)
{
    uint64_t dropped = atomic_load_explicit(&s->jobs_dropped, memory_order_relaxed);
    if (dropped != s->dropped_reported) {
        fprintf(stderr, "store: %" PRIu64 " jobs dropped so far (queue full or closing)\n",
                dropped);
        s->dropped_reported = dropped;
    }
}

/* Nice of the writer thread relative to the event loop. The writer's work waits up to a
 * commit interval anyway; a commit's burst of disk work must not take a core from the
 * loop while players wait for confirmations (on Linux nice is per thread). */
#define WRITER_NICE 10

static void *writer_main(void *arg)
{
    store *s = arg;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), WRITER_NICE) != 0)
        fprintf(stderr, "store: writer thread keeps normal priority (%s)\n", strerror(errno));
    for (bool running = true; running;) {
        job *j = take_batch(s);
        while (j) {
            job *next = j->next;
            if (!process(s, j))
                running = false;
            if (j->kind != JOB_FLUSH && j->kind != JOB_STOP)
                atomic_fetch_add_explicit(&s->jobs_done, 1, memory_order_relaxed);
            job_free(j);
            j = next;
            /* A long batch must not hold back the once-a-second durability promise. */
            if (s->txn_open && clock_mono_ms() - s->txn_started_ms >= COMMIT_INTERVAL_MS)
                txn_commit(s);
        }
        report_drops(s);
    }
    txn_commit(s);
    return NULL;
}

/* ---------------------------------------------------------------------------------------
 * Open and close
 * ------------------------------------------------------------------------------------- */

static void close_db(store *s)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db); /* checkpoints the WAL into the main file */
    s->db = NULL;
}

static int open_db(store *s, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cohort.db", s->dir);
    /* NOMUTEX: only one thread at a time ever uses this handle (the opener, then the
     * writer, handed over by pthread_create/join). */
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(s->db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                               " PRAGMA wal_autocheckpoint=8192; PRAGMA cache_size=-" STR(CACHE_KB) ";", NULL,
                     NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, STMT_SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: preparing statement %d: %s", path, i,
                     sqlite3_errmsg(s->db));
            return -1;
        }
    }
    return 0;
}

/* The writer thread must not take the server's signals (SIGINT, SIGTERM): they belong to
 * the event loop, so the thread starts with every signal blocked. */
static int start_writer(store *s)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, writer_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void free_sync(store *s)
{
    pthread_cond_destroy(&s->flushed);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
}

store *store_open(const char *data_dir, const char *experiment, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (!data_dir || !data_dir[0]) {
        snprintf(err, errlen, "no data folder given");
        return NULL;
    }
    if (!store_safe_name(experiment)) {
        snprintf(err, errlen, "experiment id '%s' cannot name a folder",
                 experiment ? experiment : "(null)");
        return NULL;
    }
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(s->experiment, sizeof s->experiment, "%s", experiment);
    int n = snprintf(s->dir, sizeof s->dir, "%s/%s", data_dir, experiment);
    if (n < 0 || (size_t)n >= sizeof s->dir) {
        snprintf(err, errlen, "data folder path too long");
        free(s);
        return NULL;
    }
    if (store_mkdirs(s->dir) != 0) {
        snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
        free(s);
        return NULL;
    }

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* commit timer immune to clock jumps */
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->flushed, NULL);
    pthread_condattr_destroy(&ca);

    s->stop_job = job_new(s, JOB_STOP, NULL, 0);
    if (!s->stop_job || open_db(s, err, errlen) != 0) {
        if (!s->stop_job)
            snprintf(err, errlen, "out of memory");
        job_free(s->stop_job);
        close_db(s);
        free_sync(s);
        free(s);
        return NULL;
    }
    if (start_writer(s) != 0) {
        snprintf(err, errlen, "cannot start the store thread");
        job_free(s->stop_job);
        close_db(s);
        free_sync(s);
        free(s);
        return NULL;
    }
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    /* The stop job was allocated at open, so closing cannot fail for want of memory. */
    job *stop = s->stop_job;
    s->stop_job = NULL;
    submit(s, stop);
    pthread_join(s->thread, NULL);
    /* Anything submitted after the stop job was dropped: the list is empty. */
    close_db(s);
    free_sync(s);
    free(s);
}

void store_flush(store *s)
{
    job *j = job_new(s, JOB_FLUSH, NULL, 0);
    if (!j)
        return;
    uint64_t seq = submit(s, j);
    if (seq == 0)
        return;
    pthread_mutex_lock(&s->mu);
    while (s->flushed_seq < seq)
        pthread_cond_wait(&s->flushed, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

const char *store_dir(const store *s)
{
    return s ? s->dir : NULL;
}

store_stats store_get_stats(store *s)
{
    store_stats st = {0};
    if (!s)
        return st;
    st.jobs_queued = atomic_load_explicit(&s->jobs_queued, memory_order_relaxed);
    st.jobs_done = atomic_load_explicit(&s->jobs_done, memory_order_relaxed);
    st.jobs_dropped = atomic_load_explicit(&s->jobs_dropped, memory_order_relaxed);
    st.frames_logged = atomic_load_explicit(&s->frames_logged, memory_order_relaxed);
    st.files_written = atomic_load_explicit(&s->files_written, memory_order_relaxed);
    st.errors = atomic_load_explicit(&s->errors, memory_order_relaxed);
    st.sqlite_heap_bytes = (uint64_t)sqlite3_memory_used(); /* thread-safe */
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Public enqueue functions: copy, queue, return.
 * ------------------------------------------------------------------------------------- */

void store_participant(store *s, const char *subject, const char *token,
                       const char *params_json, int64_t t)
{
    const char *strs[] = {subject, token, params_json};
    job *j = job_new(s, JOB_PARTICIPANT, strs, 3);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_session(store *s, const char *subject, const char *event, const char *detail,
                   int64_t t)
{
    const char *strs[] = {subject, event, detail};
    job *j = job_new(s, JOB_SESSION, strs, 3);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_scene_visit(store *s, const char *subject, int index, const char *scene, int64_t t)
{
    const char *strs[] = {subject, scene};
    job *j = job_new(s, JOB_SCENE_VISIT, strs, 2);
    if (!j)
        return;
    j->num = index;
    j->t = t;
    submit(s, j);
}

void store_form(store *s, const char *subject, const char *scene, const char *form_json,
                int64_t t)
{
    const char *strs[] = {subject, scene, form_json};
    job *j = job_new(s, JOB_FORM, strs, 3);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_wait(store *s, const char *subject, const char *scene, int64_t t_start,
                int64_t t_end, const char *how, const char *game)
{
    const char *strs[] = {subject, scene, how, game};
    job *j = job_new(s, JOB_WAIT, strs, 4);
    if (!j)
        return;
    j->t = t_start;
    j->t2 = t_end;
    submit(s, j);
}

void store_outcome(store *s, const char *subject, const char *what, const char *code,
                   const char *reason, int64_t t)
{
    const char *strs[] = {subject, what, code, reason};
    job *j = job_new(s, JOB_OUTCOME, strs, 4);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_event(store *s, const char *subject, const char *game, const char *kind,
                 const char *detail_json, int64_t t)
{
    const char *strs[] = {subject, game, kind, detail_json};
    job *j = job_new(s, JOB_EVENT, strs, 4);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_match(store *s, const char *game, const char *scene, const char *subjects_json,
                 const char *rtts_json, int64_t t)
{
    const char *strs[] = {game, scene, subjects_json, rtts_json};
    job *j = job_new(s, JOB_MATCH, strs, 4);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_game(store *s, const char *game, const char *scene, const char *env,
                const store_seat *seats, int nseats, int64_t t)
{
    if (!seats || nseats < 0)
        nseats = 0;
    if (nseats > ENV_MAX_PLAYERS)
        nseats = ENV_MAX_PLAYERS;
    const char *strs[JOB_MAX_STR] = {game, scene, env};
    int64_t human = 0;
    for (int i = 0; i < nseats; i++) {
        strs[JOB_GAME_NAME0 + i] = seats[i].name;
        if (seats[i].human)
            human |= (int64_t)1 << i;
    }
    job *j = job_new(s, JOB_GAME, strs, JOB_GAME_NAME0 + nseats);
    if (!j)
        return;
    j->t = t;
    j->t2 = nseats;
    j->num = human;
    submit(s, j);
}

void store_game_end(store *s, const char *game, const char *reason, int64_t t)
{
    const char *strs[] = {game, reason};
    job *j = job_new(s, JOB_GAME_END, strs, 2);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_episode_start(store *s, const char *game, uint32_t episode, uint64_t seed,
                         uint32_t horizon, int64_t t)
{
    const char *strs[] = {game};
    job *j = job_new(s, JOB_EPISODE_START, strs, 1);
    if (!j)
        return;
    j->num = episode;
    j->u64 = seed;
    j->t2 = horizon;
    j->t = t;
    submit(s, j);
}

void store_frames(store *s, const char *game, uint32_t episode, const frame_row *rows,
                  uint32_t n)
{
    if (!rows || n == 0)
        return;
    const char *strs[] = {game};
    job *j = job_new(s, JOB_FRAMES, strs, 1);
    if (!j)
        return;
    j->rows = malloc((size_t)n * sizeof *rows);
    if (!j->rows) {
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
        job_free(j);
        return;
    }
    memcpy(j->rows, rows, (size_t)n * sizeof *rows);
    j->nrows = n;
    j->num = episode;
    j->bytes += (size_t)n * sizeof *rows;
    submit(s, j);
}

/* Terminates a fixed-size name field in place (the caller may have filled it). */
#define TERMINATE(field) ((field)[sizeof(field) - 1] = '\0')

void store_episode(store *s, episode_record *rec)
{
    if (!rec)
        return;
    frame_row *rows = rec->rows;
    rec->rows = NULL; /* ownership passes to the store now, whatever happens next */
    job *j = job_new(s, JOB_EPISODE, NULL, 0);
    episode_record *copy = j ? malloc(sizeof *copy) : NULL;
    if (!copy) {
        if (j) {
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
        }
        job_free(j);
        free(rows);
        return;
    }
    *copy = *rec;
    copy->rows = rows;
    TERMINATE(copy->scene);
    TERMINATE(copy->game);
    TERMINATE(copy->env);
    TERMINATE(copy->end_reason);
    for (int i = 0; i < ENV_MAX_PLAYERS; i++)
        TERMINATE(copy->seat_names[i]);
    for (int i = 0; i < ENV_MAX_INFO; i++)
        TERMINATE(copy->info_names[i]);
    if (copy->nseats > ENV_MAX_PLAYERS)
        copy->nseats = ENV_MAX_PLAYERS;
    if (copy->ninfo > ENV_MAX_INFO)
        copy->ninfo = ENV_MAX_INFO;
    if (!rows)
        copy->nrows = 0;
    j->rec = copy;
    j->bytes += sizeof *copy + (size_t)copy->nrows * sizeof *rows;
    submit(s, j);
}
