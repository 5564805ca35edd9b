/* Helpers shared by the unit tests (tests/unit/test_*.c): temporary data folders and
 * whole-file reads and writes. Linked into every build/tests/test_* by the Makefile's
 * build/tests/% rule (the env tests, built by envs/envs.mk, do not use it). */
#ifndef COHORT_TEST_SUPPORT_H
#define COHORT_TEST_SUPPORT_H

#include <stddef.h>

/* Makes a fresh folder /tmp/cohort_TAG_XXXXXX and writes its path into buf (len bytes).
 * Returns buf, or NULL if the name does not fit or mkdtemp fails. */
char *test_tmpdir_new(char *buf, size_t len, const char *tag);

/* Removes path and everything below it (as `rm -rf`; symbolic links are removed, never
 * followed). Returns 0, or -1 if something could not be removed. */
int test_rm_tree(const char *path);

/* The whole file, NUL-terminated, in memory the caller frees; its length (without the
 * NUL) in *len when len is not NULL. NULL if the file cannot be opened or read. */
char *test_read_file(const char *path, size_t *len);

/* Creates or replaces path with exactly these bytes; fails the running test otherwise. */
void test_write_bytes(const char *path, const void *data, size_t len);

/* test_write_bytes with a NUL-terminated text. */
void test_write_file(const char *path, const char *text);

#endif
