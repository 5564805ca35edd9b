/*
 * commons/harvest: the state description (envs/env.h, docs/DATA.md). Fields, in this order:
 *   player0.x player0.y player0.facing player0.out player0.eaten, then players 1 to 3;
 *   apple.xXyY   one 0/1 column per orchard cell, in reading order (row by row).
 * Cells count from the top left (x right, y down). An apple column is 1 while an apple
 * stands there; cells outside the orchard never hold one and get no column.
 */
#include "commons.h"

static const char *const facing_labels[] = {"up", "down", "left", "right"};

#define PLAYER_FIELDS 5
#define NPLAYER_FIELDS (PLAYER_FIELDS * COMMONS_PLAYERS)

static uint32_t orchard_cells(void)
{
    uint32_t n = 0;
    for (int y = 0; y < COMMONS_H; y++)
        for (int x = 0; x < COMMONS_W; x++)
            n += (uint32_t)commons_orchard(x, y);
    return n;
}

static void player_field(env_field *out, uint32_t k, uint32_t f)
{
    char prefix[ENV_FIELD_NAME] = "player";
    env_name_add_int(prefix, (int32_t)k);
    switch (f) {
    case 0:
        env_field_set(out, prefix, ".x", ENV_FIELD_INT, 0, COMMONS_W - 1, "cell",
                      "column of the player's cell, 0 at the left (its last cell while out)", 0);
        break;
    case 1:
        env_field_set(out, prefix, ".y", ENV_FIELD_INT, 0, COMMONS_H - 1, "cell",
                      "row of the player's cell, 0 at the top (its last cell while out)", 0);
        break;
    case 2:
        env_field_set(out, prefix, ".facing", ENV_FIELD_ENUM, 0, 3, "",
                      "the way the player faces (its tag beam goes that way)", facing_labels);
        break;
    case 3:
        env_field_set(out, prefix, ".out", ENV_FIELD_INT, 0, COMMONS_TAG_OUT, "step",
                      "steps until the player, tagged out, comes back (0: on the grid)", 0);
        break;
    default:
        env_field_set(out, prefix, ".eaten", ENV_FIELD_INT, 0, 2147483647, "apple",
                      "apples the player has eaten this episode", 0);
        break;
    }
}

uint32_t commons_fields(uint32_t i, env_field *out)
{
    uint32_t total = NPLAYER_FIELDS + orchard_cells();
    if (!out || i >= total)
        return total;
    if (i < NPLAYER_FIELDS) {
        player_field(out, i / PLAYER_FIELDS, i % PLAYER_FIELDS);
        return total;
    }
    uint32_t want = i - NPLAYER_FIELDS, seen = 0;
    for (int y = 0; y < COMMONS_H; y++)
        for (int x = 0; x < COMMONS_W; x++) {
            if (!commons_orchard(x, y) || seen++ != want)
                continue;
            char name[ENV_FIELD_NAME] = "apple.x";
            env_name_add_int(name, x);
            env_name_add(name, "y");
            env_name_add_int(name, y);
            env_field_set(out, name, "", ENV_FIELD_BOOL, 0, 1, "",
                          "1 while an apple stands on this orchard cell", 0);
        }
    return total;
}

uint32_t commons_decode(const void *state, int32_t *values, uint32_t cap)
{
    commons_state s = *(const commons_state *)state; /* any bytes: decode a sane copy */
    commons_sanitize(&s);
    uint32_t n = 0;
    for (int k = 0; k < COMMONS_PLAYERS; k++) {
        const commons_player *p = &s.p[k];
        const int32_t v[PLAYER_FIELDS] = {p->x, p->y, p->facing, p->out,
                                          p->eaten < 0 ? 0 : p->eaten};
        for (int f = 0; f < PLAYER_FIELDS && n < cap; f++)
            values[n++] = v[f];
    }
    for (int y = 0; y < COMMONS_H; y++)
        for (int x = 0; x < COMMONS_W; x++)
            if (commons_orchard(x, y) && n < cap)
                values[n++] = s.apple[y * COMMONS_W + x] != 0;
    return n;
}
