/*
 * `cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]` (docs/DATA.md)
 *
 * Tidy tables a researcher loads straight into pandas or R, with their codebook:
 *   participants.csv  one row per participant      episodes.csv  one row per episode
 *   frames.csv        one row per frame            events.csv    the events table
 *   codebook.md, codebook.json, export.json (what was exported and what was skipped)
 *   overcooked/GAME_epN.json  with --format overcooked: cooking episodes in
 *                             Overcooked-AI's trajectory format
 *
 * Reading. cohort.db is opened read-only and every query runs inside one read
 * transaction, so the tables describe one consistent moment even while the server writes.
 * Frames come from the episode files, never from the frames table (the durable log is
 * pruned once an episode's files are written): an episode is exported when its
 * `episodes` row is in that snapshot (the store writes the row after the files);
 * episodes begun but not finished are skipped and listed.
 *
 * Checking. Each episode is re-simulated natively from its recorded actions, as
 * `cohort replay` does; every frame's state hash, flags and info must match, or the
 * export fails and writes nothing. The decoded state (the env's `decode`, envs/env.h) of
 * each frame goes into frames.csv; rewards come from the re-simulation, under the env's
 * documented reward convention.
 *
 * Writing. Every file goes to a temporary name and all are renamed into place at the
 * end, so a reader never sees half an export; the same data gives the same bytes.
 * Exit status: 0 exported, 1 a recorded episode disagrees with its re-simulation,
 * 2 usage or unreadable input.
 */
#include "export_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../proto/names.h"
#include "../util/map.h"
#include "registry.h"

/* ---------------------------------------------------------------------------------------
 * Planning: which file holds each episode, who sat where
 * ------------------------------------------------------------------------------------- */

/* Index of the first seats row of each game (seats are ordered by game, seat). */
static const seat_row *game_seats(const snapshot *s, map *by_game, const char *game, size_t *n)
{
    void *v = map_get(by_game, game);
    *n = 0;
    if (!v)
        return NULL;
    size_t first = (size_t)(uintptr_t)v - 1;
    const seat_row *rows = AT(s->seats, seat_row, first);
    while (first + *n < s->seats.n && strcmp(rows[*n].game, game) == 0)
        (*n)++;
    return rows;
}

static void plan(snapshot *s, const char *data_dir, vec *outs, frame_schema *fs, map *by_game)
{
    for (size_t i = 0; i < s->seats.n; i++) {
        const seat_row *r = AT(s->seats, seat_row, i);
        if (!map_get(by_game, r->game))
            map_put(by_game, r->game, (void *)(uintptr_t)(i + 1));
    }
    for (size_t i = 0; i < s->episodes.n; i++) {
        const episode_row *er = AT(s->episodes, episode_row, i);
        episode_out *eo = vec_push(outs);
        eo->row = er;
        eo->env = env_find(er->env);
        if (!eo->env) {
            eo->skip = "unknown env";
            continue;
        }
        size_t nseats;
        const seat_row *seats = game_seats(s, by_game, er->game, &nseats);
        eo->nseats = eo->env->players;
        for (size_t k = 0; k < nseats; k++)
            if (seats[k].seat >= 0 && (uint32_t)seats[k].seat < eo->nseats) {
                eo->seat_names[seats[k].seat] = seats[k].name;
                eo->seat_kinds[seats[k].seat] = seats[k].kind;
            }
        json_t *files = er->files ? json_loads(er->files, 0, NULL) : NULL;
        size_t fi;
        json_t *f;
        json_array_foreach(files, fi, f) {
            const char *rel = json_string_value(f);
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", data_dir, rel ? rel : "");
            size_t n = rel ? strlen(rel) : 0;
            if (n > 4 && n < sizeof eo->file && strcmp(rel + n - 4, ".csv") == 0 &&
                !strstr(rel, "..") && rel[0] != '/' && access(path, R_OK) == 0) {
                snprintf(eo->file, sizeof eo->file, "%s", rel);
                break;
            }
        }
        json_decref(files);
        if (!eo->file[0]) {
            eo->skip = "episode files missing";
            continue;
        }
        eo->env_index = env_slot(fs, eo->env);
        if (eo->env_index < 0)
            eo->skip = "more than 32 envs in one export";
    }
}

static void count_desyncs(const snapshot *s, vec *outs)
{
    map *m = map_new();
    for (size_t i = 0; i < outs->n; i++) {
        episode_out *eo = AT(*outs, episode_out, i);
        char key[160];
        snprintf(key, sizeof key, "%s/%u", eo->row->game, eo->row->episode);
        map_put(m, key, eo);
    }
    for (size_t i = 0; i < s->events.n; i++) {
        const event_row *ev = AT(s->events, event_row, i);
        if (!ev->kind || strcmp(ev->kind, "desync") != 0 || !ev->game || !ev->detail)
            continue;
        json_t *d = json_loads(ev->detail, 0, NULL);
        json_t *ep = json_object_get(d, "episode");
        if (json_is_integer(ep)) {
            char key[160];
            snprintf(key, sizeof key, "%s/%" JSON_INTEGER_FORMAT, ev->game, json_integer_value(ep));
            episode_out *eo = map_get(m, key);
            if (eo)
                eo->desync_events++;
        }
        json_decref(d);
    }
    map_free(m);
}

/* ---------------------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------------------- */

static int write_text(xfiles *xf, const char *name, const char *text)
{
    char err[512];
    FILE *fp = xf_open(xf, name, err, sizeof err);
    if (!fp) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, fp) == n;
    ok = fclose(fp) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "export: %s: write failed\n", name);
        return 2;
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]\n"
                    "  writes participants.csv, episodes.csv, frames.csv, events.csv, payments.csv,\n"
                    "  codebook.md, codebook.json and export.json into DIR\n"
                    "  (default DATA/EXPERIMENT/export); with --format overcooked also\n"
                    "  overcooked/GAME_epN.json for each cooking episode\n");
}

static json_t *reward_notes(const frame_schema *fs)
{
    json_t *notes = json_array();
    json_array_append_new(notes, json_string(
        "Rewards: each reward is credited to the seat that earned it, so reward.team (the sum "
        "of the seats' rewards) counts every point once; frames.csv holds the rewards of the "
        "re-simulation under this convention."));
    for (uint32_t e = 0; e < fs->nenvs; e++) {
        char line[600];
        snprintf(line, sizeof line, "%s rewards: %s.", fs->envs[e]->name,
                 fs->envs[e]->reward_meaning ? fs->envs[e]->reward_meaning : "not described");
        json_array_append_new(notes, json_string(line));
    }
    json_array_append_new(notes, json_string(
        "frames.csv is wide: one row per frame, one group of columns per seat (action.K, "
        "source.K, reward.K, focused.K, verified.K), then the state the frame's actions were "
        "taken in, decoded by the env (its fields are listed below with their envs)."));
    return notes;
}

int cmd_export(int argc, char **argv)
{
    const char *data_dir = NULL, *out_dir = NULL;
    bool overcooked = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (strcmp(argv[++i], "overcooked") != 0) {
                fprintf(stderr, "export: unknown format %s (known: overcooked)\n", argv[i]);
                return 2;
            }
            overcooked = true;
        } else if (argv[i][0] != '-' && !data_dir) {
            data_dir = argv[i];
        } else {
            usage();
            return 2;
        }
    }
    if (!data_dir) {
        usage();
        return 2;
    }
    char dir[4096], db_path[4200], default_out[4200];
    snprintf(dir, sizeof dir, "%s", data_dir);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    snprintf(db_path, sizeof db_path, "%s/cohort.db", dir);
    snprintf(default_out, sizeof default_out, "%s/export", dir);
    if (!out_dir)
        out_dir = default_out;
    if (access(db_path, R_OK) != 0) {
        fprintf(stderr, "export: %s: %s\n", db_path, strerror(errno));
        return 2;
    }
    const char *experiment = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;

    snapshot s;
    memset(&s, 0, sizeof s);
    int rc = load_snapshot(db_path, &s) == 0 ? 0 : 2;
    xfiles *xf = xf_new(out_dir);
    json_t *tables = json_array(), *manifest = json_object(), *skipped = json_array();
    json_t *oc_files = json_array();
    frame_schema fs;
    memset(&fs, 0, sizeof fs);
    vec outs = VEC(episode_out);
    map *by_game = map_new();
    uint64_t n_part = 0, n_ep = 0, n_ev = 0;
    frame_pass fp = {.data_dir = dir, .xf = xf, .fs = &fs, .overcooked = overcooked,
                     .overcooked_files = oc_files};
    if (rc == 0) {
        plan(&s, dir, &outs, &fs, by_game);
        build_schema(&fs, &s.mem);
        count_desyncs(&s, &outs);
        char err[512];
        fp.frames = xt_new(xf, "frames.csv",
                           "one row per frame of every exported episode, re-simulated and "
                           "verified; the key is (game, episode, frame)", err, sizeof err);
        if (!fp.frames) {
            fprintf(stderr, "export: %s\n", err);
            rc = 2;
        }
    }
    if (rc == 0) {
        declare_frame_columns(fp.frames, &fs);
        for (size_t i = 0; i < outs.n && rc == 0; i++) {
            episode_out *eo = AT(outs, episode_out, i);
            if (!eo->skip)
                rc = export_episode(&fp, eo);
        }
        char err[512];
        uint64_t n_frames = xt_rows(fp.frames);
        if (xt_finish(fp.frames, tables, err, sizeof err) != 0 && rc == 0) {
            fprintf(stderr, "export: %s\n", err);
            rc = 2;
        }
        if (rc == 0)
            rc = write_episodes(xf, tables, &outs, &fs, &n_ep);
        if (rc == 0)
            rc = write_participants(xf, tables, &s, &outs, &n_part);
        if (rc == 0)
            rc = write_events(xf, tables, &s, &n_ev);
        uint64_t n_pay = 0;
        if (rc == 0)
            rc = write_payments(xf, &s, &n_pay);
        if (rc == 0) {
            /* the codebook: participants, episodes, frames, events in that order */
            json_t *ordered = json_array();
            static const char *const order[] = {"participants.csv", "episodes.csv",
                                                "frames.csv", "events.csv"};
            for (size_t k = 0; k < 4; k++) {
                size_t ti;
                json_t *tab;
                json_array_foreach(tables, ti, tab)
                    if (strcmp(json_string_value(json_object_get(tab, "file")), order[k]) == 0)
                        json_array_append(ordered, tab);
            }
            json_t *doc = json_pack("{s:s, s:o, s:O}", "experiment", experiment, "notes",
                                    reward_notes(&fs), "tables", ordered);
            char *md = xt_codebook_md(doc);
            char *js = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            rc = md && js ? 0 : 2;
            if (rc == 0)
                rc = write_text(xf, "codebook.md", md);
            if (rc == 0) {
                size_t n = strlen(js);
                js = realloc(js, n + 2);
                js[n] = '\n';
                js[n + 1] = '\0';
                rc = write_text(xf, "codebook.json", js);
            }
            free(md);
            free(js);
            json_decref(doc);
            json_decref(ordered);

            /* the manifest: what was exported, what was skipped and why */
            json_t *eps = json_array();
            for (size_t i = 0; i < outs.n; i++) {
                const episode_out *eo = AT(outs, episode_out, i);
                if (eo->skip) {
                    json_array_append_new(skipped, json_pack("{s:s, s:i, s:s}", "game",
                                                             eo->row->game, "episode",
                                                             (int)eo->row->episode, "reason",
                                                             eo->skip));
                    continue;
                }
                json_t *seats = json_array();
                for (uint32_t k = 0; k < eo->nseats; k++)
                    json_array_append_new(seats, json_string(eo->seat_names[k] ? eo->seat_names[k] : ""));
                json_array_append_new(eps, json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:o}",
                                                     "game", eo->row->game, "episode",
                                                     (int)eo->row->episode, "scene",
                                                     eo->row->scene ? eo->row->scene : "",
                                                     "env", eo->env->name, "frames",
                                                     (int)eo->frames, "file", eo->file, "seats",
                                                     seats));
            }
            for (size_t i = 0; i < s.starts.n; i++) {
                const start_row *sr = AT(s.starts, start_row, i);
                json_array_append_new(skipped, json_pack("{s:s, s:i, s:s}", "game", sr->game,
                                                         "episode", (int)sr->episode, "reason",
                                                         "not finished: its files are not "
                                                         "written yet"));
            }
            json_object_set_new(manifest, "experiment", json_string(experiment));
            json_object_set_new(manifest, "tables",
                                json_pack("{s:I, s:I, s:I, s:I}", "participants.csv",
                                          (json_int_t)n_part, "episodes.csv", (json_int_t)n_ep,
                                          "frames.csv", (json_int_t)n_frames, "events.csv",
                                          (json_int_t)n_ev));
            json_object_set_new(manifest, "payments", json_integer((json_int_t)n_pay));
            json_object_set_new(manifest, "episodes", eps);
            json_object_set(manifest, "skipped", skipped);
            json_object_set_new(manifest, "rewards_recomputed_frames",
                                json_integer((json_int_t)fp.rewards_recomputed));
            json_object_set(manifest, "overcooked", oc_files);
            if (rc == 0) {
                char *mj = json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                size_t n = strlen(mj);
                mj = realloc(mj, n + 2);
                mj[n] = '\n';
                mj[n + 1] = '\0';
                rc = write_text(xf, "export.json", mj);
                free(mj);
            }
            if (rc == 0) {
                char err2[512];
                if (xf_commit(xf, err2, sizeof err2) != 0) {
                    fprintf(stderr, "export: %s\n", err2);
                    rc = 2;
                }
            }
            if (rc == 0) {
                printf("export: %" PRIu64 " participants, %" PRIu64 " episodes, %" PRIu64
                       " frames (every hash verified), %" PRIu64 " events -> %s\n",
                       n_part, n_ep, n_frames, n_ev, out_dir);
                size_t ns = json_array_size(skipped);
                if (ns) {
                    printf("export: skipped %zu episode%s:\n", ns, ns == 1 ? "" : "s");
                    size_t k;
                    json_t *sk;
                    json_array_foreach(skipped, k, sk)
                        printf("  %s episode %" JSON_INTEGER_FORMAT ": %s\n",
                               json_string_value(json_object_get(sk, "game")),
                               json_integer_value(json_object_get(sk, "episode")),
                               json_string_value(json_object_get(sk, "reason")));
                }
                if (fp.rewards_recomputed)
                    printf("export: %" PRIu64 " frames recorded rewards under another reward "
                           "convention (an earlier version); frames.csv holds the current "
                           "env's\n", fp.rewards_recomputed);
            }
        }
    }
    if (rc != 0)
        fprintf(stderr, "export: nothing written%s\n", rc == 1 ? " (a recorded episode "
                        "disagrees with its re-simulation)" : "");
    xf_free(xf);
    json_decref(tables);
    json_decref(manifest);
    json_decref(skipped);
    json_decref(oc_files);
    free_schema(&fs);
    free(outs.items);
    map_free(by_game);
    free_snapshot(&s);
    return rc;
}

