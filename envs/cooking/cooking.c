/* cooking: reset and step (the rules are described in cooking.h). */
#include "cooking.h"

static void reset_layout(void *state, uint32_t layout, uint64_t seed, uint32_t horizon)
{
    cooking_state *s = (cooking_state *)state;
    *s = (cooking_state){0};
    s->seed = seed;
    s->layout = layout;
    s->horizon = horizon ? horizon : COOKING_HORIZON;
    const cooking_layout *L = &cooking_layouts[layout];
    for (int y = 0; y < L->h; y++)
        for (int x = 0; x < L->w; x++) {
            char c = L->grid[y * L->w + x];
            if (c == '1' || c == '2') {
                cooking_chef *ch = &s->chef[c - '1'];
                ch->x = (uint8_t)x;
                ch->y = (uint8_t)y;
                ch->dir = COOK_UP;
            }
        }
}

int cooking_pot_ready(const cooking_state *s, int cell)
{
    return s->item[cell] >= 3 && s->cook[cell] >= COOKING_COOK_TIME;
}

static void interact(cooking_state *s, const cooking_layout *L, int i, env_step_out *out)
{
    cooking_chef *c = &s->chef[i];
    int fx, fy;
    cooking_front(c->x, c->y, c->dir, &fx, &fy);
    int tile = cooking_tile(L, fx, fy);
    if (tile == TILE_FLOOR || tile == TILE_WALL)
        return;
    int cell = fy * L->w + fx;
    switch (tile) {
    case TILE_COUNTER:
        if (c->held != ITEM_NONE && s->item[cell] == ITEM_NONE) {
            s->item[cell] = c->held;
            c->held = ITEM_NONE;
        } else if (c->held == ITEM_NONE && s->item[cell] != ITEM_NONE) {
            c->held = s->item[cell];
            s->item[cell] = ITEM_NONE;
        }
        break;
    case TILE_ONION:
        if (c->held == ITEM_NONE)
            c->held = ITEM_ONION;
        break;
    case TILE_DISH:
        if (c->held == ITEM_NONE)
            c->held = ITEM_DISH;
        break;
    case TILE_POT:
        if (c->held == ITEM_ONION && s->item[cell] < 3) {
            s->item[cell]++;
            s->cook[cell] = 0;
            c->held = ITEM_NONE;
            s->potted[i]++;
        } else if (c->held == ITEM_DISH && cooking_pot_ready(s, cell)) {
            c->held = ITEM_SOUP;
            s->item[cell] = 0;
            s->cook[cell] = 0;
        }
        break;
    case TILE_SERVE:
        if (c->held == ITEM_SOUP) {
            c->held = ITEM_NONE;
            s->score += COOKING_SOUP_REWARD;
            s->soups_served++;
            s->served[i]++;
            out->rewards[i] += COOKING_SOUP_REWARD; /* the server's; the team's is the sum */
        }
        break;
    }
}

static void move(cooking_state *s, const cooking_layout *L, const int *a)
{
    int tx[2], ty[2];
    for (int i = 0; i < 2; i++) {
        cooking_chef *c = &s->chef[i];
        tx[i] = c->x;
        ty[i] = c->y;
        if (a[i] > COOK_RIGHT)
            continue;
        c->dir = (uint8_t)a[i];
        int fx, fy;
        cooking_front(c->x, c->y, a[i], &fx, &fy);
        if (cooking_tile(L, fx, fy) == TILE_FLOOR) {
            tx[i] = fx;
            ty[i] = fy;
        }
    }
    cooking_chef *c0 = &s->chef[0], *c1 = &s->chef[1];
    int same = tx[0] == tx[1] && ty[0] == ty[1];
    int swap = tx[0] == c1->x && ty[0] == c1->y && tx[1] == c0->x && ty[1] == c0->y;
    for (int i = 0; i < 2; i++) {
        int moving = tx[i] != s->chef[i].x || ty[i] != s->chef[i].y;
        s->bumped[i] = (uint8_t)(moving && (same || swap));
    }
    if (same || swap)
        return;
    for (int i = 0; i < 2; i++) {
        s->chef[i].x = (uint8_t)tx[i];
        s->chef[i].y = (uint8_t)ty[i];
    }
}

static void fill_info(const cooking_state *s, env_step_out *out)
{
    out->info[COOKING_INFO_SCORE] = s->score;
    out->info[COOKING_INFO_SOUPS] = (int32_t)s->soups_served;
    out->info[COOKING_INFO_SERVED0] = (int32_t)s->served[0];
    out->info[COOKING_INFO_SERVED1] = (int32_t)s->served[1];
    out->info[COOKING_INFO_POTTED0] = (int32_t)s->potted[0];
    out->info[COOKING_INFO_POTTED1] = (int32_t)s->potted[1];
}

static void cooking_step(void *state, const int32_t *actions, env_step_out *out)
{
    cooking_state *s = (cooking_state *)state;
    *out = (env_step_out){0};
    if (s->layout >= COOKING_NLAYOUTS)
        s->layout = 0;
    const cooking_layout *L = &cooking_layouts[s->layout];
    if (s->t >= s->horizon) {
        out->truncated = 1;
        fill_info(s, out);
        return;
    }
    int a[2];
    for (int i = 0; i < 2; i++)
        a[i] = actions[i] >= 0 && actions[i] <= COOK_INTERACT ? (int)actions[i] : COOK_STAY;

    for (int i = 0; i < 2; i++)
        if (a[i] == COOK_INTERACT)
            interact(s, L, i, out);
    move(s, L, a);
    for (int cell = 0; cell < L->w * L->h; cell++)
        if (L->grid[cell] == 'P' && s->item[cell] >= 3 && s->cook[cell] < COOKING_COOK_TIME)
            s->cook[cell]++;
    s->t++;
    out->truncated = s->t >= s->horizon;
    fill_info(s, out);
}

#define LAYOUT_RESET(i, fn) \
    static void fn(void *state, uint64_t seed, uint32_t horizon) { reset_layout(state, i, seed, horizon); } \
    static uint32_t fn##_fields(uint32_t k, env_field *out) { return cooking_fields(i, k, out); } \
    static uint32_t fn##_decode(const void *state, int32_t *values, uint32_t cap) \
    { return cooking_decode(i, state, values, cap); } \
    static uint32_t fn##_observe(uint32_t k, const void *state, uint32_t seat, int32_t *out, \
                                 uint32_t cap) { return cooking_observe(i, k, state, seat, out, cap); }
LAYOUT_RESET(0, reset_cramped_room)
LAYOUT_RESET(1, reset_asymmetric_advantages)
LAYOUT_RESET(2, reset_coordination_ring)
LAYOUT_RESET(3, reset_forced_coordination)
LAYOUT_RESET(4, reset_counter_circuit)
LAYOUT_RESET(5, reset_counter_circuit_site2019)

#define COOKING_DEF(envname, fn, w, h)                                                     \
    {                                                                                      \
        .name = envname, .players = 2, .actions = 6, .default_action = COOK_STAY,          \
        .state_size = sizeof(cooking_state), .horizon = COOKING_HORIZON,                   \
        .ninfo = COOKING_NINFO,                                                            \
        .info_names = {"score", "soups_served", "served0", "served1", "potted0", "potted1"}, \
        .view_w = (w) * COOKING_TILE_PX, .view_h = (h) * COOKING_TILE_PX + COOKING_HUD_PX, \
        .action_names = {"up", "down", "left", "right", "stay", "interact"},               \
        .reset = fn, .step = cooking_step, .render = cooking_render,                       \
        .npolicies = 1, .policy_names = {"greedy"}, .policy = cooking_policy,              \
        .reward_meaning = "20 to the chef who serves a soup at the serving window, 0 "     \
                          "otherwise (the team's reward is the sum of the two chefs')",    \
        .info_meanings = {"team score after the step: 20 per soup served",                \
                          "soups served so far by both chefs",                            \
                          "soups served so far by chef 0", "soups served so far by chef 1", \
                          "onions put into pots so far by chef 0",                        \
                          "onions put into pots so far by chef 1"},                       \
        .fields = fn##_fields, .decode = fn##_decode,                                   \
        .nobs = COOKING_NOBS, .obs_names = {"lossless2019", "lossless"},                   \
        .obs_dims = {{(w), (h), COOKING_OBS2019_CHANNELS}, {(w), (h), COOKING_OBS_CHANNELS}}, \
        .observe = fn##_observe,                                                           \
    }

static const env_def cooking_defs[COOKING_NLAYOUTS] = {
    COOKING_DEF("cooking/cramped_room", reset_cramped_room, 5, 4),
    COOKING_DEF("cooking/asymmetric_advantages", reset_asymmetric_advantages, 9, 5),
    COOKING_DEF("cooking/coordination_ring", reset_coordination_ring, 5, 5),
    COOKING_DEF("cooking/forced_coordination", reset_forced_coordination, 5, 5),
    COOKING_DEF("cooking/counter_circuit", reset_counter_circuit, 8, 5),
    COOKING_DEF("cooking/counter_circuit_site2019", reset_counter_circuit_site2019, 8, 5),
};

uint32_t cooking_family_count(void)
{
    return COOKING_NLAYOUTS;
}

const env_def *cooking_family_at(uint32_t i)
{
    return i < COOKING_NLAYOUTS ? &cooking_defs[i] : 0;
}
