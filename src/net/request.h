/*
 * What net makes of a request before anything is served, as pure functions over bytes (no
 * sockets), so that they are fuzzed with the handlers behind them (tests/fuzz/fuzz_http.c).
 * The request line and headers are parsed by Node's http_parser (Debian's
 * libhttp-parser); this keeps the fields net uses, within fixed bounds.
 */
#ifndef COHORT_NET_REQUEST_H
#define COHORT_NET_REQUEST_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

enum {
    NET_URI_MAX = 256,        /* the decoded path, with its NUL: longer ones get 414 */
    NET_TARGET_MAX = 1024,    /* the request target as sent (path and query): 414 past it */
    NET_QUERY_MAX = 512,      /* the rebuilt query string, with its NUL */
    NET_QUERY_FRAG_MAX = 256, /* one decoded argument ("key=..."), with its NUL */
    NET_QUERY_FRAGS = 8,      /* arguments looked at */
    NET_HEADERS_MAX = 8192,   /* a request's line and headers together: 431 past it */
    NET_XFF_MAX = 1024,       /* X-Forwarded-For kept; a longer one is cut at a comma */
};

/* Appends one decoded URI argument ("a=1") to the query string rebuilt in query[0..cap),
 * "&"-joined. An argument goes in whole or not at all, so a value is never cut short;
 * false when it did not fit (the caller stops there). *len is the string's length so far. */
bool net_query_append(char *query, size_t cap, size_t *len, const char *frag);

/* One request being read. */
typedef struct {
    http_parser parser;
    size_t seen;                  /* bytes of this request fed so far */
    bool complete;                /* the request is whole (GET/HEAD: its headers) */
    int error;                    /* an HTTP status to answer with, then close; 0 = none */
    bool keep_alive, upgrade;
    bool head;                    /* HEAD: headers only */
    char target[NET_TARGET_MAX];
    size_t target_len;
    /* the headers net uses; a field over its buffer is cut (and then fails its check) */
    char h_upgrade[32], h_connection[64], h_ws_key[64], h_ws_version[8], h_auth[160];
    char h_xff[NET_XFF_MAX];
    int field;                    /* which of the above the current value goes to; -1 none */
    char field_name[32];
    size_t field_len;
    bool in_value;
} net_request;

void net_request_init(net_request *r);
/* Feeds bytes; returns how many were consumed. Stops at the end of one request
 * (r->complete) or at an error (r->error): what is left belongs to the next request, or to
 * the WebSocket after an upgrade. */
size_t net_request_feed(net_request *r, const char *data, size_t len);

/* The request target split: the path percent-decoded (false if it has %00, a bad escape,
 * no leading '/', or does not fit NET_URI_MAX), the query rebuilt from its first
 * NET_QUERY_FRAGS '&'-separated arguments, each decoded ('+' is a space). */
bool net_target_split(const char *target, size_t len, char path[NET_URI_MAX],
                      char query[NET_QUERY_MAX]);
/* A path that may be served from a folder: no "." or ".." segment, no backslash. */
bool net_path_servable(const char *path);
/* The Content-Type for a file name, by its extension; application/octet-stream when none
 * is known (a trained agent's weight shards have none; with nosniff no browser runs it). */
const char *net_mime_type(const char *path);
/* "Not Found" for 404, and so on; "" for a code we do not send. */
const char *net_status_text(int status);

#endif
