/*
 * What the experiment loader's files share (config.c reads scenes and everything else;
 * design.c reads the design around them: the plan, conditions, exit routes). Internal to
 * src/config/.
 */
#ifndef COHORT_CONFIG_LOADER_H
#define COHORT_CONFIG_LOADER_H

#include "config/config.h"
#include "config/config_values.h"
#include "config/yaml_tree.h"

typedef struct {
    cfg_ctx c;
    const config_hooks *hooks;
    experiment *x;
    const char *text; /* the file, for hints after a syntax error */
    size_t len;
    int place; /* the scene being loaded: its index among the base scenes, or its base's */
    const ynode *same_as_at[CFG_MAX_SCENES]; /* each base scene's partners.same_as, for errors */
} loader;

/* config.c: one scene mapping into s, its id followed by `suffix` (a repetition's "-2"),
 * with *id_node the node of its id as written. */
bool loader_scene(loader *L, const ynode *n, const char *suffix, scene_spec *s,
                  const ynode **id_node);

/* config.c: after every scene is loaded, the rule that one group is kept at a time
 * (partners: same_as). */
bool loader_check_partner_chains(loader *L);

/* The top-level keys of the design (any may be NULL but scenes). */
typedef struct {
    const ynode *scenes, *exit_scenes, *on_outcome, *conditions, *assignment, *mix_conditions;
} design_nodes;

/* design.c: fills x's scene table, plan, conditions, variants and exit routes. */
bool load_design(loader *L, const design_nodes *d);

#endif
