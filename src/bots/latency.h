/*
 * A latency histogram for the bot swarm: constant memory whatever the run length, 10 us
 * resolution below 100 ms, 1 ms resolution up to 120 s, the maximum kept exactly.
 * Percentiles are reported as the upper edge of their bucket (never optimistic).
 */
#ifndef COHORT_BOTS_LATENCY_H
#define COHORT_BOTS_LATENCY_H

#include <stdint.h>

typedef struct latency latency;

latency *latency_new(void);
void latency_free(latency *h);
void latency_add(latency *h, int64_t us);
uint64_t latency_count(const latency *h);
/* The q-quantile (0 < q <= 1) in microseconds; 0 when empty. */
int64_t latency_quantile(const latency *h, double q);
int64_t latency_max(const latency *h);
double latency_mean(const latency *h);

#endif
