/*
 * `cohort compare A.csv B.csv`
 *
 * Both participants of a game get episode files cut from the same server record, so
 * every cell must be equal, timing and focus columns included: any difference means a
 * file was damaged, truncated or written from a different record. On top of that, every
 * reported browser hash must have matched the server's (`verified.K` is 1 or empty).
 */
#include "tools.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* How a row is named in reports: its frame number when there is a frame column. */
static const char *frame_label(const csv_file *f, long frame_col, size_t row, char *buf,
                               size_t len)
{
    if (frame_col >= 0)
        return csv_cell(f, row, (size_t)frame_col);
    snprintf(buf, len, "row %zu", row);
    return buf;
}

static int compare_headers(const char *pa, const csv_file *a, const char *pb,
                           const csv_file *b)
{
    size_t n = a->ncols < b->ncols ? a->ncols : b->ncols;
    for (size_t c = 0; c < n; c++) {
        if (strcmp(csv_name(a, c), csv_name(b, c)) != 0) {
            printf("header differs at column %zu: %s vs %s\n", c + 1, csv_name(a, c),
                   csv_name(b, c));
            return 1;
        }
    }
    if (a->ncols != b->ncols) {
        printf("header differs: %s has %zu columns, %s has %zu\n", pa, a->ncols, pb,
               b->ncols);
        return 1;
    }
    return 0;
}

/* A non-empty verified.K cell other than 1: a browser's hash disagreed with the server's. */
static bool check_verified(const csv_file *f, size_t row, const char *frame)
{
    for (size_t c = 0; c < f->ncols; c++) {
        const char *name = csv_name(f, c);
        if (strncmp(name, "verified.", 9) != 0)
            continue;
        const char *v = csv_cell(f, row, c);
        if (v[0] == '\0' || strcmp(v, "1") == 0)
            continue;
        if (strcmp(v, "0") == 0)
            printf("frame %s: %s = 0 (seat %s's browser reported a different hash)\n", frame,
                   name, name + 9);
        else
            printf("frame %s: %s = '%s' (expected 1, 0 or empty)\n", frame, name, v);
        return false;
    }
    return true;
}

int cmd_compare(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cohort compare A.csv B.csv\n");
        return 2;
    }
    const char *pa = argv[1], *pb = argv[2];
    csv_file a, b;
    char err[512];
    if (csv_load(pa, &a, err, sizeof err) != 0) {
        fprintf(stderr, "compare: %s\n", err);
        return 2;
    }
    if (csv_load(pb, &b, err, sizeof err) != 0) {
        fprintf(stderr, "compare: %s\n", err);
        csv_free(&a);
        return 2;
    }

    int rc = compare_headers(pa, &a, pb, &b);
    long frame_col = csv_col(&a, "frame");
    size_t rows = a.nrows < b.nrows ? a.nrows : b.nrows;
    char label[32];
    for (size_t r = 0; r < rows && rc == 0; r++) {
        const char *frame = frame_label(&a, frame_col, r, label, sizeof label);
        for (size_t c = 0; c < a.ncols; c++) {
            const char *x = csv_cell(&a, r, c), *y = csv_cell(&b, r, c);
            if (strcmp(x, y) != 0) {
                printf("frame %s: %s differs: %s vs %s\n", frame, csv_name(&a, c), x, y);
                rc = 1;
                break;
            }
        }
        /* The rows are equal here, so checking one file covers both. */
        if (rc == 0 && !check_verified(&a, r, frame))
            rc = 1;
    }
    if (rc == 0 && a.nrows != b.nrows) {
        const csv_file *longer = a.nrows > b.nrows ? &a : &b;
        printf("row count differs: %s has %zu rows, %s has %zu (first unmatched: frame %s)\n",
               pa, a.nrows, pb, b.nrows, frame_label(longer, frame_col, rows, label,
                                                      sizeof label));
        rc = 1;
    }
    if (rc == 0)
        printf("compare: same trajectory, %zu frames, all reported hashes verified\n", rows);
    csv_free(&a);
    csv_free(&b);
    return rc;
}
