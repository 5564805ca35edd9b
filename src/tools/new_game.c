/*
 * `cohort new-game NAME [--root DIR]`: a new game family envs/NAME/ from the template
 * envs/template/ (docs/GAMES.md). Every TEMPLATE/PATH.in becomes envs/NAME/PATH with
 * "@game@" replaced by NAME and "@GAME@" by NAME in capitals ("@game@" in a path too).
 *
 * The new folder is written under a temporary name and renamed into place at the end,
 * so a failure halfway leaves no half game for the build to find. It runs in a source
 * tree (DIR, default the current folder: it must hold envs/env.h and envs/template/);
 * the build then finds the family by itself (envs/envs.mk), nothing else to edit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools.h"
#include "util/file.h"

#define NAME_MAX_LEN 24 /* "NAME/coins" and NAME_family_count stay short */
#define TEMPLATE_MAX_BYTES (1 << 20)

/*
 * Names that cannot be a game: C keywords (NAME is a prefix of C identifiers and the
 * folder name), folders of envs/ that are not games, and the prefixes the server's own
 * functions use (a game's NAME_render or NAME_step must not collide with them at link).
 */
static const char *const reserved[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "template", "wasm", "env", "envs", "fx", "dl", "registry", "describe", "drawlist",
    "hash", "fixed", "main", "admin", "bots", "bot", "config", "cfg", "flow", "lobby",
    "net", "proto", "room", "store", "texts", "text", "tools", "util", "log", "map",
    "clock", "money", "ident", "file", "csv", "export", "replay", "compare", "party",
    "quiz", "screen", "bonus", "partners", "identity", "participant", "restore",
    "matchmaker", "messages", "names", "swarm", "web", NULL,
};

/* NULL when `name` can be a game's name, else why not. */
static const char *name_problem(const char *name)
{
    size_t n = strlen(name);
    if (n == 0)
        return "is empty";
    if (n > NAME_MAX_LEN)
        return "is longer than 24 characters";
    if (!(name[0] >= 'a' && name[0] <= 'z'))
        return "must start with a lowercase letter a-z";
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return "may hold only lowercase letters a-z, digits and _";
    }
    if (strstr(name, "__") || name[n - 1] == '_')
        return "may not hold __ or end with _ (C reserves such names)";
    for (int i = 0; reserved[i]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return "is taken (a C keyword, a folder of envs/ or a prefix the server uses)";
    return NULL;
}

typedef struct {
    char text[64];
    size_t len;
} word;

/* src with every "@game@" replaced by lower and every "@GAME@" by upper; malloc'd. */
static char *fill(const char *src, const word *lower, const word *upper)
{
    size_t count = 0;
    for (const char *p = src; (p = strstr(p, "@")) != NULL; p++)
        count++;
    size_t cap = strlen(src) + count * NAME_MAX_LEN + 1;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    for (const char *p = src; *p;) {
        if (strncmp(p, "@game@", 6) == 0) {
            memcpy(o, lower->text, lower->len);
            o += lower->len;
            p += 6;
        } else if (strncmp(p, "@GAME@", 6) == 0) {
            memcpy(o, upper->text, upper->len);
            o += upper->len;
            p += 6;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wx"); /* never over an existing file */
    if (!f) {
        fprintf(stderr, "cohort new-game: %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "cohort new-game: writing %s: %s\n", path, strerror(errno));
    return ok;
}

/* Copies the .in files of template folder `from` into `to` (which exists), filled in.
 * Returns the number of files written, or -1 (said on stderr). */
static int copy_tree(const char *from, const char *to, const word *lower, const word *upper)
{
    DIR *d = opendir(from);
    if (!d) {
        fprintf(stderr, "cohort new-game: %s: %s\n", from, strerror(errno));
        return -1;
    }
    int written = 0;
    struct dirent *e;
    while (written >= 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char src[4096], name[1024], dst[4096];
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        struct stat st;
        if (stat(src, &st) != 0)
            continue;
        char *filled_name = fill(e->d_name, lower, upper);
        if (!filled_name) {
            written = -1;
            break;
        }
        snprintf(name, sizeof name, "%s", filled_name);
        free(filled_name);
        if (S_ISDIR(st.st_mode)) {
            snprintf(dst, sizeof dst, "%s/%s", to, name);
            if (mkdir(dst, 0777) != 0) {
                fprintf(stderr, "cohort new-game: %s: %s\n", dst, strerror(errno));
                written = -1;
                break;
            }
            int n = copy_tree(src, dst, lower, upper);
            written = n < 0 ? -1 : written + n;
            continue;
        }
        size_t nl = strlen(name);
        if (!S_ISREG(st.st_mode) || nl < 4 || strcmp(name + nl - 3, ".in") != 0)
            continue; /* the template's own README and anything else stay behind */
        name[nl - 3] = '\0';
        snprintf(dst, sizeof dst, "%s/%s", to, name);
        char *text = NULL;
        size_t len;
        file_status fs = file_read_all(src, TEMPLATE_MAX_BYTES, &text, &len);
        if (fs != FILE_OK) {
            fprintf(stderr, "cohort new-game: %s %s\n", src, file_status_text(fs));
            written = -1;
            break;
        }
        char *out = fill(text, lower, upper);
        free(text);
        bool ok = out && write_file(dst, out);
        free(out);
        written = ok ? written + 1 : -1;
    }
    closedir(d);
    return written;
}

/* rm -r of the half-made folder after a failure (only files and folders we wrote). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(p);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static int usage(void)
{
    fprintf(stderr, "usage: cohort new-game NAME [--root DIR]\n"
                    "  writes envs/NAME/ (a small complete game and envs/NAME/experiment.yaml to\n"
                    "  play it) from envs/template/ in the source tree DIR (default: .)\n");
    return 2;
}

int cmd_new_game(int argc, char **argv)
{
    const char *name = NULL, *root = ".";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (argv[i][0] == '-' || name)
            return usage();
        else
            name = argv[i];
    }
    if (!name)
        return usage();
    const char *why = name_problem(name);
    if (why) {
        fprintf(stderr, "cohort new-game: the name \"%s\" %s\n", name, why);
        return 2;
    }
    char path[4096], temp[4096], tmpl[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/envs/env.h", root);
    snprintf(tmpl, sizeof tmpl, "%s/envs/template", root);
    if (stat(path, &st) != 0 || stat(tmpl, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cohort new-game: %s is not a cohort source tree (no envs/env.h and "
                        "envs/template/ there): run it in the tree or give --root DIR\n", root);
        return 2;
    }
    snprintf(path, sizeof path, "%s/envs/%s", root, name);
    if (lstat(path, &st) == 0) {
        fprintf(stderr, "cohort new-game: %s already exists: choose another name, or remove "
                        "it first\n", path);
        return 2;
    }
    snprintf(temp, sizeof temp, "%s/envs/.%s.new.%ld", root, name, (long)getpid());
    if (mkdir(temp, 0777) != 0) {
        fprintf(stderr, "cohort new-game: %s: %s\n", temp, strerror(errno));
        return 2;
    }
    word lower, upper;
    lower.len = upper.len = strlen(name);
    for (size_t i = 0; i <= lower.len; i++) {
        lower.text[i] = name[i];
        upper.text[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 'a' + 'A') : name[i];
    }
    int n = copy_tree(tmpl, temp, &lower, &upper);
    if (n <= 0 || rename(temp, path) != 0) {
        if (n == 0)
            fprintf(stderr, "cohort new-game: %s holds no .in files\n", tmpl);
        else if (n > 0)
            fprintf(stderr, "cohort new-game: %s: %s\n", path, strerror(errno));
        remove_tree(temp);
        return 2;
    }
    printf("created %s/ (%d files): the game %s/coins\n"
           "next:\n"
           "  make                                   # builds it native and to wasm\n"
           "  make test-unit                         # native == wasm, fields, garbage states\n"
           "  build/cohort serve %s/experiment.yaml  # and open http://localhost:8000/?PROLIFIC_PID=a\n"
           "docs/GAMES.md explains every file.\n",
           path, n, name, path);
    return 0;
}
