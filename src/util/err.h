/* The one way functions that fail fill their caller's err buffer (char *err, size_t len). */
#ifndef COHORT_ERR_H
#define COHORT_ERR_H

#include <stddef.h>

/* printf into err (always NUL-terminated, cut to fit). */
void err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
