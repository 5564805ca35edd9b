/* Grading a quiz (quiz.h). The submitted values are what web/scenes.js collectForm sends. */
#include "quiz.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* s without its surrounding white space, as [*start, *start + *len). */
static void trim(const char *s, const char **start, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

/* A whole number or decimal, for "4" == "4.0" == " 4 ". */
static bool as_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0';
}

/* Typed text: white space around it does not count, nor the case of ASCII letters;
 * numbers compare by value. */
static bool text_matches(const char *want, const char *got)
{
    const char *w, *g;
    size_t wl, gl;
    trim(want, &w, &wl);
    trim(got, &g, &gl);
    double wn, gn;
    if (as_number(w, wl, &wn) && as_number(g, gl, &gn))
        return wn == gn;
    return wl == gl && strncasecmp(w, g, wl) == 0;
}

/* Is `item` (len bytes) one of the comma-separated values of `list`? */
static bool in_list(const char *list, const char *item, size_t len)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, item, len) == 0)
            return true;
        p += n;
        p += *p == ',';
    }
    return false;
}

/* Checked values, in any order, each at least once: the same set as the answer. */
static bool set_matches(const char *want, const char *got)
{
    for (const char *p = got; *p;) {
        size_t n = strcspn(p, ",");
        if (n > 0 && !in_list(want, p, n))
            return false;
        p += n;
        p += *p == ',';
    }
    for (const char *p = want; *p;) {
        size_t n = strcspn(p, ",");
        if (n > 0 && !in_list(got, p, n))
            return false;
        p += n;
        p += *p == ',';
    }
    return true;
}

bool quiz_answer_matches(const quiz_answer *a, const char *submitted)
{
    if (!submitted)
        return false;
    switch (a->kind) {
    case QUIZ_FIELD_TEXT:
        return text_matches(a->value, submitted);
    case QUIZ_FIELD_SET:
        return set_matches(a->value, submitted);
    case QUIZ_FIELD_CHOICE:
    case QUIZ_FIELD_CHECKBOX:
    default:
        return strcmp(a->value, submitted) == 0;
    }
}

bool quiz_grade(const quiz_spec *q, const json_t *form, uint32_t *wrong)
{
    *wrong = 0;
    for (int i = 0; i < q->nanswers && i < 32; i++) {
        const json_t *v = form ? json_object_get(form, q->answers[i].field) : NULL;
        if (!quiz_answer_matches(&q->answers[i], json_string_value(v)))
            *wrong |= 1u << i;
    }
    return *wrong == 0;
}
