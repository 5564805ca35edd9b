/*
 * The one rule for identifiers that come from outside (subject ids, scene and experiment
 * ids, policy names): they become file and folder names and SQL values, so they are
 * kept to a small, safe alphabet.
 */
#ifndef COHORT_IDENT_H
#define COHORT_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/* 1..max characters of [A-Za-z0-9_-] or one of `extra` (may be ""). A name made only of
 * dots ("." or "..", which would escape a folder) or starting with '.' is refused
 * whatever `extra` allows. */
bool ident_valid(const char *s, size_t max, const char *extra);

#endif
