/*
 * Log records on stderr. Two protections, because much of what is logged comes from
 * outside (peer addresses, protocol error details, subject ids):
 *  - control characters are escaped, so nobody can forge a log line with a newline;
 *  - a token bucket bounds the rate (LOG_BURST lines, refilled at LOG_PER_S a second):
 *    a flood of bad clients cannot fill the disk through the log. What is dropped is
 *    counted and said in the next line that gets through.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#define LOG_BURST 200
#define LOG_PER_S 50

static int quiet;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* the writer thread logs too */
static double tokens = LOG_BURST;
static struct timespec refilled;
static unsigned long suppressed;

void log_set_quiet(int q) { quiet = q; }

/* Under mu: may this line be written? */
static int admit(const struct timespec *now)
{
    if (refilled.tv_sec == 0)
        refilled = *now;
    double elapsed = (double)(now->tv_sec - refilled.tv_sec) +
                     (double)(now->tv_nsec - refilled.tv_nsec) / 1e9;
    refilled = *now;
    if (elapsed > 0)
        tokens += elapsed * LOG_PER_S;
    if (tokens > LOG_BURST)
        tokens = LOG_BURST;
    if (tokens < 1) {
        suppressed++;
        return 0;
    }
    tokens -= 1;
    return 1;
}

/* src with every byte below 0x20 and DEL written as \n, \t or \xNN. */
static void escape(char *out, size_t cap, const char *src)
{
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)src; *s && o + 5 < cap; s++) {
        if (*s >= 0x20 && *s != 0x7f) {
            out[o++] = (char)*s;
        } else if (*s == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (*s == '\t') {
            out[o++] = '\\';
            out[o++] = 't';
        } else {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *s);
        }
    }
    out[o] = '\0';
}

static void emit(const char *level, const char *fmt, va_list ap)
{
    struct timespec ts, mono;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    char raw[1024], msg[1024];
    vsnprintf(raw, sizeof raw, fmt, ap);
    escape(msg, sizeof msg, raw);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    pthread_mutex_lock(&mu);
    if (admit(&mono)) {
        /* One fprintf per record so lines from the writer thread do not interleave. */
        if (suppressed > 0) {
            fprintf(stderr, "%s.%03ldZ warn %lu log lines suppressed (more than %d a second)\n",
                    stamp, ts.tv_nsec / 1000000, suppressed, LOG_PER_S);
            suppressed = 0;
        }
        fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000, level, msg);
    }
    pthread_mutex_unlock(&mu);
}

void log_info(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit("info", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit("warn", fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("error", fmt, ap);
    va_end(ap);
}
