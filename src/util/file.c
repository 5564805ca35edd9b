#include "file.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

file_status file_read_all(const char *path, size_t max_bytes, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return FILE_CANNOT_OPEN;
    if (!S_ISREG(st.st_mode))
        return FILE_NOT_REGULAR;
    if ((unsigned long long)st.st_size > max_bytes)
        return FILE_TOO_BIG;
    FILE *f = fopen(path, "rb");
    if (!f)
        return FILE_CANNOT_OPEN;
    /* One byte past the limit: the file may have grown since stat. */
    char *buf = malloc(max_bytes + 2);
    size_t n = buf ? fread(buf, 1, max_bytes + 1, f) : 0;
    file_status rc = !buf || ferror(f) ? FILE_READ_FAILED : n > max_bytes ? FILE_TOO_BIG : FILE_OK;
    fclose(f);
    if (rc != FILE_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return FILE_OK;
}

const char *file_status_text(file_status st)
{
    switch (st) {
    case FILE_OK:
        return "ok";
    case FILE_CANNOT_OPEN:
        return "cannot be opened";
    case FILE_NOT_REGULAR:
        return "is not a regular file";
    case FILE_TOO_BIG:
        return "is larger than the limit";
    case FILE_READ_FAILED:
        return "cannot be read";
    }
    return "cannot be read";
}

int file_beside_exe(const char *env_var, const char *rel, char *out, size_t len)
{
    const char *env = env_var ? getenv(env_var) : NULL;
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    snprintf(out, len, "%s/%s", exe, rel);
    return access(out, R_OK) == 0 ? 0 : -1;
}
