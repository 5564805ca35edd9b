/*
 * The shipped agents (catalog.h). Two sets of the same three kinds, both from the authors
 * of the 2019 study and both byte for byte as published (models/README.md has the
 * digests):
 *   ppo_sp, ppo_bc, pbt            the agents the 2019 human-AI experiment site loaded
 *                                  (HumanCompatibleAI/overcooked-hAI-exp, static/assets)
 *   ppo_sp_hrl, ppo_bc_hrl, pbt_hrl  the agents human_aware_rl released with the paper
 *                                  (human_aware_rl/data/web_models), named there with
 *                                  their training seeds
 */
#include "catalog.h"

#include <string.h>

/* overcooked_ai's actions are north, south, east, west, stay, interact; the cooking env's
 * are up, down, left, right, stay, interact (envs/cooking/cooking.h). */
static const int8_t overcooked_actions[6] = {0, 1, 3, 2, 4, 5};

#define SITE "HumanCompatibleAI/overcooked-hAI-exp static/assets (the 2019 human-AI study site)"
#define HRL "HumanCompatibleAI/human_aware_rl human_aware_rl/data/web_models"
#define SITE_AGENT(kind, layout)                                                           \
    {kind, layout, "overcooked-2019/site/" kind "_" layout, "lossless2019", 6,               \
     overcooked_actions, SITE}
#define HRL_AGENT(kind, layout, seed)                                                      \
    {kind "_hrl", layout, "overcooked-2019/hrl/" kind "_" layout "_seed" seed, "lossless2019", \
     6, overcooked_actions, HRL " (" kind ", training seed " seed ")"}
#define SITE_KIND(kind)                                                                    \
    SITE_AGENT(kind, "cramped_room"), SITE_AGENT(kind, "asymmetric_advantages"),          \
        SITE_AGENT(kind, "coordination_ring"), SITE_AGENT(kind, "forced_coordination"),   \
        SITE_AGENT(kind, "counter_circuit")

static const agent_entry catalog[] = {
    SITE_KIND("ppo_sp"),
    SITE_KIND("ppo_bc"),
    SITE_KIND("pbt"),
    HRL_AGENT("ppo_sp", "cramped_room", "386"),
    HRL_AGENT("ppo_sp", "asymmetric_advantages", "9807"),
    HRL_AGENT("ppo_sp", "coordination_ring", "2229"),
    HRL_AGENT("ppo_sp", "forced_coordination", "9807"),
    HRL_AGENT("ppo_sp", "counter_circuit", "7649"),
    HRL_AGENT("ppo_bc", "cramped_room", "4467"),
    HRL_AGENT("ppo_bc", "asymmetric_advantages", "2888"),
    HRL_AGENT("ppo_bc", "coordination_ring", "7360"),
    HRL_AGENT("ppo_bc", "forced_coordination", "7360"),
    HRL_AGENT("ppo_bc", "counter_circuit", "7360"),
    HRL_AGENT("pbt", "cramped_room", "8015"),
    HRL_AGENT("pbt", "asymmetric_advantages", "581"),
    HRL_AGENT("pbt", "coordination_ring", "4221"),
    HRL_AGENT("pbt", "forced_coordination", "581"),
    HRL_AGENT("pbt", "counter_circuit", "4221"),
};

#define NCATALOG (sizeof catalog / sizeof catalog[0])

/* "cooking/cramped_room" and "cooking/cramped_room_site2019" are both cramped_room: a
 * variant of a layout keeps its grid, so the layout's agents play it. */
static int env_is_layout(const char *env, const char *layout)
{
    static const char family[] = "cooking/";
    if (strncmp(env, family, sizeof family - 1) != 0)
        return 0;
    const char *name = env + sizeof family - 1;
    size_t n = strlen(layout);
    return strncmp(name, layout, n) == 0 && (name[n] == '\0' || name[n] == '_');
}

const agent_entry *agent_catalog_find(const char *name, const char *env)
{
    for (size_t i = 0; i < NCATALOG; i++)
        if (strcmp(catalog[i].name, name) == 0 && env_is_layout(env, catalog[i].layout))
            return &catalog[i];
    return NULL;
}

int agent_catalog_knows(const char *name)
{
    for (size_t i = 0; i < NCATALOG; i++)
        if (strcmp(catalog[i].name, name) == 0)
            return 1;
    return 0;
}

size_t agent_catalog_count(void) { return NCATALOG; }

const agent_entry *agent_catalog_at(size_t i) { return i < NCATALOG ? &catalog[i] : NULL; }
