/*
 * cooking: observations for Overcooked-AI's trained agents (envs/env.h "Observations").
 *
 * Both encodings are overcooked_ai's "lossless state encoding": one w x h plane per
 * channel, index ((x * h) + y) * channels + c, as numpy's array of shape (w, h, channels)
 * that overcooked_ai builds (its grids are indexed [x][y]). The primary agent is `seat`.
 * They are written from the definitions in overcooked_ai's overcooked_mdp.py, checked
 * against values that overcooked_ai itself computed (tests/fixtures/obs/README.md).
 *
 * How a cohort state is read as an overcooked_ai state (the same for both encodings):
 *   chef i               player i (cohort's chef 0 is overcooked_ai's player 0, the '1' of
 *                        the grid); its facing as overcooked_ai's Direction, whose index
 *                        order is NORTH, SOUTH, EAST, WEST: up 0, down 1, right 2, left 3.
 *                        cohort's action order (up, down, left, right) is not that one.
 *   held or counter item onion, dish, or a soup of 3 onions cooked 20 steps
 *   pot with n onions    no object for n = 0; else a soup of n onions, cooked for cook[]
 *                        steps (0 until the third onion: cohort restarts it at each onion,
 *                        as overcooked_ai does)
 * States that reset and step never reach read as the nearest one that they do: onions above
 * 3 as 3, cook steps above 20 as 20, cook steps below 3 onions as 0; an item code or facing
 * out of range, and a chef outside the grid, as nothing at all.
 *
 * "lossless2019" (20 channels), overcooked_ai at 6eaceb0a:
 *   0 primary's cell, 1 other's cell, 2-5 primary faces N S E W, 6-9 other faces N S E W,
 *   10 pot, 11 counter, 12 onion dispenser, 13 dish dispenser, 14 serving window,
 *   15 onions in a pot, 16 steps the pot's soup has cooked, 17 a soup not in a pot (held or
 *   on a counter), 18 a dish, 19 an onion.
 * Its object list has a quirk the agents were trained with, kept here: it takes the objects
 * on the grid by type, then replaces (dict.update, not extend) each type's list with the
 * held ones if any player holds that type. So while a chef holds an onion no onion on a
 * counter is encoded; while a chef holds a dish no counter dish; and while a chef holds a
 * soup, no soup on a counter and no pot content (channels 15 and 16 read 0).
 *
 * The 2019 web site's own encoder (overcooked-hAI-exp, static/js/task/js/load_tf_model.js,
 * preprocessState), which fed the same models in the browser, differs: it encodes every
 * object (no such quirk), and it caps cook time at 20 (Math.min), which only matters there
 * because its JS game let a cooked soup's time run on. cohort follows the Python encoder:
 * it is the function the agents were trained on, and overcooked_ai's cook time never
 * exceeds 20 (nor does cohort's), so the cap changes nothing here.
 *
 * "lossless" (26 channels), overcooked_ai's current code (commit 739950a0, 2025), with
 * old_dynamics (a pot starts cooking on its third onion, as cohort's does; cook time 20):
 *   0-9 as above, 10 pot, 11 counter, 12 onion dispenser, 13 tomato dispenser (none),
 *   14 dish dispenser, 15 serving window, 16 onions in an idle pot (fewer than 3 onions,
 *   or 3 not yet cooking), 17 tomatoes in an idle pot (0), 18 onions in a cooking or
 *   cooked soup (in a pot, held or on a counter), 19 its tomatoes (0), 20 cook steps left
 *   (20 - cooked, in a pot only), 21 soup done (ready in a pot, or held, or on a counter),
 *   22 a dish, 23 an onion, 24 a tomato (0), 25 urgency: every cell 1 when
 *   horizon - t < 40 (overcooked_ai's env passes its horizon; cohort's is the state's).
 * Its object list includes every object (the quirk above was fixed). A full pot cohort has
 * not begun to cook (3 onions, cook 0: never seen between steps) reads as idle, as
 * overcooked_ai's own reading of a legacy soup of cook time 0 does.
 */
#include "cooking.h"

/* overcooked_ai's Direction index of each cohort facing (COOK_UP .. COOK_RIGHT). */
static const int oc_direction[4] = {0, 1, 3, 2};

typedef struct {
    int32_t *out;
    int h, channels;
} planes;

static void add(const planes *p, int x, int y, int c, int32_t v)
{
    p->out[(x * p->h + y) * p->channels + c] += v;
}

/* A chef as overcooked_ai would see it: `on` 0 for a chef outside the grid. */
typedef struct {
    int on, x, y, dir, held; /* dir -1 and held ITEM_NONE when out of range */
} chef_view;

static chef_view view_chef(const cooking_chef *c, const cooking_layout *L)
{
    chef_view v = {0, 0, 0, -1, ITEM_NONE};
    if (c->x >= L->w || c->y >= L->h)
        return v;
    v.on = 1;
    v.x = c->x;
    v.y = c->y;
    v.dir = c->dir <= COOK_RIGHT ? oc_direction[c->dir] : -1;
    v.held = c->held <= ITEM_SOUP ? c->held : ITEM_NONE;
    return v;
}

/* Channels 0-9, the same in both encodings: cells, then facings, primary first. */
static void put_chefs(const planes *p, const chef_view *ch, uint32_t seat)
{
    for (int i = 0; i < 2; i++) {
        if (!ch[i].on)
            continue;
        int slot = (uint32_t)i == seat ? 0 : 1;
        add(p, ch[i].x, ch[i].y, slot, 1);
        if (ch[i].dir >= 0)
            add(p, ch[i].x, ch[i].y, 2 + 4 * slot + ch[i].dir, 1);
    }
}

static int pot_onions(const cooking_state *s, int cell)
{
    return s->item[cell] > 3 ? 3 : s->item[cell];
}

static int pot_cooked(const cooking_state *s, int cell)
{
    if (pot_onions(s, cell) < 3)
        return 0;
    return s->cook[cell] > COOKING_COOK_TIME ? COOKING_COOK_TIME : s->cook[cell];
}

static void encode2019(const cooking_state *s, const cooking_layout *L, const chef_view *ch,
                       uint32_t seat, const planes *p)
{
    enum { POT = 10, COUNTER, ONION_DISP, DISH_DISP, SERVE, IN_POT, COOKED, SOUP, DISH, ONION };
    static const int item_channel[4] = {-1, ONION, DISH, SOUP};
    put_chefs(p, ch, seat);
    int held[4] = {0}; /* some chef holds an item of this type */
    for (int i = 0; i < 2; i++)
        if (ch[i].on && ch[i].held != ITEM_NONE) {
            held[ch[i].held] = 1;
            add(p, ch[i].x, ch[i].y, item_channel[ch[i].held], 1);
        }
    for (int c = 0; c < L->w * L->h; c++) {
        int x = c % L->w, y = c / L->w;
        switch (L->grid[c]) {
        case 'P':
            add(p, x, y, POT, 1);
            if (pot_onions(s, c) > 0 && !held[ITEM_SOUP]) {
                add(p, x, y, IN_POT, pot_onions(s, c));
                add(p, x, y, COOKED, pot_cooked(s, c));
            }
            break;
        case 'X':
            add(p, x, y, COUNTER, 1);
            if (s->item[c] >= ITEM_ONION && s->item[c] <= ITEM_SOUP && !held[s->item[c]])
                add(p, x, y, item_channel[s->item[c]], 1);
            break;
        case 'O': add(p, x, y, ONION_DISP, 1); break;
        case 'D': add(p, x, y, DISH_DISP, 1); break;
        case 'S': add(p, x, y, SERVE, 1); break;
        }
    }
}

static void encode_current(const cooking_state *s, const cooking_layout *L, const chef_view *ch,
                           uint32_t seat, const planes *p)
{
    enum { POT = 10, COUNTER, ONION_DISP, TOMATO_DISP, DISH_DISP, SERVE, ONIONS_IDLE,
           TOMATOES_IDLE, ONIONS_SOUP, TOMATOES_SOUP, STEPS_LEFT, DONE, DISH, ONION, TOMATO,
           URGENCY };
    put_chefs(p, ch, seat);
    for (int i = 0; i < 2; i++) {
        if (!ch[i].on)
            continue;
        switch (ch[i].held) {
        case ITEM_ONION: add(p, ch[i].x, ch[i].y, ONION, 1); break;
        case ITEM_DISH: add(p, ch[i].x, ch[i].y, DISH, 1); break;
        case ITEM_SOUP:
            add(p, ch[i].x, ch[i].y, ONIONS_SOUP, 3);
            add(p, ch[i].x, ch[i].y, DONE, 1);
            break;
        }
    }
    int64_t left = (int64_t)s->horizon - (int64_t)s->t;
    int urgent = left < COOKING_URGENCY_STEPS;
    for (int c = 0; c < L->w * L->h; c++) {
        int x = c % L->w, y = c / L->w;
        if (urgent)
            add(p, x, y, URGENCY, 1);
        switch (L->grid[c]) {
        case 'P': {
            add(p, x, y, POT, 1);
            int n = pot_onions(s, c), cooked = pot_cooked(s, c);
            if (n > 0 && cooked == 0) {
                add(p, x, y, ONIONS_IDLE, n);
            } else if (n > 0) {
                add(p, x, y, ONIONS_SOUP, n);
                add(p, x, y, STEPS_LEFT, COOKING_COOK_TIME - cooked);
                if (cooked >= COOKING_COOK_TIME)
                    add(p, x, y, DONE, 1);
            }
            break;
        }
        case 'X':
            add(p, x, y, COUNTER, 1);
            if (s->item[c] == ITEM_ONION)
                add(p, x, y, ONION, 1);
            else if (s->item[c] == ITEM_DISH)
                add(p, x, y, DISH, 1);
            else if (s->item[c] == ITEM_SOUP) {
                add(p, x, y, ONIONS_SOUP, 3);
                add(p, x, y, DONE, 1);
            }
            break;
        case 'O': add(p, x, y, ONION_DISP, 1); break;
        case 'D': add(p, x, y, DISH_DISP, 1); break;
        case 'S': add(p, x, y, SERVE, 1); break;
        }
    }
}

uint32_t cooking_observe(uint32_t layout, uint32_t k, const void *state, uint32_t seat,
                         int32_t *out, uint32_t cap)
{
    const cooking_state *s = (const cooking_state *)state;
    if (layout >= COOKING_NLAYOUTS || k >= COOKING_NOBS || seat >= 2 || !out)
        return 0;
    const cooking_layout *L = &cooking_layouts[layout];
    if (cooking_layout_of(s) != L)
        return 0;
    planes p = {out, L->h, k == COOKING_OBS_LOSSLESS2019 ? COOKING_OBS2019_CHANNELS
                                                        : COOKING_OBS_CHANNELS};
    uint32_t n = (uint32_t)(L->w * L->h * p.channels);
    if (cap < n)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        out[i] = 0;
    chef_view ch[2] = {view_chef(&s->chef[0], L), view_chef(&s->chef[1], L)};
    if (k == COOKING_OBS_LOSSLESS2019)
        encode2019(s, L, ch, seat, &p);
    else
        encode_current(s, L, ch, seat, &p);
    return n;
}
