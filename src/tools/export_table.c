/*
 * `cohort export` output: CSV tables written through temporary files and renamed into place
 * together at the end, and the codebook built from the very declarations that write the
 * header, so no column can be written without being documented.
 */
#include "../util/err.h"
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the set of files ---------------------------------------------------------------- */

typedef struct {
    char *tmp, *final;
} xfile;

struct xfiles {
    char dir[4096];
    xfile *files;
    size_t n, cap;
};

xfiles *xf_new(const char *dir)
{
    xfiles *xf = calloc(1, sizeof *xf);
    if (xf)
        snprintf(xf->dir, sizeof xf->dir, "%s", dir);
    return xf;
}

const char *xf_dir(const xfiles *xf) { return xf->dir; }

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

FILE *xf_open(xfiles *xf, const char *name, char *err, size_t errlen)
{
    char final[4096 + 256], tmp[4096 + 300];
    snprintf(final, sizeof final, "%s/%s", xf->dir, name);
    const char *slash = strrchr(name, '/');
    if (slash) {
        char sub[4096 + 256];
        snprintf(sub, sizeof sub, "%s/%.*s", xf->dir, (int)(slash - name), name);
        if (mkdirs(sub) != 0) {
            err_set(err, errlen, "%s: %s", sub, strerror(errno));
            return NULL;
        }
        snprintf(tmp, sizeof tmp, "%s/%.*s/.%s.tmp", xf->dir, (int)(slash - name), name,
                 slash + 1);
    } else {
        if (mkdirs(xf->dir) != 0) {
            err_set(err, errlen, "%s: %s", xf->dir, strerror(errno));
            return NULL;
        }
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp", xf->dir, name);
    }
    if (xf->n == xf->cap) {
        size_t cap = xf->cap ? xf->cap * 2 : 16;
        xfile *grown = realloc(xf->files, cap * sizeof *grown);
        if (!grown) {
            err_set(err, errlen, "out of memory");
            return NULL;
        }
        xf->files = grown;
        xf->cap = cap;
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        err_set(err, errlen, "%s: %s", tmp, strerror(errno));
        return NULL;
    }
    xf->files[xf->n].tmp = strdup(tmp);
    xf->files[xf->n].final = strdup(final);
    xf->n++;
    return fp;
}

int xf_commit(xfiles *xf, char *err, size_t errlen)
{
    for (size_t i = 0; i < xf->n; i++) {
        if (!xf->files[i].tmp)
            continue;
        if (rename(xf->files[i].tmp, xf->files[i].final) != 0) {
            err_set(err, errlen, "%s: %s", xf->files[i].final, strerror(errno));
            return -1;
        }
        free(xf->files[i].tmp);
        xf->files[i].tmp = NULL;
    }
    return 0;
}

void xf_free(xfiles *xf)
{
    if (!xf)
        return;
    for (size_t i = 0; i < xf->n; i++) {
        if (xf->files[i].tmp)
            unlink(xf->files[i].tmp);
        free(xf->files[i].tmp);
        free(xf->files[i].final);
    }
    free(xf->files);
    free(xf);
}

/* ---- one table ----------------------------------------------------------------------- */

#define BUF_CAP (1u << 20)

struct xtable {
    char name[128];
    char *description;
    FILE *fp;
    json_t *cols; /* codebook entries, in column order */
    char *buf;
    size_t len;
    size_t cell; /* cells written in the current row */
    bool header_done, failed;
    uint64_t rows;
};

xtable *xt_new(xfiles *xf, const char *name, const char *description, char *err,
               size_t errlen)
{
    xtable *t = calloc(1, sizeof *t);
    if (!t) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    t->description = strdup(description);
    t->cols = json_array();
    t->buf = malloc(BUF_CAP + 4096);
    t->fp = t->buf ? xf_open(xf, name, err, errlen) : NULL;
    if (!t->fp) {
        if (!t->buf)
            err_set(err, errlen, "out of memory");
        free(t->buf);
        free(t->description);
        json_decref(t->cols);
        free(t);
        return NULL;
    }
    return t;
}

json_t *xt_col(xtable *t, const char *name, const char *type, const char *unit,
               bool nullable, const char *description)
{
    if (t->header_done) {
        fprintf(stderr, "export: %s: column %s declared after the first row\n", t->name, name);
        abort();
    }
    json_t *c = json_pack("{s:s, s:s, s:s, s:b, s:s}", "name", name, "type", type, "unit",
                          unit ? unit : "", "nullable", nullable, "description", description);
    json_array_append_new(t->cols, c);
    return c;
}

json_t *xt_find_col(xtable *t, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(t->cols, i, c)
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    return NULL;
}

size_t xt_ncols(const xtable *t) { return json_array_size(t->cols); }
uint64_t xt_rows(const xtable *t) { return t->rows; }

static void flush_buf(xtable *t)
{
    if (t->len && fwrite(t->buf, 1, t->len, t->fp) != t->len)
        t->failed = true;
    t->len = 0;
}

static inline void put(xtable *t, const char *s, size_t n)
{
    if (t->len + n > BUF_CAP) {
        flush_buf(t);
        if (n > BUF_CAP) {
            if (fwrite(s, 1, n, t->fp) != n)
                t->failed = true;
            return;
        }
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void put_quoted(xtable *t, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        put(t, s, strlen(s));
        return;
    }
    put(t, "\"", 1);
    for (const char *p = s; *p;) {
        const char *q = strchr(p, '"');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        put(t, p, n);
        if (!q)
            break;
        put(t, "\"\"", 2);
        p = q + 1;
    }
    put(t, "\"", 1);
}

static void header(xtable *t)
{
    size_t i;
    json_t *c;
    json_array_foreach(t->cols, i, c) {
        if (i)
            put(t, ",", 1);
        put_quoted(t, json_string_value(json_object_get(c, "name")));
    }
    put(t, "\n", 1);
    t->header_done = true;
}

static inline void sep(xtable *t)
{
    if (!t->header_done)
        header(t);
    if (t->cell++)
        put(t, ",", 1);
}

static inline void put_digits(xtable *t, uint64_t u, bool negative)
{
    char d[24];
    int n = 0;
    do {
        d[sizeof d - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (negative)
        d[sizeof d - 1 - n++] = '-';
    put(t, d + sizeof d - n, (size_t)n);
}

void xt_uint(xtable *t, uint64_t v)
{
    sep(t);
    put_digits(t, v, false);
}

void xt_int(xtable *t, int64_t v)
{
    sep(t);
    put_digits(t, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void xt_str(xtable *t, const char *s)
{
    sep(t);
    if (s)
        put_quoted(t, s);
}

void xt_null(xtable *t) { sep(t); }

void xt_iso(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void xt_time(xtable *t, int64_t ms)
{
    if (ms <= 0) {
        xt_null(t);
        return;
    }
    char iso[40];
    xt_iso(ms, iso, sizeof iso);
    xt_str(t, iso);
}

void xt_end(xtable *t)
{
    if (!t->header_done)
        header(t);
    if (t->cell != json_array_size(t->cols)) {
        fprintf(stderr, "export: %s: a row of %zu cells, the header has %zu\n", t->name,
                t->cell, json_array_size(t->cols));
        abort(); /* a bug in the exporter: never write a shifted table */
    }
    put(t, "\n", 1);
    t->cell = 0;
    t->rows++;
}

int xt_finish(xtable *t, json_t *codebook, char *err, size_t errlen)
{
    if (!t->header_done)
        header(t);
    flush_buf(t);
    bool ok = !t->failed && fflush(t->fp) == 0 && !ferror(t->fp);
    if (fclose(t->fp) != 0)
        ok = false;
    if (!ok)
        err_set(err, errlen, "%s: write failed: %s", t->name, strerror(errno));
    else
        json_array_append_new(codebook, json_pack("{s:s, s:s, s:I, s:O}", "file", t->name,
                                                  "description", t->description, "rows",
                                                  (json_int_t)t->rows, "columns", t->cols));
    json_decref(t->cols);
    free(t->description);
    free(t->buf);
    free(t);
    return ok ? 0 : -1;
}

json_t *xt_labels(int32_t min, uint32_t n, const char *const *labels)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:i, s:s}", "value", (int)(min + (int32_t)i),
                                           "label", labels[i] ? labels[i] : ""));
    return a;
}

json_t *xt_words(const char *const *words)
{
    json_t *a = json_array();
    for (size_t i = 0; words[i]; i++)
        json_array_append_new(a, json_string(words[i]));
    return a;
}

/* ---- codebook.md ----------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 8192;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown)
            return;
        b->p = grown;
        b->cap = cap;
    }
}

/* A cell of a markdown table: | would end the cell, a line end the row. */
static void sb_cell(sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '|')
            sb_add(b, "\\|");
        else if (*p == '\n' || *p == '\r')
            sb_add(b, " ");
        else
            sb_add(b, "%c", *p);
    }
}

static void allowed_text(sbuf *b, const json_t *c)
{
    size_t start = b->len;
    const json_t *vals = json_object_get(c, "values");
    const json_t *min = json_object_get(c, "min"), *max = json_object_get(c, "max");
    if (json_is_array(vals)) {
        size_t i;
        const json_t *v;
        json_array_foreach(vals, i, v) {
            if (i)
                sb_add(b, ", ");
            if (json_is_string(v)) {
                sb_add(b, "`");
                sb_cell(b, json_string_value(v));
                sb_add(b, "`");
            } else {
                sb_add(b, "%" JSON_INTEGER_FORMAT " ", json_integer_value(json_object_get(v, "value")));
                sb_cell(b, json_string_value(json_object_get(v, "label")));
            }
        }
    } else if (json_is_integer(min) || json_is_integer(max)) {
        if (json_is_integer(min))
            sb_add(b, "%" JSON_INTEGER_FORMAT, json_integer_value(min));
        sb_add(b, " .. ");
        if (json_is_integer(max))
            sb_add(b, "%" JSON_INTEGER_FORMAT, json_integer_value(max));
    }
    if (json_is_true(json_object_get(c, "nullable")))
        sb_add(b, "%sempty allowed", b->len > start ? "; " : "");
}

char *xt_codebook_md(const json_t *doc)
{
    sbuf b = {0};
    sb_add(&b, "# Codebook: %s\n\n", json_string_value(json_object_get(doc, "experiment")));
    sb_add(&b, "Generated by `cohort export` with the tables beside it; `codebook.json` holds "
               "the same in JSON. Types: `integer` (decimal), `boolean` (0 or 1), `string`, "
               "`datetime` (ISO 8601 UTC with milliseconds), `decimal` (an amount of money "
               "with two decimals, e.g. 1.02). An empty cell is a missing "
               "value; only columns marked \"empty allowed\" have any. How to load the tables: "
               "docs/DATA.md.\n\n");
    const json_t *notes = json_object_get(doc, "notes");
    if (json_is_array(notes) && json_array_size(notes)) {
        size_t i;
        const json_t *n;
        json_array_foreach(notes, i, n)
            sb_add(&b, "- %s\n", json_string_value(n));
        sb_add(&b, "\n");
    }
    size_t ti;
    const json_t *tab;
    json_array_foreach(json_object_get(doc, "tables"), ti, tab) {
        sb_add(&b, "## %s\n\n%s (%" JSON_INTEGER_FORMAT " rows)\n\n",
               json_string_value(json_object_get(tab, "file")),
               json_string_value(json_object_get(tab, "description")),
               json_integer_value(json_object_get(tab, "rows")));
        sb_add(&b, "| column | type | unit | allowed values | meaning |\n|---|---|---|---|---|\n");
        size_t ci;
        const json_t *c;
        json_array_foreach(json_object_get(tab, "columns"), ci, c) {
            sb_add(&b, "| `");
            sb_cell(&b, json_string_value(json_object_get(c, "name")));
            sb_add(&b, "` | %s | ", json_string_value(json_object_get(c, "type")));
            sb_cell(&b, json_string_value(json_object_get(c, "unit")));
            sb_add(&b, " | ");
            size_t before = b.len;
            allowed_text(&b, c);
            if (b.len == before)
                sb_add(&b, " ");
            sb_add(&b, " | ");
            sb_cell(&b, json_string_value(json_object_get(c, "description")));
            const json_t *envs = json_object_get(c, "envs");
            if (json_is_array(envs)) {
                sb_add(&b, " (");
                size_t ei;
                const json_t *e;
                json_array_foreach(envs, ei, e)
                    sb_add(&b, "%s%s", ei ? ", " : "", json_string_value(e));
                sb_add(&b, ")");
            }
            sb_add(&b, " |\n");
        }
        sb_add(&b, "\n");
    }
    return b.p;
}
