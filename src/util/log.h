/* One-line log records on stderr: "2026-11-24T23:40:01.123Z level message". Control
 * characters in the message are escaped and the rate is bounded (log.c): callers may log
 * what a client sent. */
#ifndef COHORT_LOG_H
#define COHORT_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Quiet mode for tools and tests: only errors. */
void log_set_quiet(int quiet);

#endif
