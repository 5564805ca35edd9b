#include "latency.h"

#include <stdlib.h>

#define FINE_US 10          /* bucket width below FINE_LIMIT */
#define FINE_LIMIT 100000   /* 100 ms */
#define COARSE_US 1000      /* bucket width from FINE_LIMIT on */
#define COARSE_LIMIT 120000000 /* 120 s; anything above lands in the last bucket */
#define NFINE (FINE_LIMIT / FINE_US)
#define NCOARSE ((COARSE_LIMIT - FINE_LIMIT) / COARSE_US)
#define NBUCKETS (NFINE + NCOARSE + 1)

struct latency {
    uint64_t n;
    int64_t max;
    double sum;
    uint32_t buckets[NBUCKETS];
};

latency *latency_new(void) { return calloc(1, sizeof(latency)); }

void latency_free(latency *h) { free(h); }

static uint32_t bucket_of(int64_t us)
{
    if (us < FINE_LIMIT)
        return (uint32_t)(us / FINE_US);
    if (us >= COARSE_LIMIT)
        return NBUCKETS - 1;
    return (uint32_t)(NFINE + (us - FINE_LIMIT) / COARSE_US);
}

/* The largest value a bucket holds (its upper edge). */
static int64_t bucket_top(uint32_t b)
{
    if (b < NFINE)
        return (int64_t)(b + 1) * FINE_US;
    if (b >= NBUCKETS - 1)
        return COARSE_LIMIT;
    return FINE_LIMIT + (int64_t)(b - NFINE + 1) * COARSE_US;
}

void latency_add(latency *h, int64_t us)
{
    if (us < 0)
        us = 0;
    h->buckets[bucket_of(us)]++;
    h->n++;
    h->sum += (double)us;
    if (us > h->max)
        h->max = us;
}

uint64_t latency_count(const latency *h) { return h->n; }
int64_t latency_max(const latency *h) { return h->max; }
double latency_mean(const latency *h) { return h->n ? h->sum / (double)h->n : 0.0; }

int64_t latency_quantile(const latency *h, double q)
{
    if (h->n == 0)
        return 0;
    if (q <= 0)
        q = 0;
    if (q > 1)
        q = 1;
    /* the rank of the sample at quantile q, 1-based, rounded up */
    uint64_t rank = (uint64_t)(q * (double)h->n);
    if ((double)rank < q * (double)h->n)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (uint32_t b = 0; b < NBUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            int64_t top = bucket_top(b);
            return top < h->max ? top : h->max;
        }
    }
    return h->max;
}
