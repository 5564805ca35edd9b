/* cooking env: every mechanic, collisions, snapshots and the greedy policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cooking/cooking.h"
#include "registry.h"

/*
 * cramped_room:        x 01234
 *                   y0   XXPXX    pot (2,0)
 *                   y1   O  2O    onions (0,1) (4,1); chef 1 starts at (3,1)
 *                   y2   X1  X    chef 0 starts at (1,2)
 *                   y3   XDXSX    dish (1,3), serve (3,3)
 */
enum { U = COOK_UP, D = COOK_DOWN, W = COOK_LEFT, R = COOK_RIGHT, S = COOK_STAY, I = COOK_INTERACT };

static const env_def *cramped(void)
{
    const env_def *e = env_find("cooking/cramped_room");
    assert_non_null(e);
    return e;
}

static env_step_out step2(const env_def *e, cooking_state *s, int32_t a0, int32_t a1)
{
    int32_t a[2] = {a0, a1};
    env_step_out out;
    e->step(s, a, &out);
    return out;
}

static void place(cooking_state *s, int i, int x, int y, int dir, int held)
{
    s->chef[i].x = (uint8_t)x;
    s->chef[i].y = (uint8_t)y;
    s->chef[i].dir = (uint8_t)dir;
    s->chef[i].held = (uint8_t)held;
}

static int cell(int x, int y)
{
    return y * 5 + x; /* cramped_room is 5 wide */
}

static void test_reset(void **unused)
{
    const env_def *e = cramped();
    cooking_state a, b;
    memset(&a, 0xAB, sizeof a);
    memset(&b, 0xCD, sizeof b);
    e->reset(&a, 7, 0);
    e->reset(&b, 7, 0);
    assert_memory_equal(&a, &b, sizeof a); /* every byte is set, padding included */
    assert_int_equal(e->state_size, sizeof(cooking_state));
    assert_int_equal(e->state_size, 184);
    assert_int_equal(a.horizon, COOKING_HORIZON);
    assert_int_equal(a.t, 0);
    assert_int_equal(a.chef[0].x, 1);
    assert_int_equal(a.chef[0].y, 2);
    assert_int_equal(a.chef[1].x, 3);
    assert_int_equal(a.chef[1].y, 1);
    assert_int_equal(a.chef[0].held, ITEM_NONE);
    assert_int_equal(e->default_action, COOK_STAY);
    assert_string_equal(e->action_names[5], "interact");
    e->reset(&a, 7, 33);
    assert_int_equal(a.horizon, 33);
}

static void test_move_and_turn(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 0);
    step2(e, &s, U, S); /* (1,2) -> (1,1) */
    assert_int_equal(s.chef[0].x, 1);
    assert_int_equal(s.chef[0].y, 1);
    assert_int_equal(s.chef[0].dir, U);
    step2(e, &s, W, S); /* onion dispenser to the left: turn only */
    assert_int_equal(s.chef[0].x, 1);
    assert_int_equal(s.chef[0].dir, W);
    step2(e, &s, U, S); /* counter above: turn only */
    assert_int_equal(s.chef[0].y, 1);
    assert_int_equal(s.chef[0].dir, U);
    step2(e, &s, R, S);
    assert_int_equal(s.chef[0].x, 2);
}

static void test_pick_onion_and_dish(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 0);
    place(&s, 0, 1, 1, W, ITEM_NONE);
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_ONION);
    step2(e, &s, I, S); /* hands full: nothing */
    assert_int_equal(s.chef[0].held, ITEM_ONION);
    place(&s, 0, 1, 2, D, ITEM_NONE);
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_DISH);
    /* interacting with floor or facing nothing useful changes nothing */
    place(&s, 0, 2, 1, D, ITEM_DISH);
    cooking_state before = s;
    step2(e, &s, I, S);
    before.t++;
    assert_memory_equal(&before, &s, sizeof s);
}

static void test_counter_place_and_pick(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 0);
    place(&s, 0, 1, 2, W, ITEM_ONION); /* counter (0,2) to the left */
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_NONE);
    assert_int_equal(s.item[cell(0, 2)], ITEM_ONION);
    s.chef[0].held = ITEM_DISH; /* occupied counter: cannot put the dish down */
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_DISH);
    assert_int_equal(s.item[cell(0, 2)], ITEM_ONION);
    s.chef[0].held = ITEM_NONE;
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_ONION);
    assert_int_equal(s.item[cell(0, 2)], ITEM_NONE);
    /* soups and dishes go on counters too */
    s.chef[0].held = ITEM_SOUP;
    step2(e, &s, I, S);
    assert_int_equal(s.item[cell(0, 2)], ITEM_SOUP);
}

static void test_pot_fill_and_cook(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 0);
    int pot = cell(2, 0);
    for (int k = 1; k <= 3; k++) {
        place(&s, 0, 2, 1, U, ITEM_ONION);
        step2(e, &s, I, S);
        assert_int_equal(s.chef[0].held, ITEM_NONE);
        assert_int_equal(s.item[pot], k);
    }
    assert_int_equal(s.potted[0], 3);
    assert_int_equal(s.cook[pot], 1); /* the third onion starts cooking */
    place(&s, 0, 2, 1, U, ITEM_ONION); /* a full pot takes no fourth onion */
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_ONION);
    assert_int_equal(s.item[pot], 3);
    assert_int_equal(s.cook[pot], 2);
    for (int k = 2; k < COOKING_COOK_TIME - 1; k++)
        step2(e, &s, S, S);
    assert_int_equal(s.cook[pot], COOKING_COOK_TIME - 1);
    s.chef[0].held = ITEM_DISH; /* not ready: the dish stays empty */
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_DISH);
    assert_int_equal(s.cook[pot], COOKING_COOK_TIME); /* ready 20 steps after the third onion */
    step2(e, &s, S, S);
    assert_int_equal(s.cook[pot], COOKING_COOK_TIME); /* stays ready */
    env_drawlist dl;
    e->render(&s, &dl);
    int soup_in_pot = 0;
    for (uint32_t k = 0; k < dl.count; k++)
        soup_in_pot += dl.items[k].kind == DRAW_SPRITE && dl.items[k].id == 4 && dl.items[k].y < 64;
    assert_int_equal(soup_in_pot, 1);
}

static void test_plate_and_serve(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 0);
    int pot = cell(2, 0);
    s.item[pot] = 3;
    s.cook[pot] = COOKING_COOK_TIME;
    place(&s, 0, 2, 1, U, ITEM_ONION); /* an onion cannot take the soup */
    step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_ONION);
    s.chef[0].held = ITEM_DISH;
    env_step_out out = step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_SOUP);
    assert_int_equal(s.item[pot], 0);
    assert_int_equal(s.cook[pot], 0);
    assert_int_equal(out.rewards[0], 0);

    place(&s, 0, 3, 2, D, ITEM_ONION); /* serving window below (3,3): onions are not served */
    place(&s, 1, 1, 1, U, ITEM_NONE);
    out = step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_ONION);
    assert_int_equal(out.rewards[0], 0);
    s.chef[0].held = ITEM_SOUP;
    out = step2(e, &s, I, S);
    assert_int_equal(s.chef[0].held, ITEM_NONE);
    assert_int_equal(out.rewards[0], COOKING_SOUP_REWARD);
    assert_int_equal(out.rewards[1], 0); /* credited to the chef who served, not both */
    assert_int_equal(s.score, 20);
    assert_int_equal(s.soups_served, 1);
    assert_int_equal(out.info[COOKING_INFO_SCORE], 20);
    assert_int_equal(out.info[COOKING_INFO_SOUPS], 1);
    assert_int_equal(out.info[COOKING_INFO_SERVED0], 1);
    assert_int_equal(out.info[COOKING_INFO_SERVED1], 0);
    assert_string_equal(e->info_names[COOKING_INFO_SOUPS], "soups_served");
}

static void test_collision_same_cell(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 0);
    place(&s, 0, 1, 1, U, ITEM_NONE);
    place(&s, 1, 3, 1, U, ITEM_NONE);
    step2(e, &s, R, W); /* both into (2,1): nobody moves, both turn */
    assert_int_equal(s.chef[0].x, 1);
    assert_int_equal(s.chef[1].x, 3);
    assert_int_equal(s.chef[0].dir, R);
    assert_int_equal(s.chef[1].dir, W);
    assert_int_equal(s.bumped[0], 1);
    assert_int_equal(s.bumped[1], 1);
    step2(e, &s, R, S); /* now chef 0 alone: moves */
    assert_int_equal(s.chef[0].x, 2);
    assert_int_equal(s.bumped[0], 0);
}

static void test_collision_swap_and_block(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 0);
    place(&s, 0, 1, 1, U, ITEM_NONE);
    place(&s, 1, 2, 1, U, ITEM_NONE);
    step2(e, &s, R, W); /* swap: refused */
    assert_int_equal(s.chef[0].x, 1);
    assert_int_equal(s.chef[1].x, 2);
    assert_int_equal(s.bumped[0], 1);
    step2(e, &s, R, S); /* into a chef that stays: refused */
    assert_int_equal(s.chef[0].x, 1);
    assert_int_equal(s.chef[1].x, 2);
    step2(e, &s, R, I); /* into a chef that interacts: refused */
    assert_int_equal(s.chef[0].x, 1);
    step2(e, &s, R, R); /* following a chef that moves away: allowed */
    assert_int_equal(s.chef[0].x, 2);
    assert_int_equal(s.chef[1].x, 3);
    step2(e, &s, D, U); /* vertical: chef 1 goes up into a counter (turns), chef 0 down */
    assert_int_equal(s.chef[0].y, 2);
    assert_int_equal(s.chef[1].y, 1);
}

static void test_interact_order(void **unused)
{
    /* coordination_ring: the middle counter (2,2) is reachable from above and below */
    const env_def *e = env_find("cooking/coordination_ring");
    assert_non_null(e);
    cooking_state s;
    e->reset(&s, 1, 0);
    int mid = 2 * 5 + 2;
    place(&s, 0, 2, 1, D, ITEM_NONE);
    place(&s, 1, 2, 3, U, ITEM_NONE);
    s.item[mid] = ITEM_ONION;
    step2(e, &s, I, I); /* chef 0 goes first and takes it */
    assert_int_equal(s.chef[0].held, ITEM_ONION);
    assert_int_equal(s.chef[1].held, ITEM_NONE);
    s.chef[1].held = ITEM_DISH;
    step2(e, &s, I, I); /* chef 0 puts it back first; then chef 1 finds it occupied */
    assert_int_equal(s.item[mid], ITEM_ONION);
    assert_int_equal(s.chef[0].held, ITEM_NONE);
    assert_int_equal(s.chef[1].held, ITEM_DISH);
}

static void test_invalid_actions_are_stay(void **unused)
{
    const env_def *e = cramped();
    const int32_t bad[] = {-1, 6, 7, 255, 256, INT32_MIN, INT32_MAX, -6};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cooking_state a, b;
        e->reset(&a, 3, 0);
        step2(e, &a, U, R);
        b = a;
        env_step_out oa = step2(e, &a, bad[k], bad[k]);
        env_step_out ob = step2(e, &b, S, S);
        assert_memory_equal(&a, &b, sizeof a);
        assert_memory_equal(&oa, &ob, sizeof oa);
    }
}

static void test_horizon(void **unused)
{
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 5);
    for (int k = 1; k <= 5; k++) {
        env_step_out out = step2(e, &s, U, D);
        assert_int_equal(out.truncated, k == 5);
        assert_int_equal(out.terminated, 0);
    }
    cooking_state done = s;
    env_step_out out = step2(e, &s, I, I);
    assert_int_equal(out.truncated, 1);
    assert_memory_equal(&done, &s, sizeof s); /* a finished episode does not change */
}

static uint32_t lcg(uint32_t *r)
{
    *r = *r * 1664525u + 1013904223u;
    return *r >> 16;
}

static void test_snapshot_restore(void **unused)
{
    const env_def *e = cramped();
    cooking_state s, snap;
    e->reset(&s, 99, 1000);
    uint32_t r = 5;
    for (int t = 0; t < 150; t++)
        step2(e, &s, e->policy(0, &s, 0), (int32_t)(lcg(&r) % 6));
    memcpy(&snap, &s, sizeof s);
    uint32_t r_at_snap = r;
    uint64_t hashes[300];
    for (int t = 0; t < 300; t++) {
        step2(e, &s, e->policy(0, &s, 0), (int32_t)(lcg(&r) % 6));
        hashes[t] = env_hash(&s, sizeof s);
    }
    cooking_state end = s;
    memcpy(&s, &snap, sizeof s); /* restore and replay */
    r = r_at_snap;
    for (int t = 0; t < 300; t++) {
        step2(e, &s, e->policy(0, &s, 0), (int32_t)(lcg(&r) % 6));
        assert_true(env_hash(&s, sizeof s) == hashes[t]);
    }
    assert_memory_equal(&end, &s, sizeof s);
    assert_true(s.soups_served > 0);
}

static uint32_t greedy_pair(const env_def *e, uint32_t steps)
{
    cooking_state s;
    e->reset(&s, 1, steps);
    for (uint32_t t = 0; t < steps; t++) {
        step2(e, &s, e->policy(0, &s, 0), e->policy(0, &s, 1));
        assert_int_equal(s.bumped[0] + s.bumped[1], 0); /* they step around each other */
    }
    return s.soups_served;
}

static void test_greedy_self_play(void **unused)
{
    uint32_t cramped_soups = greedy_pair(cramped(), 400);
    printf("greedy + greedy, cramped_room, 400 steps: %u soups served\n", cramped_soups);
    assert_true(cramped_soups >= 5);
    for (uint32_t i = 0; i < cooking_family_count(); i++) {
        const env_def *e = cooking_family_at(i);
        uint32_t soups = greedy_pair(e, 400);
        printf("greedy + greedy, %s, 400 steps: %u soups served\n", e->name, soups);
        assert_true(soups >= 5);
    }
}

static void test_greedy_moves_are_valid(void **unused)
{
    /* greedy against a random partner: valid actions, and it still cooks */
    const env_def *e = cramped();
    cooking_state s;
    e->reset(&s, 1, 2000);
    uint32_t r = 11;
    for (int t = 0; t < 2000; t++) {
        int32_t a0 = e->policy(0, &s, 0), a1 = e->policy(0, &s, 1);
        assert_true(a0 >= 0 && a0 < 6);
        assert_true(a1 >= 0 && a1 < 6);
        step2(e, &s, a0, (int32_t)(lcg(&r) % 6));
    }
    printf("greedy + random partner, cramped_room, 2000 steps: %u soups\n", s.soups_served);
    assert_true(s.soups_served >= 5);
}

static void test_layouts(void **unused)
{
    for (int i = 0; i < COOKING_NLAYOUTS; i++) {
        const cooking_layout *L = &cooking_layouts[i];
        int n = L->w * L->h, ones = 0, twos = 0;
        assert_int_equal((int)strlen(L->grid), n);
        assert_true(n <= COOKING_MAX_CELLS);
        for (int c = 0; c < n; c++) {
            char ch = L->grid[c];
            assert_non_null(strchr(" XODPS12", ch));
            ones += ch == '1';
            twos += ch == '2';
            int x = c % L->w, y = c / L->w;
            if (x == 0 || y == 0 || x == L->w - 1 || y == L->h - 1)
                assert_int_not_equal(cooking_tile(L, x, y), TILE_FLOOR); /* closed border */
        }
        assert_int_equal(ones, 1);
        assert_int_equal(twos, 1);
        char name[64];
        snprintf(name, sizeof name, "cooking/%s", L->name);
        const env_def *e = env_find(name);
        assert_non_null(e);
        assert_int_equal(e->view_w, L->w * COOKING_TILE_PX);
    }
}

/* Where the chefs start: overcooked_ai's layout files at 6eaceb0a (simple, unident_s,
 * random1, random0, random3), and the 2019 web site's counter_circuit (docs/GAMES.md). */
static void test_start_cells(void **unused)
{
    static const struct {
        const char *env;
        int x0, y0, x1, y1;
    } starts[] = {
        {"cooking/cramped_room", 1, 2, 3, 1},
        {"cooking/asymmetric_advantages", 6, 2, 1, 3},
        {"cooking/coordination_ring", 2, 1, 1, 2},
        {"cooking/forced_coordination", 3, 1, 1, 2},
        {"cooking/counter_circuit", 3, 3, 3, 1},
        {"cooking/counter_circuit_site2019", 6, 3, 1, 3},
    };
    assert_int_equal(sizeof starts / sizeof starts[0], cooking_family_count());
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        const env_def *e = env_find(starts[i].env);
        assert_non_null(e);
        cooking_state s;
        e->reset(&s, 1, 0);
        assert_int_equal(s.chef[0].x, starts[i].x0);
        assert_int_equal(s.chef[0].y, starts[i].y0);
        assert_int_equal(s.chef[1].x, starts[i].x1);
        assert_int_equal(s.chef[1].y, starts[i].y1);
        assert_int_equal(s.chef[0].dir, COOK_UP); /* overcooked_ai starts players facing north */
    }
    /* the site's variant is the same grid, only the starts differ */
    const cooking_layout *a = &cooking_layouts[4], *b = &cooking_layouts[5];
    assert_string_equal(b->name, "counter_circuit_site2019");
    assert_int_equal(a->w, b->w);
    assert_int_equal(a->h, b->h);
    int differ = 0;
    for (int c = 0; c < a->w * a->h; c++) {
        assert_int_equal(cooking_tile(a, c % a->w, c / a->w), cooking_tile(b, c % b->w, c / b->w));
        differ += a->grid[c] != b->grid[c];
    }
    assert_int_equal(differ, 4);
}

static void test_render(void **unused)
{
    for (uint32_t i = 0; i < cooking_family_count(); i++) {
        const env_def *e = cooking_family_at(i);
        cooking_state s;
        env_drawlist dl;
        e->reset(&s, 1, 0);
        s.chef[1].held = ITEM_ONION;
        s.chef[1].dir = COOK_LEFT;
        e->render(&s, &dl);
        int chefs = 0, onions = 0, texts = 0;
        for (uint32_t k = 0; k < dl.count; k++) {
            const env_draw *d = &dl.items[k];
            assert_true(d->x >= 0 && d->y >= 0 && d->x + d->w <= e->view_w && d->y + d->h <= e->view_h);
            if (d->kind == DRAW_SPRITE && d->id == 1) {
                chefs++;
                if (d->variant == COOK_LEFT)
                    assert_int_equal(d->color, 0x2FA84FFFu);
            }
            onions += d->kind == DRAW_SPRITE && d->id == 2;
            if (d->kind == DRAW_TEXT) {
                texts++;
                assert_true(strcmp(d->text, "score 0") == 0 || strcmp(d->text, "time 400") == 0);
            }
        }
        assert_int_equal(chefs, 2);
        assert_int_equal(onions, 1);
        assert_int_equal(texts, 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_move_and_turn),
        cmocka_unit_test(test_pick_onion_and_dish),
        cmocka_unit_test(test_counter_place_and_pick),
        cmocka_unit_test(test_pot_fill_and_cook),
        cmocka_unit_test(test_plate_and_serve),
        cmocka_unit_test(test_collision_same_cell),
        cmocka_unit_test(test_collision_swap_and_block),
        cmocka_unit_test(test_interact_order),
        cmocka_unit_test(test_invalid_actions_are_stay),
        cmocka_unit_test(test_horizon),
        cmocka_unit_test(test_snapshot_restore),
        cmocka_unit_test(test_greedy_self_play),
        cmocka_unit_test(test_greedy_moves_are_valid),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_start_cells),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests_name("env_cooking", tests, NULL, NULL);
}
