/* Unit tests for `cohort export` (src/tools/export*.c, docs/DATA.md).
 *
 * The fixture is a data folder written through the store exactly as the server writes
 * it: three participants (study params, scene visits, forms, waits, outcomes), a cooking
 * game of two humans with two finished episodes played by the env's scripted policy
 * (one of them cut short), a volley game of a human and an AI, a third cooking episode
 * begun but not finished, and some events. Each test exports it and reads the tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"
#include "store/store.h"
#include "tools/export.h"
#include "tools/tools.h"
#include "support.h"

static char root[64];    /* temporary folder */
static char data[128];   /* root/exp: cohort.db and the episode files */
static int64_t T0 = 1735689600000; /* 2025-01-01T00:00:00.000Z */

/* ---- the fixture ----------------------------------------------------------------------- */

/* Plays `frames` frames of env with its policy (seat 1 random-ish when mixed) into rec. */
static void play(episode_record *rec, const env_def *env, uint32_t frames, bool mixed)
{
    void *state = calloc(1, env->state_size);
    env->reset(state, rec->seed, rec->horizon);
    rec->rows = calloc(frames, sizeof *rec->rows);
    uint32_t n = 0;
    for (; n < frames; n++) {
        int32_t a[ENV_MAX_PLAYERS] = {0};
        for (uint32_t k = 0; k < env->players; k++)
            a[k] = mixed && k == 1 ? (int32_t)((n * 7 + 3) % env->actions)
                                   : env->policy(0, state, k);
        env_step_out out;
        env->step(state, a, &out);
        frame_row *r = &rec->rows[n];
        r->frame = n;
        for (uint32_t k = 0; k < env->players; k++) {
            r->actions[k] = (uint8_t)a[k];
            r->sources[k] = rec->seat_is_human[k] ? (n % 10 == 0 ? SOURCE_DEFAULT : SOURCE_INPUT)
                                                  : SOURCE_AI;
            r->rewards[k] = out.rewards[k];
            r->verified[k] = !rec->seat_is_human[k] ? -1 : n == 5 && k == 1 ? 0 : 1;
            r->focused[k] = n >= 20 && n < 25 && k == 0 ? 0 : 1;
        }
        r->terminated = out.terminated;
        r->truncated = out.truncated;
        memcpy(r->info, out.info, sizeof r->info);
        r->hash = env_hash(state, env->state_size);
        r->t_ms = n * 33;
        if (out.terminated || out.truncated) {
            n++;
            break;
        }
    }
    rec->nrows = n;
    free(state);
}

static void episode(store *s, const char *game, const char *scene, const char *envname,
                    uint32_t ep, const char *a, const char *b, bool b_human, uint32_t horizon,
                    uint32_t frames, const char *reason, int64_t t)
{
    const env_def *env = env_find(envname);
    assert_non_null(env);
    episode_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.scene, sizeof rec.scene, "%s", scene);
    snprintf(rec.game, sizeof rec.game, "%s", game);
    snprintf(rec.env, sizeof rec.env, "%s", envname);
    rec.episode = ep;
    rec.seed = 0xfeedfacecafebeefull + ep; /* above 2^63: the seed stays a decimal string */
    rec.horizon = horizon;
    rec.nseats = 2;
    snprintf(rec.seat_names[0], sizeof rec.seat_names[0], "%s", a);
    snprintf(rec.seat_names[1], sizeof rec.seat_names[1], "%s", b);
    rec.seat_is_human[0] = true;
    rec.seat_is_human[1] = b_human;
    rec.ninfo = env->ninfo;
    for (uint32_t i = 0; i < env->ninfo; i++)
        snprintf(rec.info_names[i], sizeof rec.info_names[i], "%s", env->info_names[i]);
    snprintf(rec.end_reason, sizeof rec.end_reason, "%s", reason);
    rec.t = t + 20000;
    /* The cooking game steps every 150 ms on key presses, the volley game at 60 fps. */
    if (strncmp(envname, "cooking/", 8) == 0)
        rec.timing = (episode_timing){.step_ms = 150, .input = "press"};
    else
        rec.timing = (episode_timing){.fps = 60, .input = "held"};
    store_episode_start(s, game, ep, rec.seed, horizon, &rec.timing, t);
    play(&rec, env, frames, !b_human);
    if (strcmp(reason, "cut") == 0)
        rec.rows[rec.nrows - 1].truncated = 1; /* what the room does to a cut episode */
    store_episode(s, &rec); /* takes the rows */
}

static int group_setup(void **unused)
{
    if (!test_tmpdir_new(root, sizeof root, "export"))
        return -1;
    char err[256];
    store *s = store_open(root, "exp", err, sizeof err);
    if (!s) {
        fprintf(stderr, "test_export: %s\n", err);
        return -1;
    }
    snprintf(data, sizeof data, "%s/exp", root);
    const char *people[] = {"alice", "bob", "carol"};
    for (int i = 0; i < 3; i++) {
        char params[256];
        snprintf(params, sizeof params,
                 "{\"params\":{\"PROLIFIC_PID\":\"%s\",\"STUDY_ID\":\"s1\"},"
                 "\"study\":{\"STUDY_ID\":\"s1\",\"SESSION_ID\":\"x%d\"}}", people[i], i);
        store_participant(s, people[i], "tok", params, NULL, NULL, T0 + i);
        store_scene_visit(s, people[i], 0, "consent", false, T0 + i);
        store_form(s, people[i], "consent", i == 2 ? "{\"age\":\"30\",\"agree\":true}"
                                                   : "{\"age\":\"4,\\\"2\\\"\"}",
                   T0 + 1000 + i);
        store_scene_visit(s, people[i], 1, "game", false, T0 + 1000 + i);
        store_wait(s, people[i], "game", T0 + 1000 + i, T0 + 1500 + i, "matched", NULL);
    }
    const char *g1[] = {"game", NULL};
    (void)g1;
    store_seat seats1[2] = {{"alice", true}, {"bob", true}};
    store_game(s, "g1", "game", "cooking/cramped_room", NULL, seats1, 2, T0 + 1500);
    episode(s, "g1", "game", "cooking/cramped_room", 0, "alice", "bob", true, 200, 200,
            "truncated", T0 + 2000);
    episode(s, "g1", "game", "cooking/cramped_room", 1, "alice", "bob", true, 200, 77, "cut",
            T0 + 30000);
    store_event(s, "bob", "g1", "desync",
                "{\"seat\":1,\"episode\":0,\"frame\":5,\"server\":\"00\",\"client\":\"01\"}",
                T0 + 2500);
    store_event(s, "alice", "g1", "drop", "{\"seat\":0,\"reason\":\"dropped\"}", T0 + 40000);
    store_event(s, "carol", NULL, "hidden", NULL, T0 + 2600);
    store_game_end(s, "g1", "partner_dropped", T0 + 41000);
    store_seat seats2[2] = {{"carol", true}, {"ai:tracker", false}};
    store_game(s, "g2", "game", "volley/slime", NULL, seats2, 2, T0 + 1600);
    episode(s, "g2", "game", "volley/slime", 0, "carol", "ai:tracker", false, 300, 300,
            "truncated", T0 + 2000);
    /* begun, not finished: no files, no episodes row */
    store_episode_start(s, "g2", 1, 42, 300, NULL, T0 + 25000);
    for (int i = 0; i < 2; i++) {
        store_scene_visit(s, people[i], 2, "survey", false, T0 + 41000 + i);
        store_outcome(s, people[i], "partner_dropped", "DROP", i == 0 ? "dropped" : NULL,
                      T0 + 42000 + i);
    }
    store_close(s);
    return 0;
}

static int group_teardown(void **unused)
{
    test_rm_tree(root);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

static int export_to(const char *out, bool overcooked)
{
    char *argv[] = {"export", data, "--out", (char *)out, overcooked ? "--format" : NULL,
                    "overcooked", NULL};
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    char log[160];
    snprintf(log, sizeof log, "%s/export-stdout.txt", root);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    int rc = cmd_export(overcooked ? 6 : 4, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    return rc;
}

static void load(const char *dir, const char *name, csv_file *f)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (csv_load(path, f, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static const char *cell(const csv_file *f, size_t row, const char *col)
{
    long c = csv_col(f, col);
    if (c < 0)
        fail_msg("no column %s", col);
    return csv_cell(f, row, (size_t)c);
}

static long find_row(const csv_file *f, const char *col, const char *value, const char *col2,
                     const char *value2)
{
    for (size_t r = 0; r < f->nrows; r++)
        if (strcmp(cell(f, r, col), value) == 0 && (!col2 || strcmp(cell(f, r, col2), value2) == 0))
            return (long)r;
    return -1;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_tables_and_counts(void **unused)
{
    char out[160];
    snprintf(out, sizeof out, "%s/out1", root);
    assert_int_equal(export_to(out, false), 0);

    csv_file p, e, fr, ev;
    load(out, "participants.csv", &p);
    load(out, "episodes.csv", &e);
    load(out, "frames.csv", &fr);
    load(out, "events.csv", &ev);
    assert_int_equal(p.nrows, 3);
    assert_int_equal(e.nrows, 3); /* the unfinished episode is skipped */
    assert_int_equal(fr.nrows, 200 + 77 + 300);
    assert_int_equal(ev.nrows, 3);

    /* participants: one column per study param, scene and form field */
    long alice = find_row(&p, "subject", "alice", NULL, NULL);
    long carol = find_row(&p, "subject", "carol", NULL, NULL);
    assert_true(alice >= 0 && carol >= 0);
    assert_string_equal(cell(&p, (size_t)alice, "param.SESSION_ID"), "x0");
    assert_string_equal(cell(&p, (size_t)alice, "param.STUDY_ID"), "s1");
    assert_true(csv_col(&p, "param.PROLIFIC_PID") < 0); /* not a study param */
    assert_string_equal(cell(&p, (size_t)alice, "form.consent.age"), "4,\"2\"");
    assert_string_equal(cell(&p, (size_t)carol, "form.consent.agree"), "true");
    assert_string_equal(cell(&p, (size_t)alice, "form.consent.agree"), "");
    assert_string_equal(cell(&p, (size_t)alice, "outcome"), "partner_dropped");
    assert_string_equal(cell(&p, (size_t)alice, "reason"), "dropped");
    assert_string_equal(cell(&p, (size_t)alice, "code"), "DROP");
    assert_string_equal(cell(&p, (size_t)carol, "outcome"), "");
    assert_string_equal(cell(&p, (size_t)alice, "t_start_iso"), "2025-01-01T00:00:00.000Z");
    assert_string_equal(cell(&p, (size_t)alice, "scene_ms.consent"), "1000");
    assert_string_equal(cell(&p, (size_t)alice, "scene_ms.game"), "40000");
    assert_string_equal(cell(&p, (size_t)alice, "scene_ms.survey"), "1000"); /* to the outcome */
    assert_string_equal(cell(&p, (size_t)carol, "scene_ms.game"), "");       /* still there */
    assert_string_equal(cell(&p, (size_t)alice, "wait_ms"), "500");
    assert_string_equal(cell(&p, (size_t)alice, "episodes"), "2");
    assert_string_equal(cell(&p, (size_t)carol, "episodes"), "1");
    assert_string_equal(cell(&p, (size_t)alice, "condition"), "");
    assert_string_equal(cell(&p, (size_t)alice, "bonus"), "");

    /* episodes: scores add up, seats named, desyncs counted */
    long e0 = find_row(&e, "game", "g1", "episode", "0");
    long e1 = find_row(&e, "game", "g1", "episode", "1");
    long v0 = find_row(&e, "game", "g2", "episode", "0");
    assert_true(e0 >= 0 && e1 >= 0 && v0 >= 0);
    assert_string_equal(cell(&e, (size_t)e0, "seat.1"), "bob");
    assert_string_equal(cell(&e, (size_t)v0, "seat.1"), "ai:tracker");
    assert_string_equal(cell(&e, (size_t)v0, "seat_kind.1"), "ai");
    assert_string_equal(cell(&e, (size_t)e0, "seed"), "18369614221190020847");
    assert_string_equal(cell(&e, (size_t)e1, "end_reason"), "cut");
    assert_string_equal(cell(&e, (size_t)e1, "frames"), "77");
    assert_string_equal(cell(&e, (size_t)e0, "desync_events"), "1");
    assert_string_equal(cell(&e, (size_t)e0, "hash_mismatches.1"), "1");
    assert_string_equal(cell(&e, (size_t)e0, "frames_unfocused.0"), "5");
    assert_string_equal(cell(&e, (size_t)e0, "frames_default.0"), "20");
    assert_string_equal(cell(&e, (size_t)v0, "frames_ai.1"), "300");
    long long s0 = atoll(cell(&e, (size_t)e0, "score.0")), s1 = atoll(cell(&e, (size_t)e0, "score.1"));
    long long team = atoll(cell(&e, (size_t)e0, "score.team"));
    assert_true(team > 0);
    assert_int_equal(s0 + s1, team);
    assert_int_equal(team, atoll(cell(&e, (size_t)e0, "info.score"))); /* each soup once */
    assert_string_equal(cell(&e, (size_t)e0, "t_start_iso"), "2025-01-01T00:00:02.000Z");
    /* the pace: as set (fps or step_ms, the other empty), and the period either way */
    assert_string_equal(cell(&e, (size_t)e0, "fps"), "");
    assert_string_equal(cell(&e, (size_t)e0, "step_ms"), "150");
    assert_string_equal(cell(&e, (size_t)e0, "step_period_ms"), "150.00");
    assert_string_equal(cell(&e, (size_t)e0, "input"), "press");
    assert_string_equal(cell(&e, (size_t)v0, "fps"), "60");
    assert_string_equal(cell(&e, (size_t)v0, "step_ms"), "");
    assert_string_equal(cell(&e, (size_t)v0, "step_period_ms"), "16.67");
    assert_string_equal(cell(&e, (size_t)v0, "input"), "held");

    /* frames: keys, sums, the decoded state, other envs' columns empty */
    long long sum0 = 0, sumteam = 0;
    size_t cooking_rows = 0;
    for (size_t r = 0; r < fr.nrows; r++) {
        if (strcmp(cell(&fr, r, "game"), "g1") == 0 && strcmp(cell(&fr, r, "episode"), "0") == 0) {
            assert_int_equal(atoll(cell(&fr, r, "frame")), (long long)cooking_rows);
            cooking_rows++;
            sum0 += atoll(cell(&fr, r, "reward.0"));
            sumteam += atoll(cell(&fr, r, "reward.team"));
            assert_int_equal(atoll(cell(&fr, r, "reward.0")) + atoll(cell(&fr, r, "reward.1")),
                             atoll(cell(&fr, r, "reward.team")));
            assert_string_equal(cell(&fr, r, "ball.x"), "");
        }
        if (strcmp(cell(&fr, r, "game"), "g2") == 0)
            assert_string_equal(cell(&fr, r, "chef0.x"), "");
    }
    assert_int_equal(cooking_rows, 200);
    assert_int_equal(sum0, s0);
    assert_int_equal(sumteam, team);
    long first = find_row(&fr, "game", "g1", "frame", "0");
    assert_string_equal(cell(&fr, (size_t)first, "chef0.x"), "1"); /* cramped_room start */
    assert_string_equal(cell(&fr, (size_t)first, "chef0.y"), "2");
    assert_string_equal(cell(&fr, (size_t)first, "chef1.x"), "3");
    assert_string_equal(cell(&fr, (size_t)first, "pot.x2y0.onions"), "0");
    assert_string_equal(cell(&fr, (size_t)first, "verified.0"), "1");
    long vfirst = find_row(&fr, "game", "g2", "frame", "0");
    assert_string_equal(cell(&fr, (size_t)vfirst, "ball.y"), "76800"); /* 300 * 256 */
    assert_string_equal(cell(&fr, (size_t)vfirst, "verified.1"), "");

    /* events: detail flattened */
    long d = find_row(&ev, "kind", "desync", NULL, NULL);
    assert_string_equal(cell(&ev, (size_t)d, "seat"), "1");
    assert_string_equal(cell(&ev, (size_t)d, "frame"), "5");
    long drop = find_row(&ev, "kind", "drop", NULL, NULL);
    assert_string_equal(cell(&ev, (size_t)drop, "reason"), "dropped");
    long hid = find_row(&ev, "kind", "hidden", NULL, NULL);
    assert_string_equal(cell(&ev, (size_t)hid, "game"), "");

    csv_free(&p);
    csv_free(&e);
    csv_free(&fr);
    csv_free(&ev);

    /* the manifest lists the unfinished episode */
    char path[256];
    snprintf(path, sizeof path, "%s/export.json", out);
    json_t *m = json_load_file(path, 0, NULL);
    assert_non_null(m);
    json_t *sk = json_object_get(m, "skipped");
    assert_int_equal(json_array_size(sk), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sk, 0), "game")), "g2");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(sk, 0), "episode")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "tables"), "frames.csv")), 577);
    json_decref(m);
}

/* Every column of every table is in codebook.json, in order, with a type; and the other
 * way round. */
static void test_codebook_covers_every_column(void **unused)
{
    char out[160], path[256];
    snprintf(out, sizeof out, "%s/out2", root);
    assert_int_equal(export_to(out, false), 0);
    snprintf(path, sizeof path, "%s/codebook.json", out);
    json_t *cb = json_load_file(path, 0, NULL);
    assert_non_null(cb);
    json_t *tables = json_object_get(cb, "tables");
    assert_int_equal(json_array_size(tables), 4);
    snprintf(path, sizeof path, "%s/codebook.md", out);
    char *md = test_read_file(path, NULL);
    assert_non_null(md);
    size_t ti;
    json_t *tab;
    json_array_foreach(tables, ti, tab) {
        const char *file = json_string_value(json_object_get(tab, "file"));
        csv_file f;
        load(out, file, &f);
        json_t *cols = json_object_get(tab, "columns");
        assert_int_equal(json_array_size(cols), f.ncols);
        assert_int_equal(json_integer_value(json_object_get(tab, "rows")), f.nrows);
        for (size_t c = 0; c < f.ncols; c++) {
            json_t *col = json_array_get(cols, c);
            assert_string_equal(json_string_value(json_object_get(col, "name")), csv_name(&f, c));
            const char *type = json_string_value(json_object_get(col, "type"));
            assert_true(strcmp(type, XT_INTEGER) == 0 || strcmp(type, XT_STRING) == 0 ||
                        strcmp(type, XT_BOOLEAN) == 0 || strcmp(type, XT_DATETIME) == 0 ||
                        strcmp(type, XT_DECIMAL) == 0);
            assert_true(strlen(json_string_value(json_object_get(col, "description"))) > 5);
            char needle[200];
            snprintf(needle, sizeof needle, "| `%s` |", csv_name(&f, c));
            if (!strstr(md, needle))
                fail_msg("codebook.md lacks %s of %s", csv_name(&f, c), file);
            /* documented values hold */
            json_t *vals = json_object_get(col, "values"), *min = json_object_get(col, "min"),
                   *max = json_object_get(col, "max");
            bool nullable = json_is_true(json_object_get(col, "nullable"));
            for (size_t r = 0; r < f.nrows; r++) {
                const char *v = csv_cell(&f, r, c);
                if (!v[0]) {
                    if (!nullable)
                        fail_msg("%s row %zu: %s empty but not nullable", file, r, csv_name(&f, c));
                    continue;
                }
                if (json_is_integer(min) && atoll(v) < json_integer_value(min))
                    fail_msg("%s: %s = %s below its min", file, csv_name(&f, c), v);
                if (json_is_integer(max) && atoll(v) > json_integer_value(max))
                    fail_msg("%s: %s = %s above its max", file, csv_name(&f, c), v);
                if (strcmp(type, XT_BOOLEAN) == 0 && strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
                    fail_msg("%s: %s = %s is not 0/1", file, csv_name(&f, c), v);
                if (json_is_array(vals)) {
                    bool ok = false;
                    size_t vi;
                    json_t *a;
                    json_array_foreach(vals, vi, a) {
                        if (json_is_string(a) && strcmp(json_string_value(a), v) == 0)
                            ok = true;
                        if (json_is_object(a) &&
                            json_integer_value(json_object_get(a, "value")) == atoll(v))
                            ok = true;
                    }
                    if (!ok)
                        fail_msg("%s: %s = %s is not among its values", file, csv_name(&f, c), v);
                }
            }
        }
        csv_free(&f);
    }
    free(md);
    json_decref(cb);
}

static char *slurp_dir_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return test_read_file(path, NULL);
}

/* The same data exports to the same bytes; an export never leaves temporary files. */
static void test_idempotent(void **unused)
{
    char a[160], b[160];
    snprintf(a, sizeof a, "%s/out3", root);
    snprintf(b, sizeof b, "%s/out4", root);
    assert_int_equal(export_to(a, true), 0);
    assert_int_equal(export_to(b, true), 0);
    assert_int_equal(export_to(b, true), 0); /* over an earlier export */
    const char *names[] = {"participants.csv", "episodes.csv", "frames.csv", "events.csv",
                           "codebook.md", "codebook.json", "export.json",
                           "overcooked/g1_ep0.json", "overcooked/g1_ep1.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *x = slurp_dir_file(a, names[i]), *y = slurp_dir_file(b, names[i]);
        if (!x || !y)
            fail_msg("%s missing", names[i]);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    char *oc = slurp_dir_file(a, "overcooked/g2_ep0.json");
    assert_null(oc); /* volley has no Overcooked-AI form */
    DIR *d = opendir(b);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".tmp"))
            fail_msg("temporary file %s left behind", de->d_name);
    closedir(d);
}

/* A tampered episode file fails the export, loudly, and nothing is written. */
static void test_tampered_episode_fails(void **unused)
{
    char path[256], backup[256], out[160];
    snprintf(path, sizeof path, "%s/game/alice_ep0.csv", data);
    snprintf(backup, sizeof backup, "%s/alice_ep0.csv.orig", root);
    char *orig = test_read_file(path, NULL);
    assert_non_null(orig);
    test_write_file(backup, orig);
    /* frame 0's seat-0 action: chef 0 starts facing up, so down (or up, when the
     * recorded action was down) leaves it facing another way: the state changes */
    char *line = strstr(orig, "\n0,0,g1,");
    assert_non_null(line);
    char *tampered = strdup(orig);
    char *t = tampered + (line - orig);
    /* the 7th cell is action.0: frame,episode,game,condition,seat.0,seat.1,action.0 */
    int commas = 0;
    char *p = t + 1;
    while (commas < 6)
        commas += *p++ == ',';
    *p = *p == '1' ? '0' : '1';
    /* the alternative file (bob's) is tampered the same way so no clean copy remains */
    test_write_file(path, tampered);
    char bob[256];
    snprintf(bob, sizeof bob, "%s/game/bob_ep0.csv", data);
    char *bob_orig = test_read_file(bob, NULL);
    test_write_file(bob, tampered);

    snprintf(out, sizeof out, "%s/out5", root);
    assert_int_equal(export_to(out, false), 1);
    struct stat st;
    char probe[256];
    snprintf(probe, sizeof probe, "%s/frames.csv", out);
    assert_int_not_equal(stat(probe, &st), 0);
    DIR *d = opendir(out);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)))
            if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp"))
                fail_msg("failed export left %s", de->d_name);
        closedir(d);
    }
    test_write_file(path, orig);
    test_write_file(bob, bob_orig);
    free(orig);
    free(bob_orig);
    free(tampered);
}

/* Overcooked-AI's action order: 0 north, 1 south, 2 east, 3 west, 4 stay, 5 interact. */
static void test_overcooked_action_order(void **unused)
{
    assert_int_equal(xoc_action_index(0), 0); /* up -> north */
    assert_int_equal(xoc_action_index(1), 1); /* down -> south */
    assert_int_equal(xoc_action_index(2), 3); /* left -> west */
    assert_int_equal(xoc_action_index(3), 2); /* right -> east */
    assert_int_equal(xoc_action_index(4), 4);
    assert_int_equal(xoc_action_index(5), 5);
    assert_int_equal(xoc_action_index(99), 4); /* out of range plays as stay */
}

static void test_usage(void **unused)
{
    char *none[] = {"export", NULL};
    assert_int_equal(cmd_export(1, none), 2);
    char *missing[] = {"export", "/nonexistent/folder", NULL};
    assert_int_equal(cmd_export(2, missing), 2);
    char *fmt[] = {"export", data, "--format", "parquet", NULL};
    assert_int_equal(cmd_export(4, fmt), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_and_counts),
        cmocka_unit_test(test_codebook_covers_every_column),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_tampered_episode_fails),
        cmocka_unit_test(test_overcooked_action_order),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
