/*
 * What net makes of a request before handing it to net_http_fn, as pure functions (no lws),
 * so they are fuzzed with the handlers behind them (tests/fuzz/fuzz_http.c).
 */
#ifndef COHORT_NET_REQUEST_H
#define COHORT_NET_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

enum {
    NET_URI_MAX = 256,       /* the path, with its NUL: longer ones are refused */
    NET_QUERY_MAX = 512,     /* the rebuilt query string, with its NUL */
    NET_QUERY_FRAG_MAX = 256, /* one argument ("key=...") as lws gives it, with its NUL */
    NET_QUERY_FRAGS = 8,     /* arguments looked at */
};

/* Appends one URI argument as lws gives them ("a=1": lws splits the query at '&' and
 * decodes each) to the query string rebuilt in query[0..cap), "&"-joined. An argument goes
 * in whole or not at all, so a value is never cut short; false when it did not fit (the
 * caller stops there). *len is the string's length so far. */
bool net_query_append(char *query, size_t cap, size_t *len, const char *frag);

#endif
