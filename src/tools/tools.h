/*
 * Offline tools over episode files (docs/DESIGN.md sections 2 and 8).
 *
 * Each command takes argv as main.c hands it over after the program name: argv[0] is the
 * command's own name ("compare", "replay"), the operands follow. Results go to stdout,
 * usage and I/O problems to stderr. Exit status: 0 = verified, 1 = the files disagree
 * (the report names the first frame and column), 2 = usage, unreadable or malformed input.
 */
#ifndef COHORT_TOOLS_H
#define COHORT_TOOLS_H

#include <stddef.h>

/* `cohort compare A.csv B.csv`: the two participants' files of one episode hold the same
 * trajectory, and every browser hash reported in them matched the server's. */
int cmd_compare(int argc, char **argv);

/* `cohort replay A.csv`: re-simulates the episode natively from its recorded actions,
 * using the sidecar A.json (env, seed, horizon), and checks every frame's rewards,
 * terminated/truncated flags, info fields and state hash. */
int cmd_replay(int argc, char **argv);

/* `cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]`: tidy CSV tables
 * (participants, episodes, frames with the decoded state, events) with their codebook,
 * every episode re-simulated and its hashes verified (docs/DATA.md). Exit 0 exported,
 * 1 an episode disagrees with its re-simulation (nothing written), 2 usage or I/O. */
int cmd_export(int argc, char **argv);

/* `cohort new-game NAME [--root DIR]`: writes envs/NAME/, a small complete game and an
 * experiment file to play it, from envs/template/ (docs/GAMES.md). Exit 0 written, 2 a
 * bad or taken name, not a source tree, or I/O (nothing is left behind). */
int cmd_new_game(int argc, char **argv);

/* ---- Episode CSV reading, shared by the commands ---- */

typedef struct {
    char *text;     /* the file, cells unescaped in place */
    char **cells;   /* (nrows + 1) * ncols: the header row, then the data rows */
    size_t ncols;
    size_t nrows;   /* data rows, without the header */
} csv_file;

/* Reads and parses a whole CSV file (RFC 4180 quoting; \n or \r\n line ends). Every row
 * must have as many cells as the header. 0, or -1 with a message "PATH:LINE: ..." in err. */
int csv_load(const char *path, csv_file *out, char *err, size_t errlen);
void csv_free(csv_file *f);
/* Header name of column col. */
const char *csv_name(const csv_file *f, size_t col);
/* Cell of data row `row` (0-based, header excluded). */
const char *csv_cell(const csv_file *f, size_t row, size_t col);
/* Column index by header name, or -1. */
long csv_col(const csv_file *f, const char *name);

#endif
