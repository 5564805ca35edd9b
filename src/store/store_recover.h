/*
 * Picking up after a restart or a crash. Runs at startup, before the event loop, so it
 * may read the database directly (its own read-only connection; the writer thread owns
 * the only writing one).
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
} known_participant;

/* Calls fn once per participant in the database. Returns how many, or -1 with err set. */
int store_load_participants(store *s, void (*fn)(const known_participant *p, void *ctx),
                            void *ctx, char *err, size_t errlen);

/* Writes the episode files of every episode that is in the durable frame log but was
 * never written (the server died mid-episode): the partial episode, marked truncated.
 * Returns how many episodes were rebuilt, or -1 with err set. */
int store_rebuild_episodes(store *s, const char *experiment, char *err, size_t errlen);

#endif
