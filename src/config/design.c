/*
 * The study's design around its scenes (docs/EXPERIMENTS.md "Design"): the order of the
 * scenes (`shuffle:` and `repeat:` blocks), the conditions and their variants of scenes,
 * how participants are assigned, and the exit scenes shown after an outcome.
 *
 * Everything is resolved at load time into one table of scenes (experiment.scenes): a
 * repetition is a scene of its own (its id numbered), a condition's changed scene is a
 * variant loaded from the base scene's mapping merged with the condition's keys, so the
 * ordinary scene loader checks every variant exactly as it checks a scene. At run time a
 * participant's route is only a list of indices into that table.
 */
#include "config/config_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPEAT 100

typedef struct {
    loader *L;
    experiment *x;
    const ynode *src[CFG_MAX_SCENES];          /* each base scene's mapping */
    const ynode *id_node[CFG_MAX_SCENES];      /* where its id is written */
    char written[CFG_MAX_SCENES][CFG_ID_LEN];  /* its id as written (no "-N") */
    char suffix[CFG_MAX_SCENES][CFG_ID_LEN];   /* its repetition's suffix, "" if none */
    int route_len;                             /* scenes in one participant's route */
    ynode **made;                              /* merged mappings' nodes, freed at the end */
    size_t nmade, capmade;
} design;

/* ---- the order of scenes ---- */

static bool add_base(design *D, const ynode *n, const char *suffix, bool exit_only, int *out)
{
    experiment *x = D->x;
    if (x->nscenes >= CFG_MAX_SCENES)
        return cfg_fail(&D->L->c, n, "too many scenes: with repetitions there may be at most "
                                     "%d", CFG_MAX_SCENES);
    int i = x->nscenes;
    scene_spec *s = &x->scenes[i];
    memset(s, 0, sizeof *s);
    const ynode *id;
    D->L->place = i;
    if (!loader_scene(D->L, n, suffix, s, &id))
        return false;
    for (int j = 0; j < i; j++)
        if (strcmp(x->scenes[j].id, s->id) == 0)
            return cfg_fail(&D->L->c, id, "scene id \"%s\" is used twice (first at line %d)",
                            s->id, D->id_node[j]->line);
    s->base = i;
    s->condition = -1;
    s->exit_only = exit_only;
    D->src[i] = n;
    D->id_node[i] = id;
    snprintf(D->written[i], CFG_ID_LEN, "%.*s", (int)(strlen(s->id) - strlen(suffix)), s->id);
    snprintf(D->suffix[i], CFG_ID_LEN, "%s", suffix);
    x->nscenes++;
    *out = i;
    return true;
}

static int push_node(design *D, const ynode *at, plan_kind kind, int scene)
{
    experiment *x = D->x;
    if (x->nplan >= CFG_MAX_PLAN) {
        cfg_fail(&D->L->c, at, "the scenes' plan is too long (at most %d scenes and blocks)",
                 CFG_MAX_PLAN);
        return -1;
    }
    x->plan[x->nplan] = (plan_node){kind, scene, 1};
    return x->nplan++;
}

/* The mapping's key of that name, or NULL. */
static const ynode *find_key(const ynode *map, const char *name)
{
    if (!map || map->kind != YNODE_MAPPING)
        return NULL;
    for (const ynode *k = map->first; k; k = ynode_next_key(k))
        if (k->kind == YNODE_SCALAR && strcmp(k->text, name) == 0)
            return k;
    return NULL;
}

static bool load_item(design *D, const ynode *n, const char *suffix);

static bool load_items(design *D, const ynode *list, const char *suffix)
{
    for (const ynode *it = list->first; it; it = it->next)
        if (!load_item(D, it, suffix))
            return false;
    return true;
}

enum { SH_SHUFFLE, SH_N };
static const char *const shuffle_keys[SH_N] = {"shuffle"};
static const cfg_schema shuffle_schema = {"a shuffle block", "in a shuffle block",
                                          shuffle_keys, SH_N};
enum { RP_REPEAT, RP_SCENES, RP_N };
static const char *const repeat_keys[RP_N] = {"repeat", "scenes"};
static const cfg_schema repeat_schema = {"a repeat block", "in a repeat block", repeat_keys,
                                         RP_N};

/* One item of a list of scenes: a scene, a shuffle block, a repeat block, or (inside a
 * shuffle) a list of items that stay together in their order. */
static bool load_item(design *D, const ynode *n, const char *suffix)
{
    experiment *x = D->x;
    cfg_ctx *c = &D->L->c;
    if (n->kind == YNODE_SEQUENCE) {
        if (!cfg_list(c, n, "a block of scenes", "scenes", 1, CFG_MAX_PLAN))
            return false;
        int me = push_node(D, n, PLAN_SEQUENCE, -1);
        if (me < 0 || !load_items(D, n, suffix))
            return false;
        x->plan[me].size = x->nplan - me;
        return true;
    }
    if (find_key(n, "shuffle")) {
        cfg_field f[SH_N];
        if (!cfg_mapping(c, n, &shuffle_schema, f) ||
            !cfg_list(c, f[SH_SHUFFLE].val, "shuffle", "scenes or blocks", 2,
                      CFG_MAX_PLAN))
            return false;
        int me = push_node(D, n, PLAN_SHUFFLE, -1);
        if (me < 0 || !load_items(D, f[SH_SHUFFLE].val, suffix))
            return false;
        x->plan[me].size = x->nplan - me;
        return true;
    }
    if (find_key(n, "repeat")) {
        cfg_field f[RP_N];
        int times;
        if (!cfg_mapping(c, n, &repeat_schema, f) ||
            !cfg_require(c, n, &repeat_schema, f, RP_SCENES) ||
            !cfg_int(c, f[RP_REPEAT].val, "repeat", 1, MAX_REPEAT, &times) ||
            !cfg_list(c, f[RP_SCENES].val, "scenes", "scenes", 1, CFG_MAX_PLAN))
            return false;
        int me = push_node(D, n, PLAN_SEQUENCE, -1);
        if (me < 0)
            return false;
        for (int r = 1; r <= times; r++) {
            char inner[CFG_ID_LEN];
            if (snprintf(inner, sizeof inner, "%s-%d", suffix, r) >= (int)sizeof inner)
                return cfg_fail(c, f[RP_REPEAT].key, "repeat blocks nested too deeply to "
                                                     "number their scenes");
            if (!load_items(D, f[RP_SCENES].val, inner))
                return false;
        }
        x->plan[me].size = x->nplan - me;
        return true;
    }
    int base;
    if (!add_base(D, n, suffix, false, &base))
        return false;
    if (++D->route_len > CFG_MAX_ROUTE)
        return cfg_fail(c, n, "too many scenes for one participant: with repetitions at most "
                              "%d", CFG_MAX_ROUTE);
    return push_node(D, n, PLAN_SCENE, base) >= 0;
}

static bool load_plan(design *D, const ynode *scenes)
{
    if (!cfg_list(&D->L->c, scenes, "scenes", "scenes", 1, CFG_MAX_ROUTE))
        return false;
    int root = push_node(D, scenes, PLAN_SEQUENCE, -1);
    if (root < 0 || !load_items(D, scenes, ""))
        return false;
    D->x->plan[root].size = D->x->nplan - root;
    return true;
}

static bool load_exit_scenes(design *D, const ynode *n)
{
    cfg_ctx *c = &D->L->c;
    if (!cfg_list(c, n, "exit_scenes", "page scenes", 1, CFG_MAX_ROUTE))
        return false;
    for (const ynode *it = n->first; it; it = it->next) {
        int i;
        if (!add_base(D, it, "", true, &i))
            return false;
        if (D->x->scenes[i].kind != SCENE_PAGE)
            return cfg_fail(c, it, "exit scene \"%s\" has a game; exit scenes are pages (a "
                                   "survey, a debrief)", D->x->scenes[i].id);
    }
    return true;
}

/* ---- conditions ---- */

static ynode *made_node(design *D, const ynode *like)
{
    if (D->nmade == D->capmade) {
        size_t cap = D->capmade ? D->capmade * 2 : 64;
        ynode **grown = realloc(D->made, cap * sizeof *grown);
        if (!grown)
            abort(); /* a few KiB for a file of a few KiB: nothing sensible to do without */
        D->made = grown;
        D->capmade = cap;
    }
    ynode *n = malloc(sizeof *n);
    if (!n)
        abort();
    *n = *like;
    n->next = NULL;
    D->made[D->nmade++] = n;
    return n;
}

static void append_pair(design *D, ynode *map, const ynode *key, const ynode *val)
{
    ynode *k = made_node(D, key), *v = made_node(D, val);
    k->next = v;
    if (map->last)
        map->last->next = k;
    else
        map->first = k;
    map->last = v;
    map->count++;
}

/* Inside `game`, fps and step_ms say the same thing two ways: a condition that sets one
 * replaces the scene's other, rather than leaving the variant with both (an error). */
static bool said_otherwise(const ynode *over, const char *key)
{
    return (strcmp(key, "fps") == 0 && find_key(over, "step_ms")) ||
           (strcmp(key, "step_ms") == 0 && find_key(over, "fps"));
}

/* The base scene's mapping with the condition's keys put in: a key the condition sets
 * replaces the scene's, except `game` and `waitroom`, which take the condition's keys one
 * by one. */
static const ynode *merge(design *D, const ynode *base, const ynode *over, bool top)
{
    ynode *m = made_node(D, base);
    m->first = m->last = NULL;
    m->count = 0;
    for (const ynode *k = base->first; k; k = ynode_next_key(k)) {
        if (!top && k->kind == YNODE_SCALAR && said_otherwise(over, k->text))
            continue;
        const ynode *v = ynode_value(k), *ok = find_key(over, k->text);
        if (ok) {
            const ynode *ov = ynode_value(ok);
            bool deep = top && (strcmp(k->text, "game") == 0 || strcmp(k->text, "waitroom") == 0)
                        && v->kind == YNODE_MAPPING && ov->kind == YNODE_MAPPING;
            v = deep ? merge(D, v, ov, false) : ov;
        }
        append_pair(D, m, ok ? ok : k, v);
    }
    for (const ynode *k = over->first; k; k = ynode_next_key(k))
        if (k->kind != YNODE_SCALAR || !find_key(base, k->text))
            append_pair(D, m, k, ynode_value(k));
    return m;
}

/* Puts `condition "ID": ` after the "FILE:LINE:COL: " of the error just written. */
static void name_condition(design *D, const char *id)
{
    cfg_ctx *c = &D->L->c;
    if (!c->err || c->errlen == 0)
        return;
    size_t skip = strlen(c->file);
    char *at = c->err + (strncmp(c->err, c->file, skip) == 0 ? skip : 0);
    for (int colons = 0; *at && colons < 3; at++)
        if (*at == ':')
            colons++;
    while (*at == ' ')
        at++;
    char rest[1024];
    snprintf(rest, sizeof rest, "%s", at);
    size_t head = (size_t)(at - c->err);
    snprintf(at, c->errlen - head, "condition \"%s\": %s", id, rest);
}

/* Which base scenes a key of a condition's `scenes` names: the scene of that id, or
 * every repetition of a scene written with that id. */
static bool names_scene(const design *D, const char *key, int base)
{
    return strcmp(D->x->scenes[base].id, key) == 0 ||
           (D->suffix[base][0] && strcmp(D->written[base], key) == 0);
}

static bool check_override_keys(design *D, const ynode *over)
{
    cfg_ctx *c = &D->L->c;
    if (!cfg_free_mapping(c, over, "scenes", "in a condition's scenes", CFG_MAX_SCENES))
        return false;
    for (const ynode *k = over->first; k; k = ynode_next_key(k)) {
        bool found = false;
        for (int b = 0; b < D->x->nbase && !found; b++)
            found = names_scene(D, k->text, b);
        if (!found)
            return cfg_fail(c, k, "no scene %s to change", cfg_got(c, k));
        const ynode *v = ynode_value(k);
        if (v->kind != YNODE_MAPPING)
            return cfg_fail(c, v, "the changes to scene \"%s\" must be a mapping of scene "
                                  "keys, got %s", k->text, cfg_got(c, v));
        for (const ynode *kk = v->first; kk; kk = ynode_next_key(kk)) {
            if (kk->kind == YNODE_SCALAR && strcmp(kk->text, "id") == 0)
                return cfg_fail(c, kk, "a condition cannot change a scene's id");
            for (const ynode *dup = v->first; dup != kk; dup = ynode_next_key(dup))
                if (dup->kind == YNODE_SCALAR && kk->kind == YNODE_SCALAR &&
                    strcmp(dup->text, kk->text) == 0)
                    return cfg_fail(c, kk, "duplicate key %s in the changes to scene \"%s\" "
                                           "(first at line %d)", cfg_got(c, kk), k->text,
                                    dup->line);
        }
    }
    return true;
}

static bool add_variant(design *D, int base, int cond, const ynode *over)
{
    experiment *x = D->x;
    cfg_ctx *c = &D->L->c;
    if (x->nscenes >= CFG_MAX_SCENES)
        return cfg_fail(c, over ? over : D->src[base], "too many scenes: with every "
                        "condition's variants there may be at most %d", CFG_MAX_SCENES);
    int i = x->nscenes;
    scene_spec *s = &x->scenes[i];
    if (over) {
        memset(s, 0, sizeof *s);
        const ynode *id;
        D->L->place = base;
        if (!loader_scene(D->L, merge(D, D->src[base], over, true), D->suffix[base], s, &id))
            return false;
        if (s->kind != x->scenes[base].kind)
            return cfg_fail(c, over, "cannot make scene \"%s\" a %s scene (it is a %s scene)",
                            x->scenes[base].id, s->kind == SCENE_GAME ? "game" : "page",
                            s->kind == SCENE_GAME ? "page" : "game");
    } else {
        *s = x->scenes[base];
    }
    s->base = base;
    s->condition = cond;
    s->exit_only = x->scenes[base].exit_only;
    x->variant[base][cond] = (int16_t)i;
    x->nscenes++;
    return true;
}

enum { CD_ID, CD_SCENES, CD_N };
static const char *const condition_keys[CD_N] = {"id", "scenes"};
static const cfg_schema condition_schema = {"each condition", "in a condition",
                                            condition_keys, CD_N};

static bool load_condition(design *D, const ynode *n, int cond)
{
    experiment *x = D->x;
    cfg_ctx *c = &D->L->c;
    cfg_field f[CD_N];
    if (!cfg_mapping(c, n, &condition_schema, f) ||
        !cfg_require(c, n, &condition_schema, f, CD_ID) ||
        !cfg_ident(c, f[CD_ID].val, "condition id", "", x->conditions[cond], CFG_ID_LEN))
        return false;
    for (int j = 0; j < cond; j++)
        if (strcmp(x->conditions[j], x->conditions[cond]) == 0)
            return cfg_fail(c, f[CD_ID].val, "condition id \"%s\" is used twice",
                            x->conditions[cond]);
    const ynode *over = f[CD_SCENES].val;
    if (over && !check_override_keys(D, over)) {
        name_condition(D, x->conditions[cond]);
        return false;
    }
    for (int b = 0; b < x->nbase; b++) {
        /* The scene's own id wins over its written id (one repetition changed apart). */
        const ynode *mine = NULL;
        for (const ynode *k = over ? over->first : NULL; k; k = ynode_next_key(k))
            if (names_scene(D, k->text, b) && (!mine || strcmp(k->text, x->scenes[b].id) == 0))
                mine = ynode_value(k);
        bool own_lobby = x->scenes[b].kind == SCENE_GAME && !x->mix_conditions;
        if (mine || own_lobby) {
            if (!add_variant(D, b, cond, mine)) {
                name_condition(D, x->conditions[cond]);
                return false;
            }
        } else {
            x->variant[b][cond] = (int16_t)b;
        }
    }
    return true;
}

static bool load_conditions(design *D, const ynode *n)
{
    if (!cfg_list(&D->L->c, n, "conditions", "conditions", 1, CFG_MAX_CONDITIONS))
        return false;
    int i = 0;
    for (const ynode *it = n->first; it; it = it->next, i++)
        if (!load_condition(D, it, i))
            return false;
    D->x->nconditions = i;
    return true;
}

enum { AS_PARAM, AS_N };
static const char *const assignment_keys[AS_N] = {"param"};
static const cfg_schema assignment_schema = {"assignment", "in assignment", assignment_keys,
                                             AS_N};

static bool load_assignment(design *D, const ynode *n)
{
    cfg_ctx *c = &D->L->c;
    experiment *x = D->x;
    if (cfg_is(n, "balanced")) {
        x->assignment = ASSIGN_BALANCED;
        return true;
    }
    if (cfg_is(n, "random")) {
        x->assignment = ASSIGN_RANDOM;
        return true;
    }
    if (n->kind != YNODE_MAPPING)
        return cfg_fail(c, n, "assignment must be balanced, random or {param: NAME}, got %s",
                        cfg_got(c, n));
    cfg_field f[AS_N];
    if (!cfg_mapping(c, n, &assignment_schema, f) ||
        !cfg_require(c, n, &assignment_schema, f, AS_PARAM) ||
        !cfg_ident(c, f[AS_PARAM].val, "param", "", x->assignment_param, CFG_ID_LEN))
        return false;
    x->assignment = ASSIGN_PARAM;
    return true;
}

/* ---- exit routes ---- */

static bool load_on_outcome(design *D, const ynode *n)
{
    cfg_ctx *c = &D->L->c;
    experiment *x = D->x;
    if (!cfg_free_mapping(c, n, "on_outcome", "in on_outcome", outcome_COUNT_))
        return false;
    for (const ynode *k = n->first; k; k = ynode_next_key(k)) {
        outcome o;
        if (!outcome_parse(k->text, &o) || o == OUTCOME_COMPLETED || o == OUTCOME_SCREENED_OUT)
            return cfg_fail(c, k, "on_outcome: %s is not an outcome that can lead to exit "
                                  "scenes (expected partner_dropped, waitroom_timeout, "
                                  "excluded, abandoned or quiz_failed)", cfg_got(c, k));
        const ynode *list = ynode_value(k);
        if (!cfg_list(c, list, k->text, "scene ids", 1, CFG_MAX_ROUTE))
            return false;
        for (const ynode *it = list->first; it; it = it->next) {
            char id[CFG_ID_LEN];
            if (!cfg_ident(c, it, "scene id", "", id, sizeof id))
                return false;
            int b = 0;
            while (b < x->nbase && strcmp(x->scenes[b].id, id) != 0)
                b++;
            if (b == x->nbase)
                return cfg_fail(c, it, "no scene \"%s\" (on_outcome names scenes of scenes or "
                                       "exit_scenes)", id);
            if (x->scenes[b].kind != SCENE_PAGE)
                return cfg_fail(c, it, "scene \"%s\" is a game; after an outcome only pages "
                                       "can follow", id);
            for (int j = 0; j < x->nexit[o]; j++)
                if (x->exits[o][j] == b)
                    return cfg_fail(c, it, "scene \"%s\" is named twice for %s", id, k->text);
            x->exits[o][x->nexit[o]++] = (int16_t)b;
        }
    }
    return true;
}

bool load_design(loader *L, const design_nodes *d)
{
    design *D = calloc(1, sizeof *D);
    if (!D)
        return cfg_fail(&L->c, d->scenes, "out of memory");
    D->L = L;
    D->x = L->x;
    experiment *x = L->x;
    bool ok = load_plan(D, d->scenes) && (!d->exit_scenes || load_exit_scenes(D, d->exit_scenes));
    if (ok) {
        x->nbase = x->nscenes;
        ok = loader_check_partner_chains(L);
    }
    if (ok) {
        for (int b = 0; b < x->nbase; b++)
            for (int cnd = 0; cnd < CFG_MAX_CONDITIONS; cnd++)
                x->variant[b][cnd] = (int16_t)b;
    }
    if (ok && !d->conditions) {
        const ynode *extra = d->assignment ? d->assignment : d->mix_conditions;
        if (extra)
            ok = cfg_fail(&L->c, extra, "%s needs conditions", d->assignment ? "assignment"
                                                                            : "mix_conditions");
    }
    if (ok && d->mix_conditions)
        ok = cfg_bool(&L->c, d->mix_conditions, "mix_conditions", &x->mix_conditions);
    if (ok && d->assignment)
        ok = load_assignment(D, d->assignment);
    if (ok && d->conditions)
        ok = load_conditions(D, d->conditions);
    if (ok && d->on_outcome)
        ok = load_on_outcome(D, d->on_outcome);
    for (size_t i = 0; i < D->nmade; i++)
        free(D->made[i]);
    free(D->made);
    free(D);
    return ok;
}

/* ---- at run time ---- */

int experiment_scene_for(const experiment *x, int base, int condition)
{
    if (base < 0 || base >= x->nbase)
        return -1;
    if (condition < 0 || condition >= x->nconditions)
        return base;
    return x->variant[base][condition];
}

static int walk(const experiment *x, int node, int condition, uint64_t (*rnd)(void *),
                void *ctx, int16_t *out, int n)
{
    const plan_node *p = &x->plan[node];
    if (p->kind == PLAN_SCENE) {
        if (n < CFG_MAX_ROUTE)
            out[n++] = (int16_t)experiment_scene_for(x, p->scene, condition);
        return n;
    }
    int kids[CFG_MAX_PLAN], nk = 0;
    for (int k = node + 1; k < node + p->size; k += x->plan[k].size)
        kids[nk++] = k;
    if (p->kind == PLAN_SHUFFLE)
        for (int i = nk - 1; i > 0; i--) { /* Fisher-Yates; the modulo bias of a 64-bit
                                              number over at most 256 items is negligible */
            int j = (int)(rnd(ctx) % (uint64_t)(i + 1));
            int t = kids[i];
            kids[i] = kids[j];
            kids[j] = t;
        }
    for (int i = 0; i < nk; i++)
        n = walk(x, kids[i], condition, rnd, ctx, out, n);
    return n;
}

int experiment_route(const experiment *x, int condition, uint64_t (*rnd)(void *ctx),
                     void *ctx, int16_t *out)
{
    return x->nplan > 0 ? walk(x, 0, condition, rnd, ctx, out, 0) : 0;
}

int experiment_exit_route(const experiment *x, int condition, outcome o, int16_t *out)
{
    if ((unsigned)o >= outcome_COUNT_)
        return 0;
    for (int i = 0; i < x->nexit[o]; i++)
        out[i] = (int16_t)experiment_scene_for(x, x->exits[o][i], condition);
    return x->nexit[o];
}

bool experiment_scene_used(const experiment *x, int s)
{
    if (s < 0 || s >= x->nscenes)
        return false;
    if (s >= x->nbase || x->nconditions == 0)
        return true;
    for (int c = 0; c < x->nconditions; c++)
        if (x->variant[s][c] == s)
            return true;
    return false;
}

int experiment_condition(const experiment *x, const char *id)
{
    for (int i = 0; i < x->nconditions; i++)
        if (strcmp(x->conditions[i], id) == 0)
            return i;
    return -1;
}

int experiment_find_scene(const experiment *x, const char *id, int condition)
{
    for (int b = 0; b < x->nbase; b++)
        if (strcmp(x->scenes[b].id, id) == 0)
            return experiment_scene_for(x, b, condition);
    return -1;
}
