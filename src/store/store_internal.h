/*
 * What the store's files share (store.c: the queue and the public calls; store_writer.c:
 * the writer thread; store_recover.c: start-up). Nothing outside src/store includes this.
 *
 * A job is one call's copy of its arguments. Important jobs (store.h) are never dropped
 * for want of queue space and are kept on the writer's held list until their rows are
 * committed and their files are durable; bulk jobs (frames, events, prunes) are written
 * once, in a transaction of their own after the important one, and dropped if it fails.
 */
#ifndef COHORT_STORE_INTERNAL_H
#define COHORT_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store.h"

/* A batch is written this long after its first job arrived: well inside the "at most
 * about a second lost" promise, and commits are cheap in WAL mode. */
#define COMMIT_INTERVAL_MS 250
/* An idle writer is woken early when this much is queued: nothing it writes is visible
 * before the commit anyway, and at a few hundred games one wake per job cost a quarter of
 * a core in futex calls and small batches (bench/README.md). */
#define WAKE_PENDING_BYTES ((size_t)4 << 20)
/* Queued bulk bytes (frames, events) beyond which new bulk jobs are dropped and counted
 * instead of growing without limit if the disk stalls. Generous: hours of frames. */
#define MAX_BULK_BYTES ((size_t)512 << 20)
/* Memory for important jobs, queued or held for a retry. Every one is small (a row of a
 * few hundred bytes) except an episode, which carries its frames (about 100 bytes each:
 * some 1 MB for five minutes at 30 fps). While writes fail nobody new is admitted, so
 * only the participants already in the study add to it; 256 MB is a disk full for hours
 * at hundreds of games. Beyond it a record is refused and printed on stderr
 * ("store: NOT SAVED ...") rather than let the process be killed for its memory. */
#define MAX_IMPORTANT_BYTES ((size_t)256 << 20)
/* A job whose write failed is tried again this often; a failing store probes as often. */
#define RETRY_INTERVAL_MS 1000
/* The probe that ends a failure: this much must fit on the disk again. */
#define PROBE_BYTES ((size_t)256 << 10)
/* store_close retries what is still held this long before printing it. */
#define CLOSE_RETRY_MS 5000
/* At most one error line a second, so a full disk does not flood the log. */
#define ERROR_LOG_INTERVAL_MS 1000
/* SQLite's page cache. With hundreds of games appending frames, the default 2 MB no longer
 * holds the pages being written and every commit rereads them (bench/README.md). */
#define CACHE_KB 16384

enum {
    ST_PARTICIPANT,
    ST_SESSION,
    ST_SCENE_VISIT,
    ST_FORM,
    ST_QUIZ_ATTEMPT,
    ST_WAIT,
    ST_OUTCOME,
    ST_EVENT,
    ST_MATCH,
    ST_GAME,
    ST_SEATS_CLEAR,
    ST_SEAT,
    ST_GAME_END,
    ST_EPISODE_START,
    ST_PARTY,
    ST_FRAME,
    ST_EPISODE,
    ST_PRUNE_COUNT,
    ST_PRUNE,
    ST_COUNT
};

typedef enum {
    JOB_PARTICIPANT,
    JOB_SESSION,
    JOB_SCENE_VISIT,
    JOB_FORM,
    JOB_QUIZ_ATTEMPT, /* num: the attempt, t2: passed (0 or 1) */
    JOB_WAIT,
    JOB_OUTCOME,
    JOB_MATCH,
    JOB_GAME,
    JOB_GAME_END,
    JOB_EPISODE_START,
    JOB_PARTY,
    JOB_EPISODE,
    /* bulk from here */
    JOB_EVENT,
    JOB_FRAMES,
    JOB_PRUNE, /* delete an episode's frames (its row and files are durable) */
    /* control */
    JOB_FLUSH, /* write what is queued, then wake whoever waits in store_flush */
    JOB_STOP,  /* write what is queued and end the thread */
} job_kind;

/* JOB_GAME: game, scene, env, condition and one name per seat. */
#define JOB_GAME_NAME0 4
#define JOB_MAX_STR (JOB_GAME_NAME0 + ENV_MAX_PLAYERS)

typedef struct job {
    struct job *next;
    job_kind kind;
    uint64_t seq;
    size_t bytes;                  /* for the queue's limits */
    bool important;                /* never dropped for space; retried until written */
    bool rows_done;                /* its rows are committed, or refused for good */
    bool files_done;               /* its files are durable, refused for good, or none */
    bool in_txn;                   /* its rows are in the open transaction */
    bool row_refused;              /* a constraint refused its row: nothing to prune */
    int64_t files_retry_ms;        /* monotonic: its files are not tried before this */
    char *files;                   /* JOB_EPISODE: the JSON array of files written */
    int64_t t, t2, num;
    uint64_t u64;                  /* JOB_EPISODE_START: the seed */
    uint32_t fps, step_ms;         /* JOB_EPISODE_START: the timing (0 = NULL) */
    const char *str[JOB_MAX_STR];  /* copies, in `text` below; NULL stays NULL */
    frame_row *rows;               /* JOB_FRAMES: owned copy; JOB_EPISODE: rec->rows */
    uint32_t nrows;
    episode_record *rec;           /* JOB_EPISODE */
    char text[];
} job;

/* Episodes whose frames may go: their rows are committed and their files durable. */
typedef struct {
    struct prune_item {
        char game[64];
        uint32_t episode;
    } *items;
    size_t n, cap;
} prune_list;

struct store {
    char dir[4096];
    char experiment[STORE_NAME_MAX + 1];
    unsigned mode;           /* folders; files get mode & 0666 */
    int lock_fd;             /* cohort.lock, held (flock) while this store is open; -1 */
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    pthread_t thread;
    job *stop_job;           /* preallocated for store_close */

    /* Shared with callers, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* writer: there is work */
    pthread_cond_t flushed;  /* callers of store_flush: flushed_seq moved */
    job *head, *tail;
    size_t queued_bytes;     /* everything queued: wakes the writer early */
    size_t bulk_bytes;       /* queued bulk jobs, against max_bulk_bytes */
    size_t max_bulk_bytes;
    uint64_t next_seq, flushed_seq;
    bool closing;
    bool write_now;          /* a flush, a stop or an outcome waits: write at once */
    bool writer_idle;        /* writer waits with an empty queue: only a signal wakes it */
    bool paused;             /* store_test_pause */
    char last_error[200];

    /* Writer thread only. */
    job *held, *held_tail;   /* important jobs not yet written, oldest first */
    prune_list prunes;
    bool cycle_failed;       /* a write failed in this cycle */
    int64_t next_retry_ms;   /* monotonic: the next retry or probe */
    uint64_t taken_seq;      /* the newest job taken from the queue */
    int64_t last_error_log_ms;
    uint64_t suppressed_errors, dropped_reported;

    _Atomic bool failing;
    _Atomic uint64_t jobs_queued, jobs_done, jobs_dropped, frames_logged, frames_dropped,
        frames_pruned, files_written, errors, held_count;
    _Atomic size_t important_bytes;
    _Atomic uint64_t durable_seq; /* every important job up to it is committed */
};

/* store_writer.c */
void *store_writer_main(void *arg);
int store_open_db(store *s, char *err, size_t errlen);
void store_close_db(store *s);

/* store_files.c: true when a fault is due (store_fault_files/_commits): after *skip_left
 * more calls, *count_left of them (all if < 0). Tests only; both 0 in the server. */
bool store_fault_take(_Atomic int *skip_left, _Atomic int *count_left);

/* store.c */
void store_job_free(store *s, job *j);
/* Counts an error and sets the last error; logs at most a line per interval. */
void store_error(store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for a write that may pass later: the store is failing until it does. */
void store_fail(store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line on stderr naming what an important job held, when it cannot be saved. */
void store_report_lost(const job *j, const char *why);

/* For start-up (store_recover.c). An `episodes` row for files that are already whole on
 * disk (rec->rows NULL, rec->nrows their row count), then the prune of its frames. */
void store_episode_adopt(store *s, const episode_record *rec, const char *files_json);
/* Deletes the frames of an episode whose row and files are durable. */
void store_prune_episode(store *s, const char *game, uint32_t episode);
unsigned store_mode(const store *s);

#endif
