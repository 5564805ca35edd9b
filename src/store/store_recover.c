#include "store_recover.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* The latest scene visit, the latest outcome, whether they ever waited for a game, and
     * (below) whether that scene matched them. */
    static const char *sql =
        "SELECT p.subject, p.token,"
        " (SELECT scene_index FROM scene_visits v WHERE v.subject = p.subject"
        "   ORDER BY t DESC, rowid DESC LIMIT 1),"
        " (SELECT scene FROM scene_visits v WHERE v.subject = p.subject"
        "   ORDER BY t DESC, rowid DESC LIMIT 1),"
        " o.outcome, o.code, o.reason,"
        " EXISTS (SELECT 1 FROM waits w WHERE w.subject = p.subject)"
        " FROM participants p"
        " LEFT JOIN outcomes o ON o.rowid = (SELECT rowid FROM outcomes WHERE subject ="
        "   p.subject ORDER BY t DESC, rowid DESC LIMIT 1)";
    static const char *matched_sql =
        "SELECT 1 FROM waits WHERE subject = ? AND scene = ? AND outcome = 'matched' LIMIT 1";
    sqlite3_stmt *st = NULL, *mst = NULL;
    int count = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, matched_sql, -1, &mst, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading participants: %s", sqlite3_errmsg(db));
        count = -1;
        goto done;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        known_participant p = {
            .subject = text(st, 0),
            .token = text(st, 1),
            .scene_index = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1
                                                                      : sqlite3_column_int(st, 2),
            .outcome = text(st, 4),
            .code = text(st, 5),
            .reason = text(st, 6),
            .started_game = sqlite3_column_int(st, 7) != 0,
        };
        const char *scene = text(st, 3);
        if (!p.subject || !p.token)
            continue;
        if (scene) {
            sqlite3_reset(mst);
            sqlite3_bind_text(mst, 1, p.subject, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(mst, 2, scene, -1, SQLITE_TRANSIENT);
            p.matched_in_scene = sqlite3_step(mst) == SQLITE_ROW;
        }
        fn(&p, ctx);
        count++;
    }
done:
    sqlite3_finalize(st);
    sqlite3_finalize(mst);
    sqlite3_close(db);
    return count;
}

/* The episode's seed and horizon, from the episode_starts row the room wrote when it
 * began. 0 when found, 1 when there is none, -1 on an error. */
static int episode_meta(sqlite3 *db, const char *game, int episode, uint64_t *seed,
                        uint32_t *horizon)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT seed, horizon FROM episode_starts"
                           " WHERE game = ?1 AND episode = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, episode);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *sd = text(st, 0);
        *seed = sd ? strtoull(sd, NULL, 10) : 0;
        *horizon = (uint32_t)sqlite3_column_int64(st, 1);
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

static int rebuild_one(store *s, sqlite3 *db, const char *game, int episode,
                       const char *scene, const char *env,
                       const env_def *(*find_env)(const char *name), char *err, size_t errlen)
{
    episode_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.scene, sizeof rec.scene, "%s", scene);
    snprintf(rec.game, sizeof rec.game, "%s", game);
    snprintf(rec.env, sizeof rec.env, "%s", env);
    rec.episode = (uint32_t)episode;
    snprintf(rec.end_reason, sizeof rec.end_reason, "cut");
    int rc = episode_meta(db, game, episode, &rec.seed, &rec.horizon);
    if (rc != 0) {
        snprintf(err, errlen, "game %s episode %d: %s", game, episode,
                 rc > 0 ? "no episode start recorded" : sqlite3_errmsg(db));
        return -1;
    }
    rc = load_seats(db, game, &rec);
    if (rc <= 0) {
        snprintf(err, errlen, "game %s episode %d: %s", game, episode,
                 rc == 0 ? "no seats recorded" : sqlite3_errmsg(db));
        return -1;
    }
    const env_def *def = find_env ? find_env(env) : NULL;
    if (def) {
        rec.ninfo = def->ninfo < ENV_MAX_INFO ? def->ninfo : ENV_MAX_INFO;
        for (uint32_t k = 0; k < rec.ninfo; k++)
            snprintf(rec.info_names[k], sizeof rec.info_names[k], "%s",
                     def->info_names[k] ? def->info_names[k] : "");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/cohort.db", store_dir(s));
    if (store_frames_load(path, game, (uint32_t)episode, &rec.rows, &rec.nrows) != 0 ||
        rec.nrows == 0) {
        free(rec.rows);
        snprintf(err, errlen, "game %s episode %d: frame log unreadable", game, episode);
        return -1;
    }
    rec.rows[rec.nrows - 1].truncated = 1;
    store_episode(s, &rec);
    return 0;
}

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
    static const char *sql =
        "SELECT DISTINCT f.game, f.episode, g.scene, g.env FROM frames f"
        " JOIN games g ON g.game = f.game"
        " WHERE NOT EXISTS (SELECT 1 FROM episodes e WHERE e.game = f.game AND"
        "   e.episode = f.episode)";
    sqlite3_stmt *st = NULL;
    int rebuilt = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "finding unwritten episodes: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *game = text(st, 0), *scene = text(st, 2), *env = text(st, 3);
        if (!game || !scene || !env)
            continue;
        if (rebuild_one(s, db, game, sqlite3_column_int(st, 1), scene, env, find_env, err,
                        errlen) == 0)
            rebuilt++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rebuilt;
}
