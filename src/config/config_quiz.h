/*
 * A page scene's `quiz:` (docs/EXPERIMENTS.md, "Comprehension quizzes"). Internal to
 * src/config/: config.c calls it once the scene's page and form are known, so every answer
 * can be held against the page's own fields.
 */
#ifndef COHORT_CONFIG_QUIZ_H
#define COHORT_CONFIG_QUIZ_H

#include <stdbool.h>

#include "config/config.h"
#include "config/config_values.h"

/* `key` is the scene's `quiz` key, `n` its value, `page` the scene's `page` value (for
 * messages), s the scene being loaded. scene_index is its place among the base scenes
 * (for a condition's variant, its base scene's): the base scenes before it are loaded,
 * and retry_from names one of them. Fills x->quizzes and s->quiz, or fails with one
 * message. */
bool cfg_load_quiz(cfg_ctx *c, const ynode *key, const ynode *n, const ynode *page,
                   experiment *x, scene_spec *s, int scene_index);

#endif
