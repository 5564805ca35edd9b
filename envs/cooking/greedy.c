/*
 * cooking policy "greedy": a scripted cook.
 *
 * Each call looks only at the state (no memory) and picks the most useful job for the
 * chef's hands: serve a soup; put an onion into a pot that needs one; hold a dish at the
 * pot that will be ready first; with empty hands, fetch a dish when a pot is cooking and
 * no partner dish covers it, else fetch an onion while pots need onions, else fetch a
 * dish in advance. Items it cannot use itself (no reachable pot or serving window, as in
 * forced_coordination) are handed over on a counter that the partner can reach.
 *
 * Paths are shortest paths (breadth first) that treat the partner as an obstacle. Chef 1
 * also treats the cell chef 0 is about to enter as taken, so two greedy chefs never
 * collide. A chef with nothing to do steps aside when it stands in the partner's only
 * way; when both block each other, chef 1 gives way.
 */
#include "cooking.h"

#define NC COOKING_MAX_CELLS
#define FAR 255

enum {
    G_SERVE, G_POT_ONION, G_POT_DISH, G_POT_ANY, G_ONION_SRC, G_DISH_SRC, G_ONION_DISP,
    G_DISH_DISP, G_SOUP_CTR, G_DISH_CTR, G_EMPTY_CTR, G_HANDOFF, G_NONE
};
enum { ST_NONE, ST_MOVE, ST_ACT, ST_WAIT, ST_BLOCKED };

typedef struct {
    const cooking_state *s;
    const cooking_layout *L;
    int me;
    uint8_t dfree[NC], pfree[NC]; /* distance and parent ignoring the partner */
    uint8_t dblk[NC], pblk[NC];   /* ... with the partner (and `avoid`) as obstacles */
} planner;

typedef struct {
    int action, status, goal, task;
} plan_t;

static int cell_of(const cooking_layout *L, int x, int y)
{
    return y * L->w + x;
}

static void bfs(const cooking_layout *L, int start, int block_a, int block_b,
                uint8_t *dist, uint8_t *parent)
{
    int n = L->w * L->h, queue[NC], head = 0, tail = 0;
    for (int i = 0; i < NC; i++) {
        dist[i] = FAR;
        parent[i] = FAR;
    }
    dist[start] = 0;
    queue[tail++] = start;
    while (head < tail) {
        int c = queue[head++], x = c % L->w, y = c / L->w;
        for (int d = 0; d < 4; d++) {
            int fx, fy;
            cooking_front(x, y, d, &fx, &fy);
            if (cooking_tile(L, fx, fy) != TILE_FLOOR)
                continue;
            int nc = cell_of(L, fx, fy);
            if (nc >= n || dist[nc] != FAR || nc == block_a || nc == block_b)
                continue;
            dist[nc] = (uint8_t)(dist[c] + 1);
            parent[nc] = (uint8_t)c;
            queue[tail++] = nc;
        }
    }
}

static int held_by(const cooking_state *s, int seat, int item)
{
    return s->chef[seat].held == item;
}

/* Is `cell` a target of `kind`? Returns -1 if not, else the steps until it is usable. */
static int target(const planner *p, int kind, int cell)
{
    const cooking_state *s = p->s;
    const cooking_layout *L = p->L;
    int tile = cooking_tile(L, cell % L->w, cell / L->w), it = s->item[cell];
    switch (kind) {
    case G_SERVE: return tile == TILE_SERVE ? 0 : -1;
    case G_POT_ONION: return tile == TILE_POT && it < 3 ? 0 : -1;
    case G_POT_DISH:
        if (tile != TILE_POT || it < 3)
            return -1;
        return s->cook[cell] >= COOKING_COOK_TIME ? 0 : COOKING_COOK_TIME - s->cook[cell];
    case G_POT_ANY: return tile == TILE_POT ? 3 - (it > 3 ? 3 : it) : -1;
    case G_ONION_SRC: return tile == TILE_ONION || (tile == TILE_COUNTER && it == ITEM_ONION) ? 0 : -1;
    case G_DISH_SRC: return tile == TILE_DISH || (tile == TILE_COUNTER && it == ITEM_DISH) ? 0 : -1;
    case G_ONION_DISP: return tile == TILE_ONION ? 0 : -1;
    case G_DISH_DISP: return tile == TILE_DISH ? 0 : -1;
    case G_SOUP_CTR: return tile == TILE_COUNTER && it == ITEM_SOUP ? 0 : -1;
    case G_DISH_CTR: return tile == TILE_COUNTER && it == ITEM_DISH ? 0 : -1;
    case G_EMPTY_CTR: return tile == TILE_COUNTER && it == ITEM_NONE ? 0 : -1;
    case G_HANDOFF: {
        if (tile != TILE_COUNTER || it != ITEM_NONE)
            return -1;
        /* a counter next to a floor cell the chef cannot reach: the partner's side */
        for (int d = 0; d < 4; d++) {
            int fx, fy;
            cooking_front(cell % L->w, cell / L->w, d, &fx, &fy);
            if (cooking_tile(L, fx, fy) == TILE_FLOOR && p->dfree[cell_of(L, fx, fy)] == FAR)
                return 0;
        }
        return -1;
    }
    default: return -1;
    }
}

/* The cheapest (standing cell, facing) to use a target of `kind`, by `dist`: cost is
 * max(walk, wait). Returns the cost or -1 when none is reachable. */
static int best(const planner *p, int kind, const uint8_t *dist, int *goal, int *face)
{
    const cooking_layout *L = p->L;
    int n = L->w * L->h, best_cost = -1;
    for (int cell = 0; cell < n; cell++) {
        int wait = target(p, kind, cell);
        if (wait < 0)
            continue;
        for (int d = 0; d < 4; d++) {
            /* stand on the cell behind `cell` as seen facing d */
            int sx, sy;
            cooking_front(cell % L->w, cell / L->w, d ^ 1, &sx, &sy);
            if (cooking_tile(L, sx, sy) != TILE_FLOOR)
                continue;
            int sc = cell_of(L, sx, sy);
            if (dist[sc] == FAR)
                continue;
            int cost = dist[sc] + 1 > wait ? dist[sc] + 1 : wait;
            if (best_cost < 0 || cost < best_cost) {
                best_cost = cost;
                *goal = sc;
                *face = d;
            }
        }
    }
    return best_cost;
}

static int first_step(const planner *p, int goal, const uint8_t *parent)
{
    const cooking_layout *L = p->L;
    const cooking_chef *c = &p->s->chef[p->me];
    int start = cell_of(L, c->x, c->y), cur = goal;
    for (int guard = 0; guard < NC && parent[cur] != start; guard++) {
        if (parent[cur] == FAR)
            return COOK_STAY;
        cur = parent[cur];
    }
    int dx = cur % L->w - c->x, dy = cur / L->w - c->y;
    return dx > 0 ? COOK_RIGHT : dx < 0 ? COOK_LEFT : dy > 0 ? COOK_DOWN : COOK_UP;
}

static int reachable(const planner *p, int kind)
{
    int g, f;
    return best(p, kind, p->dfree, &g, &f) >= 0;
}

static int count_targets(const planner *p, int kind)
{
    int n = p->L->w * p->L->h, k = 0;
    for (int cell = 0; cell < n; cell++)
        k += target(p, kind, cell) >= 0;
    return k;
}

/* Go and use a target of `kind`; ST_NONE when the chef can never reach one. */
static int go(const planner *p, int kind, plan_t *out)
{
    int goal, face;
    out->task = kind;
    if (best(p, kind, p->dfree, &goal, &face) < 0)
        return 0;
    int wait = best(p, kind, p->dblk, &goal, &face);
    if (wait < 0) {
        out->status = ST_BLOCKED;
        out->action = COOK_STAY;
        return 1;
    }
    const cooking_chef *c = &p->s->chef[p->me];
    out->goal = goal;
    if (goal != cell_of(p->L, c->x, c->y)) {
        out->status = ST_MOVE;
        out->action = first_step(p, goal, p->pblk);
    } else if (c->dir != face) {
        out->status = ST_MOVE;
        out->action = face;
    } else {
        int fx, fy;
        cooking_front(c->x, c->y, face, &fx, &fy);
        int ready = target(p, kind, cell_of(p->L, fx, fy)) == 0;
        out->status = ready ? ST_ACT : ST_WAIT;
        out->action = ready ? COOK_INTERACT : COOK_STAY;
    }
    return 1;
}

static void setup(planner *p, const cooking_state *s, int me, int avoid)
{
    p->s = s;
    p->L = cooking_layout_of(s);
    p->me = me;
    const cooking_chef *c = &s->chef[me], *o = &s->chef[!me];
    int start = cell_of(p->L, c->x, c->y);
    int other = cooking_tile(p->L, o->x, o->y) == TILE_FLOOR ? cell_of(p->L, o->x, o->y) : -1;
    bfs(p->L, start, -1, -1, p->dfree, p->pfree);
    bfs(p->L, start, other, avoid, p->dblk, p->pblk);
}

/* What chef `me` wants to do, ignoring what the partner is about to do. */
static plan_t plan(const cooking_state *s, int me, int avoid, int partner_task)
{
    planner p;
    plan_t out = {COOK_STAY, ST_NONE, -1, G_NONE};
    setup(&p, s, me, avoid);
    int other = !me, held = s->chef[me].held;
    int pots3 = count_targets(&p, G_POT_DISH), slots = 0;
    int n = p.L->w * p.L->h;
    for (int cell = 0; cell < n; cell++)
        if (target(&p, G_POT_ONION, cell) >= 0)
            slots += 3 - s->item[cell];
    int can_pot = reachable(&p, G_POT_ANY), can_serve = reachable(&p, G_SERVE);
    int partner_dish = held_by(s, other, ITEM_DISH) || partner_task == G_DISH_SRC;
    int partner_onion = held_by(s, other, ITEM_ONION) || partner_task == G_ONION_SRC;
    int counter_dishes = count_targets(&p, G_DISH_CTR);
    int counter_onions = 0;
    for (int cell = 0; cell < n; cell++)
        counter_onions += cooking_tile(p.L, cell % p.L->w, cell / p.L->w) == TILE_COUNTER &&
                          s->item[cell] == ITEM_ONION;

    switch (held) {
    case ITEM_SOUP:
        if (can_serve ? go(&p, G_SERVE, &out) : go(&p, G_HANDOFF, &out))
            return out;
        break;
    case ITEM_ONION:
        if (!can_pot) {
            if (go(&p, G_HANDOFF, &out))
                return out;
        } else if (slots > 0) {
            if (go(&p, G_POT_ONION, &out))
                return out;
        } else if (go(&p, G_EMPTY_CTR, &out)) {
            return out;
        }
        break;
    case ITEM_DISH:
        if (!can_pot) {
            if (go(&p, G_HANDOFF, &out))
                return out;
        } else if (pots3 > 0 && go(&p, G_POT_DISH, &out)) {
            return out;
        } else if (slots > partner_onion && reachable(&p, G_ONION_SRC) &&
                   go(&p, G_EMPTY_CTR, &out)) {
            return out; /* nothing to plate soon: put the dish down and fetch onions */
        } else if (go(&p, G_POT_ANY, &out)) {
            if (out.status == ST_ACT) { /* nothing to take yet: wait at the pot */
                out.status = ST_WAIT;
                out.action = COOK_STAY;
            }
            return out;
        }
        break;
    case ITEM_NONE:
        if (can_serve && go(&p, G_SOUP_CTR, &out))
            return out;
        if (can_pot && pots3 > partner_dish && go(&p, G_DISH_SRC, &out))
            return out;
        if (can_pot && slots > partner_onion && go(&p, G_ONION_SRC, &out))
            return out;
        if (!can_pot && slots > partner_onion + counter_onions && go(&p, G_ONION_DISP, &out))
            return out;
        if (!can_pot && pots3 + 1 > partner_dish + counter_dishes && go(&p, G_DISH_DISP, &out))
            return out;
        if (can_pot && !partner_dish && go(&p, G_DISH_SRC, &out))
            return out;
        break;
    default:
        /* an unknown item: put it down */
        if (go(&p, G_EMPTY_CTR, &out))
            return out;
        break;
    }
    out.action = COOK_STAY;
    out.status = ST_NONE;
    return out;
}

/* Does the partner's shortest free path to `goal` pass through `cell`? */
static int on_path(const cooking_state *s, int who, int goal, int cell)
{
    planner p;
    setup(&p, s, who, -1);
    if (goal < 0 || p.dfree[goal] == FAR)
        return 0;
    for (int cur = goal, guard = 0; guard < NC && cur != FAR; guard++, cur = p.pfree[cur])
        if (cur == cell)
            return 1;
    return 0;
}

/* Step to a free neighbouring floor cell off the partner's path, or stay. */
static int step_aside(const cooking_state *s, int me, int partner_goal)
{
    const cooking_layout *L = cooking_layout_of(s);
    const cooking_chef *c = &s->chef[me], *o = &s->chef[!me];
    for (int k = 0; k < 4; k++) {
        int d = (k + (int)(s->t % 4)) % 4, fx, fy;
        cooking_front(c->x, c->y, d, &fx, &fy);
        if (cooking_tile(L, fx, fy) != TILE_FLOOR || (fx == o->x && fy == o->y))
            continue;
        if (!on_path(s, !me, partner_goal, cell_of(L, fx, fy)))
            return d;
    }
    return COOK_STAY;
}

int32_t cooking_policy(uint32_t policy_index, const void *state, uint32_t seat)
{
    (void)policy_index;
    const cooking_state *s = (const cooking_state *)state;
    const cooking_layout *L = cooking_layout_of(s);
    if (seat > 1 || s->t >= s->horizon)
        return COOK_STAY;
    for (int i = 0; i < 2; i++)
        if (cooking_tile(L, s->chef[i].x, s->chef[i].y) != TILE_FLOOR)
            return COOK_STAY; /* not a state this game can reach */
    int me = (int)seat, other = !me;

    /* what the partner would do on its own */
    plan_t partner = plan(s, other, -1, G_NONE);
    int avoid = -1;
    if (me == 1 && partner.status == ST_MOVE && partner.action <= COOK_RIGHT) {
        int fx, fy;
        cooking_front(s->chef[0].x, s->chef[0].y, partner.action, &fx, &fy);
        if (cooking_tile(L, fx, fy) == TILE_FLOOR)
            avoid = cell_of(L, fx, fy);
    }
    plan_t mine = plan(s, me, avoid, me == 1 ? partner.task : G_NONE);

    /* give way: the partner is blocked and its way runs through this chef */
    int idle = mine.status == ST_NONE || mine.status == ST_WAIT || mine.status == ST_BLOCKED;
    if (idle && partner.status == ST_BLOCKED && (mine.status != ST_BLOCKED || me == 1)) {
        planner p;
        setup(&p, s, other, -1);
        int goal, face;
        if (best(&p, partner.task, p.dfree, &goal, &face) >= 0 &&
            on_path(s, other, goal, cell_of(L, s->chef[me].x, s->chef[me].y)))
            return step_aside(s, me, goal);
    }
    return mine.action;
}
