/*
 * Cooking episodes in Overcooked-AI's trajectory format (docs/DATA.md), one JSON file per
 * episode holding a one-episode trajectory dict:
 *
 *   ep_states   [[state, ...]]   OvercookedState.to_dict() of the state BEFORE each step:
 *               players (position [x, y], orientation [dx, dy], held_object), objects
 *               (what lies on counters and what is in the pots), bonus_orders,
 *               all_orders, timestep
 *   ep_actions  [[[a0, a1], ...]] the joint action of each step as Overcooked-AI's
 *               Action values: [0, -1] north, [0, 1] south, [1, 0] east, [-1, 0] west,
 *               [0, 0] stay, "interact"
 *   ep_rewards  [[r, ...]]        the team's (sparse) reward of each step
 *   ep_dones, ep_infos ({"sparse_r_by_agent": [r0, r1]}), ep_returns, ep_lengths,
 *   mdp_params  [{"layout_name", "old_dynamics": true}]   (a pot starts cooking when its
 *               third onion goes in, as in Overcooked-AI's old dynamics)
 *   env_params  [{"horizon"}]
 *   metadatas   {"cohort_game", "cohort_episode", "cohort_seats",
 *                "joint_action_indices": [[[i0, i1], ...]]}  with Overcooked-AI's action
 *               order: 0 north, 1 south, 2 east, 3 west, 4 stay, 5 interact.
 *
 * Positions are (x, y) with y growing downwards in both games, so cells map one to one.
 * Soups follow SoupState.to_dict: a pot holding 1 or 2 onions is an idle soup
 * (cooking_tick -1); a full pot cooks for COOKING_COOK_TIME steps; a soup in hand or on
 * a counter is ready.
 */
#include "export.h"

#include <stdlib.h>
#include <string.h>

#include "cooking/cooking.h"

/* cohort facing/direction -> Overcooked-AI direction vector */
static const int DX[4] = {0, 0, -1, 1}, DY[4] = {-1, 1, 0, 0};

int xoc_action_index(int32_t a)
{
    switch (a) {
    case COOK_UP: return 0;
    case COOK_DOWN: return 1;
    case COOK_RIGHT: return 2;
    case COOK_LEFT: return 3;
    case COOK_INTERACT: return 5;
    default: return 4; /* stay, and any out-of-range action (the env treats it as stay) */
    }
}

typedef struct {
    char *p;
    size_t len, cap;
} obuf;

static void ob_add(obuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown)
            return;
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

struct xoc {
    FILE *fp;
    const cooking_layout *L;
    uint32_t steps;
    int64_t ret;
    obuf actions, indices, rewards, dones, infos;
    bool failed;
    char game[64];
    uint32_t episode, horizon, nseats;
    char seats[ENV_MAX_PLAYERS][80];
};

static void put_object(FILE *fp, int item, int x, int y, int onions, int cook, bool in_pot)
{
    if (item == ITEM_ONION || item == ITEM_DISH) {
        fprintf(fp, "{\"name\": \"%s\", \"position\": [%d, %d]}",
                item == ITEM_ONION ? "onion" : "dish", x, y);
        return;
    }
    /* a soup: in a pot with its onions so far, or a finished one in hand or on a counter */
    int n = in_pot ? onions : 3;
    int tick = in_pot ? (onions >= 3 ? cook : -1) : COOKING_COOK_TIME;
    bool idle = tick < 0, ready = !idle && tick >= COOKING_COOK_TIME;
    fprintf(fp, "{\"name\": \"soup\", \"position\": [%d, %d], \"_ingredients\": [", x, y);
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s{\"name\": \"onion\", \"position\": [%d, %d]}", i ? ", " : "", x, y);
    fprintf(fp,
            "], \"cooking_tick\": %d, \"is_cooking\": %s, \"is_ready\": %s, \"is_idle\": %s, "
            "\"cook_time\": %d, \"_cooking_tick\": %d}",
            tick, !idle && !ready ? "true" : "false", ready ? "true" : "false",
            idle ? "true" : "false", idle ? -1 : COOKING_COOK_TIME, tick);
}

xoc *xoc_begin(FILE *fp, const env_def *env, const char *game, uint32_t episode,
               uint32_t horizon, const char *const *seats)
{
    if (strncmp(env->name, "cooking/", 8) != 0)
        return NULL;
    xoc *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->fp = fp;
    cooking_state probe;
    env->reset(&probe, 0, 0);
    o->L = cooking_layout_of(&probe);
    snprintf(o->game, sizeof o->game, "%s", game);
    o->episode = episode;
    o->horizon = horizon;
    o->nseats = env->players < ENV_MAX_PLAYERS ? env->players : ENV_MAX_PLAYERS;
    for (uint32_t i = 0; i < o->nseats; i++)
        snprintf(o->seats[i], sizeof o->seats[i], "%s", seats[i] ? seats[i] : "");
    fprintf(fp, "{\n\"ep_states\": [[");
    return o;
}

void xoc_step(xoc *o, const void *state_before, const int32_t *actions, const int32_t *rewards,
              bool done)
{
    const cooking_state *s = state_before;
    const cooking_layout *L = o->L;
    FILE *fp = o->fp;
    fprintf(fp, "%s\n{\"players\": [", o->steps ? "," : "");
    for (int i = 0; i < 2; i++) {
        const cooking_chef *c = &s->chef[i];
        int d = c->dir < 4 ? c->dir : 0;
        fprintf(fp, "%s{\"position\": [%d, %d], \"orientation\": [%d, %d], \"held_object\": ",
                i ? ", " : "", c->x, c->y, DX[d], DY[d]);
        if (c->held == ITEM_NONE || c->held > ITEM_SOUP)
            fprintf(fp, "null");
        else
            put_object(fp, c->held, c->x, c->y, 0, 0, false);
        fprintf(fp, "}");
    }
    fprintf(fp, "], \"objects\": [");
    int nobj = 0;
    for (int cell = 0; cell < L->w * L->h && cell < COOKING_MAX_CELLS; cell++) {
        int x = cell % L->w, y = cell / L->w;
        char g = L->grid[cell];
        if (g == 'P' && s->item[cell] > 0) {
            fprintf(fp, "%s", nobj++ ? ", " : "");
            put_object(fp, ITEM_SOUP, x, y, s->item[cell] > 3 ? 3 : s->item[cell], s->cook[cell],
                       true);
        } else if (g == 'X' && s->item[cell] >= ITEM_ONION && s->item[cell] <= ITEM_SOUP) {
            fprintf(fp, "%s", nobj++ ? ", " : "");
            put_object(fp, s->item[cell], x, y, 0, 0, false);
        }
    }
    fprintf(fp, "], \"bonus_orders\": [], \"all_orders\": [{\"ingredients\": [\"onion\", "
                "\"onion\", \"onion\"]}], \"timestep\": %u}",
            s->t);

    char tmp[160];
    const char *sepr = o->steps ? ", " : "";
    int a[2];
    for (int i = 0; i < 2; i++)
        a[i] = xoc_action_index(actions[i]);
    static const char *const action_json[6] = {"[0, -1]", "[0, 1]", "[1, 0]", "[-1, 0]",
                                               "[0, 0]", "\"interact\""};
    snprintf(tmp, sizeof tmp, "%s[%s, %s]", sepr, action_json[a[0]], action_json[a[1]]);
    ob_add(&o->actions, tmp);
    snprintf(tmp, sizeof tmp, "%s[%d, %d]", sepr, a[0], a[1]);
    ob_add(&o->indices, tmp);
    int64_t team = (int64_t)rewards[0] + rewards[1];
    o->ret += team;
    snprintf(tmp, sizeof tmp, "%s%lld", sepr, (long long)team);
    ob_add(&o->rewards, tmp);
    snprintf(tmp, sizeof tmp, "%s%s", sepr, done ? "true" : "false");
    ob_add(&o->dones, tmp);
    snprintf(tmp, sizeof tmp, "%s{\"sparse_r_by_agent\": [%d, %d]}", sepr, (int)rewards[0],
             (int)rewards[1]);
    ob_add(&o->infos, tmp);
    o->steps++;
}

static void put_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

int xoc_end(xoc *o)
{
    FILE *fp = o->fp;
    const char *empty = "";
    fprintf(fp, "\n]],\n\"ep_actions\": [[%s]],\n", o->actions.p ? o->actions.p : empty);
    fprintf(fp, "\"ep_rewards\": [[%s]],\n", o->rewards.p ? o->rewards.p : empty);
    fprintf(fp, "\"ep_dones\": [[%s]],\n", o->dones.p ? o->dones.p : empty);
    fprintf(fp, "\"ep_infos\": [[%s]],\n", o->infos.p ? o->infos.p : empty);
    fprintf(fp, "\"ep_returns\": [%lld],\n\"ep_lengths\": [%u],\n", (long long)o->ret, o->steps);
    fprintf(fp, "\"mdp_params\": [{\"layout_name\": ");
    put_json_string(fp, o->L->oc_layout); /* overcooked_ai's name of the grid */
    fprintf(fp, ", \"old_dynamics\": true}],\n\"env_params\": [{\"horizon\": %u}],\n",
            o->horizon);
    fprintf(fp, "\"metadatas\": {\"cohort_game\": [");
    put_json_string(fp, o->game);
    fprintf(fp, "], \"cohort_episode\": [%u], \"cohort_seats\": [[", o->episode);
    for (uint32_t i = 0; i < o->nseats; i++) {
        if (i)
            fprintf(fp, ", ");
        put_json_string(fp, o->seats[i]);
    }
    fprintf(fp, "]], \"joint_action_indices\": [[%s]]}\n}\n", o->indices.p ? o->indices.p : empty);
    bool ok = !o->failed && !ferror(fp);
    free(o->actions.p);
    free(o->indices.p);
    free(o->rewards.p);
    free(o->dones.p);
    free(o->infos.p);
    free(o);
    return ok ? 0 : -1;
}
