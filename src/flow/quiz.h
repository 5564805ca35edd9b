/*
 * Grading a comprehension quiz (docs/EXPERIMENTS.md, "Comprehension quizzes"): the form a
 * participant advanced with, against the scene's quiz_spec. Pure: no state, no I/O; flow.c
 * decides what an attempt leads to.
 */
#ifndef COHORT_FLOW_QUIZ_H
#define COHORT_FLOW_QUIZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../config/config.h"

/* True when every answer is right. Bit i of *wrong is set when answer i (q->answers[i]) is
 * wrong or missing from the form (form may be NULL: everything is then wrong). */
bool quiz_grade(const quiz_spec *q, const json_t *form, uint32_t *wrong);

/* Does one submitted value match the answer? (what quiz_grade applies per field) */
bool quiz_answer_matches(const quiz_answer *a, const char *submitted);

#endif
