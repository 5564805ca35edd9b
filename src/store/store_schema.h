/*
 * What a reader of cohort.db may ask about its schema. A database written by an earlier
 * version lacks the columns added since (ADDED_COLUMNS in store_writer.c) until a newer
 * server opens it, so a reader that may get an old file (cohort export) asks first.
 */
#ifndef COHORT_STORE_SCHEMA_H
#define COHORT_STORE_SCHEMA_H

#include <stdbool.h>

#include <sqlite3.h>

/* Whether table has a column of that name (false on any error). */
bool store_schema_has_column(sqlite3 *db, const char *table, const char *column);

#endif
