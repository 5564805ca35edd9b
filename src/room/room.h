/*
 * A game room: one matched group playing one game scene (DESIGN.md section 6).
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
#include "../proto/proto.h"
#include "../store/store.h"

typedef struct room room;

typedef struct {
    /* Deliver a message to the participant in a human seat. */
    void (*send_text)(void *peer, const char *json, void *ud);
    void (*send_binary)(void *peer, const void *buf, size_t len, void *ud);
    /* room_flush has work to do at the end of this loop pass. */
    void (*mark_dirty)(room *r, void *ud);
    /* A participant left the game for good: reason "dropped" (grace ran out),
     * "excluded" (tab hidden too long, inactive). The room keeps no pointer to it after. */
    void (*seat_removed)(room *r, void *peer, const char *reason, void *ud);
    /* The game is over; reason "completed", "partner_dropped", "abandoned".
     * Every remaining human seat's peer is passed in peers (n of them). The caller frees
     * the room later (not inside this call). */
    void (*game_over)(room *r, const char *reason, void **peers, int n, void *ud);
} room_hooks;

typedef struct {
    const char *game_id;
    const char *scene_id;
    const scene_spec *scene;   /* the game scene's settings; must outlive the room */
    const env_def *env;
    uint64_t seed;             /* episode seeds derive from it */
    int nseats;
    void *peers[ENV_MAX_PLAYERS];       /* human seats: the participant; AI seats: NULL */
    const char *names[ENV_MAX_PLAYERS]; /* subject ids; ignored for AI seats */
} room_config;

typedef struct {
    uint64_t frames_confirmed, inputs, late_inputs, stale_inputs, duplicate_inputs,
        invalid_actions, defaulted, desyncs, hashes_verified, resyncs;
} room_stats;

room *room_new(const room_config *cfg, const room_hooks *hooks, void *ud, store *st,
               int64_t now);
void room_free(room *r);

/* An INPUT from the participant in `seat`. Returns -1 for a protocol error (the caller
 * cuts that connection off), else 0. */
int room_on_input(room *r, int seat, const input_msg *in, int64_t now);
/* Deadlines: countdowns, reconnect grace, focus loss, inactivity. */
void room_tick(room *r, int64_t now);
/* Send what was confirmed since the last flush; announce episode ends. */
void room_flush(room *r, int64_t now);

void room_seat_disconnected(room *r, int seat, int64_t now);
/* The participant is back on a new connection: it gets game_start and STATE. */
void room_seat_reconnected(room *r, int seat, int64_t now);
void room_seat_visibility(room *r, int seat, bool visible, int64_t now);
/* Remove a seat now (excluded, or left for good), applying on_partner_drop. */
void room_seat_remove(room *r, int seat, const char *reason, int64_t now);

/* Stop now without telling anyone (server shutdown): the running episode is saved as cut. */
void room_abort(room *r, const char *reason, int64_t now);

int room_seat_of(const room *r, const void *peer);
const char *room_id(const room *r);
const char *room_scene(const room *r);
int room_episode(const room *r);
uint32_t room_frame(const room *r);
bool room_over(const room *r);
room_stats room_get_stats(const room *r);
/* Derived per-episode seed: the same on every machine for the same game seed. */
uint64_t room_episode_seed(uint64_t game_seed, uint32_t episode);

#endif
