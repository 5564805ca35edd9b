/*
 * The store: everything cohort keeps on disk.
 *
 * DATA/EXPERIMENT/cohort.db (SQLite, WAL) holds people and games; episode CSV files and
 * form JSON files go beside it (docs/DESIGN.md section 8). Every function here copies its
 * arguments into a job and queues it for the writer thread: the caller (the event loop)
 * never waits for the disk. Times are milliseconds since the Unix epoch unless named
 * otherwise.
 *
 * Besides the analysts' tables, three records exist so that a restart can finish what a
 * crash cut short (store_recover.h), each in plain columns:
 *   frame_log(game, episode, frame, n, rows)
 *                                           the durable frame log (store_frames): a row
 *                                           per batch of n frames from frame on
 *   episode_starts(game, episode, seed, horizon, t, fps, step_ms, input)
 *                                           one row per episode begun (store_episode_start);
 *                                           seed is the u64 as a decimal string; fps or
 *                                           step_ms is NULL, whichever the game did not set
 *   seats(game, seat, name, kind)           one row per seat of a game (store_game); kind is
 *                                           'human' or 'ai'
 * games.seats keeps the JSON array of seat names for analysts; nothing reads it back.
 *
 * Durability (docs/DESIGN.md section 8). Records are of two kinds:
 *   important  participants, sessions, scene visits, forms, waits, outcomes, matches,
 *              games, seats, game ends, episode starts, episodes: what pay and analysis
 *              rest on. Never dropped for want of queue space, committed in their own
 *              transaction before any frame, and kept and retried (about once a second)
 *              while a write fails, until it succeeds.
 *   bulk       frames and events: dropped (and counted) when the queue is over its limit
 *              or their transaction fails. Frames are a crash log: the episode record
 *              carries every row again.
 * An episode counts as written when all its files are durable (temporary file, fsync,
 * rename, fsync of the folder): only then is its `episodes` row inserted, and once that
 * row is committed its frames are deleted from the log. While writes fail the store is
 * degraded (store_health); flow admits no new participants then.
 */
#ifndef COHORT_STORE_H
#define COHORT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../envs/env.h"
#include "../proto/names.h"

typedef struct store store;

/* Folders are created 0700 and files 0600 (set explicitly, whatever the umask): on a shared
 * machine other accounts must not read participant ids, answers, addresses or tokens. The
 * environment variable COHORT_DATA_MODE (octal, e.g. 0750) relaxes it for a lab that
 * shares data with a group: folders get that mode, files the same without execute bits
 * (0640). It must keep 0700 for the owner and give nobody else write access. */
#define STORE_DATA_MODE 0700u

/* Creates DATA/EXPERIMENT/, opens cohort.db (WAL), creates the schema, starts the writer
 * thread. The folder and the database files get the data mode at every open. NULL on
 * failure with a message in err. */
store *store_open(const char *data_dir, const char *experiment, char *err, size_t errlen);
/* Writes everything still queued, stops the thread, closes the database. Important
 * records that still cannot be written are retried for up to 5 s; whatever is left then
 * is printed on stderr (a line per record, "store: NOT SAVED ...") so that no completion
 * code is lost without a trace. */
void store_close(store *s);
/* Blocks until every job queued before this call has been tried: committed, or (while
 * writes fail) held for retry, which store_health reports. For shutdown and tests. */
void store_flush(store *s);
/* Folder DATA/EXPERIMENT (for tests and for the CLI). */
const char *store_dir(const store *s);

/* People */
/* NULL token, params, condition or route: keep what the row has. route_json is the JSON
 * array of the scene ids of their route, in their order. */
void store_participant(store *s, const char *subject, const char *token,
                       const char *params_json, const char *condition, const char *route_json,
                       int64_t t);
void store_session(store *s, const char *subject, const char *event /* connect, disconnect,
                   replaced, resumed */, const char *detail, int64_t t);
/* index: the scene's place in the participant's route (from 0); after_outcome: the route
 * shown after their outcome (on_outcome), where index counts from that route's start. */
void store_scene_visit(store *s, const char *subject, int index, const char *scene,
                       bool after_outcome, int64_t t);
/* Also writes DATA/EXPERIMENT/SCENE/SUBJECT_form.json. form_json is a JSON object. */
void store_form(store *s, const char *subject, const char *scene, const char *form_json,
                int64_t t);
/* One graded attempt at a page scene's quiz (a `quiz_attempts` row): attempt counts from
 * 1 on each visit of the scene, wrong_json is the JSON array of the fields judged wrong,
 * form_json the answers as submitted. Important: a researcher counts attempts from it. */
void store_quiz_attempt(store *s, const char *subject, const char *scene, int attempt,
                        bool passed, const char *wrong_json, const char *form_json, int64_t t);
/* how: a wait_end_name (proto/names.h): matched, timeout, left, dropped */
void store_wait(store *s, const char *subject, const char *scene, int64_t t_start,
                int64_t t_end, const char *how, const char *game);
/* what: an outcome_name, reason an outcome_reason_name or NULL (proto/names.h). The
 * writer is woken at once for it. Returns a ticket for store_durable (0 when the record
 * could not be queued: it is then printed on stderr). */
uint64_t store_outcome(store *s, const char *subject, const char *what, const char *code,
                       const char *reason, int64_t t);
/* The same with the participant's bonus in the outcome's row (docs/EXPERIMENTS.md "Bonus"):
 * outcomes.bonus (the amount paid, two decimals as text, e.g. "1.02"), bonus_points (the
 * team score counted) and bonus_wait_ms (the waiting counted). bonus NULL: all three are
 * NULL, as store_outcome writes them (the experiment has no bonus rule). */
typedef struct {
    const char *amount;
    int64_t points;
    int64_t wait_ms;
} store_bonus;
uint64_t store_outcome_bonus(store *s, const char *subject, const char *what,
                             const char *code, const char *reason, const store_bonus *bonus,
                             int64_t t);
/* True once the record with this ticket is committed (and for ticket 0). One atomic load:
 * flow shows a completion code only when its outcome is durable, so that a crash can
 * never lose a code a participant has seen. */
bool store_durable(const store *s, uint64_t ticket);
/* Anything worth knowing later (desync, protocol_error, late_inputs, drop, reconnect...).
 * subject and game may be NULL; detail_json may be NULL or a JSON value. */
void store_event(store *s, const char *subject, const char *game, const char *kind,
                 const char *detail_json, int64_t t);

/* Games */
/* party: the game id of the earlier game whose group this is again (`partners:`), or NULL
 * for a group the matchmaker formed: the matches.party column. */
void store_match(store *s, const char *game, const char *scene, const char *subjects_json,
                 const char *rtts_json, const char *party, int64_t t);
/* participants.party: the game whose group the participant belongs to from now on (they
 * finished it together; a later scene keeps such groups), or NULL for none. A restart
 * rebuilds the groups from it (src/flow/restore.c). Important, like the row it updates. */
void store_participant_party(store *s, const char *subject, const char *party);
/* One seat of a game: a subject id or an AI label such as "ai:greedy" (the store does not
 * read meaning into the name), and whether a person plays it. */
typedef struct {
    const char *name;
    bool human;
} store_seat;
/* A `games` row (seats: the JSON array of names) and one `seats` row per seat, replacing
 * any seats recorded earlier for the game. nseats is at most ENV_MAX_PLAYERS (more are
 * cut); seats may be NULL when nseats is 0. */
void store_game(store *s, const char *game, const char *scene, const char *env,
                const char *condition, const store_seat *seats, int nseats, int64_t t);
void store_game_end(store *s, const char *game, const char *reason, int64_t t);

/* How an episode was paced, as its game's settings said (docs/EXPERIMENTS.md "Games"):
 * fps (frames a second) or step_ms (ms a step), the other 0, and the input mode ("held"
 * or "press"). All 0 and "": not known (an episode written before these were recorded). */
typedef struct {
    uint32_t fps;
    uint32_t step_ms;
    char input[8];
} episode_timing;

/* An `episode_starts` row: the episode's seed and step limit, what replaying its frame
 * log needs, and its timing (NULL: not recorded). Written again for the same game and
 * episode, the later row wins. */
void store_episode_start(store *s, const char *game, uint32_t episode, uint64_t seed,
                         uint32_t horizon, const episode_timing *timing, int64_t t);

/* One confirmed frame. */
/* sources[] hold input_source values (proto/names.h). */
typedef struct {
    uint32_t frame;
    uint8_t actions[ENV_MAX_PLAYERS];
    uint8_t sources[ENV_MAX_PLAYERS];
    int8_t verified[ENV_MAX_PLAYERS];  /* -1 not reported, 0 mismatch, 1 same hash */
    uint8_t focused[ENV_MAX_PLAYERS];
    int32_t rewards[ENV_MAX_PLAYERS];
    uint8_t terminated, truncated;
    int32_t info[ENV_MAX_INFO];
    uint64_t hash;
    uint32_t t_ms;                      /* server time since episode start */
} frame_row;

/* The crash log: frames are appended to SQLite and committed within a cycle (250 ms).
 * Bulk: dropped (and counted) when the queue is over its limit or the write fails. */
void store_frames(store *s, const char *game, uint32_t episode, const frame_row *rows,
                  uint32_t n);

/* Everything needed to write one episode's CSV files and to replay them. */
typedef struct {
    char scene[64];
    char game[64];
    char env[64];
    char condition[64];                   /* the group's condition; "" when none */
    uint32_t episode;
    uint64_t seed;
    uint32_t horizon;
    episode_timing timing;                /* the sidecar's fps, step_ms, input */
    uint32_t nseats;
    char seat_names[ENV_MAX_PLAYERS][80]; /* subject id, or "ai:greedy" */
    bool seat_is_human[ENV_MAX_PLAYERS];  /* a file is written for each human seat */
    uint32_t ninfo;
    char info_names[ENV_MAX_INFO][32];
    char end_reason[32];                  /* terminated, truncated, cut */
    int64_t t;                            /* when it ended (wall ms); 0 = when written */
    uint32_t nrows;
    frame_row *rows;                      /* malloc'd; ownership passes to the store */
} episode_record;

/* Writes SCENE/SUBJECT_epN.csv (+ SUBJECT_epN.json: env, seed, horizon, seats, reason)
 * for every human seat, then, once every one of them is durable, the `episodes` row (with
 * `score`: the team score, every seat's rewards of every row added, which a restart adds
 * up for the bonus of those still in the study); once
 * that row is committed the episode's frames leave the log. A file that fails to write is
 * retried (the rows stay in memory until then). Takes ownership of rec->rows. */
void store_episode(store *s, episode_record *rec);

/* Column layout shared by the writer, `cohort compare` and `cohort replay`. Each writes
 * one line without its newline into buf and returns its length, or -1 (buf empty) when it
 * does not fit; 4096 bytes always suffice. */
int store_csv_header(const episode_record *rec, char *buf, size_t len);
int store_csv_row(const episode_record *rec, const frame_row *row, char *buf, size_t len);

/* The store's health. failing is true from the first write that fails (a full disk, an
 * I/O error, a queue over its limit) until a later cycle of the writer succeeded with
 * nothing left to retry and a probe file of 256 KiB could be written and synced: the
 * writer notices by itself, about once a second, that space came back. */
typedef enum { STORE_OK, STORE_DEGRADED } store_status;
typedef struct {
    store_status status;   /* DEGRADED exactly while failing */
    bool failing;
    uint64_t errors;       /* since open, failing or not */
    uint64_t held;         /* important records waiting for a retry */
    uint64_t held_bytes;   /* their memory, queued or held */
    char last_error[200];  /* "" when none; may name a subject: not for public pages */
} store_health_info;
store_health_info store_health(store *s);
/* One atomic load, for the event loop (flow's admission). False for a NULL store. */
bool store_failing(const store *s);

/* Counters for /healthz and tests. jobs_dropped counts calls whose data was not queued or
 * was given up (out of memory, a bulk queue over its limit, a failed bulk transaction,
 * the store closing); each also counts as an error. frames_dropped counts frame rows lost
 * that way. A record refused for good (an unsafe name, a constraint) counts as an error
 * and as done. */
typedef struct {
    uint64_t jobs_queued, jobs_done, frames_logged, files_written, errors;
    uint64_t jobs_dropped, frames_dropped, frames_pruned;
    uint64_t sqlite_heap_bytes; /* SQLite's heap in this process (all stores), mostly page cache */
    store_health_info health;
} store_stats;
store_stats store_get_stats(store *s);

/* ---- Test hooks (never called by the server) ---- */

/* After `skip` more file writes succeed, the next `count` fail with ENOSPC (all of them
 * when count < 0); store_fault_files(0, 0) ends it. Process-wide. */
void store_fault_files(int skip, int count);
/* The same for the writer's commits (each transaction's COMMIT fails as SQLITE_FULL). */
void store_fault_commits(int skip, int count);
/* The bulk queue's byte limit (0: the default, 512 MB), and a pause: while paused the
 * writer takes nothing from the queue, so a test can fill it deterministically. */
void store_test_limit(store *s, size_t max_bulk_bytes);
void store_test_pause(store *s, bool paused);
/* Ends a pause so that everything queued during it is written in one cycle, and returns
 * when that cycle is done. (store_test_pause(false) then store_flush can race: the writer
 * may take the queue before the flush arrives, and the flush's own cycle retries what
 * the first one held.) */
void store_test_resume(store *s);

/* ---- Synchronous helpers (no queue): used by the writer thread, tools and tests. ---- */

#define STORE_NAME_MAX 128
/* True when name can be one path component: 1..STORE_NAME_MAX of [A-Za-z0-9_.-], not
 * "." or "..". Subjects, scenes and experiment ids must pass to name a file or folder. */
bool store_safe_name(const char *name);
/* "input", "default", "ai" for SOURCE_*, NULL for anything else. */
const char *store_source_name(int source);
/* mkdir -p: each folder created gets `mode` (chmod'd) and its parent is fsync'd. Existing
 * folders are left alone. 0 or -1 with errno. */
int store_mkdirs(const char *path, unsigned mode);
/* What the file writers return besides a count: BAD when a name can never be a file
 * (retrying cannot help), RETRY when the disk refused (full, I/O error, permissions):
 * the same call may succeed later. */
#define STORE_FILE_OK 0
#define STORE_FILE_BAD (-1)
#define STORE_FILE_RETRY (-2)
/* Writes DIR/SCENE/SUBJECT_epN.json and .csv for each human seat of rec, each through a
 * temporary file, fsync and rename, then fsyncs the folder; folders get `mode`, files
 * mode without execute bits. files_json (may be NULL) receives a JSON array of the CSV
 * paths written, relative to dir. Returns the number of files written when every human
 * seat has its files, else STORE_FILE_RETRY or STORE_FILE_BAD with err set (RETRY wins
 * when both happened; files of other seats may have been written). */
int store_write_episode_files(const char *dir, const char *experiment,
                              const episode_record *rec, unsigned mode, char *files_json,
                              size_t files_len, char *err, size_t errlen);
/* Writes DIR/SCENE/SUBJECT_form.json (form_json re-encoded; NULL means {}), durably.
 * STORE_FILE_OK, BAD or RETRY. */
int store_write_form_file(const char *dir, const char *scene, const char *subject,
                          const char *form_json, unsigned mode, char *err, size_t errlen);
/* Writes, fsyncs and removes a hidden file of `bytes` bytes in dir: is there room again?
 * STORE_FILE_OK or STORE_FILE_RETRY. */
int store_probe_space(const char *dir, size_t bytes, char *err, size_t errlen);
/* Reads the durable frame log of one episode from DB_PATH (opened read-only), ordered by
 * frame: *rows is malloc'd (free it), NULL when there are none. 0, or -1 on error. */
int store_frames_load(const char *db_path, const char *game, uint32_t episode,
                      frame_row **rows, uint32_t *n);

#endif
