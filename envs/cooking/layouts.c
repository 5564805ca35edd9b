/*
 * The five standard layouts of the Overcooked benchmark, as grid strings.
 * Legend in cooking.h: X counter, O onion, D dish, P pot, S serve, 1/2 chef starts.
 */
#include "cooking.h"

const cooking_layout cooking_layouts[COOKING_NLAYOUTS] = {
    {"cramped_room", 5, 4,
     "XXPXX"
     "O  2O"
     "X1  X"
     "XDXSX"},
    {"asymmetric_advantages", 9, 5,
     "XXXXXXXXX"
     "O XSXOX S"
     "X   P   X"
     "X 1 P 2 X"
     "XXXDXDXXX"},
    {"coordination_ring", 5, 5,
     "XXXPX"
     "X  1P"
     "D2X X"
     "O   X"
     "XOSXX"},
    {"forced_coordination", 5, 5,
     "XXXPX"
     "O X1P"
     "O2X X"
     "D X X"
     "XXXSX"},
    {"counter_circuit", 8, 5,
     "XXXPPXXX"
     "X      X"
     "D XXXX S"
     "X2    1X"
     "XXXOOXXX"},
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
