/*
 * Matchmakers: given the people already waiting (in arrival order) and a new arrival,
 * choose who plays together. One interface, so a study can swap the rule without
 * touching the waiting room.
 */
#ifndef COHORT_MATCHMAKER_H
#define COHORT_MATCHMAKER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    void *who;
    uint32_t rtt_ms;   /* median round trip to the server; 0 = not measured yet */
    int64_t joined_ms;
} waiter;

typedef struct matchmaker {
    const char *name;
    int max_rtt_ms;
    /* Pick group_size-1 partners for `arrival` from queue[0..n). On success write their
     * indices (ascending) to out and return true. */
    bool (*pick)(const struct matchmaker *mm, const waiter *queue, int n, const waiter *arrival,
                 int group_size, int *out);
} matchmaker;

/* First come, first grouped. */
matchmaker matchmaker_fifo(void);
/* FIFO that skips a waiter whose round trip plus any group member's exceeds max_rtt_ms.
 * An unmeasured round trip (0) never disqualifies. */
matchmaker matchmaker_latency_fifo(int max_rtt_ms);

#endif
