/* Time and randomness for the server (not for envs: those are deterministic). */
#ifndef COHORT_CLOCK_H
#define COHORT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * The time of one event-loop pass, read once when the pass begins and handed down to
 * everything that runs in it: mono_ms for deadlines and intervals, wall_ms for what is
 * recorded. Below net/, nothing reads the clock itself, so every record of one pass
 * carries the same instant and tests can set time by hand.
 */
typedef struct {
    int64_t mono_ms;
    int64_t wall_ms;
} loop_time;

/* Both clocks, now. */
loop_time clock_now(void);

/* Monotonic milliseconds: for deadlines, never goes back. */
int64_t clock_mono_ms(void);
/* Monotonic microseconds: for latency measurement. */
int64_t clock_mono_us(void);
/* Wall-clock milliseconds since the Unix epoch: for records. */
int64_t clock_wall_ms(void);
/* Fills buf from the kernel's CSPRNG. Aborts if the kernel cannot provide it. */
void random_bytes(void *buf, size_t len);
/* n random bytes as 2n lowercase hex characters plus NUL (out must hold 2n+1). */
void random_hex(char *out, size_t nbytes);
uint64_t random_u64(void);

#endif
