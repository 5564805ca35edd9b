/*
 * Start-up: the participants the store knew, and every episode the frame log still holds
 * (docs/DESIGN.md section 8). The log holds only episodes that are not known to be
 * written: a row is deleted once its episode's files are durable and its `episodes` row
 * committed. So what is found here is one of:
 *   - no `episodes` row, files missing: the server died (or the disk was full) before the
 *     episode was written. Rebuilt from the log.
 *   - no `episodes` row, but every file whole on disk: it died between the files and the
 *     row. The files are adopted as they are (the log may have lost frames the files
 *     have).
 *   - an `episodes` row, files missing (an older version recorded rows for files it
 *     failed to write): rebuilt.
 *   - an `episodes` row and its files: it died before the prune. Pruned.
 */
#include "store_recover.h"
#include "store_internal.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static sqlite3 *open_ro(store *s, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cohort.db", store_dir(s));
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static const char *text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : NULL;
}

int store_load_participants(store *s, void (*fn)(const known_participant *p, void *ctx),
                            void *ctx, char *err, size_t errlen)
{
    store_flush(s);
    sqlite3 *db = open_ro(s, err, errlen);
    if (!db)
        return -1;
    /* The latest scene visit, the latest outcome, whether they ever waited for a game, the
     * group they belong to (with its game's scene and their seat in it), and (below)
     * whether that scene matched them. */
    /* One row per participant; the columns in the order of the enum below. */
    enum {
        C_SUBJECT, C_TOKEN, C_VISIT_INDEX, C_VISIT_SCENE, C_VISIT_AFTER_OUTCOME, C_VISIT_T,
        C_OUTCOME, C_CODE, C_REASON, C_WAITED, C_CONDITION, C_ROUTE, C_BONUS, C_WAIT_MS,
        C_POINTS, C_PARTY, C_PARTY_SCENE, C_PARTY_SEAT
    };
    static const char *sql =
        "SELECT p.subject, p.token, v.scene_index, v.scene, v.after_outcome, v.t,"
        " o.outcome, o.code, o.reason,"
        " EXISTS (SELECT 1 FROM waits w WHERE w.subject = p.subject),"
        " p.condition, p.route, o.bonus,"
        /* The bonus tallies, only for those still in the study (CASE is lazy). */
        " CASE WHEN o.outcome IS NULL THEN (SELECT coalesce(sum(wait_ms), 0) FROM waits w"
        "   WHERE w.subject = p.subject) ELSE 0 END,"
        " CASE WHEN o.outcome IS NULL THEN (SELECT coalesce(sum(e.score), 0) FROM seats s"
        "   JOIN episodes e ON e.game = s.game WHERE s.name = p.subject AND s.kind = 'human')"
        "   ELSE 0 END,"
        " p.party, (SELECT scene FROM games g WHERE g.game = p.party),"
        " (SELECT seat FROM seats s WHERE s.game = p.party AND s.name = p.subject)"
        " FROM participants p"
        " LEFT JOIN scene_visits v ON v.rowid = (SELECT rowid FROM scene_visits WHERE subject ="
        "   p.subject ORDER BY t DESC, rowid DESC LIMIT 1)"
        " LEFT JOIN outcomes o ON o.rowid = (SELECT rowid FROM outcomes WHERE subject ="
        "   p.subject ORDER BY t DESC, rowid DESC LIMIT 1)";
    static const char *matched_sql =
        "SELECT 1 FROM waits WHERE subject = ? AND scene = ? AND outcome = 'matched' LIMIT 1";
    /* Quiz attempts since that visit (a later visit counts afresh; an attempt is at least
     * a round trip after the visit it belongs to). */
    static const char *attempts_sql =
        "SELECT count(*) FROM quiz_attempts WHERE subject = ?1 AND scene = ?2 AND t > ?3";
    sqlite3_stmt *st = NULL, *mst = NULL, *qst = NULL;
    int count = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, matched_sql, -1, &mst, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, attempts_sql, -1, &qst, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading participants: %s", sqlite3_errmsg(db));
        count = -1;
        goto done;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        known_participant p = {
            .subject = text(st, C_SUBJECT),
            .token = text(st, C_TOKEN),
            .scene_index = sqlite3_column_type(st, C_VISIT_INDEX) == SQLITE_NULL
                               ? -1 : sqlite3_column_int(st, C_VISIT_INDEX),
            .outcome = text(st, C_OUTCOME),
            .code = text(st, C_CODE),
            .reason = text(st, C_REASON),
            .started_game = sqlite3_column_int(st, C_WAITED) != 0,
            .after_outcome = sqlite3_column_int(st, C_VISIT_AFTER_OUTCOME) != 0,
            .condition = text(st, C_CONDITION),
            .route = text(st, C_ROUTE),
            .bonus = text(st, C_BONUS),
            .wait_ms = sqlite3_column_int64(st, C_WAIT_MS),
            .points = sqlite3_column_int64(st, C_POINTS),
            .party = text(st, C_PARTY),
            .party_scene = text(st, C_PARTY_SCENE),
            .party_seat = sqlite3_column_type(st, C_PARTY_SEAT) == SQLITE_NULL
                              ? -1 : sqlite3_column_int(st, C_PARTY_SEAT),
        };
        const char *scene = text(st, C_VISIT_SCENE);
        p.scene = scene;
        if (!p.subject || !p.token)
            continue;
        if (scene) {
            sqlite3_reset(mst);
            sqlite3_bind_text(mst, 1, p.subject, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(mst, 2, scene, -1, SQLITE_TRANSIENT);
            p.matched_in_scene = sqlite3_step(mst) == SQLITE_ROW;
            sqlite3_reset(qst);
            sqlite3_bind_text(qst, 1, p.subject, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(qst, 2, scene, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(qst, 3, sqlite3_column_int64(st, C_VISIT_T));
            if (sqlite3_step(qst) == SQLITE_ROW)
                p.quiz_attempts = sqlite3_column_int(qst, 0);
        }
        fn(&p, ctx);
        count++;
    }
done:
    sqlite3_finalize(st);
    sqlite3_finalize(mst);
    sqlite3_finalize(qst);
    sqlite3_close(db);
    return count;
}

/* A timing column: its value when it is a plausible one, else 0 (NULL, not recorded). */
static uint32_t timing_column(sqlite3_stmt *st, int i, int64_t max)
{
    int64_t v = sqlite3_column_int64(st, i);
    return sqlite3_column_type(st, i) == SQLITE_INTEGER && v > 0 && v <= max ? (uint32_t)v : 0;
}

/* The episode's seed, horizon and timing, from the episode_starts row the room wrote when
 * it began (the writer added the timing columns when it opened the database). 0 when
 * found, 1 when there is none, -1 on an error. */
static int episode_meta(sqlite3 *db, const char *game, int episode, episode_record *rec)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT seed, horizon, fps, step_ms, input FROM episode_starts"
                           " WHERE game = ?1 AND episode = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, episode);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *sd = text(st, 0);
        rec->seed = sd ? strtoull(sd, NULL, 10) : 0;
        rec->horizon = (uint32_t)sqlite3_column_int64(st, 1);
        rec->timing.fps = timing_column(st, 2, 1000);
        rec->timing.step_ms = timing_column(st, 3, 60000);
        const char *in = text(st, 4);
        if (in && (strcmp(in, "held") == 0 || strcmp(in, "press") == 0))
            snprintf(rec->timing.input, sizeof rec->timing.input, "%s", in);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

/* Seat names and kinds from the game's seats rows, each at its seat index. The number of
 * seats (0 when there are no rows), or -1 on error. */
static int load_seats(sqlite3 *db, const char *game, episode_record *rec)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT seat, name, kind FROM seats WHERE game = ?1 ORDER BY seat",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int seat = sqlite3_column_int(st, 0);
        if (seat < 0 || seat >= ENV_MAX_PLAYERS)
            continue;
        const char *name = text(st, 1), *kind = text(st, 2);
        snprintf(rec->seat_names[seat], sizeof rec->seat_names[seat], "%s", name ? name : "");
        rec->seat_is_human[seat] = kind && strcmp(kind, "human") == 0;
        if ((uint32_t)seat + 1 > rec->nseats)
            rec->nseats = (uint32_t)seat + 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? (int)rec->nseats : -1;
}

/* What the log and the tables say about one episode in the log. */
typedef struct {
    const char *game;
    int episode;
    char scene[64], env[64], condition[64];
    bool has_row;          /* an `episodes` row exists */
    char row_reason[32];
    int64_t row_frames, row_t;
} logged;

/* The game's scene and env, and the episode's `episodes` row if any. 0, 1 when the game
 * has no games row, -1 on error. */
static int read_episode_rows(sqlite3 *db, logged *e)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT scene, env, condition FROM games WHERE game = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, e->game, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(e->scene, sizeof e->scene, "%s", text(st, 0) ? text(st, 0) : "");
        snprintf(e->env, sizeof e->env, "%s", text(st, 1) ? text(st, 1) : "");
        snprintf(e->condition, sizeof e->condition, "%s", text(st, 2) ? text(st, 2) : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 1 : -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT reason, frames, t FROM episodes WHERE game = ?1 AND"
                           " episode = ?2", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, e->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, e->episode);
    rc = sqlite3_step(st);
    e->has_row = rc == SQLITE_ROW;
    if (e->has_row) {
        snprintf(e->row_reason, sizeof e->row_reason, "%s", text(st, 0) ? text(st, 0) : "");
        e->row_frames = sqlite3_column_int64(st, 1);
        e->row_t = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Everything of the episode's record but its rows: seed, horizon and timing, seats, info
 * names. */
static int fill_record(sqlite3 *db, const logged *e, const env_def *(*find_env)(const char *),
                       episode_record *rec, char *err, size_t errlen)
{
    memset(rec, 0, sizeof *rec);
    snprintf(rec->scene, sizeof rec->scene, "%s", e->scene);
    snprintf(rec->game, sizeof rec->game, "%s", e->game);
    snprintf(rec->env, sizeof rec->env, "%s", e->env);
    snprintf(rec->condition, sizeof rec->condition, "%s", e->condition);
    rec->episode = (uint32_t)e->episode;
    int rc = episode_meta(db, e->game, e->episode, rec);
    if (rc != 0) {
        snprintf(err, errlen, "game %s episode %d: %s", e->game, e->episode,
                 rc > 0 ? "no episode start recorded" : sqlite3_errmsg(db));
        return -1;
    }
    rc = load_seats(db, e->game, rec);
    if (rc <= 0) {
        snprintf(err, errlen, "game %s episode %d: %s", e->game, e->episode,
                 rc == 0 ? "no seats recorded" : sqlite3_errmsg(db));
        return -1;
    }
    const env_def *def = find_env ? find_env(e->env) : NULL;
    if (def) {
        rec->ninfo = def->ninfo < ENV_MAX_INFO ? def->ninfo : ENV_MAX_INFO;
        for (uint32_t k = 0; k < rec->ninfo; k++)
            snprintf(rec->info_names[k], sizeof rec->info_names[k], "%s",
                     def->info_names[k] ? def->info_names[k] : "");
    }
    return 0;
}

/* How many human seats the episode has, and how many of them have both files on disk;
 * files_json gets the CSVs found (as an `episodes` row lists them). */
static void seat_files(const store *s, const episode_record *rec, int *humans, int *present,
                       char *files_json, size_t files_len)
{
    json_t *files = json_array();
    *humans = *present = 0;
    for (uint32_t i = 0; i < rec->nseats; i++) {
        if (!rec->seat_is_human[i])
            continue;
        (*humans)++;
        char csv[4400], side[4400], rel[512];
        snprintf(rel, sizeof rel, "%s/%s_ep%u.csv", rec->scene, rec->seat_names[i],
                 (unsigned)rec->episode);
        snprintf(csv, sizeof csv, "%s/%s", store_dir(s), rel);
        snprintf(side, sizeof side, "%s/%s/%s_ep%u.json", store_dir(s), rec->scene,
                 rec->seat_names[i], (unsigned)rec->episode);
        struct stat sb;
        if (store_safe_name(rec->seat_names[i]) && stat(csv, &sb) == 0 && stat(side, &sb) == 0) {
            (*present)++;
            json_array_append_new(files, json_string(rel));
        }
    }
    char *text = json_dumps(files, JSON_COMPACT);
    snprintf(files_json, files_len, "%s", text ? text : "[]");
    free(text);
    json_decref(files);
}

/* rows and end_reason of the first human seat's sidecar; false when unreadable. */
static bool read_sidecar(const store *s, const episode_record *rec, int64_t *rows,
                         char *reason, size_t len)
{
    for (uint32_t i = 0; i < rec->nseats; i++) {
        if (!rec->seat_is_human[i])
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s/%s_ep%u.json", store_dir(s), rec->scene,
                 rec->seat_names[i], (unsigned)rec->episode);
        json_t *o = json_load_file(path, 0, NULL);
        json_t *r = json_object_get(o, "rows"), *why = json_object_get(o, "end_reason");
        bool ok = json_is_integer(r) && json_is_string(why);
        if (ok) {
            *rows = json_integer_value(r);
            snprintf(reason, len, "%s", json_string_value(why));
        }
        json_decref(o);
        return ok;
    }
    return false;
}

/* How the logged episode ended, from its last row: the env's own end when the log shows
 * it, else cut (the server stopped before the end, or frames were lost). A cut marks its
 * last row truncated itself (room.c), so truncated counts as the env's only at the
 * horizon; terminated is only ever the env's. */
static const char *logged_end(const frame_row *last, uint32_t n, uint32_t horizon)
{
    if (last->terminated)
        return "terminated";
    if (last->truncated && horizon > 0 && n >= horizon)
        return "truncated";
    return "cut";
}

/* Rows 0..k-1 without a gap: frames lost from the log (a failed bulk transaction) end the
 * part that can be replayed. */
static uint32_t contiguous(const frame_row *rows, uint32_t n)
{
    uint32_t k = 0;
    while (k < n && rows[k].frame == k)
        k++;
    return k;
}

/* Rebuilds the files (and the row) from the log. The reason is the row's when the row
 * exists and counts the same frames, else read from the log. 0 or -1 with err set. */
static int rebuild_from_log(store *s, const logged *e, episode_record *rec, char *err,
                            size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cohort.db", store_dir(s));
    uint32_t n = 0;
    if (store_frames_load(path, e->game, (uint32_t)e->episode, &rec->rows, &n) != 0 ||
        (n = contiguous(rec->rows, n)) == 0) {
        free(rec->rows);
        rec->rows = NULL;
        snprintf(err, errlen, "game %s episode %d: frame log unreadable", e->game, e->episode);
        return -1;
    }
    rec->nrows = n;
    const char *why = e->has_row && e->row_frames == (int64_t)n && e->row_reason[0]
                          ? e->row_reason
                          : logged_end(&rec->rows[n - 1], n, rec->horizon);
    snprintf(rec->end_reason, sizeof rec->end_reason, "%s", why);
    if (strcmp(why, "cut") == 0)
        rec->rows[n - 1].truncated = 1; /* as room.c marks a cut */
    rec->t = e->has_row ? e->row_t : 0;
    store_episode(s, rec);
    return 0;
}

/* The number of frames the log holds for the episode (-1 on error). */
static int64_t logged_frames(sqlite3 *db, const logged *e)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(n), 0) FROM frame_log WHERE game = ?1 AND episode = ?2",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, e->game, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, e->episode);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/* Files whole on disk without a row: adopted when they hold at least what the log does.
 * True when done. */
static bool adopt_files(store *s, sqlite3 *db, const logged *e, episode_record *rec,
                        const char *files_json)
{
    int64_t rows = 0;
    if (!read_sidecar(s, rec, &rows, rec->end_reason, sizeof rec->end_reason) || rows <= 0 ||
        rows < logged_frames(db, e))
        return false;
    rec->nrows = (uint32_t)rows;
    store_episode_adopt(s, rec, files_json);
    return true;
}

/* One episode of the log (see the top of this file). 1 when its files were rebuilt or
 * adopted, 0 when only its frames were pruned, -1 when skipped (err says why). */
static int recover_one(store *s, sqlite3 *db, logged *e,
                       const env_def *(*find_env)(const char *), char *err, size_t errlen)
{
    int rc = read_episode_rows(db, e);
    if (rc != 0) {
        snprintf(err, errlen, "game %s episode %d: %s", e->game, e->episode,
                 rc > 0 ? "no game recorded" : sqlite3_errmsg(db));
        return -1;
    }
    episode_record rec;
    if (fill_record(db, e, find_env, &rec, err, errlen) != 0)
        return -1;
    int humans, present;
    char files[2048];
    seat_files(s, &rec, &humans, &present, files, sizeof files);
    bool whole = humans > 0 && present == humans;
    if (whole && e->has_row) {
        store_prune_episode(s, e->game, (uint32_t)e->episode);
        return 0;
    }
    if (whole && !e->has_row && adopt_files(s, db, e, &rec, files))
        return 1;
    return rebuild_from_log(s, e, &rec, err, errlen) == 0 ? 1 : -1;
}

/* The next (game, episode) in the frame log after the one in *e, in key order: one seek
 * in the primary key, so start-up costs what the episodes still logged cost, never the
 * whole history. 1 found (e and its game buffer updated), 0 none, -1 error. */
static int next_logged(sqlite3_stmt *st, logged *e, char *game, size_t len)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, e->episode);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : -1;
    const char *g = text(st, 0);
    snprintf(game, len, "%s", g ? g : "");
    memset(e, 0, sizeof *e);
    e->game = game;
    e->episode = sqlite3_column_int(st, 1);
    return 1;
}

/* The CSV paths (relative to the store's folder) that an `episodes` row lists, and their
 * sidecars: how many of them are missing. */
static int missing_files(const store *s, const char *files_json)
{
    json_t *files = json_loads(files_json ? files_json : "[]", 0, NULL);
    size_t i;
    json_t *v;
    int missing = 0;
    json_array_foreach(files, i, v)
    {
        const char *rel = json_string_value(v);
        size_t n = rel ? strlen(rel) : 0;
        if (n < 4 || strcmp(rel + n - 4, ".csv") != 0)
            continue;
        char csv[4400], side[4400];
        snprintf(csv, sizeof csv, "%s/%s", store_dir(s), rel);
        snprintf(side, sizeof side, "%s/%.*s.json", store_dir(s), (int)(n - 4), rel);
        struct stat sb;
        missing += stat(csv, &sb) != 0 || stat(side, &sb) != 0;
    }
    json_decref(files);
    return missing;
}

/* Recorded episodes whose files are gone and whose frames were already pruned (someone
 * deleted them): nothing can bring them back, but the researcher must hear of it. One
 * stat per file of the history: cheap beside reading frames. The number found; err names
 * the last. */
static int report_lost_files(store *s, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int lost = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT e.game, e.episode, e.files FROM episodes e WHERE NOT EXISTS"
                           " (SELECT 1 FROM frame_log f WHERE f.game = e.game AND"
                           " f.episode = e.episode)", -1, &st, NULL) != SQLITE_OK)
        return 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (missing_files(s, text(st, 2)) == 0)
            continue;
        lost++;
        snprintf(err, errlen, "game %s episode %d: files missing, and the frame log no longer"
                 " has its frames", text(st, 0), sqlite3_column_int(st, 1));
    }
    sqlite3_finalize(st);
    return lost;
}

/* Seeks the log's episodes one by one (next_logged). Exposed for the plan test. */
const char STORE_NEXT_LOGGED_SQL[] =
    "SELECT game, episode FROM frame_log WHERE (game, episode) > (?1, ?2)"
    " ORDER BY game, episode LIMIT 1";

int store_rebuild_episodes(store *s, const char *experiment,
                           const env_def *(*find_env)(const char *name), char *err,
                           size_t errlen)
{
    (void)experiment; /* the files are named by the store's own experiment */
    if (errlen)
        err[0] = '\0';
    store_flush(s);
    sqlite3 *db = open_ro(s, err, errlen);
    if (!db)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, STORE_NEXT_LOGGED_SQL, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "finding unwritten episodes: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    char game[128] = "", skipped[512] = "";
    logged e = {.game = game, .episode = -1};
    int rebuilt = 0, rc;
    while ((rc = next_logged(st, &e, game, sizeof game)) > 0) {
        int one = recover_one(s, db, &e, find_env, skipped, sizeof skipped);
        rebuilt += one > 0;
    }
    if (rc < 0)
        snprintf(skipped, sizeof skipped, "reading the frame log: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    report_lost_files(s, db, skipped, sizeof skipped);
    sqlite3_close(db);
    if (errlen)
        snprintf(err, errlen, "%s", skipped);
    /* What was queued is written before the server opens its doors. */
    store_flush(s);
    return rebuilt;
}
