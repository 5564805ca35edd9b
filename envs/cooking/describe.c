/*
 * cooking: the state description (envs/env.h, docs/DATA.md). Fields, in this order:
 *   chef0.x chef0.y chef0.facing chef0.held chef0.bumped, then the same for chef1;
 *   pot.xXyY.onions, pot.xXyY.cook     for each pot, in reading order (row by row);
 *   counter.xXyY                       for each counter cell, in reading order.
 * Counters are one column per counter cell of the layout (what lies on it, 0 = nothing),
 * so the table has a fixed schema per layout, every cell an integer, and the object
 * positions are in the column names. Dispensers, the serving window and floor hold
 * nothing, so they get no column.
 */
#include "cooking.h"

static const char *const facing_labels[] = {"up", "down", "left", "right"};
static const char *const item_labels[] = {"none", "onion", "dish", "soup"};

static uint32_t nchef_fields(void) { return 10; }

static void cell_prefix(char *name, const char *kind, int x, int y)
{
    name[0] = '\0';
    env_name_add(name, kind);
    env_name_add(name, ".x");
    env_name_add_int(name, x);
    env_name_add(name, "y");
    env_name_add_int(name, y);
}

uint32_t cooking_fields(uint32_t layout, uint32_t i, env_field *out)
{
    const cooking_layout *L = &cooking_layouts[layout < COOKING_NLAYOUTS ? layout : 0];
    int ncells = L->w * L->h;
    uint32_t npots = 0, ncounters = 0;
    for (int c = 0; c < ncells; c++) {
        npots += L->grid[c] == 'P';
        ncounters += L->grid[c] == 'X';
    }
    uint32_t total = nchef_fields() + 2 * npots + ncounters;
    if (!out || i >= total)
        return total;
    if (i < nchef_fields()) {
        const char *chef = i < 5 ? "chef0." : "chef1.";
        switch (i % 5) {
        case 0:
            env_field_set(out, chef, "x", ENV_FIELD_INT, 0, L->w - 1, "cell",
                          "column of the chef's cell, 0 at the left", 0);
            break;
        case 1:
            env_field_set(out, chef, "y", ENV_FIELD_INT, 0, L->h - 1, "cell",
                          "row of the chef's cell, 0 at the top", 0);
            break;
        case 2:
            env_field_set(out, chef, "facing", ENV_FIELD_ENUM, 0, 3, "",
                          "direction the chef faces (interact acts on that neighbour cell)",
                          facing_labels);
            break;
        case 3:
            env_field_set(out, chef, "held", ENV_FIELD_ENUM, 0, 3, "",
                          "what the chef holds", item_labels);
            break;
        default:
            env_field_set(out, chef, "bumped", ENV_FIELD_BOOL, 0, 1, "",
                          "1 if the chef's last move was cancelled by the other chef", 0);
            break;
        }
        return total;
    }
    uint32_t k = i - nchef_fields();
    /* pots first (two fields each), then counters, both in reading order */
    char name[ENV_FIELD_NAME];
    for (int c = 0, pot = 0, counter = 0; c < ncells; c++) {
        int x = c % L->w, y = c / L->w;
        if (L->grid[c] == 'P') {
            if (k == (uint32_t)(2 * pot) || k == (uint32_t)(2 * pot + 1)) {
                cell_prefix(name, "pot", x, y);
                if (k % 2 == 0)
                    env_field_set(out, name, ".onions", ENV_FIELD_INT, 0, 3, "onion",
                                  "onions in the pot at this cell (3 = full: it cooks)", 0);
                else
                    env_field_set(out, name, ".cook", ENV_FIELD_INT, 0, COOKING_COOK_TIME,
                                  "step",
                                  "steps the full pot has cooked; the soup is ready at 20 "
                                  "(0 while it holds fewer than 3 onions)", 0);
                return total;
            }
            pot++;
        } else if (L->grid[c] == 'X') {
            if (k == 2 * npots + (uint32_t)counter) {
                cell_prefix(name, "counter", x, y);
                env_field_set(out, name, "", ENV_FIELD_ENUM, 0, 3, "",
                              "what lies on the counter at this cell", item_labels);
                return total;
            }
            counter++;
        }
    }
    return total;
}

uint32_t cooking_decode(uint32_t layout, const void *state, int32_t *values, uint32_t cap)
{
    const cooking_state *s = (const cooking_state *)state;
    /* The env's own layout, not the one the state names: the values must be the env's
     * fields (cooking_fields(layout)), even for bytes that claim another layout. */
    const cooking_layout *L = &cooking_layouts[layout < COOKING_NLAYOUTS ? layout : 0];
    uint32_t n = 0;
#define PUT(v)                        \
    do {                              \
        if (n < cap)                  \
            values[n] = (int32_t)(v); \
        n++;                          \
    } while (0)
    for (int i = 0; i < 2; i++) {
        const cooking_chef *c = &s->chef[i];
        PUT(c->x);
        PUT(c->y);
        PUT(c->dir);
        PUT(c->held);
        PUT(s->bumped[i]);
    }
    int ncells = L->w * L->h;
    for (int c = 0; c < ncells && c < COOKING_MAX_CELLS; c++)
        if (L->grid[c] == 'P') {
            PUT(s->item[c]);
            PUT(s->cook[c]);
        }
    for (int c = 0; c < ncells && c < COOKING_MAX_CELLS; c++)
        if (L->grid[c] == 'X')
            PUT(s->item[c]);
#undef PUT
    return n < cap ? n : cap;
}
