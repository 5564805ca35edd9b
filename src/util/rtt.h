/* A connection's recent round-trip times and their median: one slow ping is forgiven. */
#ifndef COHORT_RTT_H
#define COHORT_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define RTT_SAMPLES 5

typedef struct {
    uint32_t samples[RTT_SAMPLES]; /* oldest first */
    int n;
} rtt_window;

/* Adds a sample, forgetting the oldest once the window is full. */
void rtt_add(rtt_window *w, uint32_t rtt_ms);
/* The median of the samples held (the upper one of an even count); 0 when empty. */
uint32_t rtt_median(const rtt_window *w);
/* The window holds RTT_SAMPLES samples: its median is a fair judgement. */
bool rtt_full(const rtt_window *w);

#endif
