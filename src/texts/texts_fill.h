/*
 * Filling a text's {placeholders} on the server (the browser has its own, web/texts.js).
 * Which placeholders a text may use is checked when the experiment loads
 * (texts_placeholders_ok), so here a name without a value is simply left as written.
 */
#ifndef COHORT_TEXTS_FILL_H
#define COHORT_TEXTS_FILL_H

#include <stddef.h>

typedef struct {
    const char *name;  /* without braces: "width" */
    const char *value;
} text_value;

/* text with every {name} of values[0..n) replaced, into out (cap bytes, always
 * NUL-terminated; cut short at a character boundary if it does not fit). */
void texts_fill(const char *text, const text_value *values, int n, char *out, size_t cap);

#endif
