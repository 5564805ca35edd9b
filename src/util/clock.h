/* Time and randomness for the server (not for envs: those are deterministic). */
#ifndef COHORT_CLOCK_H
#define COHORT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

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
