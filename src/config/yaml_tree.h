/*
 * A small read-only YAML tree with a source position on every node.
 *
 * libfyaml 0.7 has no public way to ask a mapping or a sequence node where it starts, and
 * every config error must point at a line and column. So the config loader does not use
 * libfyaml's document tree: it builds this one from the parser's events, where every
 * event carries its mark.
 *
 * The builder also refuses what an experiment file never needs and a hostile file could
 * abuse: more than one document, anchors, aliases, tags, deep nesting and huge node
 * counts. Duplicate keys are kept (the schema walk reports them with both positions).
 */
#ifndef COHORT_CONFIG_YAML_TREE_H
#define COHORT_CONFIG_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#define YTREE_MAX_DEPTH 32      /* nested mappings/sequences; a valid file needs 6 */
#define YTREE_MAX_NODES 100000  /* a valid file needs a few thousand at most */

typedef enum { YNODE_SCALAR, YNODE_MAPPING, YNODE_SEQUENCE } ynode_kind;

typedef struct ynode ynode;
struct ynode {
    ynode_kind kind;
    int line, col;      /* 1-based */
    /* Scalars: NUL-terminated text (never contains a NUL itself). */
    const char *text;
    size_t len;
    bool is_null;       /* an empty plain scalar, `~` or `null`: "nothing was written" */
    bool flow;          /* a [...] or {...} collection */
    /* Mappings and sequences: items in file order. A mapping stores its pairs as
     * key, value, key, value ... so a key's value is always key->next. */
    ynode *first;
    ynode *last;
    size_t count;       /* sequence: items; mapping: pairs */
    ynode *next;        /* next sibling */
};

typedef struct ytree ytree;

typedef struct {
    int line, col;      /* 1-based */
    bool syntax;        /* libfyaml rejected the text (rather than a limit of ours) */
    char msg[200];
} ytree_error;

/*
 * Parse `len` bytes of YAML. On success returns a tree whose root may be NULL (an empty
 * document). On failure returns NULL and fills err. The text must stay alive only during
 * the call.
 */
ytree *ytree_parse(const char *text, size_t len, ytree_error *err);
const ynode *ytree_root(const ytree *tree);
void ytree_free(ytree *tree);

/* Mapping pairs: for (const ynode *k = map->first; k; k = ynode_next_key(k)) ... */
static inline const ynode *ynode_value(const ynode *key) { return key->next; }
static inline const ynode *ynode_next_key(const ynode *key) { return key->next->next; }

#endif
