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
 *   frames(game, episode, frame, ...)       the durable frame log (store_frames)
 *   episode_starts(game, episode, seed, horizon, t)
 *                                           one row per episode begun (store_episode_start);
 *                                           seed is the u64 as a decimal string
 *   seats(game, seat, name, kind)           one row per seat of a game (store_game); kind is
 *                                           'human' or 'ai'
 * games.seats keeps the JSON array of seat names for analysts; nothing reads it back.
 */
#ifndef COHORT_STORE_H
#define COHORT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../envs/env.h"
#include "../proto/names.h"

typedef struct store store;

/* Creates DATA/EXPERIMENT/, opens cohort.db (WAL), creates the schema, starts the writer
 * thread. NULL on failure with a message in err. */
store *store_open(const char *data_dir, const char *experiment, char *err, size_t errlen);
/* Writes everything still queued, stops the thread, closes the database. */
void store_close(store *s);
/* Blocks until every job queued before this call is on disk. For shutdown and tests. */
void store_flush(store *s);
/* Folder DATA/EXPERIMENT (for tests and for the CLI). */
const char *store_dir(const store *s);

/* People */
void store_participant(store *s, const char *subject, const char *token,
                       const char *params_json, int64_t t);
void store_session(store *s, const char *subject, const char *event /* connect, disconnect,
                   replaced, resumed */, const char *detail, int64_t t);
void store_scene_visit(store *s, const char *subject, int index, const char *scene, int64_t t);
/* Also writes DATA/EXPERIMENT/SCENE/SUBJECT_form.json. form_json is a JSON object. */
void store_form(store *s, const char *subject, const char *scene, const char *form_json,
                int64_t t);
/* how: a wait_end_name (proto/names.h): matched, timeout, left, dropped */
void store_wait(store *s, const char *subject, const char *scene, int64_t t_start,
                int64_t t_end, const char *how, const char *game);
/* what: an outcome_name, reason an outcome_reason_name or NULL (proto/names.h) */
void store_outcome(store *s, const char *subject, const char *what, const char *code,
                   const char *reason, int64_t t);
/* Anything worth knowing later (desync, protocol_error, late_inputs, drop, reconnect...).
 * subject and game may be NULL; detail_json may be NULL or a JSON value. */
void store_event(store *s, const char *subject, const char *game, const char *kind,
                 const char *detail_json, int64_t t);

/* Games */
void store_match(store *s, const char *game, const char *scene, const char *subjects_json,
                 const char *rtts_json, int64_t t);
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
                const store_seat *seats, int nseats, int64_t t);
void store_game_end(store *s, const char *game, const char *reason, int64_t t);

/* An `episode_starts` row: the episode's seed and step limit, what replaying its frame
 * log needs. Written again for the same game and episode, the later row wins. */
void store_episode_start(store *s, const char *game, uint32_t episode, uint64_t seed,
                         uint32_t horizon, int64_t t);

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

/* The durable log: frames are appended to SQLite and committed at least once a second. */
void store_frames(store *s, const char *game, uint32_t episode, const frame_row *rows,
                  uint32_t n);

/* Everything needed to write one episode's CSV files and to replay them. */
typedef struct {
    char scene[64];
    char game[64];
    char env[64];
    uint32_t episode;
    uint64_t seed;
    uint32_t horizon;
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
 * for every human seat, and an `episodes` row. Takes ownership of rec->rows. */
void store_episode(store *s, episode_record *rec);

/* Column layout shared by the writer, `cohort compare` and `cohort replay`. Each writes
 * one line without its newline into buf and returns its length, or -1 (buf empty) when it
 * does not fit; 4096 bytes always suffice. */
int store_csv_header(const episode_record *rec, char *buf, size_t len);
int store_csv_row(const episode_record *rec, const frame_row *row, char *buf, size_t len);

/* Counters for /healthz and tests. jobs_dropped counts calls whose data was not queued
 * (out of memory, the queue's byte limit, or the store closing); each also counts as an
 * error. */
typedef struct {
    uint64_t jobs_queued, jobs_done, frames_logged, files_written, errors;
    uint64_t jobs_dropped;
    uint64_t sqlite_heap_bytes; /* SQLite's heap in this process (all stores), mostly page cache */
} store_stats;
store_stats store_get_stats(store *s);

/* ---- Synchronous helpers (no queue): used by the writer thread, tools and tests. ---- */

#define STORE_NAME_MAX 128
/* True when name can be one path component: 1..STORE_NAME_MAX of [A-Za-z0-9_.-], not
 * "." or "..". Subjects, scenes and experiment ids must pass to name a file or folder. */
bool store_safe_name(const char *name);
/* "input", "default", "ai" for SOURCE_*, NULL for anything else. */
const char *store_source_name(int source);
/* mkdir -p. 0 or -1 with errno. */
int store_mkdirs(const char *path);
/* Writes DIR/SCENE/SUBJECT_epN.json and .csv for each human seat of rec, each through a
 * temporary file and a rename. files_json (may be NULL) receives a JSON array of the CSV
 * paths relative to dir. Returns the number of files written, or -1 with err set (files
 * of other seats may still have been written). */
int store_write_episode_files(const char *dir, const char *experiment,
                              const episode_record *rec, char *files_json, size_t files_len,
                              char *err, size_t errlen);
/* Writes DIR/SCENE/SUBJECT_form.json (form_json re-encoded; NULL means {}). 0 or -1. */
int store_write_form_file(const char *dir, const char *scene, const char *subject,
                          const char *form_json, char *err, size_t errlen);
/* Reads the durable frame log of one episode from DB_PATH (opened read-only), ordered by
 * frame: *rows is malloc'd (free it), NULL when there are none. 0, or -1 on error. */
int store_frames_load(const char *db_path, const char *game, uint32_t episode,
                      frame_row **rows, uint32_t *n);

#endif
