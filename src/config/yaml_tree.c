/* YAML events -> ynode tree (see yaml_tree.h for why it exists). */
#include "config/yaml_tree.h"

#include <libfyaml.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: every node and string of a tree, freed at once ---- */

#define ARENA_BLOCK (64 * 1024)

typedef struct block {
    struct block *prev;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
} block;

struct ytree {
    block *blocks;
    const ynode *root;
};

static void *arena_alloc(ytree *t, size_t n)
{
    n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    block *b = t->blocks;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->prev = t->blocks;
        b->used = 0;
        b->size = size;
        t->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void ytree_free(ytree *t)
{
    if (!t)
        return;
    for (block *b = t->blocks, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    free(t);
}

const ynode *ytree_root(const ytree *t) { return t->root; }

/* ---- builder ---- */

typedef struct {
    ytree *tree;
    struct fy_parser *parser;
    struct fy_diag *diag;
    ytree_error *err;
    const char *text; /* the input, to check what a mark points at */
    size_t len;
    ynode *stack[YTREE_MAX_DEPTH];
    int depth;
    size_t nodes;
    int documents;
    int line, col; /* the last position seen: empty scalars have none of their own */
} builder;

__attribute__((format(printf, 4, 0)))
static bool vfail_at(builder *b, int line, int col, const char *fmt, va_list ap)
{
    b->err->line = line > 0 ? line : 1;
    b->err->col = col > 0 ? col : 1;
    vsnprintf(b->err->msg, sizeof b->err->msg, fmt, ap);
    return false;
}

__attribute__((format(printf, 4, 5)))
static bool fail_at(builder *b, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(b, line, col, fmt, ap);
    va_end(ap);
    return false;
}

/* At the last position seen. */
__attribute__((format(printf, 2, 3)))
static bool fail(builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(b, b->line, b->col, fmt, ap);
    va_end(ap);
    return false;
}

/* Remember where this event starts; events without a mark keep the previous one. */
static void track_mark(builder *b, const struct fy_mark *m)
{
    if (m && m->line >= 0) {
        b->line = m->line + 1;
        b->col = m->column + 1;
    }
}

/* Anchor and alias marks point at the name; step back onto the '&' or '*'. */
static void track_name_mark(builder *b, const struct fy_mark *m)
{
    track_mark(b, m);
    if (m && b->col > 1)
        b->col--;
}

static bool refuse_decorations(builder *b, struct fy_token *anchor, struct fy_token *tag)
{
    if (anchor) {
        track_name_mark(b, fy_token_start_mark(anchor));
        return fail(b, "anchors (&NAME) and aliases are not supported; write the value out");
    }
    if (tag) {
        track_mark(b, fy_token_start_mark(tag));
        return fail(b, "tags (!NAME) are not supported; write a plain value");
    }
    return true;
}

static ynode *new_node(builder *b, ynode_kind kind)
{
    if (++b->nodes > YTREE_MAX_NODES) {
        fail(b, "too many values (more than %d); an experiment file needs far fewer",
             YTREE_MAX_NODES);
        return NULL;
    }
    ynode *n = arena_alloc(b->tree, sizeof *n);
    if (!n) {
        fail(b, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = b->line;
    n->col = b->col;
    return n;
}

/* Hang a new node under the open collection, or make it the document's root. */
static void attach(builder *b, ynode *n)
{
    if (b->depth == 0) {
        b->tree->root = n;
        return;
    }
    ynode *parent = b->stack[b->depth - 1];
    if (parent->last)
        parent->last->next = n;
    else
        parent->first = n;
    parent->last = n;
    parent->count++;
}

static bool is_null_text(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* Does the token's source text (between its quotes) contain ''? */
static bool has_quote_escape(const builder *b, struct fy_token *t)
{
    const struct fy_mark *start = fy_token_start_mark(t), *end = fy_token_end_mark(t);
    if (!start || !end || end->input_pos > b->len || start->input_pos >= end->input_pos)
        return false;
    size_t n = end->input_pos - start->input_pos;
    const char *src = b->text + start->input_pos;
    for (size_t i = 0; i + 1 < n; i++)
        if (src[i] == '\'' && src[i + 1] == '\'')
            return true;
    return false;
}

static bool on_scalar(builder *b, struct fy_event *e)
{
    if (!refuse_decorations(b, e->scalar.anchor, e->scalar.tag))
        return false;
    /* A quoted scalar's mark is its first character; point at the opening quote. */
    enum fy_scalar_style style = fy_token_scalar_style(e->scalar.value);
    const struct fy_mark *m = fy_event_start_mark(e);
    if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && m && b->col > 1 &&
        m->input_pos > 0 && m->input_pos <= b->len &&
        (b->text[m->input_pos - 1] == '"' || b->text[m->input_pos - 1] == '\''))
        b->col--;
    /* libfyaml 0.7.12 garbles (and leaks) the text of a single-quoted scalar with ''
     * escapes, so those never reach fy_token_get_text. */
    if (style == FYSS_SINGLE_QUOTED && has_quote_escape(b, e->scalar.value))
        return fail(b, "'' inside single quotes is not supported; put this value in double "
                       "quotes (\"...\")");
    size_t len = 0;
    const char *text = fy_token_get_text(e->scalar.value, &len);
    if (!text) {
        text = "";
        len = 0;
    }
    if (memchr(text, '\0', len))
        return fail(b, "NUL characters (\\0) are not allowed in values");
    ynode *n = new_node(b, YNODE_SCALAR);
    if (!n)
        return false;
    char *copy = arena_alloc(b->tree, len + 1);
    if (!copy)
        return fail(b, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    n->text = copy;
    n->len = len;
    n->is_null = style == FYSS_PLAIN && is_null_text(text, len);
    attach(b, n);
    return true;
}

static bool on_collection_start(builder *b, struct fy_event *e, ynode_kind kind,
                                struct fy_token *anchor, struct fy_token *tag)
{
    if (!refuse_decorations(b, anchor, tag))
        return false;
    if (b->depth == YTREE_MAX_DEPTH)
        return fail(b, "nesting is deeper than %d levels", YTREE_MAX_DEPTH);
    ynode *n = new_node(b, kind);
    if (!n)
        return false;
    n->flow = fy_event_get_node_style(e) == FYNS_FLOW;
    attach(b, n);
    b->stack[b->depth++] = n;
    return true;
}

/* Returns false on an error (err filled). */
static bool on_event(builder *b, struct fy_event *e)
{
    switch (e->type) {
    case FYET_DOCUMENT_START:
        if (++b->documents > 1)
            return fail(b, "only one YAML document is allowed in an experiment file "
                           "(remove the second \"---\")");
        return true;
    case FYET_MAPPING_START:
        return on_collection_start(b, e, YNODE_MAPPING, e->mapping_start.anchor,
                                   e->mapping_start.tag);
    case FYET_SEQUENCE_START:
        return on_collection_start(b, e, YNODE_SEQUENCE, e->sequence_start.anchor,
                                   e->sequence_start.tag);
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        if (b->depth > 0)
            b->depth--;
        return true;
    case FYET_SCALAR:
        return on_scalar(b, e);
    case FYET_ALIAS:
        track_name_mark(b, fy_event_start_mark(e));
        return fail(b, "aliases (*NAME) and anchors are not supported; write the value out");
    default:
        return true;
    }
}

/* The innermost open [...] (or {...}): an unclosed one is reported at the end of the
 * file, but the place to fix is where it opens. */
static const ynode *open_flow(const builder *b, ynode_kind kind)
{
    for (int i = b->depth - 1; i >= 0; i--)
        if (b->stack[i]->kind == kind && b->stack[i]->flow)
            return b->stack[i];
    return NULL;
}

/* The parser stopped on a syntax error: report libfyaml's first collected error. */
static bool syntax_error(builder *b)
{
    void *it = NULL;
    struct fy_diag_error *de;
    while ((de = fy_diag_errors_iterate(b->diag, &it))) {
        if (de->type >= FYET_ERROR && de->msg) {
            b->err->syntax = true;
            const ynode *at = NULL;
            if (strstr(de->msg, "closing bracket"))
                at = open_flow(b, YNODE_SEQUENCE);
            else if (strstr(de->msg, "closing brace"))
                at = open_flow(b, YNODE_MAPPING);
            if (at)
                return fail_at(b, at->line, at->col, "YAML syntax error: %s", de->msg);
            return fail_at(b, de->line, de->column, "YAML syntax error: %s", de->msg);
        }
    }
    b->err->syntax = true;
    return fail(b, "YAML syntax error");
}

static void discard_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

static bool build(builder *b, const char *text, size_t len)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard_output;
    dcfg.colorize = false;
    b->diag = fy_diag_create(&dcfg);
    if (!b->diag)
        return fail(b, "out of memory");
    fy_diag_set_collect_errors(b->diag, true);

    struct fy_parse_cfg cfg = {
        .flags = FYPCF_QUIET | FYPCF_JSON_NONE | FYPCF_DISABLE_MMAP_OPT,
        .diag = b->diag,
    };
    b->parser = fy_parser_create(&cfg);
    if (!b->parser || fy_parser_set_string(b->parser, text, len) != 0)
        return fail(b, "out of memory");

    struct fy_event *e;
    while ((e = fy_parser_parse(b->parser))) {
        track_mark(b, fy_event_start_mark(e));
        bool ok = on_event(b, e);
        fy_parser_event_free(b->parser, e);
        if (!ok)
            return false;
    }
    if (fy_parser_get_stream_error(b->parser))
        return syntax_error(b);
    return true;
}

ytree *ytree_parse(const char *text, size_t len, ytree_error *err)
{
    builder b = {.err = err, .text = text, .len = len, .line = 1, .col = 1};
    err->syntax = false;
    b.tree = calloc(1, sizeof *b.tree);
    if (!b.tree) {
        fail(&b, "out of memory");
        return NULL;
    }
    bool ok = build(&b, text, len);
    if (b.parser)
        fy_parser_destroy(b.parser);
    if (b.diag)
        fy_diag_destroy(b.diag);
    if (!ok) {
        ytree_free(b.tree);
        return NULL;
    }
    return b.tree;
}
