/*
 * Picking up after a restart or a crash. Runs at startup, before the event loop, so it
 * may read the database directly (its own read-only connection; the writer thread owns
 * the only writing one).
 *
 * Everything is read from plain columns (store.h): participants from participants,
 * scene_visits, outcomes and waits (indexed by subject); an unwritten episode from frames,
 * games (scene, env), episode_starts (seed, horizon, timing) and seats (name, kind). The
 * store knows no env: the info column names of a rebuilt episode come from the caller.
 */
#ifndef COHORT_STORE_RECOVER_H
#define COHORT_STORE_RECOVER_H

#include <stdbool.h>

#include "store.h"

/* What the server knew about one participant when it stopped. */
typedef struct {
    const char *subject;
    const char *token;
    int scene_index;           /* the last scene entered (its place in the route); -1 if none */
    const char *scene;         /* its id; NULL if none */
    bool after_outcome;        /* that visit was on the route after their outcome */
    const char *condition;     /* NULL: none recorded */
    const char *route;         /* JSON array of scene ids; NULL: none recorded */
    const char *outcome;       /* NULL while they had none */
    const char *code;
    const char *reason;
    bool matched_in_scene;     /* a game was formed for them in that last scene */
    bool started_game;         /* they have a waits row: they joined a waiting room */
    int quiz_attempts;         /* quiz attempts graded since they entered that scene */
    /* Bonuses (docs/EXPERIMENTS.md "Bonus"). With an outcome: the amount its row says was
     * paid (outcomes.bonus, NULL without one). Without: the tallies so far, for the bonus
     * still to come: every wait's wait_ms, and the score of every episode of every game
     * they held a human seat in (episodes.score). */
    const char *bonus;
    int64_t wait_ms;
    int64_t points;
    /* participants.party (store_participant_party): the game whose group they belong to,
     * with that game's scene id and the seat they played in it; NULL, NULL, -1 if none. */
    const char *party;
    const char *party_scene;
    int party_seat;
} known_participant;

/* Calls fn once per participant in the database. Returns how many, or -1 with err set. */
int store_load_participants(store *s, void (*fn)(const known_participant *p, void *ctx),
                            void *ctx, char *err, size_t errlen);

/* Finishes every episode the durable frame log still holds (it holds only episodes not
 * known to be written; store.h):
 *   - never written (the server died mid-episode, or its files failed to write): rebuilt
 *     from the log's rows 0..N-1 (up to the first gap). Its end reason is what the log
 *     shows: `terminated` when the last row is terminated, `truncated` when the last row
 *     is truncated at the horizon, else `cut` (the last row is then marked truncated);
 *   - never recorded although every file is whole on disk (the server died between the
 *     files and the row): the files are kept as they are and get their row;
 *   - recorded, but files missing: rebuilt, with the row's reason when the log has the
 *     frames the row counts;
 *   - recorded, files present: only its frames are deleted (the prune the server did not
 *     live to do).
 * Seed and horizon come from episode_starts, seat names and which seats are human from
 * seats (a file for each human seat), the info column names from find_env(games.env):
 * when find_env is NULL or returns NULL the files have no info columns. An episode
 * without a games row, an episode_starts row or seats rows (absent in databases of
 * earlier versions), or whose frames cannot be read, is skipped; so is a recorded episode
 * whose files are gone once its frames were pruned (nothing can rebuild it: it is named
 * in err so that the researcher hears of it). What is queued is
 * flushed before the call returns. Returns how many episodes were rebuilt or adopted, or
 * -1 with err set. err is emptied first; after a return >= 0 it describes the last
 * episode skipped, if any. */
int store_rebuild_episodes(store *s, const char *experiment,
                           const env_def *(*find_env)(const char *name), char *err,
                           size_t errlen);

/* The query that walks the log's episodes, one primary-key seek each (for the test that
 * keeps it indexed). */
extern const char STORE_NEXT_LOGGED_SQL[];

#endif
