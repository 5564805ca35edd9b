#include "rtt.h"

#include <string.h>

void rtt_add(rtt_window *w, uint32_t rtt_ms)
{
    if (w->n == RTT_SAMPLES) {
        memmove(w->samples, w->samples + 1, (RTT_SAMPLES - 1) * sizeof(uint32_t));
        w->n--;
    }
    w->samples[w->n++] = rtt_ms;
}

uint32_t rtt_median(const rtt_window *w)
{
    if (w->n == 0)
        return 0;
    uint32_t sorted[RTT_SAMPLES];
    memcpy(sorted, w->samples, (size_t)w->n * sizeof(uint32_t));
    for (int i = 1; i < w->n; i++)
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            uint32_t t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    return sorted[w->n / 2];
}

bool rtt_full(const rtt_window *w) { return w->n == RTT_SAMPLES; }
