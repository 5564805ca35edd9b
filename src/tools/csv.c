/* Reading episode CSV files: the whole file in memory, cells unescaped in place. */
#include "../util/err.h"
#include "../util/file.h"
#include "tools.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Episode files of the longest studies are tens of MB; this is far past any. */
#define CSV_MAX_BYTES ((size_t)1 << 30)

typedef struct {
    char **cells;
    size_t n, cap;
} cell_list;

static bool push_cell(cell_list *l, char *cell)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        char **grown = realloc(l->cells, cap * sizeof *grown);
        if (!grown)
            return false;
        l->cells = grown;
        l->cap = cap;
    }
    l->cells[l->n++] = cell;
    return true;
}

/* Parses one cell starting at *pp, unescaping in place. On return *pp points just past the
 * cell's delimiter and *delim holds it: ',' (more cells), '\n' (end of row) or '\0' (end
 * of file). NULL on a malformed quoted cell. */
static char *parse_cell(char **pp, char *delim, int *line)
{
    char *p = *pp, *cell = p;
    if (*p == '"') {
        char *w = p;
        p++;
        for (;;) {
            if (*p == '\0')
                return NULL; /* unterminated quote */
            if (*p == '"') {
                if (p[1] != '"') {
                    p++;
                    break;
                }
                p++; /* "" is one quote */
            }
            if (*p == '\n')
                (*line)++;
            *w++ = *p++;
        }
        if (*p != ',' && *p != '\n' && *p != '\r' && *p != '\0')
            return NULL; /* text after the closing quote */
        *w = '\0'; /* w < p: the delimiter is still intact */
    } else {
        while (*p != ',' && *p != '\n' && *p != '\r' && *p != '\0')
            p++;
    }
    char d = *p;
    if (d == '\r') {
        if (p[1] != '\n')
            return NULL; /* a lone CR inside a row */
        *p++ = '\0';
        d = '\n';
    }
    *delim = d;
    if (d != '\0')
        *p++ = '\0';
    *pp = p;
    return cell;
}

int csv_load(const char *path, csv_file *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len = 0;
    char *text = NULL;
    file_status rc = file_read_all(path, CSV_MAX_BYTES, &text, &len);
    if (rc != FILE_OK) {
        err_set(err, errlen, "%s: %s", path,
                rc == FILE_CANNOT_OPEN && errno ? strerror(errno) : file_status_text(rc));
        return -1;
    }
    if (len == 0) {
        free(text);
        err_set(err, errlen, "%s: empty file", path);
        return -1;
    }

    cell_list l = {0};
    size_t ncols = 0, row_cells = 0, nrows = 0;
    int line = 1;
    char *p = text;
    for (;;) {
        int row_line = line;
        char delim;
        char *cell = parse_cell(&p, &delim, &line);
        if (!cell) {
            err_set(err, errlen, "%s:%d: malformed quoted cell", path, row_line);
            goto fail;
        }
        /* A final newline leaves one empty "row" at the very end: not a row. */
        if (delim == '\0' && row_cells == 0 && cell[0] == '\0')
            break;
        if (!push_cell(&l, cell)) {
            err_set(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        row_cells++;
        if (delim == ',')
            continue;
        if (ncols == 0) {
            ncols = row_cells;
        } else if (row_cells != ncols) {
            err_set(err, errlen, "%s:%d: %zu cells, the header has %zu", path, row_line,
                    row_cells, ncols);
            goto fail;
        } else {
            nrows++;
        }
        row_cells = 0;
        line++;
        if (delim == '\0')
            break;
    }
    out->text = text;
    out->cells = l.cells;
    out->ncols = ncols;
    out->nrows = nrows;
    return 0;
fail:
    free(l.cells);
    free(text);
    return -1;
}

void csv_free(csv_file *f)
{
    if (!f)
        return;
    free(f->cells);
    free(f->text);
    memset(f, 0, sizeof *f);
}

const char *csv_name(const csv_file *f, size_t col)
{
    return f->cells[col];
}

const char *csv_cell(const csv_file *f, size_t row, size_t col)
{
    return f->cells[(row + 1) * f->ncols + col];
}

long csv_col(const csv_file *f, const char *name)
{
    for (size_t c = 0; c < f->ncols; c++)
        if (strcmp(f->cells[c], name) == 0)
            return (long)c;
    return -1;
}
