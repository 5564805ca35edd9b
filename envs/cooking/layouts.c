/*
 * The five standard layouts of the Overcooked benchmark (Carroll et al. 2019), as grid
 * strings, then the variants of them that the 2019 web experiment played.
 * Legend in cooking.h: X counter, O onion, D dish, P pot, S serve, 1/2 chef starts.
 *
 * The grids and start cells are those of overcooked_ai's layout files at commit 6eaceb0a
 * (the code the 2019 agents were trained with): simple, unident_s, random1, random0 and
 * random3, under the names the paper gave them (the current overcooked_ai calls the first
 * four by those names too, and counter_circuit's grid counter_circuit_o_1order: its
 * "counter_circuit" is now another grid). The 2019 web site (overcooked-hAI-exp,
 * static/js/task/index.js and layouts.json) started counter_circuit (random3) from other
 * cells; that layout is counter_circuit_site2019, the same grid with the site's starts.
 * The other four start the same on the site. docs/GAMES.md has the table.
 */
#include "cooking.h"

const cooking_layout cooking_layouts[COOKING_NLAYOUTS] = {
    {"cramped_room", 5, 4,
     "XXPXX"
     "O  2O"
     "X1  X"
     "XDXSX",
     "simple", "cramped_room"},
    {"asymmetric_advantages", 9, 5,
     "XXXXXXXXX"
     "O XSXOX S"
     "X   P 1 X"
     "X2  P   X"
     "XXXDXDXXX",
     "unident_s", "asymmetric_advantages"},
    {"coordination_ring", 5, 5,
     "XXXPX"
     "X 1 P"
     "D2X X"
     "O   X"
     "XOSXX",
     "random1", "coordination_ring"},
    {"forced_coordination", 5, 5,
     "XXXPX"
     "O X1P"
     "O2X X"
     "D X X"
     "XXXSX",
     "random0", "forced_coordination"},
    {"counter_circuit", 8, 5,
     "XXXPPXXX"
     "X  2   X"
     "D XXXX S"
     "X  1   X"
     "XXXOOXXX",
     "random3", "counter_circuit_o_1order"},
    {"counter_circuit_site2019", 8, 5,
     "XXXPPXXX"
     "X      X"
     "D XXXX S"
     "X2    1X"
     "XXXOOXXX",
     "random3", "counter_circuit_o_1order"},
};

const cooking_layout *cooking_layout_of(const cooking_state *s)
{
    return &cooking_layouts[s->layout < COOKING_NLAYOUTS ? s->layout : 0];
}

int cooking_tile(const cooking_layout *L, int x, int y)
{
    if (x < 0 || y < 0 || x >= L->w || y >= L->h)
        return TILE_WALL;
    switch (L->grid[y * L->w + x]) {
    case ' ': case '1': case '2': return TILE_FLOOR;
    case 'O': return TILE_ONION;
    case 'D': return TILE_DISH;
    case 'P': return TILE_POT;
    case 'S': return TILE_SERVE;
    case 'X': return TILE_COUNTER;
    default: return TILE_WALL;
    }
}

void cooking_front(int x, int y, int dir, int *fx, int *fy)
{
    *fx = x + (dir == COOK_RIGHT) - (dir == COOK_LEFT);
    *fy = y + (dir == COOK_DOWN) - (dir == COOK_UP);
}
