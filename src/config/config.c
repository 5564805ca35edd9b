/*
 * Experiment files (docs/DESIGN.md section 4): read, parse, walk the schema, apply defaults.
 *
 * The walk is strict on purpose: a typo in a paid study must stop `cohort check`, not
 * silently fall back to a default. Every mapping has a table of allowed keys; anything
 * else is an error that names the key and lists what was expected.
 */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_loader.h"
#include "config/config_quiz.h"
#include "config/config_require.h"
#include "config/config_bonus.h"
#include "config/config_values.h"
#include "config/yaml_tree.h"
#include "agents/catalog.h"
#include "texts/texts.h"
#include "util/file.h"
#include "util/ident.h"

/* Ranges of the optional integers (config.h documents the defaults). */
#define MAX_FPS 120
#define MIN_STEP_MS 8    /* 125 steps a second: about MAX_FPS */
#define MAX_STEP_MS 2000
#define MAX_EPISODES 1000
#define MAX_STEPS 1000000
#define MAX_INPUT_DELAY 30
#define MAX_CONFIRM_WINDOW 300
#define MAX_PREDICTION_LIMIT 600
#define MAX_COUNTDOWN_S 60
#define MAX_WAITROOM_S 3600
#define MAX_RTT_MS 5000
#define MAX_GRACE_S 600
#define MAX_TIMEOUT_S 3600
#define MAX_PAGE_BYTES (1024 * 1024)
#define MAX_HOST_INPUTS_PER_S 150 /* of the 200 messages a second a connection may send */

/* ---- the env registry, through the caller's hooks ---- */

typedef struct {
    int players, actions, horizon;
} env_info;

static bool env_lookup(const loader *L, const char *env, env_info *info)
{
    const config_hooks *h = L->hooks;
    return h && h->env_lookup &&
           h->env_lookup(env, &info->players, &info->actions, &info->horizon, h->ctx);
}

static bool policy_exists(const loader *L, const char *env, const char *policy)
{
    const config_hooks *h = L->hooks;
    return h && h->policy_exists && h->policy_exists(env, policy, h->ctx);
}

/* `ai:POLICY` where POLICY is a scripted policy of `env`. `what` names the field. */
static bool read_ai(loader *L, const ynode *n, const char *env, const char *what, char *out)
{
    const char *policy = n->text + 3;
    if (!ident_valid(policy, CFG_ID_LEN - 1, ""))
        return cfg_fail(&L->c, n, "%s must name a policy after \"ai:\" (e.g. ai:greedy), got %s",
                        what, cfg_got(&L->c, n));
    if (!policy_exists(L, env, policy))
        return cfg_fail(&L->c, n, "unknown AI policy \"%s\" for %s", policy, env);
    strcpy(out, policy);
    return true;
}

static bool is_ai(const ynode *n)
{
    return n->kind == YNODE_SCALAR && !n->is_null && strncmp(n->text, "ai:", 3) == 0;
}

/* ---- the game ---- */

enum {
    G_ENV, G_SEATS, G_FPS, G_STEP_MS, G_EPISODES, G_MAX_STEPS, G_INPUT_DELAY,
    G_CONFIRM_WINDOW, G_PREDICTION_LIMIT, G_COUNTDOWN_S, G_KEYS, G_INPUT, G_N
};
static const char *const game_keys[G_N] = {
    [G_ENV] = "env", [G_SEATS] = "seats", [G_FPS] = "fps", [G_STEP_MS] = "step_ms",
    [G_EPISODES] = "episodes", [G_MAX_STEPS] = "max_steps", [G_INPUT_DELAY] = "input_delay",
    [G_CONFIRM_WINDOW] = "confirm_window", [G_PREDICTION_LIMIT] = "prediction_limit",
    [G_COUNTDOWN_S] = "countdown_s", [G_KEYS] = "keys", [G_INPUT] = "input",
};
static const cfg_schema game_schema = {"game", "in game", game_keys, G_N};

static bool load_env(loader *L, const ynode *n, game_spec *g, env_info *info)
{
    if (!cfg_string(&L->c, n, "env", g->env, sizeof g->env))
        return false;
    if (!env_lookup(L, g->env, info))
        return cfg_fail(&L->c, n, "unknown env %s", cfg_got(&L->c, n));
    return true;
}

static bool has_dotdot(const char *rel);
static bool is_inside(const char *real, const char *dir);

static bool obs_exists(const loader *L, const char *env, const char *obs)
{
    const config_hooks *h = L->hooks;
    return h && h->obs_exists && h->obs_exists(env, obs, h->ctx);
}

/* A shipped agent (src/agents/catalog.h) by its short name. */
static bool load_catalog_model(loader *L, const ynode *n, const char *name, const char *env,
                               seat_spec *seat)
{
    const agent_entry *a = agent_catalog_find(name, env);
    if (!a) {
        if (agent_catalog_knows(name))
            return cfg_fail(&L->c, n, "the agent \"%s\" has no model for %s (docs/AGENTS.md "
                                      "lists the layouts of each agent)", name, env);
        return cfg_fail(&L->c, n, "unknown AI policy \"%s\" for %s (neither a scripted policy nor a "
                                  "shipped agent)", name, env);
    }
    if (!obs_exists(L, env, a->obs))
        return cfg_fail(&L->c, n, "%s does not compute the observation \"%s\" the agent "
                                  "\"%s\" reads", env, a->obs, name);
    model_spec *m = &seat->model;
    seat->kind = SEAT_MODEL;
    snprintf(seat->policy, sizeof seat->policy, "%s", name);
    snprintf(m->url, sizeof m->url, "/models/%s/model.json", a->dir);
    m->format = MODEL_TFJS;
    snprintf(m->obs, sizeof m->obs, "%s", a->obs);
    m->nactions = a->nactions;
    memcpy(m->actions, a->actions, (size_t)a->nactions);
    m->pick = PICK_ARGMAX;
    return true;
}

/* A model file of the study's own: under the experiment's pages/ (served at /pages/),
 * a TensorFlow.js graph model (model.json and its weight files beside it) or an ONNX file. */
static bool load_model_file(loader *L, const ynode *n, seat_spec *seat)
{
    cfg_ctx *c = &L->c;
    char rel[CFG_PATH_LEN];
    if (!cfg_string(c, n, "model", rel, sizeof rel))
        return false;
    static const char pages[] = "pages/";
    size_t len = strlen(rel);
    if (strncmp(rel, pages, sizeof pages - 1) != 0 || has_dotdot(rel) || len >= CFG_ID_LEN)
        return cfg_fail(c, n, "model must be a file under the experiment's pages/ folder (that "
                              "is where browsers can fetch it), at most %d characters and no "
                              "\"..\", got %s", CFG_ID_LEN - 1, cfg_got(c, n));
    model_format format;
    if (len > 5 && strcmp(rel + len - 5, ".json") == 0)
        format = MODEL_TFJS;
    else if (len > 5 && strcmp(rel + len - 5, ".onnx") == 0)
        format = MODEL_ONNX;
    else
        return cfg_fail(c, n, "model must be a TensorFlow.js graph model (model.json) or an "
                              "ONNX file (.onnx), got %s", cfg_got(c, n));
    char full[2 * CFG_PATH_LEN + 2];
    snprintf(full, sizeof full, "%s/%s", L->x->dir, rel);
    struct stat st;
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
        return cfg_fail(c, n, "model %s not found", cfg_got(c, n));
    if (st.st_size > CFG_MAX_MODEL_BYTES)
        return cfg_fail(c, n, "model %s is larger than 64 MiB", cfg_got(c, n));
    char *real = realpath(full, NULL);
    bool inside = real && is_inside(real, L->x->dir) && access(real, R_OK) == 0;
    free(real);
    if (!inside)
        return cfg_fail(c, n, "model %s cannot be read inside the experiment's folder",
                        cfg_got(c, n));
    seat->kind = SEAT_MODEL;
    /* len < CFG_ID_LEN, checked above: both fit */
    memcpy(seat->policy, rel, len + 1);
    seat->model.url[0] = '/';
    memcpy(seat->model.url + 1, rel, len + 1);
    seat->model.format = format;
    return true;
}

enum { M_AI, M_MODEL, M_OBS, M_ACTIONS, M_PICK, M_N };
static const char *const model_keys[M_N] = {
    [M_AI] = "ai", [M_MODEL] = "model", [M_OBS] = "obs", [M_ACTIONS] = "actions",
    [M_PICK] = "pick",
};
static const cfg_schema model_schema = {"an AI seat", "in an AI seat", model_keys, M_N};

/* {ai: NAME, pick: ...} or {model: pages/FILE, obs: NAME, actions: [...], pick: ...}. */
static bool load_model_seat(loader *L, const ynode *n, const char *env, int env_actions,
                            seat_spec *seat)
{
    cfg_ctx *c = &L->c;
    cfg_field f[M_N];
    if (!cfg_mapping(c, n, &model_schema, f))
        return false;
    if (!f[M_AI].val == !f[M_MODEL].val)
        return cfg_fail(c, n, "an AI seat mapping names either ai: (a shipped agent) or model: "
                              "(a model file of the study's own), not both");
    model_spec *m = &seat->model;
    if (f[M_AI].val) {
        char name[CFG_ID_LEN];
        if (!cfg_ident(c, f[M_AI].val, "ai", "", name, sizeof name) ||
            !load_catalog_model(L, f[M_AI].val, name, env, seat))
            return false;
        if (f[M_OBS].val || f[M_ACTIONS].val)
            return cfg_fail(c, f[M_OBS].val ? f[M_OBS].key : f[M_ACTIONS].key,
                            "obs and actions come with a shipped agent; they are set only for "
                            "a model: file");
    } else {
        if (!load_model_file(L, f[M_MODEL].val, seat) || !cfg_require(c, n, &model_schema, f, M_OBS) ||
            !cfg_require(c, n, &model_schema, f, M_ACTIONS) ||
            !cfg_ident(c, f[M_OBS].val, "obs", "", m->obs, sizeof m->obs))
            return false;
        if (!obs_exists(L, env, m->obs))
            return cfg_fail(c, f[M_OBS].val, "%s has no observation \"%s\"", env, m->obs);
        const ynode *list = f[M_ACTIONS].val;
        if (!cfg_list(c, list, "actions", "env actions, one per model output", 1,
                      CFG_MAX_MODEL_ACTIONS))
            return false;
        m->nactions = 0;
        for (const ynode *a = list->first; a; a = a->next) {
            int v;
            if (!cfg_int(c, a, "each of actions", 0, env_actions - 1, &v))
                return false;
            m->actions[m->nactions++] = (int8_t)v;
        }
    }
    if (f[M_PICK].val) {
        if (cfg_is(f[M_PICK].val, "argmax"))
            m->pick = PICK_ARGMAX;
        else if (cfg_is(f[M_PICK].val, "sample"))
            m->pick = PICK_SAMPLE;
        else
            return cfg_fail(c, f[M_PICK].val, "pick must be argmax or sample, got %s",
                            cfg_got(c, f[M_PICK].val));
    }
    return true;
}

static bool load_seats(loader *L, const ynode *n, game_spec *g, const env_info *info)
{
    if (!cfg_list(&L->c, n, "seats", "seats (human, ai:POLICY or ai:AGENT)", 1, CFG_MAX_SEATS))
        return false;
    g->nseats = 0;
    g->humans = 0;
    for (const ynode *s = n->first; s; s = s->next) {
        seat_spec *seat = &g->seats[g->nseats++];
        memset(seat, 0, sizeof *seat);
        if (cfg_is(s, "human")) {
            seat->kind = SEAT_HUMAN;
            g->humans++;
        } else if (is_ai(s)) {
            const char *name = s->text + 3;
            if (policy_exists(L, g->env, name)) {
                seat->kind = SEAT_AI;
                if (!read_ai(L, s, g->env, "an AI seat", seat->policy))
                    return false;
            } else if (!ident_valid(name, CFG_ID_LEN - 1, "")) {
                return read_ai(L, s, g->env, "an AI seat", seat->policy);
            } else if (!load_catalog_model(L, s, name, g->env, seat)) {
                return false;
            }
        } else if (s->kind == YNODE_MAPPING) {
            if (!load_model_seat(L, s, g->env, info->actions, seat))
                return false;
        } else {
            return cfg_fail(&L->c, s, "each seat must be human, ai:POLICY, ai:AGENT or a "
                                      "mapping {ai: AGENT} or {model: FILE, ...}, got %s",
                            cfg_got(&L->c, s));
        }
    }
    if (g->humans == 0)
        return cfg_fail(&L->c, n, "seats must include at least one human");
    if (g->nseats != info->players)
        return cfg_fail(&L->c, n, "%s is a %d-player game, but seats lists %d", g->env,
                        info->players, g->nseats);
    return true;
}

/*
 * Key names are KeyboardEvent.key values. A wrong one ("Space", "KeyW", "up") never
 * matches any key press, so the participant could not play: refuse it and suggest the
 * right spelling. Single characters are always fine.
 */
static const char *const named_keys[] = {
    "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter", "Escape", "Tab", "Backspace",
    "Delete", "Insert", "Home", "End", "PageUp", "PageDown", "Shift", "Control", "Alt", "Meta",
    "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12",
};
static const struct {
    const char *wrong, *right;
} key_aliases[] = {
    {"Space", " "}, {"Spacebar", " "}, {"Up", "ArrowUp"}, {"Down", "ArrowDown"},
    {"Left", "ArrowLeft"}, {"Right", "ArrowRight"}, {"Esc", "Escape"}, {"Return", "Enter"},
};

/* The text is valid UTF-8 (checked before parsing): count the bytes that start a character. */
static bool is_one_character(const char *s)
{
    size_t chars = 0;
    for (; *s; s++)
        chars += ((unsigned char)*s & 0xC0) != 0x80;
    return chars == 1;
}

static bool check_key_name(loader *L, const ynode *k)
{
    if (is_one_character(k->text))
        return true;
    const size_t nnamed = sizeof named_keys / sizeof named_keys[0];
    for (size_t i = 0; i < nnamed; i++)
        if (strcmp(k->text, named_keys[i]) == 0)
            return true;
    const char *hint = NULL;
    for (size_t i = 0; !hint && i < sizeof key_aliases / sizeof key_aliases[0]; i++)
        if (strcasecmp(k->text, key_aliases[i].wrong) == 0)
            hint = key_aliases[i].right;
    for (size_t i = 0; !hint && i < nnamed; i++)
        if (strcasecmp(k->text, named_keys[i]) == 0)
            hint = named_keys[i];
    if (hint)
        return cfg_fail(&L->c, k, "unknown key name %s; did you mean \"%s\"?", cfg_got(&L->c, k),
                        hint);
    return cfg_fail(&L->c, k, "unknown key name %s; keys are KeyboardEvent.key values: one "
                              "character (\"w\", \" \") or a named key (ArrowUp, Enter, Shift, "
                              "...)", cfg_got(&L->c, k));
}

static bool load_keys(loader *L, const ynode *n, game_spec *g, const env_info *info)
{
    if (!cfg_free_mapping(&L->c, n, "keys", "in keys", CFG_MAX_KEYS))
        return false;
    g->nkeys = 0;
    for (const ynode *k = n->first; k; k = ynode_next_key(k)) {
        key_binding *b = &g->keys[g->nkeys++];
        if (!cfg_string(&L->c, k, "a key name", b->key, sizeof b->key) || !check_key_name(L, k))
            return false;
        int action;
        const ynode *v = ynode_value(k);
        if (!cfg_parse_int(v, 0, info->actions - 1, &action)) {
            char key[64];
            cfg_quote(key, sizeof key, k->text, k->len);
            return cfg_fail(&L->c, v, "the action for %s must be an integer from 0 to %d "
                                      "(%s has %d actions), got %s", key, info->actions - 1,
                            g->env, info->actions, cfg_got(&L->c, v));
        }
        b->action = action;
    }
    return true;
}

/* Arrows and space on env actions 0..4 (config.h); bindings past the env's actions are
 * left out so a smaller env still gets a valid default. */
static void default_keys(const loader *L, game_spec *g, const env_info *info)
{
    static const char *const names[] = {"ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", " "};
    const config_hooks *h = L->hooks;
    g->nkeys = h && h->default_keys ? h->default_keys(g->env, g->keys, CFG_MAX_KEYS, h->ctx) : 0;
    if (g->nkeys > 0)
        return;
    for (int a = 0; a < 5 && a < info->actions; a++) {
        strcpy(g->keys[g->nkeys].key, names[a]);
        g->keys[g->nkeys++].action = a;
    }
}

/*
 * The step clock: fps or step_ms. Two ways to say one thing must not both be said, or a
 * reader of the file could not tell which one the game ran at.
 */
static bool load_clock(loader *L, const cfg_field *f, game_spec *g)
{
    const ynode *fps = f[G_FPS].val, *step = f[G_STEP_MS].val;
    g->fps = 30;
    g->step_ms = 0;
    if (fps && step) {
        const ynode *a = f[G_FPS].key, *b = f[G_STEP_MS].key;
        const ynode *later = b->line > a->line || (b->line == a->line && b->col > a->col) ? b : a;
        return cfg_fail(&L->c, later, "set fps or step_ms, not both (fps counts frames a "
                                      "second, step_ms the milliseconds of one step)");
    }
    if (fps)
        return cfg_int(&L->c, fps, "fps", 1, MAX_FPS, &g->fps);
    if (step) {
        g->fps = 0;
        return cfg_int(&L->c, step, "step_ms", MIN_STEP_MS, MAX_STEP_MS, &g->step_ms);
    }
    return true;
}

static bool load_input(loader *L, const ynode *n, game_spec *g)
{
    g->input = INPUT_HELD;
    if (!n || cfg_is(n, "held"))
        return true;
    if (cfg_is(n, "press")) {
        g->input = INPUT_PRESS;
        return true;
    }
    return cfg_fail(&L->c, n, "input must be held or press, got %s", cfg_got(&L->c, n));
}

static bool load_game(loader *L, const ynode *n, game_spec *g)
{
    cfg_field f[G_N];
    if (!cfg_mapping(&L->c, n, &game_schema, f) ||
        !cfg_require(&L->c, n, &game_schema, f, G_ENV) ||
        !cfg_require(&L->c, n, &game_schema, f, G_SEATS))
        return false;
    env_info info;
    if (!load_env(L, f[G_ENV].val, g, &info) || !load_seats(L, f[G_SEATS].val, g, &info))
        return false;

    if (!load_clock(L, f, g) || !load_input(L, f[G_INPUT].val, g))
        return false;
    /* The host's page sends an INPUT a step for its own seat and for each model seat; the
     * server cuts off a connection past 200 messages a second (src/main.c), and hash
     * reports, pings and visibility changes need room beside them. */
    int models = 0;
    for (int s = 0; s < g->nseats; s++)
        models += g->seats[s].kind == SEAT_MODEL;
    game_rate rate = game_spec_rate(g);
    if (models > 0 && (1 + models) * rate.num * 1000 > MAX_HOST_INPUTS_PER_S * rate.den)
        return cfg_fail(&L->c, f[G_SEATS].val,
                        "the first person's page would send %d inputs a second (its own and "
                        "%d model seats' at this step clock); at most %d fit under the "
                        "server's message limit: seat fewer models or step more slowly",
                        (int)((1 + models) * rate.num * 1000 / rate.den), models,
                        MAX_HOST_INPUTS_PER_S);
    g->episodes = 1;
    /* The env's horizon, kept in range in case an env declares none. */
    g->max_steps = info.horizon < 1 || info.horizon > MAX_STEPS ? MAX_STEPS : info.horizon;
    g->input_delay = 2;
    g->confirm_window = 15;
    g->countdown_s = 3;
    const struct {
        int field;
        int lo, hi;
        int *dst;
    } ints[] = {
        {G_EPISODES, 1, MAX_EPISODES, &g->episodes},
        {G_MAX_STEPS, 1, MAX_STEPS, &g->max_steps},
        {G_INPUT_DELAY, 0, MAX_INPUT_DELAY, &g->input_delay},
        {G_CONFIRM_WINDOW, 1, MAX_CONFIRM_WINDOW, &g->confirm_window},
        {G_COUNTDOWN_S, 0, MAX_COUNTDOWN_S, &g->countdown_s},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        const cfg_field *fi = &f[ints[i].field];
        if (fi->val && !cfg_int(&L->c, fi->val, game_keys[ints[i].field], ints[i].lo,
                                ints[i].hi, ints[i].dst))
            return false;
    }

    /* The prediction limit bounds rollback; it must leave room past the confirm window,
     * or a healthy client would stall waiting for a lagging seat's default. */
    g->prediction_limit = 2 * g->confirm_window;
    const ynode *pl = f[G_PREDICTION_LIMIT].val;
    if (pl) {
        if (!cfg_int(&L->c, pl, "prediction_limit", 2, MAX_PREDICTION_LIMIT,
                     &g->prediction_limit))
            return false;
        if (g->prediction_limit <= g->confirm_window)
            return cfg_fail(&L->c, pl, "prediction_limit must be more than confirm_window (%d), "
                                       "got %s", g->confirm_window, cfg_got(&L->c, pl));
    }

    if (f[G_KEYS].val)
        return load_keys(L, f[G_KEYS].val, g, &info);
    default_keys(L, g, &info);
    return true;
}

/* ---- game scene settings next to the game ---- */

enum { W_TIMEOUT_S, W_ON_TIMEOUT, W_N };
static const char *const waitroom_keys[W_N] = {
    [W_TIMEOUT_S] = "timeout_s", [W_ON_TIMEOUT] = "on_timeout",
};
static const cfg_schema waitroom_schema = {"waitroom", "in waitroom", waitroom_keys, W_N};

static bool load_waitroom(loader *L, const ynode *n, scene_spec *s)
{
    cfg_field f[W_N];
    if (!cfg_mapping(&L->c, n, &waitroom_schema, f))
        return false;
    if (f[W_TIMEOUT_S].val &&
        !cfg_int(&L->c, f[W_TIMEOUT_S].val, "timeout_s", 1, MAX_WAITROOM_S,
                 &s->waitroom_timeout_s))
        return false;
    const ynode *on = f[W_ON_TIMEOUT].val;
    if (on && !cfg_is(on, "end"))
        return cfg_fail(&L->c, on, "on_timeout must be end, got %s", cfg_got(&L->c, on));
    s->waitroom_on_timeout = WAITROOM_END;
    return true;
}

static const char *const matchmaker_keys[] = {"latency_fifo"};
static const cfg_schema matchmaker_schema = {"matchmaker", "in matchmaker", matchmaker_keys, 1};
static const char *const latency_keys[] = {"max_rtt_ms"};
static const cfg_schema latency_schema = {"latency_fifo", "in latency_fifo", latency_keys, 1};

static bool load_matchmaker(loader *L, const ynode *n, scene_spec *s)
{
    s->max_rtt_ms = 250;
    if (cfg_is(n, "fifo")) {
        s->matchmaker = MATCH_FIFO;
        return true;
    }
    if (cfg_is(n, "latency_fifo")) {
        s->matchmaker = MATCH_LATENCY_FIFO;
        return true;
    }
    if (n->kind != YNODE_MAPPING)
        return cfg_fail(&L->c, n, "matchmaker must be fifo or {latency_fifo: {max_rtt_ms: N}}, "
                                  "got %s", cfg_got(&L->c, n));
    cfg_field f[1], lf[1];
    if (!cfg_mapping(&L->c, n, &matchmaker_schema, f) ||
        !cfg_require(&L->c, n, &matchmaker_schema, f, 0) ||
        !cfg_mapping(&L->c, f[0].val, &latency_schema, lf))
        return false;
    s->matchmaker = MATCH_LATENCY_FIFO;
    return !lf[0].val || cfg_int(&L->c, lf[0].val, "max_rtt_ms", 1, MAX_RTT_MS, &s->max_rtt_ms);
}

static bool load_drop(loader *L, const ynode *n, scene_spec *s)
{
    if (cfg_is(n, "end")) {
        s->on_partner_drop = DROP_END;
    } else if (cfg_is(n, "default")) {
        s->on_partner_drop = DROP_DEFAULT;
    } else if (is_ai(n)) {
        s->on_partner_drop = DROP_AI;
        return read_ai(L, n, s->game.env, "on_partner_drop", s->drop_ai);
    } else {
        return cfg_fail(&L->c, n, "on_partner_drop must be end, default or ai:POLICY, got %s",
                        cfg_got(&L->c, n));
    }
    return true;
}

/* ---- pages ---- */

static bool has_dotdot(const char *rel)
{
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        p += *p == '/';
    }
    return false;
}

static bool is_inside(const char *real, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return strncmp(real, dir, n) == 0 && real[n] == '/';
}

/* Resolve `page` against the file's folder into an absolute path that stays inside it
 * (symlinks included: realpath sees through them). */
static bool load_page(loader *L, const ynode *n, char out[CFG_PATH_LEN])
{
    cfg_ctx *c = &L->c;
    char rel[CFG_PATH_LEN];
    if (!cfg_string(c, n, "page", rel, sizeof rel))
        return false;
    if (rel[0] == '\0' || rel[0] == '/')
        return cfg_fail(c, n, "page must be a file path relative to the experiment's folder, "
                              "got %s", cfg_got(c, n));
    if (has_dotdot(rel))
        return cfg_fail(c, n, "page %s must stay inside the experiment's folder (no \"..\")",
                        cfg_got(c, n));
    char full[2 * CFG_PATH_LEN + 2];
    snprintf(full, sizeof full, "%s/%s", L->x->dir, rel);
    struct stat st;
    if (stat(full, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return cfg_fail(c, n, "page %s not found", cfg_got(c, n));
        return cfg_fail(c, n, "page %s cannot be read: %s", cfg_got(c, n), strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return cfg_fail(c, n, "page %s is not a file", cfg_got(c, n));
    if (st.st_size > MAX_PAGE_BYTES)
        return cfg_fail(c, n, "page %s is larger than 1 MiB", cfg_got(c, n));
    char *real = realpath(full, NULL);
    if (!real)
        return cfg_fail(c, n, "page %s cannot be read: %s", cfg_got(c, n), strerror(errno));
    bool ok = false;
    if (!is_inside(real, L->x->dir))
        cfg_fail(c, n, "page %s leads outside the experiment's folder", cfg_got(c, n));
    else if (access(real, R_OK) != 0)
        cfg_fail(c, n, "page %s cannot be read: %s", cfg_got(c, n), strerror(errno));
    else if (strlen(real) >= CFG_PATH_LEN)
        cfg_fail(c, n, "page %s: the absolute path is too long", cfg_got(c, n));
    else
        ok = true;
    if (ok)
        strcpy(out, real);
    free(real);
    return ok;
}

/* Does the page hold form fields? Used to catch `form: true` on a page without fields,
 * and a page with fields whose answers would be lost because `form` is not set. */
static int page_has_fields(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat st;
    size_t size = fstat(fileno(f), &st) == 0 && st.st_size < MAX_PAGE_BYTES
                      ? (size_t)st.st_size : MAX_PAGE_BYTES;
    char *buf = malloc(size + 1);
    size_t n = buf ? fread(buf, 1, size, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    buf[n] = '\0';
    int found = 0;
    static const char *const tags[] = {"<input", "<select", "<textarea"};
    for (size_t i = 0; i < 3 && !found; i++)
        for (const char *p = buf; !found && (p = strchr(p, '<')); p++)
            found = strncasecmp(p, tags[i], strlen(tags[i])) == 0;
    free(buf);
    return found;
}

/* An explicit `form: false` is respected: the researcher chose not to record. */
static bool check_form(loader *L, const scene_spec *s, const ynode *page, const ynode *form)
{
    int fields = page_has_fields(s->page);
    if (fields < 0)
        return cfg_fail(&L->c, page, "page %s cannot be read", cfg_got(&L->c, page));
    if (s->form && !fields)
        return cfg_fail(&L->c, form, "form is true but page %s has no <input>, <select> or "
                                     "<textarea>", cfg_got(&L->c, page));
    if (!form && fields)
        return cfg_fail(&L->c, page, "page %s has form fields but the scene does not set "
                                     "form: true, so its answers would not be recorded "
                                     "(write form: false if that is intended)",
                        cfg_got(&L->c, page));
    return true;
}

/* ---- partners: keep an earlier game scene's groups ---- */

#define MAX_PARTNERS_WAIT_S 3600

enum { PT_SAME_AS, PT_WAIT_S, PT_IF_GONE, PT_N };
static const char *const partners_keys[PT_N] = {
    [PT_SAME_AS] = "same_as", [PT_WAIT_S] = "wait_s", [PT_IF_GONE] = "if_gone",
};
static const cfg_schema partners_schema = {"partners", "in partners", partners_keys, PT_N};

/* Scene `index` (a game scene, its game already loaded) seats the groups of scene
 * `same_as` together again: an earlier game scene with as many human seats. */
static bool load_partners(loader *L, const ynode *n, scene_spec *s, int index)
{
    experiment *x = L->x;
    partners_spec *ps = &s->partners;
    cfg_field f[PT_N];
    char id[CFG_ID_LEN];
    if (!cfg_mapping(&L->c, n, &partners_schema, f) ||
        !cfg_require(&L->c, n, &partners_schema, f, PT_SAME_AS) ||
        !cfg_ident(&L->c, f[PT_SAME_AS].val, "same_as", "", id, sizeof id))
        return false;
    const ynode *v = f[PT_SAME_AS].val;
    if (strcmp(id, s->id) == 0)
        return cfg_fail(&L->c, v, "same_as must name an earlier game scene, not this scene "
                                  "itself");
    int from = -1;
    for (int i = 0; i < index && from < 0; i++)
        if (strcmp(x->scenes[i].id, id) == 0)
            from = i;
    if (from < 0)
        return cfg_fail(&L->c, v, "same_as must name an earlier game scene, got %s",
                        cfg_got(&L->c, v));
    const scene_spec *src = &x->scenes[from];
    if (src->kind != SCENE_GAME)
        return cfg_fail(&L->c, v, "same_as must name an earlier game scene; \"%s\" is a page "
                                  "scene", id);
    if (s->game.humans < 2)
        return cfg_fail(&L->c, n, "partners needs a game with at least two human seats; this "
                                  "game has 1");
    if (src->game.humans != s->game.humans)
        return cfg_fail(&L->c, v, "same_as \"%s\" seats %d people but this game seats %d; a "
                                  "group plays again only in a game with as many human seats",
                        id, src->game.humans, s->game.humans);
    ps->keep = true;
    ps->same_as = from;
    L->same_as_at[index] = v;
    ps->wait_s = CFG_DEFAULT_PARTNERS_WAIT_S;
    ps->if_gone = PARTNERS_REGROUP;
    if (f[PT_WAIT_S].val && !cfg_int(&L->c, f[PT_WAIT_S].val, "wait_s", 1, MAX_PARTNERS_WAIT_S,
                                     &ps->wait_s))
        return false;
    const ynode *g = f[PT_IF_GONE].val;
    if (g && cfg_is(g, "end"))
        ps->if_gone = PARTNERS_END;
    else if (g && !cfg_is(g, "regroup"))
        return cfg_fail(&L->c, g, "if_gone must be regroup or end, got %s", cfg_got(&L->c, g));
    return true;
}

/* Does a later scene keep the groups of scene `i`? */
static bool forms_parties(const experiment *x, int i)
{
    for (int t = i + 1; t < x->nbase; t++)
        if (x->scenes[t].partners.keep && x->scenes[t].partners.same_as == i)
            return true;
    return false;
}

/* A participant belongs to one group at a time (src/lobby/party.h): the latest game that
 * a later scene keeps. So between a scene and the one it keeps the groups of, no other
 * game may form groups for later, or the first group would be gone when it is needed. */
bool loader_check_partner_chains(loader *L)
{
    const experiment *x = L->x;
    for (int t = 0; t < x->nbase; t++) {
        const partners_spec *ps = &x->scenes[t].partners;
        for (int k = ps->keep ? ps->same_as + 1 : t; k < t; k++)
            if (forms_parties(x, k))
                return cfg_fail(&L->c, L->same_as_at[t], "same_as \"%s\": game scene \"%s\" "
                                "between them forms groups for a later scene, and a participant "
                                "keeps one group at a time", x->scenes[ps->same_as].id,
                                x->scenes[k].id);
    }
    return true;
}

/* ---- scenes ---- */

enum {
    S_ID, S_PAGE, S_FORM, S_QUIZ, S_GAME, S_WAITROOM, S_MATCHMAKER, S_ON_PARTNER_DROP,
    S_RECONNECT_GRACE_S, S_FOCUS_LOSS_TIMEOUT_S, S_INACTIVITY_TIMEOUT_S, S_ENTRY_MAX_RTT_MS,
    S_CONTINUOUS_MAX_RTT_MS, S_NO_INPUT_TIMEOUT_S, S_PARTNERS, S_N
};
static const char *const scene_keys[S_N] = {
    [S_ID] = "id", [S_PAGE] = "page", [S_FORM] = "form", [S_QUIZ] = "quiz", [S_GAME] = "game",
    [S_WAITROOM] = "waitroom", [S_MATCHMAKER] = "matchmaker",
    [S_ON_PARTNER_DROP] = "on_partner_drop", [S_RECONNECT_GRACE_S] = "reconnect_grace_s",
    [S_FOCUS_LOSS_TIMEOUT_S] = "focus_loss_timeout_s",
    [S_INACTIVITY_TIMEOUT_S] = "inactivity_timeout_s", [S_ENTRY_MAX_RTT_MS] = "entry_max_rtt_ms",
    [S_CONTINUOUS_MAX_RTT_MS] = "continuous_max_rtt_ms",
    [S_NO_INPUT_TIMEOUT_S] = "no_input_timeout_s", [S_PARTNERS] = "partners",
};
static const cfg_schema scene_schema = {"each scene", "in a scene", scene_keys, S_N};

/* Everything in a game scene but the game itself (waitroom .. entry_max_rtt_ms). */
static bool load_game_settings(loader *L, const cfg_field *f, scene_spec *s)
{
    s->waitroom_timeout_s = 180;
    s->waitroom_on_timeout = WAITROOM_END;
    s->matchmaker = MATCH_FIFO;
    s->max_rtt_ms = 250;
    s->on_partner_drop = DROP_END;
    s->reconnect_grace_s = 10;
    s->focus_loss_timeout_s = 30;
    s->inactivity_timeout_s = 0;
    s->no_input_timeout_s = 60;
    s->entry_max_rtt_ms = 0;
    s->continuous_max_rtt_ms = 0;
    if (f[S_WAITROOM].val && !load_waitroom(L, f[S_WAITROOM].val, s))
        return false;
    if (f[S_MATCHMAKER].val && !load_matchmaker(L, f[S_MATCHMAKER].val, s))
        return false;
    if (f[S_ON_PARTNER_DROP].val && !load_drop(L, f[S_ON_PARTNER_DROP].val, s))
        return false;
    const struct {
        int field;
        int hi;
        int *dst;
    } ints[] = {
        {S_RECONNECT_GRACE_S, MAX_GRACE_S, &s->reconnect_grace_s},
        {S_FOCUS_LOSS_TIMEOUT_S, MAX_TIMEOUT_S, &s->focus_loss_timeout_s},
        {S_INACTIVITY_TIMEOUT_S, MAX_TIMEOUT_S, &s->inactivity_timeout_s},
        {S_NO_INPUT_TIMEOUT_S, MAX_TIMEOUT_S, &s->no_input_timeout_s},
        {S_ENTRY_MAX_RTT_MS, MAX_RTT_MS, &s->entry_max_rtt_ms},
        {S_CONTINUOUS_MAX_RTT_MS, MAX_RTT_MS, &s->continuous_max_rtt_ms},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        const ynode *v = f[ints[i].field].val;
        if (v && !cfg_int(&L->c, v, scene_keys[ints[i].field], 0, ints[i].hi, ints[i].dst))
            return false;
    }
    return true;
}

/* A scene is a page (with an advance button) or a game (with an optional page above its
 * start button); settings of the other kind are errors, not silently ignored. */
static bool check_scene_kind(loader *L, const ynode *n, const cfg_field *f, const char *id)
{
    if (f[S_GAME].key) {
        if (f[S_FORM].key)
            return cfg_fail(&L->c, f[S_FORM].key, "form is only allowed in a page scene "
                                                  "(a game scene's page cannot hold a form)");
        if (f[S_QUIZ].key)
            return cfg_fail(&L->c, f[S_QUIZ].key, "quiz is only allowed in a page scene with "
                                                  "form: true (scene \"%s\" has a game)", id);
        return true;
    }
    for (int i = S_WAITROOM; i < S_N; i++)
        if (f[i].key)
            return cfg_fail(&L->c, f[i].key, "%s is only allowed in a game scene (scene \"%s\" "
                                             "has no game)", scene_keys[i], id);
    if (!f[S_PAGE].key)
        return cfg_fail(&L->c, n, "scene \"%s\" needs a page or a game", id);
    return true;
}

bool loader_scene(loader *L, const ynode *n, const char *suffix, scene_spec *s,
                  const ynode **id_node)
{
    cfg_field f[S_N];
    if (!cfg_mapping(&L->c, n, &scene_schema, f) ||
        !cfg_require(&L->c, n, &scene_schema, f, S_ID) ||
        !cfg_ident(&L->c, f[S_ID].val, "scene id", "", s->id, sizeof s->id))
        return false;
    if (strlen(s->id) + strlen(suffix) >= sizeof s->id)
        return cfg_fail(&L->c, f[S_ID].val, "scene id \"%s\" is too long to number its "
                                            "repetitions (at most %zu characters here)",
                        s->id, sizeof s->id - 1 - strlen(suffix));
    strcat(s->id, suffix);
    *id_node = f[S_ID].val;
    if (!check_scene_kind(L, n, f, s->id))
        return false;
    s->kind = f[S_GAME].key ? SCENE_GAME : SCENE_PAGE;
    if (f[S_PAGE].val && !load_page(L, f[S_PAGE].val, s->page))
        return false;
    if (f[S_FORM].val && !cfg_bool(&L->c, f[S_FORM].val, "form", &s->form))
        return false;
    if (s->kind == SCENE_PAGE)
        return check_form(L, s, f[S_PAGE].val, f[S_FORM].key) &&
               (!f[S_QUIZ].key ||
                cfg_load_quiz(&L->c, f[S_QUIZ].key, f[S_QUIZ].val, f[S_PAGE].val, L->x, s,
                              L->place));
    return load_game(L, f[S_GAME].val, &s->game) && load_game_settings(L, f, s) &&
           (!f[S_PARTNERS].val || load_partners(L, f[S_PARTNERS].val, s, L->place));
}

/* ---- identity and end ---- */

enum { I_PARAMS, I_STUDY_PARAMS, I_RESUME, I_N };
static const char *const identity_keys[I_N] = {
    [I_PARAMS] = "params", [I_STUDY_PARAMS] = "study_params",
    [I_RESUME] = "resume_without_token",
};
static const cfg_schema identity_schema = {"identity", "in identity", identity_keys, I_N};

/* A list of query parameter names: [A-Za-z0-9_.-], each once. */
static bool load_params(loader *L, const ynode *n, const char *name, char out[][CFG_ID_LEN],
                        int *count)
{
    if (!cfg_list(&L->c, n, name, "query parameter names", 0, CFG_MAX_PARAMS))
        return false;
    int i = 0;
    for (const ynode *p = n->first; p; p = p->next, i++) {
        if (!cfg_ident(&L->c, p, "a query parameter name", ".", out[i], CFG_ID_LEN))
            return false;
        for (int j = 0; j < i; j++)
            if (strcmp(out[j], out[i]) == 0)
                return cfg_fail(&L->c, p, "\"%s\" is listed twice in %s", out[i], name);
    }
    *count = i;
    return true;
}

static void default_identity(experiment *x)
{
    static const char *const params[] = {"PROLIFIC_PID", "workerId", "participant"};
    static const char *const study[] = {"STUDY_ID", "SESSION_ID", "assignmentId", "hitId"};
    x->nidentity = 3;
    for (int i = 0; i < 3; i++)
        strcpy(x->identity_params[i], params[i]);
    x->nstudy = 4;
    for (int i = 0; i < 4; i++)
        strcpy(x->study_params[i], study[i]);
    x->resume_without_token = RESUME_UNTIL_GAME;
}

static bool load_resume(loader *L, const ynode *n, resume_policy *out)
{
    if (cfg_is(n, "until_game"))
        *out = RESUME_UNTIL_GAME;
    else if (cfg_is(n, "never"))
        *out = RESUME_NEVER;
    else
        return cfg_fail(&L->c, n, "resume_without_token must be until_game or never, got %s",
                        cfg_got(&L->c, n));
    return true;
}

static bool load_identity(loader *L, const ynode *n)
{
    cfg_field f[I_N];
    experiment *x = L->x;
    if (!cfg_mapping(&L->c, n, &identity_schema, f))
        return false;
    if (f[I_PARAMS].val &&
        !load_params(L, f[I_PARAMS].val, "params", x->identity_params, &x->nidentity))
        return false;
    if (f[I_STUDY_PARAMS].val &&
        !load_params(L, f[I_STUDY_PARAMS].val, "study_params", x->study_params, &x->nstudy))
        return false;
    return !f[I_RESUME].val || load_resume(L, f[I_RESUME].val, &x->resume_without_token);
}

/* ---- limits ---- */

#define MAX_PARTICIPANTS 1000000
#define MIN_EXPIRY_S 10
#define MAX_EXPIRY_S 86400

enum { L_PARTICIPANTS, L_UNACTED, L_UNACTED_EXPIRY_S, L_N };
static const char *const limits_keys[L_N] = {
    [L_PARTICIPANTS] = "participants", [L_UNACTED] = "unacted",
    [L_UNACTED_EXPIRY_S] = "unacted_expiry_s",
};
static const cfg_schema limits_schema = {"limits", "in limits", limits_keys, L_N};

static void default_limits(limits_spec *l)
{
    l->participants = CFG_DEFAULT_PARTICIPANTS;
    l->unacted = CFG_DEFAULT_UNACTED;
    l->unacted_expiry_s = CFG_DEFAULT_UNACTED_EXPIRY_S;
}

static bool load_limits(loader *L, const ynode *n)
{
    cfg_field f[L_N];
    limits_spec *l = &L->x->limits;
    if (!cfg_mapping(&L->c, n, &limits_schema, f))
        return false;
    if (f[L_PARTICIPANTS].val && !cfg_int(&L->c, f[L_PARTICIPANTS].val, "participants", 1,
                                          MAX_PARTICIPANTS, &l->participants))
        return false;
    /* A smaller participant cap lowers the default share of the not-yet-acted with it. */
    if (!f[L_UNACTED].val && l->unacted > l->participants)
        l->unacted = l->participants;
    if (f[L_UNACTED].val &&
        !cfg_int(&L->c, f[L_UNACTED].val, "unacted", 1, l->participants, &l->unacted))
        return false;
    return !f[L_UNACTED_EXPIRY_S].val ||
           cfg_int(&L->c, f[L_UNACTED_EXPIRY_S].val, "unacted_expiry_s", MIN_EXPIRY_S,
                   MAX_EXPIRY_S, &l->unacted_expiry_s);
}

enum { E_REDIRECT, E_CODES, E_N };
static const char *const end_keys[E_N] = {[E_REDIRECT] = "redirect", [E_CODES] = "codes"};
static const cfg_schema end_schema = {"end", "in end", end_keys, E_N};

/* One key per outcome, named as the outcome is (proto/names.h). */
#define CODE_KEY(id, name) [id] = name,
static const char *const code_keys[outcome_COUNT_] = {OUTCOME_LIST(CODE_KEY)};
#undef CODE_KEY
#define C_N outcome_COUNT_
static const cfg_schema codes_schema = {"codes", "in codes", code_keys, C_N};

/* An http(s) address without spaces, whose only placeholder is {code}. */
static bool load_redirect(loader *L, const ynode *n, char *out)
{
    if (!cfg_string(&L->c, n, "redirect", out, CFG_PATH_LEN))
        return false;
    if (out[0] == '\0')
        return true;
    bool ok = strncmp(out, "https://", 8) == 0 || strncmp(out, "http://", 7) == 0;
    for (const char *p = out; ok && *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7F)
            ok = false;
        else if (*p == '{' && strncmp(p, "{code}", 6) == 0)
            p += 5;
        else if (*p == '{' || *p == '}')
            ok = false;
    }
    if (!ok)
        return cfg_fail(&L->c, n, "redirect must be an http:// or https:// address without "
                                  "spaces, whose only placeholder is {code}, got %s",
                        cfg_got(&L->c, n));
    return true;
}

static bool load_codes(loader *L, const ynode *n)
{
    cfg_field f[C_N];
    if (!cfg_mapping(&L->c, n, &codes_schema, f))
        return false;
    for (int i = 0; i < C_N; i++) {
        const ynode *v = f[i].val;
        /* "" means "no code for that outcome", same as leaving the key out. */
        if (v && !(v->kind == YNODE_SCALAR && !v->is_null && v->len == 0) &&
            !cfg_ident(&L->c, v, code_keys[i], "", L->x->codes[i], CFG_ID_LEN))
            return false;
    }
    return true;
}

static bool load_end(loader *L, const ynode *n)
{
    cfg_field f[E_N];
    if (!cfg_mapping(&L->c, n, &end_schema, f))
        return false;
    if (f[E_REDIRECT].val && !load_redirect(L, f[E_REDIRECT].val, L->x->redirect))
        return false;
    return !f[E_CODES].val || load_codes(L, f[E_CODES].val);
}

/* ---- the whole file ---- */

/* texts: key -> the words shown instead of that key's default. */
static bool load_texts(loader *L, const ynode *n)
{
    experiment *x = L->x;
    if (!cfg_free_mapping(&L->c, n, "texts", "in texts", CFG_MAX_TEXTS))
        return false;
    x->ntexts = 0;
    for (const ynode *k = n->first; k; k = ynode_next_key(k)) {
        char key[CFG_ID_LEN], quoted[80];
        if (!cfg_string(&L->c, k, "a text's name", key, sizeof key))
            return false;
        cfg_quote(quoted, sizeof quoted, k->text, k->len);
        if (!texts_lookup(key, NULL))
            return cfg_fail(&L->c, k, "texts: %s is not a text cohort shows; docs/EXPERIMENTS.md "
                                      "lists every one", quoted);
        const ynode *v = ynode_value(k);
        char *dst = x->texts[x->ntexts].value;
        if (!cfg_string(&L->c, v, quoted, dst, CFG_TEXT_LEN))
            return false;
        char bad[40];
        const char *def = "";
        texts_lookup(key, &def);
        if (!texts_placeholders_ok(key, dst, bad, sizeof bad))
            return cfg_fail(&L->c, v, "texts: %s has no placeholder %s; its default is \"%s\"",
                            quoted, bad, def);
        snprintf(x->texts[x->ntexts].key, sizeof x->texts[x->ntexts].key, "%s", key);
        x->ntexts++;
    }
    return true;
}

/* language: a BCP 47 tag (letters, digits, '-'); direction: ltr or rtl. */
static bool load_language(loader *L, const ynode *lang, const ynode *dir)
{
    experiment *x = L->x;
    if (lang) {
        if (!cfg_string(&L->c, lang, "language", x->language, sizeof x->language))
            return false;
        bool ok = x->language[0] != '\0';
        for (const char *p = x->language; *p; p++)
            ok = ok && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9') || *p == '-');
        if (!ok)
            return cfg_fail(&L->c, lang, "language must be a language tag such as en, he or "
                                         "pt-BR, got %s", cfg_got(&L->c, lang));
    }
    if (dir) {
        if (!cfg_is(dir, "ltr") && !cfg_is(dir, "rtl"))
            return cfg_fail(&L->c, dir, "direction must be ltr or rtl, got %s", cfg_got(&L->c, dir));
        snprintf(x->direction, sizeof x->direction, "%s", cfg_is(dir, "rtl") ? "rtl" : "ltr");
    }
    return true;
}

enum {
    T_EXPERIMENT, T_IDENTITY, T_SCENES, T_EXIT_SCENES, T_ON_OUTCOME, T_CONDITIONS,
    T_ASSIGNMENT, T_MIX_CONDITIONS, T_END, T_LIMITS, T_TEXTS, T_LANGUAGE, T_DIRECTION,
    T_REQUIRE, T_BONUS, T_N
};
static const char *const top_keys[T_N] = {
    [T_EXPERIMENT] = "experiment", [T_IDENTITY] = "identity", [T_SCENES] = "scenes",
    [T_EXIT_SCENES] = "exit_scenes", [T_ON_OUTCOME] = "on_outcome",
    [T_CONDITIONS] = "conditions", [T_ASSIGNMENT] = "assignment",
    [T_MIX_CONDITIONS] = "mix_conditions", [T_END] = "end", [T_LIMITS] = "limits",
    [T_TEXTS] = "texts", [T_LANGUAGE] = "language", [T_DIRECTION] = "direction",
    [T_REQUIRE] = "require", [T_BONUS] = "bonus",
};
static const cfg_schema top_schema = {"the file", "at the top level", top_keys, T_N};

static bool load_experiment(loader *L, const ynode *root)
{
    cfg_field f[T_N];
    experiment *x = L->x;
    if (!cfg_mapping(&L->c, root, &top_schema, f) ||
        !cfg_require(&L->c, root, &top_schema, f, T_EXPERIMENT) ||
        !cfg_require(&L->c, root, &top_schema, f, T_SCENES) ||
        !cfg_ident(&L->c, f[T_EXPERIMENT].val, "experiment", "", x->id, sizeof x->id))
        return false;
    default_identity(x);
    default_limits(&x->limits);
    if (f[T_IDENTITY].val && !load_identity(L, f[T_IDENTITY].val))
        return false;
    if (f[T_LIMITS].val && !load_limits(L, f[T_LIMITS].val))
        return false;
    if (f[T_REQUIRE].val && !config_load_require(&L->c, f[T_REQUIRE].val, &x->require))
        return false;
    design_nodes d = {
        .scenes = f[T_SCENES].val,
        .exit_scenes = f[T_EXIT_SCENES].val,
        .on_outcome = f[T_ON_OUTCOME].val,
        .conditions = f[T_CONDITIONS].val,
        .assignment = f[T_ASSIGNMENT].val,
        .mix_conditions = f[T_MIX_CONDITIONS].val,
    };
    if (!load_design(L, &d))
        return false;
    if (f[T_TEXTS].val && !load_texts(L, f[T_TEXTS].val))
        return false;
    if (!load_language(L, f[T_LANGUAGE].val, f[T_DIRECTION].val))
        return false;
    if (f[T_BONUS].val && !cfg_load_bonus(&L->c, f[T_BONUS].val, &x->bonus))
        return false;
    return !f[T_END].val || load_end(L, f[T_END].val);
}

/* ---- text checks before parsing ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    if (s[0] < 0x80)
        return 1;
    size_t n;
    unsigned min;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/*
 * libfyaml quietly drops invalid UTF-8 and stops at a NUL, and any string from the file
 * ends up in JSON sent to browsers, so both are refused here with their position.
 * Columns count characters, as libfyaml's do.
 */
static bool check_text(loader *L, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    int line = 1, col = 1;
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a BOM: no column */
    while (i < len) {
        if (s[i] == '\0')
            return cfg_fail_at(&L->c, line, col, "the file contains a NUL byte; expected YAML "
                                                 "text");
        size_t n = utf8_len(s + i, len - i);
        if (n == 0)
            return cfg_fail_at(&L->c, line, col, "invalid UTF-8 (byte 0x%02x); save the file "
                                                 "as UTF-8 text", s[i]);
        bool newline = s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'));
        if (newline)
            line++, col = 1;
        else if (s[i] != '\r')
            col++;
        i += n;
    }
    return true;
}

/* After a syntax error: a tab in the indentation at or before the error line is almost
 * always the cause, and libfyaml's message for it rarely says so. */
static bool find_tab_indent(const char *text, size_t len, int upto, int *line, int *col)
{
    int l = 1;
    for (size_t i = 0; i < len && l <= upto; l++) {
        size_t start = i;
        while (i < len && (text[i] == ' ' || text[i] == '\t'))
            i++;
        bool content = i < len && text[i] != '\n' && text[i] != '\r' && text[i] != '#';
        const char *tab = memchr(text + start, '\t', i - start);
        if (content && tab) {
            *line = l;
            *col = (int)(tab - (text + start)) + 1;
            return true;
        }
        while (i < len && text[i] != '\n')
            i++;
        i++;
    }
    return false;
}

static bool parse_and_load(loader *L)
{
    ytree_error perr;
    ytree *tree = ytree_parse(L->text, L->len, &perr);
    if (!tree) {
        int line, col;
        if (perr.syntax && find_tab_indent(L->text, L->len, perr.line, &line, &col))
            return cfg_fail_at(&L->c, line, col, "tab used for indentation; YAML indents "
                                                 "with spaces only");
        return cfg_fail_at(&L->c, perr.line, perr.col, "%s", perr.msg);
    }
    const ynode *root = ytree_root(tree);
    bool ok = root ? load_experiment(L, root)
                   : cfg_fail_at(&L->c, 1, 1, "the file is empty; expected a mapping with "
                                              "experiment and scenes");
    ytree_free(tree);
    return ok;
}

/* x->path as given, x->dir the absolute folder pages are resolved against. */
static bool set_paths(loader *L, const char *path)
{
    experiment *x = L->x;
    if (strlen(path) >= CFG_PATH_LEN)
        return cfg_fail_at(&L->c, 1, 1, "the file name is too long");
    strcpy(x->path, path);
    char dir[CFG_PATH_LEN];
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    char *real = realpath(dir, NULL);
    if (!real)
        return cfg_fail_at(&L->c, 1, 1, "cannot find the file's folder: %s", strerror(errno));
    bool ok = strlen(real) < CFG_PATH_LEN;
    if (ok)
        strcpy(x->dir, real);
    free(real);
    return ok || cfg_fail_at(&L->c, 1, 1, "the file's folder has too long a path");
}

int config_load_buffer(const char *path, const char *text, size_t len,
                       const config_hooks *hooks, experiment *out, char *err, size_t errlen)
{
    loader L = {
        .c = {.file = path, .err = err, .errlen = errlen},
        .hooks = hooks,
        .x = out,
        .text = text,
        .len = len,
    };
    if (err && errlen)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    bool ok;
    if (len > CFG_MAX_FILE_BYTES)
        ok = cfg_fail_at(&L.c, 1, 1, "the file is larger than 1 MiB; an experiment file is "
                                     "a few KiB");
    else
        ok = check_text(&L, text, len) && set_paths(&L, path) && parse_and_load(&L);
    if (!ok) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* The whole file, refusing anything over the size limit without reading all of it. */
static bool read_file(cfg_ctx *c, const char *path, char **text, size_t *len)
{
    file_status st = file_read_all(path, CFG_MAX_FILE_BYTES, text, len);
    switch (st) {
    case FILE_OK:
        return true;
    case FILE_CANNOT_OPEN:
        return cfg_fail_at(c, 1, 1, "cannot open the file: %s", strerror(errno));
    case FILE_NOT_REGULAR:
        return cfg_fail_at(c, 1, 1, "not a regular file; expected a YAML experiment file");
    case FILE_TOO_BIG:
        return cfg_fail_at(c, 1, 1, "the file is larger than 1 MiB; an experiment file is a "
                                    "few KiB");
    default:
        return cfg_fail_at(c, 1, 1, "cannot read the file");
    }
}

int config_load(const char *path, const config_hooks *hooks, experiment *out, char *err,
                size_t errlen)
{
    cfg_ctx c = {.file = path, .err = err, .errlen = errlen};
    char *text = NULL;
    size_t len = 0;
    if (!read_file(&c, path, &text, &len)) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    int rc = config_load_buffer(path, text, len, hooks, out, err, errlen);
    free(text);
    return rc;
}
