/*
 * Picking up after a restart or a crash. Runs at startup, before the event loop, so it
 * may read the database directly (its own read-only connection; the writer thread owns
 * the only writing one).
 *
 * Everything is read from plain columns (store.h): participants from participants,
 * scene_visits, outcomes and waits (indexed by subject); an unwritten episode from frames,
 * games (scene, env), episode_starts (seed, horizon) and seats (name, kind). The store
 * knows no env: the info column names of a rebuilt episode come from the caller.
 */
#ifndef COHORT_STORE_RECOVER_H
#define COHORT_STORE_RECOVER_H

#include <stdbool.h>

#include "store.h"

/* What the server knew about one participant when it stopped. */
typedef struct {
    const char *subject;
    const char *token;
    int scene_index;           /* the last scene entered; -1 if none */
    const char *outcome;       /* NULL while they had none */
    const char *code;
    const char *reason;
    bool matched_in_scene;     /* a game was formed for them in that last scene */
    bool started_game;         /* they have a waits row: they joined a waiting room */
} known_participant;

/* Calls fn once per participant in the database. Returns how many, or -1 with err set. */
int store_load_participants(store *s, void (*fn)(const known_participant *p, void *ctx),
                            void *ctx, char *err, size_t errlen);

/* Writes the episode files of every episode that is in the durable frame log but was
 * never written (the server died mid-episode): the partial episode, its last row marked
 * truncated, end reason "cut". Seed and horizon come from episode_starts, seat names and
 * which seats are human from seats (a file for each human seat), the info column names
 * from find_env(games.env): when find_env is NULL or returns NULL the files have no info
 * columns. An episode without an episode_starts row, without seats rows (both absent in
 * databases of earlier versions) or whose frames cannot be read is skipped.
 * Returns how many episodes were rebuilt, or -1 with err set. err is emptied first; after
 * a return >= 0 it describes the last episode skipped, if any. */
int store_rebuild_episodes(store *s, const char *experiment,
                           const env_def *(*find_env)(const char *name), char *err,
                           size_t errlen);

#endif
