/* Typed readers for YAML nodes and the loader's single error line. */
#include "config/config_values.h"
#include "util/ident.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 40 /* longest piece of user text quoted back in a message */

/* ---- errors ---- */

__attribute__((format(printf, 4, 0)))
static bool vfail(cfg_ctx *c, int line, int col, const char *fmt, va_list ap)
{
    if (!c->err || c->errlen == 0)
        return false;
    int n = snprintf(c->err, c->errlen, "%s:%d:%d: ", c->file, line, col);
    if (n >= 0 && (size_t)n < c->errlen)
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    /* One line, whatever the file name contained. */
    for (char *p = c->err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return false;
}

bool cfg_fail_at(cfg_ctx *c, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, line, col, fmt, ap);
    va_end(ap);
    return false;
}

bool cfg_fail(cfg_ctx *c, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, at->line, at->col, fmt, ap);
    va_end(ap);
    return false;
}

const char *cfg_quote(char *buf, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* Room for the longest escape, "...", the quote and the NUL. */
        if (o + 4 + 5 >= cap || (o > QUOTE_MAX && (ch & 0xC0) != 0x80)) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (ch == '\t') {
            buf[o++] = '\\';
            buf[o++] = 't';
        } else if (ch < 0x20 || ch == 0x7F) {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[ch >> 4];
            buf[o++] = hex[ch & 15];
        } else {
            buf[o++] = (char)ch;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

const char *cfg_got(cfg_ctx *c, const ynode *n)
{
    if (!n || (n->kind == YNODE_SCALAR && n->is_null))
        return "nothing";
    if (n->kind == YNODE_MAPPING)
        return "a mapping";
    if (n->kind == YNODE_SEQUENCE)
        return "a list";
    return cfg_quote(c->got, sizeof c->got, n->text, n->len);
}

bool cfg_is(const ynode *n, const char *word)
{
    return n && n->kind == YNODE_SCALAR && !n->is_null && strcmp(n->text, word) == 0;
}

/* ---- mappings and lists ---- */

static bool key_is_name(const ynode *k)
{
    return k->kind == YNODE_SCALAR && !k->is_null && k->len > 0;
}

static bool bad_key(cfg_ctx *c, const ynode *k, const char *where)
{
    return cfg_fail(c, k, "keys %s must be names, got %s", where, cfg_got(c, k));
}

/* "a, b, c" for the expected-keys list. */
static void join_keys(char *buf, size_t cap, const cfg_schema *s)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->nkeys && o < cap; i++) {
        int n = snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", s->keys[i]);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

bool cfg_mapping(cfg_ctx *c, const ynode *n, const cfg_schema *s, cfg_field *out)
{
    if (n->kind != YNODE_MAPPING)
        return cfg_fail(c, n, "%s must be a mapping, got %s", s->name, cfg_got(c, n));
    for (size_t i = 0; i < s->nkeys; i++)
        out[i] = (cfg_field){0};
    for (const ynode *k = n->first; k; k = ynode_next_key(k)) {
        if (!key_is_name(k))
            return bad_key(c, k, s->where);
        size_t i = 0;
        while (i < s->nkeys && strcmp(k->text, s->keys[i]) != 0)
            i++;
        if (i == s->nkeys) {
            char expected[512];
            join_keys(expected, sizeof expected, s);
            return cfg_fail(c, k, "unknown key %s %s (expected one of: %s)", cfg_got(c, k),
                            s->where, expected);
        }
        if (out[i].key)
            return cfg_fail(c, k, "duplicate key %s %s (first at line %d)", cfg_got(c, k),
                            s->where, out[i].key->line);
        out[i].key = k;
        out[i].val = ynode_value(k);
    }
    return true;
}

bool cfg_require(cfg_ctx *c, const ynode *map, const cfg_schema *s, const cfg_field *f,
                 size_t i)
{
    if (f[i].key)
        return true;
    return cfg_fail(c, map, "missing key \"%s\" %s", s->keys[i], s->where);
}

bool cfg_free_mapping(cfg_ctx *c, const ynode *n, const char *name, const char *where,
                      size_t max_pairs)
{
    if (n->kind != YNODE_MAPPING)
        return cfg_fail(c, n, "%s must be a mapping, got %s", name, cfg_got(c, n));
    if (n->count < 1 || n->count > max_pairs)
        return cfg_fail(c, n, "%s must have 1 to %zu entries, got %zu", name, max_pairs,
                        n->count);
    /* Quadratic, but bounded by max_pairs (checked above). */
    for (const ynode *k = n->first; k; k = ynode_next_key(k)) {
        if (!key_is_name(k))
            return bad_key(c, k, where);
        for (const ynode *p = n->first; p != k; p = ynode_next_key(p))
            if (p->len == k->len && memcmp(p->text, k->text, k->len) == 0)
                return cfg_fail(c, k, "duplicate key %s %s (first at line %d)", cfg_got(c, k),
                                where, p->line);
    }
    return true;
}

bool cfg_list(cfg_ctx *c, const ynode *n, const char *name, const char *what, size_t min,
              size_t max)
{
    if (n->kind != YNODE_SEQUENCE)
        return cfg_fail(c, n, "%s must be a list of %s, got %s", name, what, cfg_got(c, n));
    if (n->count < min || n->count > max) {
        if (min == max)
            return cfg_fail(c, n, "%s must list exactly %zu %s, got %zu", name, min, what,
                            n->count);
        return cfg_fail(c, n, "%s must list %zu to %zu %s, got %zu", name, min, max, what,
                        n->count);
    }
    return true;
}

/* ---- scalars ---- */

/*
 * Scalars are read by what the field expects, whatever their YAML style: `fps: "30"` is
 * 30. The text must still be exactly right: no spaces, no "1e3", no "0x1e", no "30.0".
 */
static bool parse_int(const char *s, long long *out)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    size_t digits = strspn(p, "0123456789");
    if (digits == 0 || digits > 12 || p[digits] != '\0')
        return false;
    errno = 0;
    *out = strtoll(s, NULL, 10);
    return errno == 0;
}

bool cfg_parse_int(const ynode *n, int lo, int hi, int *out)
{
    long long v;
    if (n->kind != YNODE_SCALAR || n->is_null || !parse_int(n->text, &v) || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

bool cfg_int(cfg_ctx *c, const ynode *n, const char *name, int lo, int hi, int *out)
{
    if (cfg_parse_int(n, lo, hi, out))
        return true;
    return cfg_fail(c, n, "%s must be an integer from %d to %d, got %s", name, lo, hi,
                    cfg_got(c, n));
}

bool cfg_bool(cfg_ctx *c, const ynode *n, const char *name, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    for (size_t i = 0; i < 3; i++) {
        if (cfg_is(n, yes[i]) || cfg_is(n, no[i])) {
            *out = cfg_is(n, yes[i]);
            return true;
        }
    }
    return cfg_fail(c, n, "%s must be true or false, got %s", name, cfg_got(c, n));
}

bool cfg_string(cfg_ctx *c, const ynode *n, const char *name, char *out, size_t cap)
{
    if (n->kind != YNODE_SCALAR || n->is_null)
        return cfg_fail(c, n, "%s must be a string, got %s", name, cfg_got(c, n));
    if (n->len >= cap)
        return cfg_fail(c, n, "%s is too long (%zu bytes; at most %zu)", name, n->len,
                        cap - 1);
    memcpy(out, n->text, n->len + 1);
    return true;
}

bool cfg_ident(cfg_ctx *c, const ynode *n, const char *name, const char *extra, char *out,
               size_t cap)
{
    bool ok = n->kind == YNODE_SCALAR && !n->is_null && n->len < cap &&
              ident_valid(n->text, cap - 1, extra);
    if (!ok) {
        char also[64] = "\"_\" or \"-\"";
        if (*extra)
            snprintf(also, sizeof also, "\"_\", \"-\" or \"%s\"", extra);
        return cfg_fail(c, n, "%s must be 1 to %zu letters, digits, %s, got %s", name,
                        cap - 1, also, cfg_got(c, n));
    }
    memcpy(out, n->text, n->len + 1);
    return true;
}
