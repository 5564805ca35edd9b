#include "matchmaker.h"

static bool fifo_pick(const matchmaker *mm, const waiter *queue, int n, const waiter *arrival,
                      int group_size, int *out)
{
    (void)mm;
    (void)arrival;
    if (n < group_size - 1)
        return false;
    for (int i = 0; i < group_size - 1; i++)
        out[i] = i;
    return true;
}

static bool rtt_fits(const matchmaker *mm, uint32_t a, uint32_t b)
{
    if (a == 0 || b == 0)
        return true;
    return (int64_t)a + b <= mm->max_rtt_ms;
}

static bool latency_pick(const matchmaker *mm, const waiter *queue, int n, const waiter *arrival,
                         int group_size, int *out)
{
    int picked = 0;
    for (int i = 0; i < n && picked < group_size - 1; i++) {
        if (!rtt_fits(mm, queue[i].rtt_ms, arrival->rtt_ms))
            continue;
        bool fits_all = true;
        for (int j = 0; j < picked && fits_all; j++)
            fits_all = rtt_fits(mm, queue[i].rtt_ms, queue[out[j]].rtt_ms);
        if (fits_all)
            out[picked++] = i;
    }
    return picked == group_size - 1;
}

matchmaker matchmaker_fifo(void)
{
    return (matchmaker){.name = "fifo", .max_rtt_ms = 0, .pick = fifo_pick};
}

matchmaker matchmaker_latency_fifo(int max_rtt_ms)
{
    return (matchmaker){.name = "latency_fifo", .max_rtt_ms = max_rtt_ms, .pick = latency_pick};
}
