/*
 * The store's writer thread: the only code that touches cohort.db for writing and the
 * files beside it (docs/DESIGN.md section 8).
 *
 * It works in cycles. A cycle starts COMMIT_INTERVAL_MS after the first job of a batch
 * arrived (at once for a flush, a stop or WAKE_PENDING_BYTES of work, and every
 * RETRY_INTERVAL_MS while something waits for a retry), takes the whole queue and writes
 * it in two transactions:
 *
 *   1. important jobs (store.h), after every job held from earlier cycles: first their
 *      files (each durable before anything refers to it), then their rows, committed.
 *      A write that fails for a reason that may pass (a full disk) leaves the job held;
 *      a failed statement or commit rolls back only this transaction, and every job in
 *      it stays held. A constraint that refuses a row is final: counted, not retried.
 *   2. bulk jobs (frames, events) and the prunes of episodes whose rows are now
 *      committed. If this transaction fails, its jobs are dropped and counted: frames
 *      are a crash log, and each episode record carries its rows again.
 *
 * So a failure on frames can never roll back an outcome, and an outcome cannot be lost
 * to a full queue. In WAL mode with synchronous=NORMAL a commit is durable against a
 * process crash: a crash loses at most the last cycle's worth.
 */
#include "store_internal.h"
#include "store_schema.h"

#include "../util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define STR_(x) #x
#define STR(x) STR_(x)

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
    "CREATE TABLE IF NOT EXISTS quiz_attempts(subject TEXT, scene TEXT, attempt INTEGER,"
    "  passed INTEGER, wrong TEXT, form TEXT, t INTEGER);"
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
    /* The durable frame log: one row per batch of consecutive frames a room confirmed
     * (frame = the first, n of them, rows = n fixed-size records, see encode_frame).
     * Deleted once their episode's files and row are durable (section 8). */
    "CREATE TABLE IF NOT EXISTS frame_log(game TEXT, episode INTEGER, frame INTEGER,"
    "  n INTEGER, rows BLOB, PRIMARY KEY(game, episode, frame)) WITHOUT ROWID;"
    /* store_load_participants looks up each participant's latest visit and outcome and
     * their matched waits: without these, a restart is quadratic in participants. Added
     * to an existing database the first time this version opens it. */
    "CREATE INDEX IF NOT EXISTS scene_visits_subject ON scene_visits(subject);"
    "CREATE INDEX IF NOT EXISTS outcomes_subject ON outcomes(subject);"
    "CREATE INDEX IF NOT EXISTS waits_subject_scene ON waits(subject, scene);"
    "CREATE INDEX IF NOT EXISTS quiz_attempts_subject ON quiz_attempts(subject, scene);"

    /* ... and the games they sat in, for their bonus's score so far. */
    "CREATE INDEX IF NOT EXISTS seats_name ON seats(name);";

/* Columns added after a table's first version: a database an earlier version wrote lacks
 * them, and CREATE TABLE IF NOT EXISTS does not add them, so each is added at open when
 * missing (add_missing_columns). New columns go here, not into SCHEMA, so that both new
 * and old databases end up with the same tables. */
static const struct {
    const char *table, *column, *type;
} ADDED_COLUMNS[] = {
    /* The participant's condition and route (the scene ids in their order, JSON). */
    {"participants", "condition", "TEXT"},
    {"participants", "route", "TEXT"},
    /* 1 for a visit on the route after an outcome (on_outcome), where scene_index counts
     * from that route's start. */
    {"scene_visits", "after_outcome", "INTEGER DEFAULT 0"},
    /* The condition of a game's group ("" when the scene mixes conditions). */
    {"games", "condition", "TEXT"},
    /* bonuses (docs/EXPERIMENTS.md "Bonus"): the amount paid as text ("1.02"), the team
     * score and the waiting it was computed from; NULL without a bonus rule. */
    {"outcomes", "bonus", "TEXT"},
    {"outcomes", "bonus_points", "INTEGER"},
    {"outcomes", "bonus_wait_ms", "INTEGER"},
    /* the episode's team score (every seat's rewards added); NULL for an episode adopted
     * from its files after a crash */
    {"episodes", "score", "INTEGER"},
    /* The group a participant belongs to (store_participant_party), and the earlier game a
     * match seated together again (store_match). */
    {"participants", "party", "TEXT"},
    {"matches", "party", "TEXT"},
    /* How each episode was paced (store_episode_start): fps or step_ms as the game's
     * settings said, the other NULL, and the input mode; NULL when not recorded. */
    {"episode_starts", "fps", "INTEGER"},
    {"episode_starts", "step_ms", "INTEGER"},
    {"episode_starts", "input", "TEXT"},
    {NULL, NULL, NULL}, /* the list's end (and keeps it non-empty) */
};

bool store_schema_has_column(sqlite3 *db, const char *table, const char *column)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?1", table);
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, column, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

static int add_missing_columns(sqlite3 *db, char **msg)
{
    for (size_t i = 0; ADDED_COLUMNS[i].table; i++) {
        if (store_schema_has_column(db, ADDED_COLUMNS[i].table, ADDED_COLUMNS[i].column))
            continue;
        char sql[200];
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", ADDED_COLUMNS[i].table,
                 ADDED_COLUMNS[i].column, ADDED_COLUMNS[i].type);
        int rc = sqlite3_exec(db, sql, NULL, NULL, msg);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static const char *const STMT_SQL[ST_COUNT] = {
    [ST_PARTICIPANT] = "INSERT INTO participants(subject, token, params, created, condition,"
                       " route) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(subject) DO UPDATE SET"
                       " token = coalesce(excluded.token, token),"
                       " params = coalesce(excluded.params, params),"
                       " condition = coalesce(excluded.condition, condition),"
                       " route = coalesce(excluded.route, route)",
    [ST_SESSION] = "INSERT INTO sessions VALUES(?1, ?2, ?3, ?4)",
    [ST_SCENE_VISIT] = "INSERT INTO scene_visits(subject, scene_index, scene, t, after_outcome)"
                       " VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_FORM] = "INSERT INTO forms VALUES(?1, ?2, ?3, ?4)",
    [ST_QUIZ_ATTEMPT] = "INSERT INTO quiz_attempts VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_WAIT] = "INSERT INTO waits VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_OUTCOME] = "INSERT INTO outcomes(subject, outcome, code, reason, t, bonus,"
                   " bonus_points, bonus_wait_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_EVENT] = "INSERT INTO events VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_MATCH] = "INSERT INTO matches(game, scene, subjects, rtts, t, party)"
                 " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_PARTY] = "UPDATE participants SET party = ?2 WHERE subject = ?1",
    [ST_GAME] = "INSERT INTO games(game, scene, env, seats, t_start, condition)"
                " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                " ON CONFLICT(game) DO UPDATE SET scene = excluded.scene,"
                " env = excluded.env, seats = excluded.seats, t_start = excluded.t_start,"
                " condition = excluded.condition",
    [ST_SEATS_CLEAR] = "DELETE FROM seats WHERE game = ?1",
    [ST_SEAT] = "INSERT OR REPLACE INTO seats VALUES(?1, ?2, ?3, ?4)",
    [ST_EPISODE_START] = "INSERT OR REPLACE INTO episode_starts(game, episode, seed, horizon, t,"
                         " fps, step_ms, input) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_GAME_END] = "INSERT INTO games(game, t_end, end_reason) VALUES(?1, ?2, ?3)"
                    " ON CONFLICT(game) DO UPDATE SET t_end = excluded.t_end,"
                    " end_reason = excluded.end_reason",
    [ST_FRAME] = "INSERT OR REPLACE INTO frame_log VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_EPISODE] = "INSERT OR REPLACE INTO episodes(game, episode, scene, env, seed, horizon,"
                   " frames, reason, files, t, score) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                   " ?9, ?10, ?11)",
    [ST_PRUNE_COUNT] = "SELECT coalesce(sum(n), 0) FROM frame_log WHERE game = ?1 AND episode = ?2",
    [ST_PRUNE] = "DELETE FROM frame_log WHERE game = ?1 AND episode = ?2",
};

/* ---------------------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------------------- */

/* What one statement (or one job's statements) came to. */
enum { WR_OK = 0, WR_REFUSED = 1, WR_FAILED = -1 };

/* Errors about one row's own data: the same row will be refused again. Everything else (a
 * full disk, I/O, a lock, memory, a read-only or corrupt file) may pass or needs a person:
 * the row is kept and the store says it is failing. */
static bool sql_final(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return true;
    default:
        return false;
    }
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

/* Steps st inside the open transaction. WR_REFUSED when the row alone was refused;
 * WR_FAILED when the write may pass later, or when SQLite ended the whole transaction (a
 * trigger's RAISE(ROLLBACK), a full disk): the statements after it would otherwise
 * commit one by one. */
static int run(store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int out = WR_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        bool txn_gone = sqlite3_get_autocommit(s->db);
        if (sql_final(rc) && !txn_gone) {
            store_error(s, "%s: %s", what, sqlite3_errmsg(s->db));
            out = WR_REFUSED;
        } else {
            store_fail(s, "%s: %s", what, sqlite3_errmsg(s->db));
            out = WR_FAILED;
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
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
static int run_row(store *s, int id, const char *what, const param *p, size_t n)
{
    sqlite3_stmt *st = s->st[id];
    for (size_t i = 0; i < n; i++) {
        if (p[i].is_text)
            bind_str(st, (int)i + 1, p[i].s);
        else
            sqlite3_bind_int64(st, (int)i + 1, p[i].i);
    }
    return run(s, st, what);
}

/* The worse of two results, for jobs of several statements. */
static int worse(int a, int b)
{
    if (a == WR_FAILED || b == WR_FAILED)
        return WR_FAILED;
    return a == WR_REFUSED || b == WR_REFUSED ? WR_REFUSED : WR_OK;
}

/* ---------------------------------------------------------------------------------------
 * Transactions. Commit faults (store_fault_commits) are for tests.
 * ------------------------------------------------------------------------------------- */

static _Atomic int commit_fault_skip, commit_fault_count;

void store_fault_commits(int skip, int count)
{
    atomic_store(&commit_fault_skip, skip > 0 ? skip : 0);
    atomic_store(&commit_fault_count, count);
}

static bool txn_begin(store *s)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, &msg) == SQLITE_OK)
        return true;
    store_fail(s, "begin: %s", msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return false;
}

static void txn_rollback(store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* COMMIT. A failed one is rolled back (after SQLITE_BUSY, say, the transaction would
 * still be open), so the next transaction starts clean. */
static bool txn_commit(store *s)
{
    if (store_fault_take(&commit_fault_skip, &commit_fault_count)) {
        store_fail(s, "commit: database or disk is full (injected)");
        txn_rollback(s);
        return false;
    }
    char *msg = NULL;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK)
        return true;
    store_fail(s, "commit: %s", msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    txn_rollback(s);
    return false;
}

/* ---------------------------------------------------------------------------------------
 * The durable frame log
 *
 * A room hands its confirmed frames over in batches (room.c, log_frames); each batch is one
 * frame_log row whose blob holds a fixed-size little-endian record per frame, every
 * per-seat field ENV_MAX_PLAYERS wide and info ENV_MAX_INFO wide, whatever the game's
 * seat count. One B-tree insert per batch instead of per frame is what keeps the writer
 * cheap at 30,000 frames a second.
 * ------------------------------------------------------------------------------------- */

enum {
    FRAME_RECORD_BYTES = 4 + 4 * ENV_MAX_PLAYERS   /* frame; actions, sources, verified, focused */
                         + 4 * ENV_MAX_PLAYERS     /* rewards */
                         + 2                       /* terminated, truncated */
                         + 4 * ENV_MAX_INFO        /* info */
                         + 8 + 4,                  /* hash, t_ms */
};

static void put_u32le(uint8_t *p, uint32_t u)
{
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void encode_frame(uint8_t *p, const frame_row *f)
{
    put_u32le(p, f->frame);
    p += 4;
    memcpy(p, f->actions, ENV_MAX_PLAYERS);
    memcpy(p + ENV_MAX_PLAYERS, f->sources, ENV_MAX_PLAYERS);
    for (int i = 0; i < ENV_MAX_PLAYERS; i++)
        p[2 * ENV_MAX_PLAYERS + i] = (uint8_t)f->verified[i];
    memcpy(p + 3 * ENV_MAX_PLAYERS, f->focused, ENV_MAX_PLAYERS);
    p += 4 * ENV_MAX_PLAYERS;
    for (int i = 0; i < ENV_MAX_PLAYERS; i++, p += 4)
        put_u32le(p, (uint32_t)f->rewards[i]);
    *p++ = f->terminated;
    *p++ = f->truncated;
    for (int i = 0; i < ENV_MAX_INFO; i++, p += 4)
        put_u32le(p, (uint32_t)f->info[i]);
    put_u32le(p, (uint32_t)f->hash);
    put_u32le(p + 4, (uint32_t)(f->hash >> 32));
    put_u32le(p + 8, f->t_ms);
}

static void decode_frame(frame_row *f, const uint8_t *p)
{
    memset(f, 0, sizeof *f);
    f->frame = get_u32le(p);
    p += 4;
    memcpy(f->actions, p, ENV_MAX_PLAYERS);
    memcpy(f->sources, p + ENV_MAX_PLAYERS, ENV_MAX_PLAYERS);
    for (int i = 0; i < ENV_MAX_PLAYERS; i++)
        f->verified[i] = (int8_t)p[2 * ENV_MAX_PLAYERS + i];
    memcpy(f->focused, p + 3 * ENV_MAX_PLAYERS, ENV_MAX_PLAYERS);
    p += 4 * ENV_MAX_PLAYERS;
    for (int i = 0; i < ENV_MAX_PLAYERS; i++, p += 4)
        f->rewards[i] = (int32_t)get_u32le(p);
    f->terminated = *p++;
    f->truncated = *p++;
    for (int i = 0; i < ENV_MAX_INFO; i++, p += 4)
        f->info[i] = (int32_t)get_u32le(p);
    f->hash = (uint64_t)get_u32le(p) | (uint64_t)get_u32le(p + 4) << 32;
    f->t_ms = get_u32le(p + 8);
}

/* Binds the frame_log row for rows[0..n-1] (consecutive frames of one episode). */
static int bind_chunk(sqlite3_stmt *st, const char *game, int64_t episode,
                      const frame_row *rows, uint32_t n)
{
    uint8_t *blob = malloc((size_t)n * FRAME_RECORD_BYTES);
    if (!blob)
        return SQLITE_NOMEM;
    for (uint32_t r = 0; r < n; r++)
        encode_frame(blob + (size_t)r * FRAME_RECORD_BYTES, &rows[r]);
    sqlite3_bind_text(st, 1, game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_int64(st, 3, rows[0].frame);
    sqlite3_bind_int64(st, 4, n);
    return sqlite3_bind_blob(st, 5, blob, (int)((size_t)n * FRAME_RECORD_BYTES), free);
}

/* Appends a batch to the log; *inserted counts its frames once they went in. */
static int log_frames(store *s, const char *game, int64_t episode, const frame_row *rows,
                      uint32_t n, uint64_t *inserted)
{
    if (n == 0)
        return WR_OK;
    if (bind_chunk(s->st[ST_FRAME], game, episode, rows, n) != SQLITE_OK)
        return WR_FAILED;
    int rc = run(s, s->st[ST_FRAME], "frame");
    if (rc == WR_OK)
        *inserted += n;
    return rc;
}

/* Appends the frames of the chunks st steps through (columns: frame, n, rows) to *rows.
 * A chunk whose blob is not n records is reported and skipped, as frames the log lost
 * are: a replay stops at the first gap (store_recover.c). 0, or -1 out of memory or on a
 * read error. */
static int read_chunks(sqlite3_stmt *st, const char *game, uint32_t episode, frame_row **rows,
                       uint32_t *n, uint32_t *cap)
{
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t k = sqlite3_column_int64(st, 1);
        const uint8_t *blob = sqlite3_column_blob(st, 2);
        int64_t bytes = sqlite3_column_bytes(st, 2);
        if (k <= 0 || !blob || bytes != k * FRAME_RECORD_BYTES || k > UINT32_MAX - *n) {
            fprintf(stderr, "store: frame log of %s/%" PRIu32 ": the batch from frame %lld is"
                    " damaged (%lld frames, %lld bytes): skipped\n", game, episode,
                    (long long)sqlite3_column_int64(st, 0), (long long)k, (long long)bytes);
            continue;
        }
        if (*n + (uint32_t)k > *cap) {
            uint32_t want = *cap ? *cap : 256;
            while (want < *n + (uint32_t)k)
                want *= 2;
            frame_row *grown = realloc(*rows, (size_t)want * sizeof **rows);
            if (!grown)
                return -1;
            *rows = grown;
            *cap = want;
        }
        for (int64_t r = 0; r < k; r++)
            decode_frame(&(*rows)[(*n)++], blob + r * FRAME_RECORD_BYTES);
    }
    return step == SQLITE_DONE ? 0 : -1;
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

/* A database an earlier version wrote may hold a frame log of one row per frame, in
 * columns (table frames): what a crash left there is moved into frame_log, one chunk per
 * episode, and the old table dropped, so that the rebuild at start reads one format. */
static int migrate_frames_table(sqlite3 *db, char **msg)
{
    if (!store_schema_has_column(db, "frames", "actions"))
        return SQLITE_OK;
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, msg);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *sel = NULL, *ins = NULL;
    frame_row *rows = NULL;
    uint32_t n = 0, cap = 0;
    char game[256] = "";
    int64_t episode = -1;
    rc = sqlite3_prepare_v2(db,
                            "SELECT game, episode, frame, actions, sources, rewards, terminated,"
                            " truncated, info, hash, verified, focused, t_ms FROM frames"
                            " ORDER BY game, episode, frame",
                            -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO frame_log VALUES(?1, ?2, ?3, ?4, ?5)",
                                -1, &ins, NULL);
    while (rc == SQLITE_OK) {
        int step = sqlite3_step(sel);
        const char *g = step == SQLITE_ROW ? (const char *)sqlite3_column_text(sel, 0) : NULL;
        int64_t e = step == SQLITE_ROW ? sqlite3_column_int64(sel, 1) : -1;
        bool same = g && e == episode && strcmp(g, game) == 0;
        if (!same && n > 0) { /* the episode before is whole: its chunk */
            rc = bind_chunk(ins, game, episode, rows, n);
            if (rc == SQLITE_OK && (rc = sqlite3_step(ins)) == SQLITE_DONE)
                rc = SQLITE_OK;
            sqlite3_reset(ins);
            n = 0;
            if (rc != SQLITE_OK)
                break;
        }
        if (step != SQLITE_ROW) {
            if (step != SQLITE_DONE)
                rc = step;
            break;
        }
        if (!same) {
            snprintf(game, sizeof game, "%s", g);
            episode = e;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            frame_row *grown = realloc(rows, (size_t)cap * sizeof *rows);
            if (!grown) {
                rc = SQLITE_NOMEM;
                break;
            }
            rows = grown;
        }
        frame_row *f = &rows[n++];
        memset(f, 0, sizeof *f);
        uint8_t rewards[4 * ENV_MAX_PLAYERS], info[4 * ENV_MAX_INFO], verified[ENV_MAX_PLAYERS];
        f->frame = (uint32_t)sqlite3_column_int64(sel, 2);
        column_blob(sel, 3, f->actions, sizeof f->actions);
        column_blob(sel, 4, f->sources, sizeof f->sources);
        column_blob(sel, 5, rewards, sizeof rewards);
        f->terminated = (uint8_t)sqlite3_column_int(sel, 6);
        f->truncated = (uint8_t)sqlite3_column_int(sel, 7);
        column_blob(sel, 8, info, sizeof info);
        int64_t hash = sqlite3_column_int64(sel, 9);
        memcpy(&f->hash, &hash, sizeof hash);
        column_blob(sel, 10, verified, sizeof verified);
        column_blob(sel, 11, f->focused, sizeof f->focused);
        f->t_ms = (uint32_t)sqlite3_column_int64(sel, 12);
        for (int i = 0; i < ENV_MAX_PLAYERS; i++) {
            f->rewards[i] = (int32_t)get_u32le(rewards + 4 * i);
            f->verified[i] = (int8_t)verified[i];
        }
        for (int i = 0; i < ENV_MAX_INFO; i++)
            f->info[i] = (int32_t)get_u32le(info + 4 * i);
    }
    free(rows);
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "DROP TABLE frames; COMMIT", NULL, NULL, msg);
    if (rc != SQLITE_OK) {
        if (!*msg)
            *msg = sqlite3_mprintf("moving the old frame log: %s", sqlite3_errstr(rc));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
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
                           "SELECT frame, n, rows FROM frame_log WHERE game = ?1 AND episode = ?2"
                           " ORDER BY frame",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, episode);
    if (read_chunks(st, game, episode, &rows, &n, &cap) == 0) {
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
 * Important jobs: rows
 * ------------------------------------------------------------------------------------- */

/* The games row with the JSON array of names, then the seats rows. j->t2 is the number
 * of seats, bit i of j->num tells whether seat i is human. */
static int game_rows(store *s, const job *j)
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
    int rc = run_row(s, ST_GAME, "game", PARAMS(S(a[0]), S(a[1]), S(a[2]), S(seats_json), I(j->t),
                                                  S(a[3])));
    free(seats_json);
    if (rc != WR_FAILED)
        rc = worse(rc, run_row(s, ST_SEATS_CLEAR, "seats", PARAMS(S(a[0]))));
    for (int i = 0; i < n && rc != WR_FAILED; i++)
        rc = worse(rc, run_row(s, ST_SEAT, "seat",
                               PARAMS(S(a[0]), I(i), S(a[JOB_GAME_NAME0 + i]),
                                      S((j->num >> i) & 1 ? "human" : "ai"))));
    return rc;
}

static int episode_start_row(store *s, const job *j)
{
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, j->u64);
    return run_row(s, ST_EPISODE_START, "episode_start",
                   PARAMS(S(j->str[0]), I(j->num), S(seed), I(j->t2), I(j->t),
                          j->fps ? I(j->fps) : S(NULL), j->step_ms ? I(j->step_ms) : S(NULL),
                          S(j->str[1])));
}

/* Inserted only once the episode's files are durable (commit_rows checks). */
static int episode_row(store *s, const job *j)
{
    const episode_record *rec = j->rec;
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, rec->seed);
    /* The name fields were terminated when the job was made (store_episode). */
    return run_row(s, ST_EPISODE, "episode",
                   PARAMS(S(rec->game), I(rec->episode), S(rec->scene), S(rec->env), S(seed),
                          I(rec->horizon), I(rec->nrows), S(rec->end_reason),
                          S(j->files ? j->files : "[]"), I(rec->t ? rec->t : clock_wall_ms()),
                          j->u64 ? I(j->num) : S(NULL)));
}

static int job_rows(store *s, const job *j)
{
    const char *const *a = j->str;
    switch (j->kind) {
    case JOB_PARTICIPANT:
        return run_row(s, ST_PARTICIPANT, "participant",
                       PARAMS(S(a[0]), S(a[1]), S(a[2]), I(j->t), S(a[3]), S(a[4])));
    case JOB_SESSION:
        return run_row(s, ST_SESSION, "session", PARAMS(S(a[0]), S(a[1]), S(a[2]), I(j->t)));
    case JOB_SCENE_VISIT:
        return run_row(s, ST_SCENE_VISIT, "scene_visit",
                       PARAMS(S(a[0]), I(j->num), S(a[1]), I(j->t), I(j->t2)));
    case JOB_FORM:
        return run_row(s, ST_FORM, "form", PARAMS(S(a[0]), S(a[1]), S(a[2]), I(j->t)));
    case JOB_QUIZ_ATTEMPT:
        return run_row(s, ST_QUIZ_ATTEMPT, "quiz_attempt",
                       PARAMS(S(a[0]), S(a[1]), I(j->num), I(j->t2), S(a[2]), S(a[3]), I(j->t)));
    case JOB_WAIT:
        return run_row(s, ST_WAIT, "wait",
                       PARAMS(S(a[0]), S(a[1]), I(j->t), I(j->t2), I(j->t2 - j->t), S(a[2]),
                              S(a[3])));
    case JOB_OUTCOME:
        return run_row(s, ST_OUTCOME, "outcome",
                       PARAMS(S(a[0]), S(a[1]), S(a[2]), S(a[3]), I(j->t), S(a[4]),
                              a[4] ? I(j->num) : S(NULL), a[4] ? I(j->t2) : S(NULL)));
    case JOB_MATCH:
        return run_row(s, ST_MATCH, "match",
                       PARAMS(S(a[0]), S(a[1]), S(a[2]), S(a[3]), I(j->t), S(a[4])));
    case JOB_PARTY:
        return run_row(s, ST_PARTY, "party", PARAMS(S(a[0]), S(a[1])));
    case JOB_GAME:
        return game_rows(s, j);
    case JOB_GAME_END:
        return run_row(s, ST_GAME_END, "game_end", PARAMS(S(a[0]), I(j->t), S(a[1])));
    case JOB_EPISODE_START:
        return episode_start_row(s, j);
    case JOB_EPISODE:
        return episode_row(s, j);
    default:
        return WR_OK;
    }
}

/* ---------------------------------------------------------------------------------------
 * Important jobs: files
 * ------------------------------------------------------------------------------------- */

/* An episode's rows are needed only to write its files: once they are durable the
 * memory goes back, even if the row still waits for the database. */
static void drop_episode_rows(store *s, job *j)
{
    size_t n = (size_t)j->rec->nrows * sizeof(frame_row);
    if (!j->rec->rows)
        return;
    free(j->rec->rows);
    j->rec->rows = NULL;
    j->bytes -= n;
    atomic_fetch_sub_explicit(&s->important_bytes, n, memory_order_relaxed);
}

/* Writes an episode's files (store_write_episode_files), keeping the list of files for
 * its row. The count written, or STORE_FILE_BAD/RETRY. */
static int episode_files(store *s, job *j, char *err, size_t errlen)
{
    char files[2048];
    int rc = store_write_episode_files(s->dir, s->experiment, j->rec, s->mode, files,
                                       sizeof files, err, errlen);
    if (rc != STORE_FILE_RETRY) {
        free(j->files);
        j->files = strdup(files);
    }
    return rc;
}

/* A held job's files, unless they are done or not due for a retry yet. A failure that may
 * pass leaves the job held and the store failing; a name that can never be a file is
 * counted and given up (an episode then records the files of its other seats). */
static void job_files(store *s, job *j, int64_t now)
{
    if (j->files_done || now < j->files_retry_ms)
        return;
    char err[512] = "";
    int rc = j->kind == JOB_FORM
                 ? store_write_form_file(s->dir, j->str[1], j->str[0], j->str[2], s->mode, err,
                                         sizeof err)
                 : episode_files(s, j, err, sizeof err);
    if (rc == STORE_FILE_RETRY) {
        store_fail(s, "%s file: %s", j->kind == JOB_FORM ? "form" : "episode", err);
        j->files_retry_ms = now + RETRY_INTERVAL_MS;
        return;
    }
    if (rc == STORE_FILE_BAD)
        store_error(s, "%s file: %s", j->kind == JOB_FORM ? "form" : "episode", err);
    else
        atomic_fetch_add_explicit(&s->files_written, j->kind == JOB_FORM ? 1u : (uint64_t)rc,
                                  memory_order_relaxed);
    j->files_done = true;
    if (j->kind == JOB_EPISODE)
        drop_episode_rows(s, j);
}

/* ---------------------------------------------------------------------------------------
 * The cycle
 * ------------------------------------------------------------------------------------- */

static void prune_add(store *s, const char *game, uint32_t episode)
{
    prune_list *l = &s->prunes;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct prune_item *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown) { /* the frames stay: start-up prunes them */
            store_error(s, "prune of %s episode %" PRIu32 ": out of memory", game, episode);
            return;
        }
        l->items = grown;
        l->cap = cap;
    }
    snprintf(l->items[l->n].game, sizeof l->items[l->n].game, "%s", game);
    l->items[l->n++].episode = episode;
}

static void held_append(store *s, job *j)
{
    j->next = NULL;
    if (s->held_tail)
        s->held_tail->next = j;
    else
        s->held = j;
    s->held_tail = j;
    atomic_fetch_add_explicit(&s->held_count, 1, memory_order_relaxed);
}

/* Frees the held jobs that are written: rows committed and files durable. */
static void release_done(store *s)
{
    job **link = &s->held;
    s->held_tail = NULL;
    while (*link) {
        job *j = *link;
        if (j->rows_done && j->files_done) {
            *link = j->next;
            atomic_fetch_sub_explicit(&s->held_count, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->jobs_done, 1, memory_order_relaxed);
            store_job_free(s, j);
        } else {
            s->held_tail = j;
            link = &j->next;
        }
    }
}

/* A row can be written: not yet committed, and for an episode, its files are durable. */
static bool rows_due(const job *j)
{
    return !j->rows_done && (j->kind != JOB_EPISODE || j->files_done);
}

/* One transaction for the rows of every held job that is due. On any failure it is
 * rolled back whole and every job in it stays held for the next cycle. */
static void commit_rows(store *s)
{
    if (!txn_begin(s))
        return;
    bool ok = true;
    for (job *j = s->held; j && ok; j = j->next) {
        if (!rows_due(j))
            continue;
        int rc = job_rows(s, j);
        ok = rc != WR_FAILED;
        j->in_txn = ok;
        j->row_refused = rc == WR_REFUSED;
    }
    if (ok)
        ok = txn_commit(s);
    else
        txn_rollback(s);
    for (job *j = s->held; j; j = j->next) {
        if (!j->in_txn)
            continue;
        j->in_txn = false;
        if (!ok)
            continue;
        j->rows_done = true;
        if (j->kind == JOB_EPISODE && !j->row_refused)
            prune_add(s, j->rec->game, j->rec->episode);
    }
}

/* Every important job up to the oldest one whose rows wait is committed: tell the loop
 * (store_durable). Held jobs are in the order they were queued. */
static void publish_durable(store *s)
{
    uint64_t d = s->taken_seq;
    for (const job *j = s->held; j; j = j->next)
        if (!j->rows_done) {
            d = j->seq - 1;
            break;
        }
    atomic_store_explicit(&s->durable_seq, d, memory_order_release);
}

/* Step 1 of a cycle: files first (so that a row never names a file that is not there),
 * then rows. */
static void commit_important(store *s)
{
    if (!s->held) {
        publish_durable(s);
        return;
    }
    int64_t now = clock_mono_ms();
    bool rows = false;
    for (job *j = s->held; j; j = j->next) {
        job_files(s, j, now);
        rows = rows || rows_due(j);
    }
    if (rows)
        commit_rows(s);
    release_done(s);
    publish_durable(s);
}

static int bulk_rows(store *s, const job *j, uint64_t *frames)
{
    const char *const *a = j->str;
    if (j->kind == JOB_FRAMES)
        return log_frames(s, a[0], j->num, j->rows, j->nrows, frames);
    if (j->kind == JOB_EVENT)
        return run_row(s, ST_EVENT, "event", PARAMS(I(j->t), S(a[0]), S(a[1]), S(a[2]), S(a[3])));
    return WR_OK;
}

static int prune_rows(store *s, uint64_t *pruned)
{
    for (size_t i = 0; i < s->prunes.n; i++) {
        const struct prune_item *p = &s->prunes.items[i];
        /* The frames, not the chunk rows, are what the stats count. */
        sqlite3_stmt *count = s->st[ST_PRUNE_COUNT];
        bind_str(count, 1, p->game);
        sqlite3_bind_int64(count, 2, p->episode);
        int64_t frames = sqlite3_step(count) == SQLITE_ROW ? sqlite3_column_int64(count, 0) : 0;
        sqlite3_reset(count);
        if (run_row(s, ST_PRUNE, "prune", PARAMS(S(p->game), I(p->episode))) == WR_FAILED)
            return WR_FAILED;
        *pruned += (uint64_t)frames;
    }
    return WR_OK;
}

/* Writes the bulk jobs and the prunes in one transaction. True when committed. */
static bool bulk_txn(store *s, const job *bulk, uint64_t *frames, uint64_t *pruned)
{
    if (!txn_begin(s))
        return false;
    bool ok = true;
    for (const job *j = bulk; j && ok; j = j->next)
        ok = bulk_rows(s, j, frames) != WR_FAILED;
    ok = ok && prune_rows(s, pruned) != WR_FAILED;
    if (ok)
        return txn_commit(s);
    txn_rollback(s);
    return false;
}

/* Step 2 of a cycle: frames, events and prunes. A failure drops the frames and events
 * (counted); the prunes stay listed for the next cycle. */
static void commit_bulk(store *s, job *bulk)
{
    bool any = s->prunes.n > 0;
    for (const job *j = bulk; j; j = j->next) {
        if (j->kind == JOB_PRUNE)
            prune_add(s, j->str[0], (uint32_t)j->num);
        any = true;
    }
    uint64_t frames = 0, pruned = 0;
    bool ok = !any || bulk_txn(s, bulk, &frames, &pruned);
    if (ok && any) {
        atomic_fetch_add_explicit(&s->frames_logged, frames, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->frames_pruned, pruned, memory_order_relaxed);
        s->prunes.n = 0;
    }
    for (job *j = bulk, *next; j; j = next) {
        next = j->next;
        if (ok) {
            atomic_fetch_add_explicit(&s->jobs_done, 1, memory_order_relaxed);
        } else {
            atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            if (j->kind == JOB_FRAMES)
                atomic_fetch_add_explicit(&s->frames_dropped, j->nrows, memory_order_relaxed);
        }
        store_job_free(s, j);
    }
}

/* After a cycle: a failing store recovers only when nothing failed, nothing is held and
 * a probe file fits on the disk again, so one small write that happened to fit does not
 * reopen admission on a disk that is still full. At most one probe per interval. */
static void update_health(store *s)
{
    int64_t now = clock_mono_ms();
    if (s->cycle_failed || s->held) {
        if (s->next_retry_ms <= now)
            s->next_retry_ms = now + RETRY_INTERVAL_MS;
        return;
    }
    if (!atomic_load(&s->failing) || now < s->next_retry_ms)
        return;
    s->next_retry_ms = now + RETRY_INTERVAL_MS;
    char err[512] = "";
    if (store_probe_space(s->dir, PROBE_BYTES, err, sizeof err) != STORE_FILE_OK) {
        store_fail(s, "probe: %s", err);
        return;
    }
    atomic_store(&s->failing, false);
    fprintf(stderr, "store: writes succeed again: new participants are admitted\n");
}

/* Mark every job up to seq as done for store_flush's waiters. */
static void signal_flushed(store *s, uint64_t seq)
{
    pthread_mutex_lock(&s->mu);
    if (seq > s->flushed_seq)
        s->flushed_seq = seq;
    pthread_cond_broadcast(&s->flushed);
    pthread_mutex_unlock(&s->mu);
}

/* One cycle over a batch (NULL for a retry alone). False after JOB_STOP. */
static bool run_cycle(store *s, job *batch)
{
    uint64_t flush_seq = 0;
    bool stop = false;
    job *bulk = NULL, **bulk_tail = &bulk;
    s->cycle_failed = false;
    for (job *j = batch, *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        if (j->seq > s->taken_seq)
            s->taken_seq = j->seq;
        if (j->kind == JOB_FLUSH || j->kind == JOB_STOP) {
            flush_seq = j->seq;
            stop = stop || j->kind == JOB_STOP;
            store_job_free(s, j);
        } else if (j->important) {
            held_append(s, j);
        } else {
            *bulk_tail = j;
            bulk_tail = &j->next;
        }
    }
    commit_important(s);
    commit_bulk(s, bulk);
    update_health(s);
    if (flush_seq)
        signal_flushed(s, flush_seq);
    return !stop;
}

/* ---------------------------------------------------------------------------------------
 * The thread
 * ------------------------------------------------------------------------------------- */

static void deadline_timespec(int64_t ms, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ms / 1000);
    ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

static bool retry_pending(const store *s) { return s->held || atomic_load(&s->failing); }

/* Whether the queue (and what waits for a retry) is to be written now; else *until is
 * when to look again (-1: only a signal). Called with mu held. */
static bool batch_due(store *s, int64_t now, int64_t *due, int64_t *until)
{
    bool retry = retry_pending(s);
    *until = -1;
    if (s->paused)
        return false;
    if (retry && now >= s->next_retry_ms)
        return true;
    if (s->head) {
        if (*due < 0)
            *due = now + COMMIT_INTERVAL_MS; /* the batch's first job was just seen */
        if (s->write_now || s->queued_bytes >= WAKE_PENDING_BYTES || now >= *due)
            return true;
        *until = *due;
    }
    if (retry && (*until < 0 || s->next_retry_ms < *until))
        *until = s->next_retry_ms;
    return false;
}

/* Waits for the next cycle and takes the whole queue (NULL for a retry alone). Called and
 * returns with mu unlocked. */
static job *take_batch(store *s)
{
    pthread_mutex_lock(&s->mu);
    int64_t due = -1, until;
    while (!batch_due(s, clock_mono_ms(), &due, &until)) {
        s->writer_idle = !s->head; /* the first job of a batch must wake it */
        if (until < 0) {
            pthread_cond_wait(&s->wake, &s->mu);
        } else {
            struct timespec ts;
            deadline_timespec(until, &ts);
            pthread_cond_timedwait(&s->wake, &s->mu, &ts);
        }
        s->writer_idle = false;
    }
    job *batch = s->head;
    s->head = s->tail = NULL;
    s->queued_bytes = s->bulk_bytes = 0;
    s->write_now = false;
    pthread_mutex_unlock(&s->mu);
    return batch;
}

static void report_drops(store *s)
{
    uint64_t dropped = atomic_load_explicit(&s->jobs_dropped, memory_order_relaxed);
    if (dropped != s->dropped_reported) {
        fprintf(stderr, "store: %" PRIu64 " jobs dropped so far (bulk queue full, a failed"
                        " bulk transaction, or closing)\n", dropped);
        s->dropped_reported = dropped;
    }
}

/* At close, what is still held gets CLOSE_RETRY_MS more; then each record left is
 * printed, the last place it can go. */
static void drain_at_close(store *s)
{
    int64_t give_up = clock_mono_ms() + CLOSE_RETRY_MS;
    while (s->held && clock_mono_ms() < give_up) {
        struct timespec ts = {0, 250 * 1000000L};
        nanosleep(&ts, NULL);
        s->cycle_failed = false;
        commit_important(s);
        commit_bulk(s, NULL);
    }
    while (s->held) {
        job *j = s->held;
        s->held = j->next;
        store_report_lost(j, "still failing at close");
        atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&s->held_count, 1, memory_order_relaxed);
        store_job_free(s, j);
    }
    s->held_tail = NULL;
}

/* Nice of the writer thread relative to the event loop. The writer's work waits up to a
 * commit interval anyway; a commit's burst of disk work must not take a core from the
 * loop while players wait for confirmations (on Linux nice is per thread). */
#define WRITER_NICE 10

void *store_writer_main(void *arg)
{
    store *s = arg;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), WRITER_NICE) != 0)
        fprintf(stderr, "store: writer thread keeps normal priority (%s)\n", strerror(errno));
    for (bool running = true; running;) {
        running = run_cycle(s, take_batch(s));
        report_drops(s);
    }
    drain_at_close(s);
    report_drops(s);
    return NULL;
}

/* ---------------------------------------------------------------------------------------
 * The database
 * ------------------------------------------------------------------------------------- */

/* Gives path the store's file mode, creating it empty when asked: SQLite would create
 * cohort.db readable by everyone the umask lets through, and it gives the -wal and -shm
 * files the mode of the database file. ENOENT is fine for an optional file. */
static int set_file_mode(const char *path, unsigned mode, bool create)
{
    if (create) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, (mode_t)mode);
        if (fd < 0)
            return -1;
        int rc = fchmod(fd, (mode_t)mode);
        close(fd);
        return rc;
    }
    return chmod(path, (mode_t)mode) == 0 || errno == ENOENT ? 0 : -1;
}

/* cohort.db and its -wal and -shm files. */
static int set_db_modes(const store *s, const char *db_path, bool create, char *err,
                        size_t errlen)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s%s", db_path, suffix[i]);
        if (set_file_mode(path, s->mode & 0666, create && i == 0) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

void store_close_db(store *s)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db); /* checkpoints the WAL into the main file */
    s->db = NULL;
    free(s->prunes.items);
    s->prunes = (prune_list){0};
}

int store_open_db(store *s, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cohort.db", s->dir);
    if (set_db_modes(s, path, true, err, errlen) != 0)
        return -1;
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
                            " PRAGMA wal_autocheckpoint=8192; PRAGMA cache_size=-" STR(CACHE_KB) ";",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK ||
        add_missing_columns(s->db, &msg) != SQLITE_OK ||
        migrate_frames_table(s->db, &msg) != SQLITE_OK) {
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
    /* -wal and -shm left by an earlier version keep their old modes otherwise. */
    return set_db_modes(s, path, false, err, errlen);
}
