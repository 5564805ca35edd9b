/*
 * Schema helpers for the experiment loader: typed readers for YAML nodes and the one
 * error line. Internal to src/config/.
 *
 * Every reader either stores a value and returns true, or writes exactly one message
 * "FILE:LINE:COL: what was expected, got what was there" pointing at the offending node
 * and returns false. The first error stops the load, so callers just `return false`.
 */
#ifndef COHORT_CONFIG_VALUES_H
#define COHORT_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "config/yaml_tree.h"

typedef struct {
    const char *file; /* as given by the caller */
    char *err;
    size_t errlen;
    char got[128];    /* scratch for cfg_got */
} cfg_ctx;

/* Write "FILE:LINE:COL: message" (a single line) and return false. */
bool cfg_fail_at(cfg_ctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool cfg_fail(cfg_ctx *c, const ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What a node holds, for "got ...": "\"fast\"", "nothing", "a list" or "a mapping".
 * Scalars are quoted, escaped and shortened so the message stays one readable line. */
const char *cfg_got(cfg_ctx *c, const ynode *n);
/* A short quoted form of any text (same rules as cfg_got). */
const char *cfg_quote(char *buf, size_t cap, const char *s, size_t len);

/* A mapping with a fixed set of keys. `keys` has `nkeys` entries, in the order the
 * "expected one of" list shows them. */
typedef struct {
    const char *name;  /* "game": for "game must be a mapping" */
    const char *where; /* "in game": for unknown, duplicate and missing key messages */
    const char *const *keys;
    size_t nkeys;
} cfg_schema;

typedef struct {
    const ynode *key; /* NULL when the key is absent */
    const ynode *val;
} cfg_field;

/* Check that `n` is a mapping whose keys are all in the schema, each at most once, and
 * fill out[i] for schema key i. */
bool cfg_mapping(cfg_ctx *c, const ynode *n, const cfg_schema *s, cfg_field *out);
/* Fail with `missing key "K" where` (pointing at the mapping) unless out[i] is set. */
bool cfg_require(cfg_ctx *c, const ynode *map, const cfg_schema *s, const cfg_field *f,
                 size_t i);
/* A mapping with free-form keys (e.g. key bindings): 1..max_pairs pairs, every key a
 * non-empty string, no key twice. */
bool cfg_free_mapping(cfg_ctx *c, const ynode *n, const char *name, const char *where,
                      size_t max_pairs);
/* A sequence of min..max items. `what` completes "NAME must be a list of WHAT". */
bool cfg_list(cfg_ctx *c, const ynode *n, const char *name, const char *what, size_t min,
              size_t max);

/* An integer in lo..hi: "NAME must be an integer from LO to HI, got ..." otherwise.
 * cfg_parse_int is the same check without the message. */
bool cfg_int(cfg_ctx *c, const ynode *n, const char *name, int lo, int hi, int *out);
bool cfg_parse_int(const ynode *n, int lo, int hi, int *out);
bool cfg_bool(cfg_ctx *c, const ynode *n, const char *name, bool *out);
/* Any non-null scalar of at most cap-1 bytes. */
bool cfg_string(cfg_ctx *c, const ynode *n, const char *name, char *out, size_t cap);
/* 1..cap-1 characters of [A-Za-z0-9_-] plus the characters in `extra` (may be ""). */
bool cfg_ident(cfg_ctx *c, const ynode *n, const char *name, const char *extra, char *out,
               size_t cap);

/* Is the scalar node's text exactly `word`? (false for non-scalars) */
bool cfg_is(const ynode *n, const char *word);

#endif
