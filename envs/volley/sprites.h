/*
 * volley's sprite ids, used by its render() and painted by envs/volley/web/sprites.js.
 * The slime keeps the id 10 it had when all families shared one list (draw lists stay
 * byte for byte what they were). Add ids at the end; never renumber.
 */
#ifndef COHORT_ENV_VOLLEY_SPRITES_H
#define COHORT_ENV_VOLLEY_SPRITES_H

enum {
    SPRITE_SLIME = 10, /* half disc, flat side down; variant: eye 0 looks left, 1 right */
};

#endif
