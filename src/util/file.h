/* Reading a whole file into memory, with a size limit checked before anything is read. */
#ifndef COHORT_FILE_H
#define COHORT_FILE_H

#include <stddef.h>

typedef enum {
    FILE_OK = 0,
    FILE_CANNOT_OPEN,   /* errno says why */
    FILE_NOT_REGULAR,   /* a folder, a device, a fifo... */
    FILE_TOO_BIG,       /* larger than max_bytes (now, or after it grew while being read) */
    FILE_READ_FAILED
} file_status;

/* The file at path, NUL-terminated (so it can be used as a string), in *text (malloc'd,
 * the caller frees) and its length in *len. Never reads more than max_bytes + 1 bytes.
 * On any status but FILE_OK, *text is NULL. */
file_status file_read_all(const char *path, size_t max_bytes, char **text, size_t *len);

/* A short English phrase for the status ("is larger than the limit", ...). */
const char *file_status_text(file_status st);

/* A companion file of this executable, for the commands that run one (cohort pilot's and
 * cohort eval's drivers): the environment variable `env_var` if set, else `rel` taken from
 * the executable's folder (build/ in the source tree, PREFIX/bin installed). Writes the
 * path to out; 0 if it is readable, -1 otherwise. */
int file_beside_exe(const char *env_var, const char *rel, char *out, size_t len);

#endif
