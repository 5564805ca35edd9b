/*
 * What the export's source files share (src/tools/export*.c): the database snapshot, the
 * union schema of frames.csv and the per-episode results. Not an interface for anything
 * outside `cohort export`.
 *   export_db.c      the snapshot of cohort.db (one read transaction), arena, helpers
 *   export_frames.c  frames.csv (re-simulation, verification, decoded state), episodes.csv
 *   export_people.c  participants.csv, events.csv
 *   export.c         which file holds each episode, the command, codebook and manifest
 */
#ifndef COHORT_EXPORT_INTERNAL_H
#define COHORT_EXPORT_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../proto/names.h"
#include "numbers.h"
#include "export.h"
#include "tools.h"

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

typedef struct {
    chunk *head;
} arena;

/* A growable array of fixed-size items in malloc'd memory. */
typedef struct {
    void *items;
    size_t n, cap, size;
} vec;

#define VEC(type) ((vec){NULL, 0, 0, sizeof(type)})
#define AT(v, type, i) (&((type *)(v).items)[i])

void *arena_alloc(arena *a, size_t n);
char *arena_str(arena *a, const char *s);
void arena_free(arena *a);
void *vec_push(vec *v);

/* ---- the snapshot ---- */
typedef struct {
    const char *subject, *params, *condition;
    int64_t created;
} participant_row;

typedef struct {
    const char *subject, *scene;
    int index;
    int64_t t;
} visit_row;

typedef struct {
    const char *subject, *scene, *form;
} form_row;

typedef struct {
    const char *subject, *outcome, *code, *reason;
    const char *bonus; /* the amount paid ("1.02"), NULL without a bonus rule */
    int64_t t;
} outcome_row;

typedef struct {
    int64_t t;
    const char *subject, *game, *kind, *detail;
} event_row;

typedef struct {
    const char *game, *name, *kind;
    int seat;
} seat_row;

typedef struct {
    const char *game, *scene, *env, *seed, *reason, *files, *condition;
    uint32_t episode;
    int64_t horizon, frames, t_end, t_start;
} episode_row;

typedef struct {
    const char *game;
    uint32_t episode;
} start_row;

typedef struct {
    const char *subject;
    int64_t wait_ms, waits;
} wait_sum;

/* Graded quiz attempts of one participant at one scene (quiz_attempts, all visits). */
typedef struct {
    const char *subject, *scene;
    int64_t attempts;
} quiz_sum;

typedef struct {
    sqlite3 *db;
    arena mem;
    vec participants, visits, forms, outcomes, events, seats, episodes, starts, waits;
    vec quizzes; /* quiz_sum, by subject then scene; empty for a database without quizzes */
} snapshot;

/* Opens db_path read-only and loads every table inside one read transaction. 0 or -1. */
int load_snapshot(const char *db_path, snapshot *s);
void free_snapshot(snapshot *s);

/* ---- helpers ---- */
/* Sorted, de-duplicated list of strings (pointers stay owned by the caller). */
typedef struct {
    const char **s;
    size_t n, cap;
} strset;

size_t strset_find(const strset *set, const char *s, bool *found);
void strset_add(strset *set, const char *s);
long strset_index(const strset *set, const char *s);

/* The vocabularies of proto/names.h, NULL-ended. */
extern const char *const outcome_words[], *const reason_words_all[],
    *const episode_end_words[], *const source_words[];

/* ---- frames.csv and episodes.csv ---- */
/* What frames.csv has columns for: the union over every exported episode's env. */
typedef struct {
    const env_def *envs[32];
    uint32_t nenvs;
    uint32_t seats;                 /* most players of any env */
    strset info, fields;            /* union of info names and state field names */
    const char **info_order, **field_order; /* in column order (first appearance) */
    size_t ninfo, nfields;
    /* per env: union column -> the env's index, or -1 */
    int *info_map[32], *field_map[32];
} frame_schema;

typedef struct {
    const episode_row *row;
    const env_def *env;
    int env_index;
    const char *skip;      /* why it was not exported, or NULL */
    char file[512];        /* the episode CSV read, relative to the data folder */
    uint32_t nseats;
    const char *seat_names[ENV_MAX_PLAYERS];
    const char *seat_kinds[ENV_MAX_PLAYERS];
    uint32_t frames;
    /* The pace, from the episode's sidecar: fps or step_ms (the other 0), the input mode;
     * all 0 and "" when the sidecar does not say (an episode from an older version). */
    uint32_t fps, step_ms;
    char input[8];
    int64_t score[ENV_MAX_PLAYERS], team;
    uint32_t sources[ENV_MAX_PLAYERS][input_source_COUNT_]; /* per SOURCE_LIST */
    uint32_t unfocused[ENV_MAX_PLAYERS], mismatches[ENV_MAX_PLAYERS], reports[ENV_MAX_PLAYERS];
    int32_t last_info[ENV_MAX_INFO];
    uint32_t desync_events;
    uint32_t rewards_recomputed;
} episode_out;

typedef struct {
    const char *data_dir;
    xfiles *xf;
    xtable *frames;
    const frame_schema *fs;
    bool overcooked;
    json_t *overcooked_files;
    uint64_t rewards_recomputed;
} frame_pass;

int env_slot(frame_schema *fs, const env_def *env);
void build_schema(frame_schema *fs, arena *mem);
void free_schema(frame_schema *fs);
json_t *env_list(const frame_schema *fs, bool (*has)(const env_def *, const char *),
                 const char *name);
bool env_has_info(const env_def *env, const char *name);
const char *info_meaning(const frame_schema *fs, const char *name);
void declare_frame_columns(xtable *t, const frame_schema *fs);
/* Re-simulates one episode and writes its frames: 0, 1 on a mismatch, 2 unreadable. */
int export_episode(frame_pass *fp, episode_out *eo);
int write_episodes(xfiles *xf, json_t *codebook, const vec *outs, const frame_schema *fs,
                   uint64_t *rows);

/* ---- participants.csv and events.csv ---- */
int write_participants(xfiles *xf, json_t *codebook, const snapshot *s, const vec *outs,
                       uint64_t *rows);
int write_events(xfiles *xf, json_t *codebook, const snapshot *s, uint64_t *rows);
/* payments.csv in Prolific's bulk bonus format (export_people.c). */
int write_payments(xfiles *xf, const snapshot *s, uint64_t *rows);

#endif
