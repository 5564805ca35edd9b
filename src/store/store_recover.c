#include "store_recover.h"

#include "../../envs/registry.h"

#include <jansson.h>
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
    /* The latest scene visit, the latest outcome, and whether that scene matched them. */
    static const char *sql =
        "SELECT p.subject, p.token,"
        " (SELECT scene_index FROM scene_visits v WHERE v.subject = p.subject"
        "   ORDER BY t DESC, rowid DESC LIMIT 1),"
        " (SELECT scene FROM scene_visits v WHERE v.subject = p.subject"
        "   ORDER BY t DESC, rowid DESC LIMIT 1),"
        " o.outcome, o.code, o.reason"
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

/* The episode's seed and horizon, from the episode_start event the room logged. */
static int episode_meta(sqlite3 *db, const char *game, int episode, uint64_t *seed,
                        uint32_t *horizon)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT detail FROM events WHERE game = ? AND kind = 'episode_start'",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    while (rc != 0 && sqlite3_step(st) == SQLITE_ROW) {
        json_t *d = json_loads(text(st, 0) ? text(st, 0) : "", 0, NULL);
        if (d && json_integer_value(json_object_get(d, "episode")) == episode) {
            const char *sd = json_string_value(json_object_get(d, "seed"));
            *seed = sd ? strtoull(sd, NULL, 10) : 0;
            *horizon = (uint32_t)json_integer_value(json_object_get(d, "horizon"));
            rc = 0;
        }
        json_decref(d);
    }
    sqlite3_finalize(st);
    return rc;
}

static int rebuild_one(store *s, sqlite3 *db, const char *experiment, const char *game,
                       int episode, const char *scene, const char *env, const char *seats,
                       char *err, size_t errlen)
{
    episode_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.scene, sizeof rec.scene, "%s", scene);
    snprintf(rec.game, sizeof rec.game, "%s", game);
    snprintf(rec.env, sizeof rec.env, "%s", env);
    rec.episode = (uint32_t)episode;
    snprintf(rec.end_reason, sizeof rec.end_reason, "cut");
    if (episode_meta(db, game, episode, &rec.seed, &rec.horizon) != 0) {
        snprintf(err, errlen, "game %s episode %d: no seed recorded", game, episode);
        return -1;
    }
    json_t *names = json_loads(seats, 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (i >= ENV_MAX_PLAYERS || !json_is_string(v))
            break;
        snprintf(rec.seat_names[i], sizeof rec.seat_names[i], "%s", json_string_value(v));
        rec.seat_is_human[i] = strncmp(json_string_value(v), "ai:", 3) != 0;
        rec.nseats = (uint32_t)i + 1;
    }
    json_decref(names);

    const env_def *def = env_find(env);
    if (def) {
        rec.ninfo = def->ninfo;
        for (uint32_t k = 0; k < def->ninfo && k < ENV_MAX_INFO; k++)
            snprintf(rec.info_names[k], sizeof rec.info_names[k], "%s", def->info_names[k]);
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

int store_rebuild_episodes(store *s, const char *experiment, char *err, size_t errlen)
{
    store_flush(s);
    sqlite3 *db = open_ro(s, err, errlen);
    if (!db)
        return -1;
    static const char *sql =
        "SELECT DISTINCT f.game, f.episode, g.scene, g.env, g.seats FROM frames f"
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
        const char *game = text(st, 0), *scene = text(st, 2), *env = text(st, 3),
                   *seats = text(st, 4);
        if (!game || !scene || !env || !seats)
            continue;
        if (rebuild_one(s, db, experiment, game, sqlite3_column_int(st, 1), scene, env, seats,
                        err, errlen) == 0)
            rebuilt++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rebuilt;
}
