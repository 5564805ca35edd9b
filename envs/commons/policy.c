/*
 * commons/harvest scripted players (commons.h): `sustainable` (policy 0) heads for the
 * nearest apple that has at least COMMONS_KEEP other apples within distance 2, so the
 * patch it eats from keeps regrowing; `greedy` (policy 1) heads for the nearest apple.
 * Distance is Manhattan, ties broken by the cell scan order (row by row), so the choice is
 * the same on every target. A step towards the target goes along the longer axis first and
 * takes the other axis when an active player blocks it. Neither policy tags.
 */
#include "commons.h"

static int abs_i(int v)
{
    return v < 0 ? -v : v;
}

static int blocked(const commons_state *s, int self, int x, int y)
{
    if (x < 0 || x >= COMMONS_W || y < 0 || y >= COMMONS_H)
        return 1;
    for (int k = 0; k < COMMONS_PLAYERS; k++)
        if (k != self && s->p[k].out == 0 && s->p[k].x == x && s->p[k].y == y)
            return 1;
    return 0;
}

int32_t commons_policy(uint32_t policy_index, const void *state, uint32_t seat)
{
    commons_state s = *(const commons_state *)state; /* any bytes: a sane copy */
    commons_sanitize(&s);
    if (seat >= COMMONS_PLAYERS || s.p[seat].out)
        return COMMONS_STAY;
    int keep = policy_index == 1 ? 0 : COMMONS_KEEP;
    int px = s.p[seat].x, py = s.p[seat].y, best = -1, best_d = 1 << 30;
    for (int c = 0; c < COMMONS_CELLS; c++) {
        if (!s.apple[c])
            continue;
        int x = c % COMMONS_W, y = c / COMMONS_W;
        int d = abs_i(x - px) + abs_i(y - py);
        if (d < best_d && (keep == 0 || commons_neighbours(&s, x, y) >= keep)) {
            best = c;
            best_d = d;
        }
    }
    if (best < 0)
        return COMMONS_STAY; /* nothing it may eat: wait for the orchard to grow */
    int dx = best % COMMONS_W - px, dy = best / COMMONS_W - py;
    int32_t horizontal = dx < 0 ? COMMONS_LEFT : COMMONS_RIGHT;
    int32_t vertical = dy < 0 ? COMMONS_UP : COMMONS_DOWN;
    int hx = px + (dx < 0 ? -1 : 1), vy = py + (dy < 0 ? -1 : 1);
    int h_ok = dx != 0 && !blocked(&s, (int)seat, hx, py);
    int v_ok = dy != 0 && !blocked(&s, (int)seat, px, vy);
    if (abs_i(dx) >= abs_i(dy))
        return h_ok ? horizontal : v_ok ? vertical : COMMONS_STAY;
    return v_ok ? vertical : h_ok ? horizontal : COMMONS_STAY;
}
