/*
 * The files the store writes beside cohort.db: episode CSV files with their JSON sidecars,
 * and form answers (docs/DESIGN.md section 8).
 *
 * Every file is written under a hidden temporary name, fsync'd and renamed into place,
 * and then its folder is fsync'd, so anyone watching the folder (a researcher, the e2e
 * harness, `cohort compare`) sees either no file or the whole file, and a power cut after
 * the call returned cannot take the rename back. Folders and files get the store's modes
 * explicitly (chmod/fchmod), whatever the umask. These functions run on the writer
 * thread; they are also callable directly (tests).
 *
 * Failures are told apart (store.h, STORE_FILE_*): a name that can never be a file is
 * BAD (retrying cannot help), anything the disk said (ENOSPC, EIO, EACCES, ...) is RETRY:
 * the writer keeps the job and tries again.
 */
#include "../util/err.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../util/ident.h"

/* ---------------------------------------------------------------------------------------
 * Path safety
 * ------------------------------------------------------------------------------------- */

bool store_safe_name(const char *name) { return ident_valid(name, STORE_NAME_MAX, "."); }

/* ---------------------------------------------------------------------------------------
 * CSV layout
 * ------------------------------------------------------------------------------------- */

/* A bounded output cursor: appends never overrun, and `overflow` records that one failed. */
typedef struct {
    char *p;
    size_t left;
    size_t used;
    bool overflow;
} cursor;

static void put_raw(cursor *c, const char *s, size_t n)
{
    if (c->overflow || n >= c->left) {
        c->overflow = true;
        return;
    }
    memcpy(c->p + c->used, s, n);
    c->used += n;
    c->left -= n;
    c->p[c->used] = '\0';
}

static void putf(cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(cursor *c, const char *fmt, ...)
{
    if (c->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->p + c->used, c->left, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= c->left) {
        c->overflow = true;
        return;
    }
    c->used += (size_t)n;
    c->left -= (size_t)n;
}

/* A text cell. Names are validated upstream, but a comma or quote must never shift the
 * columns, so such a cell is quoted RFC 4180 style. */
static void put_cell(cursor *c, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        put_raw(c, s, strlen(s));
        return;
    }
    put_raw(c, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            put_raw(c, "\"\"", 2);
        else
            put_raw(c, p, 1);
    }
    put_raw(c, "\"", 1);
}

/* Length written, or -1 (and an empty buffer) when it did not fit. */
static int cursor_end(cursor *c)
{
    if (c->overflow) {
        c->p[0] = '\0';
        return -1;
    }
    return (int)c->used;
}

static uint32_t clamp_seats(const episode_record *rec)
{
    return rec->nseats > ENV_MAX_PLAYERS ? ENV_MAX_PLAYERS : rec->nseats;
}

static uint32_t clamp_info(const episode_record *rec)
{
    return rec->ninfo > ENV_MAX_INFO ? ENV_MAX_INFO : rec->ninfo;
}

const char *store_source_name(int source)
{
    return source >= 0 && source < input_source_COUNT_ ? input_source_name((input_source)source)
                                                      : NULL;
}

int store_csv_header(const episode_record *rec, char *buf, size_t len)
{
    if (!rec || !buf || len == 0)
        return -1;
    cursor c = {buf, len, 0, false};
    buf[0] = '\0';
    uint32_t k = clamp_seats(rec);
    static const char *const per_seat_before[] = {"seat", "action", "source", "reward"};

    put_raw(&c, "frame,episode,game,condition", 28);
    for (size_t f = 0; f < sizeof per_seat_before / sizeof *per_seat_before; f++)
        for (uint32_t i = 0; i < k; i++)
            putf(&c, ",%s.%" PRIu32, per_seat_before[f], i);
    put_raw(&c, ",terminated,truncated", 21);
    for (uint32_t i = 0; i < clamp_info(rec); i++) {
        put_raw(&c, ",info.", 6);
        put_cell(&c, rec->info_names[i]);
    }
    put_raw(&c, ",hash", 5);
    for (uint32_t i = 0; i < k; i++)
        putf(&c, ",verified.%" PRIu32, i);
    for (uint32_t i = 0; i < k; i++)
        putf(&c, ",focused.%" PRIu32, i);
    put_raw(&c, ",t_ms", 5);
    return cursor_end(&c);
}

int store_csv_row(const episode_record *rec, const frame_row *row, char *buf, size_t len)
{
    if (!rec || !row || !buf || len == 0)
        return -1;
    cursor c = {buf, len, 0, false};
    buf[0] = '\0';
    uint32_t k = clamp_seats(rec);

    putf(&c, "%" PRIu32 ",%" PRIu32 ",", row->frame, rec->episode);
    put_cell(&c, rec->game);
    put_raw(&c, ",", 1);
    put_cell(&c, rec->condition);
    for (uint32_t i = 0; i < k; i++) {
        put_raw(&c, ",", 1);
        put_cell(&c, rec->seat_names[i]);
    }
    for (uint32_t i = 0; i < k; i++)
        putf(&c, ",%u", (unsigned)row->actions[i]);
    for (uint32_t i = 0; i < k; i++) {
        const char *name = store_source_name(row->sources[i]);
        if (name)
            putf(&c, ",%s", name);
        else
            putf(&c, ",%u", (unsigned)row->sources[i]); /* never silently relabel */
    }
    for (uint32_t i = 0; i < k; i++)
        putf(&c, ",%" PRId32, row->rewards[i]);
    putf(&c, ",%u,%u", (unsigned)row->terminated, (unsigned)row->truncated);
    for (uint32_t i = 0; i < clamp_info(rec); i++)
        putf(&c, ",%" PRId32, row->info[i]);
    putf(&c, ",%016" PRIx64, row->hash);
    for (uint32_t i = 0; i < k; i++) {
        if (row->verified[i] < 0)
            put_raw(&c, ",", 1); /* not reported: empty cell */
        else
            putf(&c, ",%d", (int)row->verified[i]);
    }
    for (uint32_t i = 0; i < k; i++)
        putf(&c, ",%u", (unsigned)row->focused[i]);
    putf(&c, ",%" PRIu32, row->t_ms);
    return cursor_end(&c);
}

/* ---------------------------------------------------------------------------------------
 * Growable text buffer for whole files
 * ------------------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} textbuf;

static bool tb_reserve(textbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

static bool tb_append(textbuf *b, const char *s, size_t n)
{
    if (!tb_reserve(b, n))
        return false;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

/* The whole CSV text of an episode. Each row is formatted into a fixed line buffer: the
 * widest possible row (8 seats of 80-char names, 8 info fields) fits with room to spare. */
static bool episode_csv_text(const episode_record *rec, textbuf *out)
{
    char line[4096];
    int n = store_csv_header(rec, line, sizeof line);
    if (n < 0 || !tb_append(out, line, (size_t)n) || !tb_append(out, "\n", 1))
        return false;
    for (uint32_t r = 0; r < rec->nrows; r++) {
        n = store_csv_row(rec, &rec->rows[r], line, sizeof line);
        if (n < 0 || !tb_append(out, line, (size_t)n) || !tb_append(out, "\n", 1))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Atomic file writes
 * ------------------------------------------------------------------------------------- */

/* fsync of the folder holding path: makes a rename or a new entry in it durable. 0 or an
 * errno value. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

/* The folder holding path (path itself must not end in '/'). */
static int sync_parent(const char *path)
{
    char parent[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n == 0)
        return slash ? sync_dir("/") : sync_dir(".");
    if (n >= sizeof parent)
        return ENAMETOOLONG;
    memcpy(parent, path, n);
    parent[n] = '\0';
    return sync_dir(parent);
}

/* One folder: created with mode (chmod'd, so the umask cannot narrow or widen it) and its
 * parent fsync'd so the new entry survives a power cut. An existing folder is left as it
 * is. */
static int make_dir(const char *path, unsigned mode)
{
    if (mkdir(path, (mode_t)mode) != 0)
        return errno == EEXIST ? 0 : -1;
    int e = chmod(path, (mode_t)mode) == 0 ? sync_parent(path) : errno;
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

int store_mkdirs(const char *path, unsigned mode)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = '\0';
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (make_dir(tmp, mode) != 0)
            return -1;
        *p = '/';
    }
    return make_dir(tmp, mode);
}

/* ---------------------------------------------------------------------------------------
 * Fault injection (store.h, store_fault_files): tests make file writes fail as a full
 * disk would. Two counters, read on every write; both 0 in the server.
 * ------------------------------------------------------------------------------------- */

static _Atomic int fault_skip, fault_count;

void store_fault_files(int skip, int count)
{
    atomic_store(&fault_skip, skip > 0 ? skip : 0);
    atomic_store(&fault_count, count);
}

bool store_fault_take(_Atomic int *skip_left, _Atomic int *count_left)
{
    if (atomic_load_explicit(count_left, memory_order_relaxed) == 0)
        return false;
    int skip = atomic_load(skip_left);
    while (skip > 0)
        if (atomic_compare_exchange_weak(skip_left, &skip, skip - 1))
            return false;
    int c = atomic_load(count_left);
    while (c != 0)
        if (atomic_compare_exchange_weak(count_left, &c, c < 0 ? c : c - 1))
            return true;
    return false;
}

static bool fault_fires(void) { return store_fault_take(&fault_skip, &fault_count); }

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += w;
        len -= (size_t)w;
    }
    return true;
}

/* Writes `data` to dir/name through dir/.name.tmp.PID: the temporary name is hidden and
 * does not end in .csv/.json, so a reader globbing for data files never picks it up. The
 * caller fsyncs dir afterwards (once for several files). 0, or an errno value with err
 * set. */
static int write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                             unsigned mode, char *err, size_t errlen)
{
    char path[4096], tmp[4096];
    int n1 = snprintf(path, sizeof path, "%s/%s", dir, name);
    int n2 = snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof path || (size_t)n2 >= sizeof tmp) {
        err_set(err, errlen, "path too long: %s/%s", dir, name);
        return ENAMETOOLONG;
    }
    if (fault_fires()) {
        err_set(err, errlen, "%s: %s (injected)", path, strerror(ENOSPC));
        return ENOSPC;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        int e = errno;
        err_set(err, errlen, "%s: %s", tmp, strerror(e));
        return e;
    }
    /* fchmod: open's mode is narrowed by the umask, and a leftover temporary file from a
     * crash keeps whatever mode it had. fsync before rename: without it a power cut can
     * leave a renamed but empty file. */
    bool ok = fchmod(fd, (mode_t)mode) == 0 && write_all(fd, data, len) && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        err_set(err, errlen, "%s: %s", path, strerror(saved));
        unlink(tmp);
        return saved ? saved : EIO;
    }
    return 0;
}

/* JSON text plus a final newline, so the file reads well with cat. */
static int write_json_file(const char *dir, const char *name, const char *json, unsigned mode,
                           char *err, size_t errlen)
{
    size_t n = strlen(json);
    char *text = malloc(n + 2);
    if (!text) {
        err_set(err, errlen, "out of memory");
        return ENOMEM;
    }
    memcpy(text, json, n);
    text[n] = '\n';
    text[n + 1] = '\0';
    int rc = write_file_atomic(dir, name, text, n + 1, mode, err, errlen);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Episode and form files
 * ------------------------------------------------------------------------------------- */

static char *episode_meta_json(const char *experiment, const episode_record *rec, uint32_t seat)
{
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, rec->seed); /* a u64 does not fit a JS number */
    json_t *seats = json_array(), *infos = json_array();
    for (uint32_t i = 0; i < clamp_seats(rec); i++)
        json_array_append_new(seats, json_string(rec->seat_names[i]));
    for (uint32_t i = 0; i < clamp_info(rec); i++)
        json_array_append_new(infos, json_string(rec->info_names[i]));

    json_t *o = json_object();
    json_object_set_new(o, "experiment", json_string(experiment));
    json_object_set_new(o, "scene", json_string(rec->scene));
    json_object_set_new(o, "game", json_string(rec->game));
    json_object_set_new(o, "env", json_string(rec->env));
    json_object_set_new(o, "condition", json_string(rec->condition));
    json_object_set_new(o, "episode", json_integer(rec->episode));
    json_object_set_new(o, "seed", json_string(seed));
    json_object_set_new(o, "horizon", json_integer(rec->horizon));
    /* The pace as the game's settings said it, and the period it comes to, in ms: the same
     * number for either way of saying it (fps 30: 33.33). null when not recorded. */
    const episode_timing *tm = &rec->timing;
    json_object_set_new(o, "fps", tm->fps ? json_integer(tm->fps) : json_null());
    json_object_set_new(o, "step_ms", tm->step_ms ? json_integer(tm->step_ms) : json_null());
    json_object_set_new(o, "step_period_ms",
                        tm->step_ms ? json_real(tm->step_ms)
                        : tm->fps   ? json_real(1000.0 / tm->fps)
                                    : json_null());
    json_object_set_new(o, "input", tm->input[0] ? json_string(tm->input) : json_null());
    json_object_set_new(o, "seat", json_integer(seat));
    json_object_set_new(o, "subject", json_string(rec->seat_names[seat]));
    json_object_set_new(o, "seats", seats);
    json_object_set_new(o, "info_names", infos);
    json_object_set_new(o, "end_reason", json_string(rec->end_reason));
    json_object_set_new(o, "rows", json_integer(rec->nrows));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(o);
    return text;
}

/* The file mode that goes with a folder mode: the same bits without execute. */
static unsigned file_mode(unsigned dir_mode) { return dir_mode & 0666; }

/* Ensures DIR/SCENE exists; writes its path into out. STORE_FILE_OK, or BAD (the scene
 * cannot name a folder) or RETRY (the disk said no) with err set. */
static int scene_dir(const char *dir, const char *scene, unsigned mode, char *out,
                     size_t outlen, char *err, size_t errlen)
{
    if (!store_safe_name(scene)) {
        err_set(err, errlen, "unsafe scene id '%s'", scene ? scene : "(null)");
        return STORE_FILE_BAD;
    }
    int n = snprintf(out, outlen, "%s/%s", dir, scene);
    if (n < 0 || (size_t)n >= outlen) {
        err_set(err, errlen, "path too long: %s/%s", dir, scene);
        return STORE_FILE_BAD;
    }
    if (store_mkdirs(out, mode) != 0) {
        err_set(err, errlen, "%s: %s", out, strerror(errno));
        return STORE_FILE_RETRY;
    }
    return STORE_FILE_OK;
}

/* An errno from a write: our own refusals (a name too long) can never pass; everything
 * the disk says (ENOSPC, EDQUOT, EIO, EACCES, EROFS, ...) may, once someone acts. */
static int classify(int e) { return e == ENAMETOOLONG || e == EINVAL ? STORE_FILE_BAD : STORE_FILE_RETRY; }

/* Copies a fixed-size name field into a NUL-terminated buffer even if the caller filled
 * the field to the brim. */
static void copy_field(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    size_t n = strnlen(src, srclen);
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A copy of rec_in whose name fields are certainly terminated. */
static void terminated_copy(episode_record *rec, const episode_record *rec_in)
{
    *rec = *rec_in;
    copy_field(rec->scene, sizeof rec->scene, rec_in->scene, sizeof rec_in->scene);
    copy_field(rec->game, sizeof rec->game, rec_in->game, sizeof rec_in->game);
    copy_field(rec->env, sizeof rec->env, rec_in->env, sizeof rec_in->env);
    copy_field(rec->end_reason, sizeof rec->end_reason, rec_in->end_reason,
               sizeof rec_in->end_reason);
    for (uint32_t i = 0; i < ENV_MAX_PLAYERS; i++)
        copy_field(rec->seat_names[i], sizeof rec->seat_names[i], rec_in->seat_names[i],
                   sizeof rec_in->seat_names[i]);
    for (uint32_t i = 0; i < ENV_MAX_INFO; i++)
        copy_field(rec->info_names[i], sizeof rec->info_names[i], rec_in->info_names[i],
                   sizeof rec_in->info_names[i]);
}

/* One seat's sidecar and CSV. The sidecar goes first: whoever sees the CSV can rely on
 * its JSON being there. 0 or an errno value. */
static int write_seat_files(const char *sdir, const char *experiment, const episode_record *rec,
                            uint32_t seat, const textbuf *csv, unsigned mode, char *err,
                            size_t errlen)
{
    char csv_name[256], json_name[256];
    snprintf(csv_name, sizeof csv_name, "%s_ep%" PRIu32 ".csv", rec->seat_names[seat],
             rec->episode);
    snprintf(json_name, sizeof json_name, "%s_ep%" PRIu32 ".json", rec->seat_names[seat],
             rec->episode);
    char *meta = episode_meta_json(experiment, rec, seat);
    if (!meta) {
        err_set(err, errlen, "episode %s/%" PRIu32 ": out of memory", rec->game, rec->episode);
        return ENOMEM;
    }
    int e = write_json_file(sdir, json_name, meta, file_mode(mode), err, errlen);
    free(meta);
    if (e == 0)
        e = write_file_atomic(sdir, csv_name, csv->data, csv->len, file_mode(mode), err, errlen);
    return e;
}

int store_write_episode_files(const char *dir, const char *experiment,
                              const episode_record *rec_in, unsigned mode, char *files_json,
                              size_t files_len, char *err, size_t errlen)
{
    episode_record rec;
    terminated_copy(&rec, rec_in);
    if (rec.nrows > 0 && !rec.rows) {
        err_set(err, errlen, "episode %s/%" PRIu32 ": rows missing", rec.game, rec.episode);
        return STORE_FILE_BAD;
    }
    char sdir[4096];
    int rc = scene_dir(dir, rec.scene, mode, sdir, sizeof sdir, err, errlen);
    if (rc != STORE_FILE_OK)
        return rc;

    textbuf csv = {0};
    if (!episode_csv_text(&rec, &csv)) {
        free(csv.data);
        err_set(err, errlen, "episode %s/%" PRIu32 ": out of memory", rec.game, rec.episode);
        return STORE_FILE_RETRY;
    }

    json_t *files = json_array();
    int written = 0;
    bool bad = false, retry = false;
    for (uint32_t seat = 0; seat < clamp_seats(&rec); seat++) {
        if (!rec.seat_is_human[seat])
            continue;
        if (!store_safe_name(rec.seat_names[seat])) {
            err_set(err, errlen, "unsafe subject id '%s'", rec.seat_names[seat]);
            bad = true;
            continue;
        }
        int e = write_seat_files(sdir, experiment, &rec, seat, &csv, mode, err, errlen);
        if (e != 0) {
            if (classify(e) == STORE_FILE_BAD)
                bad = true;
            else
                retry = true;
            continue;
        }
        written += 2;
        char rel[512];
        snprintf(rel, sizeof rel, "%s/%s_ep%" PRIu32 ".csv", rec.scene, rec.seat_names[seat],
                 rec.episode);
        json_array_append_new(files, json_string(rel));
    }
    free(csv.data);
    /* The renames are durable only once the folder is. */
    int e = written > 0 ? sync_dir(sdir) : 0;
    if (e != 0) {
        err_set(err, errlen, "%s: fsync: %s", sdir, strerror(e));
        retry = true;
    }

    if (files_json && files_len > 0) {
        char *text = json_dumps(files, JSON_COMPACT);
        snprintf(files_json, files_len, "%s", text ? text : "[]");
        free(text);
    }
    json_decref(files);
    return retry ? STORE_FILE_RETRY : bad ? STORE_FILE_BAD : written;
}

int store_write_form_file(const char *dir, const char *scene, const char *subject,
                          const char *form_json, unsigned mode, char *err, size_t errlen)
{
    if (!store_safe_name(subject)) {
        err_set(err, errlen, "unsafe subject id '%s'", subject ? subject : "(null)");
        return STORE_FILE_BAD;
    }
    char sdir[4096];
    int rc = scene_dir(dir, scene, mode, sdir, sizeof sdir, err, errlen);
    if (rc != STORE_FILE_OK)
        return rc;

    /* Re-encode through jansson so the file is always valid, readable JSON. */
    json_error_t jerr;
    json_t *form = form_json ? json_loads(form_json, 0, &jerr) : json_object();
    if (!form || !json_is_object(form)) {
        json_decref(form);
        err_set(err, errlen, "form of %s in %s is not a JSON object", subject, scene);
        return STORE_FILE_BAD;
    }
    char *text = json_dumps(form, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(form);
    if (!text) {
        err_set(err, errlen, "out of memory");
        return STORE_FILE_RETRY;
    }
    char name[256];
    snprintf(name, sizeof name, "%s_form.json", subject);
    int e = write_json_file(sdir, name, text, file_mode(mode), err, errlen);
    free(text);
    if (e == 0 && (e = sync_dir(sdir)) != 0)
        err_set(err, errlen, "%s: fsync: %s", sdir, strerror(e));
    return e == 0 ? STORE_FILE_OK : classify(e);
}

int store_probe_space(const char *dir, size_t bytes, char *err, size_t errlen)
{
    char *zeros = calloc(1, bytes ? bytes : 1);
    if (!zeros) {
        err_set(err, errlen, "out of memory");
        return STORE_FILE_RETRY;
    }
    /* Real bytes, not a hole: the file system must find the blocks. */
    memset(zeros, 'p', bytes);
    char name[64], path[4200];
    snprintf(name, sizeof name, ".probe.%ld", (long)getpid());
    int e = write_file_atomic(dir, name, zeros, bytes, 0600, err, errlen);
    free(zeros);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    return e == 0 ? STORE_FILE_OK : STORE_FILE_RETRY;
}
