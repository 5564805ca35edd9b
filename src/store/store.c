/*
 * The store's job queue and its public calls (store.h); the writer thread that works
 * through the queue is in store_writer.c.
 *
 * Every public function copies its arguments into one heap block (a job) and appends it
 * to a mutex-protected list; the writer thread takes the whole list at once. The caller
 * (the event loop) therefore only ever pays for a malloc, a copy and a short critical
 * section, never for the disk. Whether new participants may come in is one atomic load
 * (store_failing).
 */
#include "store_internal.h"

#include "../util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------
 * Errors and health
 * ------------------------------------------------------------------------------------- */

static void set_last_error(store *s, const char *msg)
{
    size_t n = strnlen(msg, sizeof s->last_error - 1); /* cut, on purpose */
    pthread_mutex_lock(&s->mu);
    memcpy(s->last_error, msg, n);
    s->last_error[n] = '\0';
    pthread_mutex_unlock(&s->mu);
}

/* Counts, remembers and logs (at most a line per interval) one error. Writer thread. */
static void note_error(store *s, bool failing, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    set_last_error(s, msg);
    if (failing) {
        s->cycle_failed = true;
        if (!atomic_exchange(&s->failing, true))
            fprintf(stderr, "store: writes are failing: new participants are refused until"
                            " they succeed again\n");
    }
    int64_t now = clock_mono_ms();
    if (s->last_error_log_ms && now - s->last_error_log_ms < ERROR_LOG_INTERVAL_MS) {
        s->suppressed_errors++;
        return;
    }
    s->last_error_log_ms = now;
    if (s->suppressed_errors)
        fprintf(stderr, "store: %s (and %" PRIu64 " more errors)\n", msg, s->suppressed_errors);
    else
        fprintf(stderr, "store: %s\n", msg);
    s->suppressed_errors = 0;
}

void store_error(store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_error(s, false, fmt, ap);
    va_end(ap);
}

void store_fail(store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_error(s, true, fmt, ap);
    va_end(ap);
}

static const char *job_kind_name(job_kind k)
{
    static const char *const names[] = {
        [JOB_PARTICIPANT] = "participant", [JOB_SESSION] = "session",
        [JOB_SCENE_VISIT] = "scene_visit", [JOB_FORM] = "form",
        [JOB_QUIZ_ATTEMPT] = "quiz_attempt",
        [JOB_WAIT] = "wait",               [JOB_OUTCOME] = "outcome",
        [JOB_MATCH] = "match",             [JOB_GAME] = "game",
        [JOB_GAME_END] = "game_end",       [JOB_EPISODE_START] = "episode_start",
        [JOB_EPISODE] = "episode",         [JOB_EVENT] = "event",
        [JOB_PARTY] = "party",
        [JOB_FRAMES] = "frames",           [JOB_PRUNE] = "prune",
        [JOB_FLUSH] = "flush",             [JOB_STOP] = "stop",
    };
    return names[k];
}

void store_report_lost(const job *j, const char *why)
{
    if (j->kind == JOB_EPISODE) {
        fprintf(stderr, "store: NOT SAVED (%s): episode %s/%" PRIu32 " (its frames stay in the"
                        " log if they were written: it is rebuilt at the next start)\n",
                why, j->rec->game, j->rec->episode);
        return;
    }
    /* Every string the job holds, in order, and its times: enough to put the row in by
     * hand (an outcome line names the subject, the outcome and the code). */
    fprintf(stderr, "store: NOT SAVED (%s): %s", why, job_kind_name(j->kind));
    for (int i = 0; i < JOB_MAX_STR; i++)
        fprintf(stderr, " %s", j->str[i] ? j->str[i] : "-");
    fprintf(stderr, " t=%" PRId64 " t2=%" PRId64 " num=%" PRId64 "\n", j->t, j->t2, j->num);
}

/* ---------------------------------------------------------------------------------------
 * Jobs
 * ------------------------------------------------------------------------------------- */

static bool kind_important(job_kind k) { return k <= JOB_EPISODE; }

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
    j->important = kind_important(kind);
    j->files_done = kind != JOB_FORM && kind != JOB_EPISODE;
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

/* Frees j; an important job gives its bytes back to the budget it was counted in. */
void store_job_free(store *s, job *j)
{
    if (!j)
        return;
    if (j->important && j->seq)
        atomic_fetch_sub_explicit(&s->important_bytes, j->bytes, memory_order_relaxed);
    free(j->rows);
    if (j->rec)
        free(j->rec->rows);
    free(j->rec);
    free(j->files);
    free(j);
}

/* Why j cannot be queued now, or NULL. Called with mu held. */
static const char *refusal(store *s, const job *j, bool control)
{
    if (s->closing)
        return control ? NULL : "the store is closing";
    if (control)
        return NULL;
    if (j->important)
        return atomic_load_explicit(&s->important_bytes, memory_order_relaxed) + j->bytes >
                       MAX_IMPORTANT_BYTES
                   ? "important records over their memory limit"
                   : NULL;
    return s->bulk_bytes + j->bytes > s->max_bulk_bytes ? "bulk queue over its limit" : NULL;
}

static void enqueue(store *s, job *j, bool control)
{
    j->seq = ++s->next_seq;
    /* An idle writer must be woken. One inside a batch window wakes by itself when the
     * batch is due and takes everything queued then: waking it for each job would only
     * buy more, smaller batches. Flush and stop are waited on: wake. */
    /* An outcome is written at once: flow shows its code only when it is durable. */
    bool now = control || j->kind == JOB_OUTCOME;
    bool wake = s->writer_idle || now ||
                (s->queued_bytes < WAKE_PENDING_BYTES &&
                 s->queued_bytes + j->bytes >= WAKE_PENDING_BYTES);
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->queued_bytes += j->bytes;
    if (j->important)
        atomic_fetch_add_explicit(&s->important_bytes, j->bytes, memory_order_relaxed);
    else if (!control)
        s->bulk_bytes += j->bytes;
    if (now)
        s->write_now = true;
    if (j->kind == JOB_STOP)
        s->closing = true;
    if (wake)
        pthread_cond_signal(&s->wake);
}

/* Appends j to the queue; returns its sequence number, or 0 when it was refused (the
 * bulk queue over its limit, important records over theirs, or the store closing).
 * Never blocks on the writer. A bulk queue over its limit means the writer cannot keep
 * up: the store counts as failing until the writer's probe says otherwise. */
static uint64_t submit(store *s, job *j)
{
    bool control = j->kind == JOB_FLUSH || j->kind == JOB_STOP;
    pthread_mutex_lock(&s->mu);
    const char *why = refusal(s, j, control);
    uint64_t seq = 0;
    if (!why) {
        enqueue(s, j, control);
        seq = j->seq;
    } else if (!j->important && !s->closing) {
        atomic_store(&s->failing, true);
        snprintf(s->last_error, sizeof s->last_error, "%s: %s dropped", why,
                 job_kind_name(j->kind));
    }
    pthread_mutex_unlock(&s->mu);

    if (seq == 0) {
        if (!control) { /* a flush racing a close is not lost data */
            atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            if (j->kind == JOB_FRAMES)
                atomic_fetch_add_explicit(&s->frames_dropped, j->nrows, memory_order_relaxed);
            if (j->important)
                store_report_lost(j, why);
        }
        store_job_free(s, j);
    } else if (!control) {
        atomic_fetch_add_explicit(&s->jobs_queued, 1, memory_order_relaxed);
    }
    return seq;
}

/* ---------------------------------------------------------------------------------------
 * Open and close
 * ------------------------------------------------------------------------------------- */

/* The writer thread must not take the server's signals (SIGINT, SIGTERM): they belong to
 * the event loop, so the thread starts with every signal blocked. */
static int start_writer(store *s)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, store_writer_main, s);
    if (rc == 0)
        pthread_setname_np(s->thread, "cohort-writer"); /* bench/load pins it by this name */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void free_sync(store *s)
{
    pthread_cond_destroy(&s->flushed);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
}

/* The folder mode from COHORT_DATA_MODE (store.h), or the default. -1 when it is set but
 * is not an octal mode that keeps the owner's rwx and lets nobody else write. */
static int data_mode(char *err, size_t errlen)
{
    const char *v = getenv("COHORT_DATA_MODE");
    if (!v || !v[0])
        return (int)STORE_DATA_MODE;
    char *end;
    long m = strtol(v, &end, 8);
    if (*end != '\0' || m < 0 || m > 0777 || (m & 0700) != 0700 || (m & 0022) != 0) {
        snprintf(err, errlen,
                 "COHORT_DATA_MODE=%s: expected an octal folder mode such as 0700 or 0750"
                 " (owner rwx, no write for group or others)", v);
        return -1;
    }
    return (int)m;
}

/* DATA/EXPERIMENT, made if needed, with the data mode also when it existed: an older
 * version left it 0755. */
static int make_store_dir(store *s, char *err, size_t errlen)
{
    if (store_mkdirs(s->dir, s->mode) != 0 || chmod(s->dir, (mode_t)s->mode) != 0) {
        snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* One server per data folder: DATA/EXPERIMENT/cohort.lock, held with flock for as long as
 * the store is open, with the holder's pid in it for the message. Two servers on one
 * folder would both hand out subjects, groups and codes from one database; the second is
 * refused before it touches anything. The kernel drops the lock when the holder exits,
 * even by SIGKILL, so a crash never leaves a stale lock behind. */
static int lock_store_dir(store *s, char *err, size_t errlen)
{
    char path[sizeof s->dir + 16];
    snprintf(path, sizeof path, "%s/cohort.lock", s->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, (mode_t)(s->mode & 0666));
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char holder[24] = "";
        ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            snprintf(err, errlen, "%s is in use by another cohort serve%s%s: one server per "
                              "experiment's data folder (stop the other, or give this one "
                              "another --data)", s->dir, holder[0] ? ", pid " : "", holder);
        else
            snprintf(err, errlen, "%s: %s", path, strerror(e));
        close(fd);
        return -1;
    }
    char pid[24];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        /* The pid is only for the message; the lock holds without it. */
    }
    s->lock_fd = fd;
    return 0;
}

static void unlock_store_dir(store *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* drops the flock */
    s->lock_fd = -1;
}

/* Everything but the thread; NULL with err set. */
static store *store_new(const char *data_dir, const char *experiment, char *err, size_t errlen)
{
    int mode = data_mode(err, errlen);
    if (mode < 0)
        return NULL;
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->mode = (unsigned)mode;
    s->max_bulk_bytes = MAX_BULK_BYTES;
    snprintf(s->experiment, sizeof s->experiment, "%s", experiment);
    int n = snprintf(s->dir, sizeof s->dir, "%s/%s", data_dir, experiment);
    if (n < 0 || (size_t)n >= sizeof s->dir) {
        snprintf(err, errlen, "data folder path too long");
        free(s);
        return NULL;
    }
    s->lock_fd = -1;
    if (make_store_dir(s, err, errlen) != 0 || lock_store_dir(s, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* batch timer immune to clock jumps */
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->flushed, NULL);
    pthread_condattr_destroy(&ca);
    return s;
}

static void store_delete(store *s)
{
    store_job_free(s, s->stop_job);
    store_close_db(s);
    free_sync(s);
    unlock_store_dir(s);
    free(s);
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
    store *s = store_new(data_dir, experiment, err, errlen);
    if (!s)
        return NULL;
    s->stop_job = job_new(s, JOB_STOP, NULL, 0);
    if (!s->stop_job || store_open_db(s, err, errlen) != 0) {
        if (!s->stop_job)
            snprintf(err, errlen, "out of memory");
        store_delete(s);
        return NULL;
    }
    if (start_writer(s) != 0) {
        snprintf(err, errlen, "cannot start the store thread");
        store_delete(s);
        return NULL;
    }
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    /* The stop job was allocated at open, so closing cannot fail for want of memory. The
     * writer frees it. */
    job *stop = s->stop_job;
    s->stop_job = NULL;
    submit(s, stop);
    pthread_join(s->thread, NULL);
    /* Anything submitted after the stop job was refused: the list is empty. */
    store_close_db(s);
    free_sync(s);
    unlock_store_dir(s);
    free(s);
}

/* Queues a flush job; 0 if the store is closing. */
static uint64_t submit_flush(store *s)
{
    job *j = job_new(s, JOB_FLUSH, NULL, 0);
    return j ? submit(s, j) : 0;
}

static void wait_flushed(store *s, uint64_t seq)
{
    if (seq == 0)
        return;
    pthread_mutex_lock(&s->mu);
    while (s->flushed_seq < seq)
        pthread_cond_wait(&s->flushed, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void store_flush(store *s) { wait_flushed(s, submit_flush(s)); }

const char *store_dir(const store *s)
{
    return s ? s->dir : NULL;
}

unsigned store_mode(const store *s) { return s->mode; }

bool store_failing(const store *s)
{
    return s && atomic_load_explicit(&s->failing, memory_order_relaxed);
}

store_health_info store_health(store *s)
{
    store_health_info h = {0};
    if (!s)
        return h;
    h.failing = store_failing(s);
    h.status = h.failing ? STORE_DEGRADED : STORE_OK;
    h.errors = atomic_load_explicit(&s->errors, memory_order_relaxed);
    h.held = atomic_load_explicit(&s->held_count, memory_order_relaxed);
    h.held_bytes = atomic_load_explicit(&s->important_bytes, memory_order_relaxed);
    pthread_mutex_lock(&s->mu);
    snprintf(h.last_error, sizeof h.last_error, "%s", s->last_error);
    pthread_mutex_unlock(&s->mu);
    return h;
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
    st.frames_dropped = atomic_load_explicit(&s->frames_dropped, memory_order_relaxed);
    st.frames_pruned = atomic_load_explicit(&s->frames_pruned, memory_order_relaxed);
    st.files_written = atomic_load_explicit(&s->files_written, memory_order_relaxed);
    st.errors = atomic_load_explicit(&s->errors, memory_order_relaxed);
    st.sqlite_heap_bytes = (uint64_t)sqlite3_memory_used(); /* thread-safe */
    st.health = store_health(s);
    return st;
}

void store_test_limit(store *s, size_t max_bulk_bytes)
{
    pthread_mutex_lock(&s->mu);
    s->max_bulk_bytes = max_bulk_bytes ? max_bulk_bytes : MAX_BULK_BYTES;
    pthread_mutex_unlock(&s->mu);
}

void store_test_pause(store *s, bool paused)
{
    pthread_mutex_lock(&s->mu);
    s->paused = paused;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
}

/* The flush is queued before the writer may look, so it lands in the same batch as
 * everything queued during the pause: one cycle, whatever the scheduler does. */
void store_test_resume(store *s)
{
    uint64_t seq = submit_flush(s);
    store_test_pause(s, false);
    wait_flushed(s, seq);
}

/* ---------------------------------------------------------------------------------------
 * Public enqueue functions: copy, queue, return.
 * ------------------------------------------------------------------------------------- */

void store_participant(store *s, const char *subject, const char *token,
                       const char *params_json, const char *condition, const char *route_json,
                       int64_t t)
{
    const char *strs[] = {subject, token, params_json, condition, route_json};
    job *j = job_new(s, JOB_PARTICIPANT, strs, 5);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_participant_party(store *s, const char *subject, const char *party)
{
    const char *strs[] = {subject, party};
    job *j = job_new(s, JOB_PARTY, strs, 2);
    if (!j)
        return;
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

void store_scene_visit(store *s, const char *subject, int index, const char *scene,
                       bool after_outcome, int64_t t)
{
    const char *strs[] = {subject, scene};
    job *j = job_new(s, JOB_SCENE_VISIT, strs, 2);
    if (!j)
        return;
    j->num = index;
    j->t2 = after_outcome;
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

void store_quiz_attempt(store *s, const char *subject, const char *scene, int attempt,
                        bool passed, const char *wrong_json, const char *form_json, int64_t t)
{
    const char *strs[] = {subject, scene, wrong_json, form_json};
    job *j = job_new(s, JOB_QUIZ_ATTEMPT, strs, 4);
    if (!j)
        return;
    j->num = attempt;
    j->t2 = passed;
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

uint64_t store_outcome(store *s, const char *subject, const char *what, const char *code,
                       const char *reason, int64_t t)
{
    return store_outcome_bonus(s, subject, what, code, reason, NULL, t);
}

/* The amount is the fifth string (NULL: no bonus columns); points in num, wait in t2, so
 * a NOT SAVED line on stderr carries the bonus too. */
uint64_t store_outcome_bonus(store *s, const char *subject, const char *what,
                             const char *code, const char *reason, const store_bonus *bonus,
                             int64_t t)
{
    const char *strs[] = {subject, what, code, reason, bonus ? bonus->amount : NULL};
    job *j = job_new(s, JOB_OUTCOME, strs, 5);
    if (!j)
        return 0;
    j->t = t;
    if (bonus) {
        j->num = bonus->points;
        j->t2 = bonus->wait_ms;
    }
    return submit(s, j);
}

bool store_durable(const store *s, uint64_t ticket)
{
    return !s || ticket <= atomic_load_explicit(&s->durable_seq, memory_order_acquire);
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
                 const char *rtts_json, const char *party, int64_t t)
{
    const char *strs[] = {game, scene, subjects_json, rtts_json, party};
    job *j = job_new(s, JOB_MATCH, strs, 5);
    if (!j)
        return;
    j->t = t;
    submit(s, j);
}

void store_game(store *s, const char *game, const char *scene, const char *env,
                const char *condition, const store_seat *seats, int nseats, int64_t t)
{
    if (!seats || nseats < 0)
        nseats = 0;
    if (nseats > ENV_MAX_PLAYERS)
        nseats = ENV_MAX_PLAYERS;
    const char *strs[JOB_MAX_STR] = {game, scene, env, condition};
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
                         uint32_t horizon, const episode_timing *timing, int64_t t)
{
    char input[sizeof timing->input] = "";
    if (timing)
        snprintf(input, sizeof input, "%s", timing->input);
    const char *strs[] = {game, input[0] ? input : NULL};
    job *j = job_new(s, JOB_EPISODE_START, strs, 2);
    if (!j)
        return;
    j->num = episode;
    j->u64 = seed;
    j->t2 = horizon;
    j->fps = timing ? timing->fps : 0;
    j->step_ms = timing ? timing->step_ms : 0;
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
        store_job_free(s, j);
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

/* A JOB_EPISODE holding a copy of rec and the given rows (taken over, freed on failure).
 * NULL when out of memory (counted). */
static job *episode_job(store *s, const episode_record *rec, frame_row *rows)
{
    job *j = job_new(s, JOB_EPISODE, NULL, 0);
    episode_record *copy = j ? malloc(sizeof *copy) : NULL;
    if (!copy) {
        if (j) {
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->jobs_dropped, 1, memory_order_relaxed);
            fprintf(stderr, "store: NOT SAVED (out of memory): episode %.63s/%" PRIu32 "\n",
                    rec->game, rec->episode);
        }
        store_job_free(s, j);
        free(rows);
        return NULL;
    }
    *copy = *rec;
    copy->rows = rows;
    TERMINATE(copy->scene);
    TERMINATE(copy->game);
    TERMINATE(copy->env);
    TERMINATE(copy->end_reason);
    TERMINATE(copy->timing.input);
    for (int i = 0; i < ENV_MAX_PLAYERS; i++)
        TERMINATE(copy->seat_names[i]);
    for (int i = 0; i < ENV_MAX_INFO; i++)
        TERMINATE(copy->info_names[i]);
    if (copy->nseats > ENV_MAX_PLAYERS)
        copy->nseats = ENV_MAX_PLAYERS;
    if (copy->ninfo > ENV_MAX_INFO)
        copy->ninfo = ENV_MAX_INFO;
    j->rec = copy;
    return j;
}

void store_episode(store *s, episode_record *rec)
{
    if (!rec)
        return;
    frame_row *rows = rec->rows;
    rec->rows = NULL; /* ownership passes to the store now, whatever happens next */
    if (!s) {
        free(rows);
        return;
    }
    job *j = episode_job(s, rec, rows);
    if (!j)
        return;
    if (!rows)
        j->rec->nrows = 0;
    /* The team score for the row, counted now: the rows go once the files are durable. */
    j->u64 = 1; /* has a score (an adopted episode has none: its rows are not here) */
    for (uint32_t i = 0; i < j->rec->nrows; i++)
        for (uint32_t seat = 0; seat < j->rec->nseats; seat++)
            j->num += rows[i].rewards[seat];
    j->bytes += sizeof *j->rec + (size_t)j->rec->nrows * sizeof *rows;
    submit(s, j);
}

void store_episode_adopt(store *s, const episode_record *rec, const char *files_json)
{
    job *j = episode_job(s, rec, NULL);
    if (!j)
        return;
    j->files = strdup(files_json ? files_json : "[]");
    j->files_done = true; /* whole on disk already: only the row and the prune remain */
    j->bytes += sizeof *j->rec;
    submit(s, j);
}

void store_prune_episode(store *s, const char *game, uint32_t episode)
{
    const char *strs[] = {game};
    job *j = job_new(s, JOB_PRUNE, strs, 1);
    if (!j)
        return;
    j->num = episode;
    submit(s, j);
}
