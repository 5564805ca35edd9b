/*
 * The trained agents that ship with cohort (models/, docs/AGENTS.md): the 2019
 * Overcooked-AI agents of Carroll et al., by short name and layout.
 *
 * A seat `ai:ppo_sp` on cooking/cramped_room resolves here to the files a browser loads.
 * Every shipped agent is a TensorFlow.js graph model that reads the env's "lossless2019"
 * observation and answers six probabilities in overcooked_ai's action order.
 */
#ifndef COHORT_AGENTS_CATALOG_H
#define COHORT_AGENTS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_MAX_ACTIONS 16

typedef struct {
    const char *name;    /* "ppo_sp", "ppo_sp_hrl" */
    const char *layout;  /* "cramped_room" */
    const char *dir;     /* under models/: "overcooked-2019/site/ppo_sp_cramped_room" */
    const char *obs;     /* the env observation it reads: "lossless2019" */
    int nactions;
    const int8_t *actions; /* model output i -> env action */
    const char *origin;  /* where the files come from, one line */
} agent_entry;

/* The shipped agent `name` for `env` (cooking/LAYOUT, or a variant of the layout such as
 * cooking/LAYOUT_site2019), or NULL. */
const agent_entry *agent_catalog_find(const char *name, const char *env);
/* Whether some layout has an agent called `name` (for a clear error on the wrong env). */
int agent_catalog_knows(const char *name);
size_t agent_catalog_count(void);
const agent_entry *agent_catalog_at(size_t i);

#endif
