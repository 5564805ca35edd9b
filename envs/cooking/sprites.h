/*
 * cooking's sprite ids, used by its render() and painted by envs/cooking/web/sprites.js
 * as simple shapes (no image assets). A DRAW_SPRITE command fills the box x,y,w,h; `color`
 * tints it and `variant` selects a pose. Sprite ids belong to their family (each family's
 * sprites.js paints its own); these keep the numbers they had when all families shared one
 * list. Add ids at the end; never renumber.
 */
#ifndef COHORT_ENV_COOKING_SPRITES_H
#define COHORT_ENV_COOKING_SPRITES_H

enum {
    SPRITE_CHEF = 1,       /* variant: facing 0 up, 1 down, 2 left, 3 right; color = chef */
    SPRITE_ONION = 2,      /* a raw onion */
    SPRITE_DISH = 3,       /* an empty dish */
    SPRITE_SOUP = 4,       /* a dish of onion soup */
    SPRITE_POT = 5,        /* variant: onions inside (0..3) */
    SPRITE_ONION_BOX = 6,  /* onion dispenser */
    SPRITE_DISH_RACK = 7,  /* dish dispenser */
    SPRITE_SERVE = 8,      /* serving window */
    SPRITE_COUNTER = 9,    /* empty counter */
};

#endif
