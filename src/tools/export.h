/*
 * The output side of `cohort export` (docs/DATA.md), shared by its source files:
 *   export_table.c       CSV tables written through temporary files, each column documented
 *                        as it is declared, and the codebook made from those declarations
 *   export_overcooked.c  cooking episodes in Overcooked-AI's trajectory JSON
 * The reading and the tables themselves are in export.c, export_db.c, export_frames.c and
 * export_people.c (export_internal.h).
 */
#ifndef COHORT_EXPORT_H
#define COHORT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "env.h"

/* Column types, as the codebook names them. */
#define XT_INTEGER "integer"   /* decimal digits, maybe a leading '-' */
#define XT_STRING "string"     /* text, RFC 4180 quoted when it holds , " or a line end */
#define XT_BOOLEAN "boolean"   /* 0 or 1 */
#define XT_DATETIME "datetime" /* ISO 8601 UTC with milliseconds: 2025-01-31T12:00:00.000Z */
#define XT_DECIMAL "decimal"   /* digits, a point and two decimals: money, a period in ms */

/* ---- The set of output files: everything goes to temporary names first and is renamed
 * into place only when the whole export succeeded. ---- */
typedef struct xfiles xfiles;
xfiles *xf_new(const char *dir);
/* Opens dir/.NAME.tmp for writing (creating subfolders of NAME). NULL with err set. */
FILE *xf_open(xfiles *xf, const char *name, char *err, size_t errlen);
/* Renames every file into place. 0, or -1 with err set. */
int xf_commit(xfiles *xf, char *err, size_t errlen);
/* Removes every temporary file (after a failure) and frees xf. */
void xf_free(xfiles *xf);
const char *xf_dir(const xfiles *xf);

/* ---- One CSV table ---- */
typedef struct xtable xtable;
xtable *xt_new(xfiles *xf, const char *name, const char *description, char *err,
               size_t errlen);
/* Declares the next column and returns its codebook entry (owned by the table), to which
 * the caller may add "min", "max", "values" or "envs". Columns are declared before the
 * first row. */
json_t *xt_col(xtable *t, const char *name, const char *type, const char *unit,
               bool nullable, const char *description);
/* The column's codebook entry by name, or NULL. */
json_t *xt_find_col(xtable *t, const char *name);
size_t xt_ncols(const xtable *t);
/* Cells of the current row, in column order. xt_end checks the count and ends the row. */
void xt_int(xtable *t, int64_t v);
void xt_uint(xtable *t, uint64_t v);
void xt_str(xtable *t, const char *s); /* NULL: an empty cell */
void xt_null(xtable *t);
void xt_time(xtable *t, int64_t ms);   /* XT_DATETIME; <= 0: an empty cell */
void xt_end(xtable *t);
uint64_t xt_rows(const xtable *t);
/* Writes the rest, closes the file and appends the table's entry to `codebook` (an
 * array). 0, or -1 with err set. Frees t either way. */
int xt_finish(xtable *t, json_t *codebook, char *err, size_t errlen);

/* codebook.md from the codebook JSON's tables (what codebook.json holds). */
char *xt_codebook_md(const json_t *codebook_doc);

/* "values" for an enum column: [{"value": min + i, "label": labels[i]}...] */
json_t *xt_labels(int32_t min, uint32_t n, const char *const *labels);
/* "values" for a string column with a fixed vocabulary: ["a", "b", ...] (NULL-ended). */
json_t *xt_words(const char *const *words);

/* ISO 8601 UTC with milliseconds into buf (at least 32 bytes). */
void xt_iso(int64_t ms, char *buf, size_t len);

/* ---- Overcooked-AI ---- */
/* One cooking episode, written while it is re-simulated: begin, a step per frame (the
 * state before the step, the joint action, the rewards), end. */
typedef struct xoc xoc;
xoc *xoc_begin(FILE *fp, const env_def *env, const char *game, uint32_t episode,
               uint32_t horizon, const char *const *seats);
void xoc_step(xoc *o, const void *state_before, const int32_t *actions, const int32_t *rewards,
              bool done);
/* Finishes the JSON; 0, or -1 when the file could not be written. Frees o. */
int xoc_end(xoc *o);
/* Overcooked-AI's action index for a cohort cooking action (0 north, 1 south, 2 east,
 * 3 west, 4 stay, 5 interact). */
int xoc_action_index(int32_t cohort_action);

#endif
