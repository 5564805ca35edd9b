/*
 * A game room: one matched group playing one game scene (docs/DESIGN.md section 6).
 *
 * The room owns the authoritative env state. It confirms frame N when every human seat's
 * input for N has arrived, or when some seat is already W frames past N (the missing
 * seats then get the default action), with AI seats acting from the room's own state.
 * Each confirmed frame is stepped natively, hashed, recorded, logged durably, and sent
 * to every seat in one batched CONFIRM per loop pass (room_flush).
 *
 * The room never touches sockets: it talks to its seats through hooks, so it can be
 * unit-tested with fakes.
 */
#ifndef COHORT_ROOM_H
#define COHORT_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../envs/env.h"
#include "../config/config.h"
#include "../proto/names.h"
#include "../proto/proto.h"
#include "../store/store.h"
#include "../util/clock.h"

typedef struct room room;

/* What the room tells its owner, queued: the owner acts on it at the end of the loop pass,
 * never inside a room call, so a room is never re-entered and never freed under itself. */
typedef enum {
    ROOM_SEAT_REMOVED, /* a person left the game for good; the room keeps no pointer to them */
    ROOM_GAME_OVER     /* the game is over; the owner frees the room after handling this */
} room_event_kind;

typedef struct {
    room_event_kind kind;
    room *room;
    void *peer;               /* SEAT_REMOVED: who left */
    seat_removal removal;     /* SEAT_REMOVED: why */
    game_end end;             /* GAME_OVER: why */
    int npeers;               /* GAME_OVER: every person still seated, in peers */
    void *peers[ENV_MAX_PLAYERS];
    /* The team score (every seat's rewards added) of every frame the game confirmed so
     * far, all episodes: what the people it names earned in it up to now (bonuses). */
    int64_t team_points;
} room_event;

typedef struct {
    /* Deliver a message to the person in a human seat (the room keeps the text). */
    void (*send_text)(void *peer, const char *json, void *ud);
    void (*send_binary)(void *peer, const void *buf, size_t len, void *ud);
    /* room_flush has work to do at the end of this loop pass. */
    void (*mark_dirty)(room *r, void *ud);
    /* Queue ev (copy it) for the end of the loop pass. */
    void (*queue_event)(const room_event *ev, void *ud);
} room_hooks;

typedef struct {
    const char *game_id;
    const char *scene_id;
    const char *condition;    /* the group's condition, "" or NULL when none */
    const scene_spec *scene;   /* the game scene's settings; must outlive the room */
    const env_def *env;
    uint64_t seed;             /* episode seeds derive from it */
    int nseats;
    void *peers[ENV_MAX_PLAYERS];       /* human seats: the participant; AI seats: NULL */
    const char *names[ENV_MAX_PLAYERS]; /* subject ids; ignored for AI seats */
} room_config;

typedef struct {
    uint64_t frames_confirmed, inputs, late_inputs, stale_inputs, duplicate_inputs,
        invalid_actions, defaulted, desyncs, hashes_verified, resyncs,
        early_inputs; /* ahead of the room's clock: dropped */
} room_stats;

/* Every `now` is the loop pass's time: mono_ms for the room's deadlines, wall_ms for what
 * it records. */
room *room_new(const room_config *cfg, const room_hooks *hooks, void *ud, store *st,
               loop_time now);
void room_free(room *r);

/* An INPUT from the participant in `seat`. Returns -1 for a protocol error (the caller
 * cuts that connection off), else 0. */
int room_on_input(room *r, int seat, const input_msg *in, loop_time now);
/* Deadlines: countdowns, reconnect grace, focus loss, inactivity. */
void room_tick(room *r, loop_time now);
/* Send what was confirmed since the last flush; announce episode ends. */
void room_flush(room *r, loop_time now);

void room_seat_disconnected(room *r, int seat, loop_time now);
/* The participant is back on a new connection: it gets game_start and STATE. */
void room_seat_reconnected(room *r, int seat, loop_time now);
void room_seat_visibility(room *r, int seat, bool visible, loop_time now);
/* Remove a seat now (excluded, or left for good), applying on_partner_drop. An excluded
 * seat is told game_end "excluded"; ROOM_SEAT_REMOVED is queued either way. */
void room_seat_remove(room *r, int seat, seat_removal why, loop_time now);

/* Stop now without telling anyone or queueing anything (server shutdown): the running
 * episode is saved as cut, the game's end recorded with `why`. */
void room_abort(room *r, game_end why, loop_time now);

int room_seat_of(const room *r, const void *peer);
const char *room_id(const room *r);
const char *room_scene(const room *r);
int room_episode(const room *r);
uint32_t room_frame(const room *r);
bool room_over(const room *r);
/* The team score of every frame confirmed so far, all episodes (room_event.team_points). */
int64_t room_team_points(const room *r);
room_stats room_get_stats(const room *r);
/* Derived per-episode seed: the same on every machine for the same game seed. */
uint64_t room_episode_seed(uint64_t game_seed, uint32_t episode);

#endif
