/*
 * A waiting room for one game scene: people wait in arrival order until the matchmaker
 * forms a group or their time runs out. Pure bookkeeping (no I/O, time passed in), so the
 * rules are unit-tested directly.
 */
#ifndef COHORT_LOBBY_H
#define COHORT_LOBBY_H

#include <stdbool.h>
#include <stdint.h>

#include "matchmaker.h"

typedef struct lobby lobby;

lobby *lobby_new(matchmaker mm, int group_size, int64_t timeout_ms);
void lobby_free(lobby *l);

/* `who` arrives. If a group forms, writes its members to group (the waiters in arrival
 * order, the arrival last) and returns group_size; they are no longer waiting.
 * Otherwise `who` waits and 0 is returned. */
int lobby_arrive(lobby *l, void *who, uint32_t rtt_ms, int64_t now, void **group);
/* Removes `who`; false if it was not waiting. */
bool lobby_leave(lobby *l, void *who);
bool lobby_contains(const lobby *l, const void *who);
int lobby_count(const lobby *l);
int lobby_group_size(const lobby *l);
/* Milliseconds `who` has left, or -1 if not waiting. */
int64_t lobby_remaining_ms(const lobby *l, const void *who, int64_t now);
/* The waiting time so far of `who`, or -1. */
int64_t lobby_waited_ms(const lobby *l, const void *who, int64_t now);
/* Removes every waiter whose time ran out; writes up to max of them to out, returns how
 * many. Call again while it returns max. */
int lobby_expire(lobby *l, int64_t now, void **out, int max);
/* The i-th waiter in arrival order. */
void *lobby_at(const lobby *l, int i);

#endif
