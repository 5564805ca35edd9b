/* Unit tests for src/store: the queue and writer thread, the schema, the frame log, the
 * episode and form files, and recovery after a restart (store_recover.h). Every test works
 * in a fresh temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_recover.h"
#include "support.h"

/* ---- helpers ------------------------------------------------------------------------ */

typedef struct {
    char root[64];  /* the data folder */
    store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(test_tmpdir_new(f->root, sizeof f->root, "store"));
    char err[256];
    f->s = store_open(f->root, "exp1", err, sizeof err);
    if (!f->s)
        fail_msg("store_open: %s", err);
    *state = f;
    return 0;
}

/* A fresh data folder without a store open in it (the test opens one). */
static int setup_empty(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(test_tmpdir_new(f->root, sizeof f->root, "store"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    test_rm_tree(f->root);
    free(f);
    return 0;
}

static sqlite3 *open_ro(const fixture *f)
{
    char path[256];
    snprintf(path, sizeof path, "%s/exp1/cohort.db", f->root);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* The first column of the first row of sql as an integer. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text ("<null>" for NULL), in buf. */
static const char *query_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", t ? (const char *)t : "<null>");
    sqlite3_finalize(st);
    return buf;
}

/* Number of entries in dir whose name contains `part`. */
static int count_entries(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, part))
            n++;
    closedir(d);
    return n;
}

static frame_row make_row(uint32_t frame)
{
    frame_row r;
    memset(&r, 0, sizeof r);
    r.frame = frame;
    r.actions[0] = (uint8_t)(frame % 6);
    r.actions[1] = (uint8_t)((frame + 1) % 6);
    r.sources[0] = SOURCE_INPUT;
    r.sources[1] = frame % 2 ? SOURCE_DEFAULT : SOURCE_AI;
    r.rewards[0] = frame == 2 ? 20 : 0;
    r.rewards[1] = frame == 2 ? -3 : 0;
    r.terminated = 0;
    r.truncated = frame == 2;
    r.info[0] = (int32_t)frame;
    r.info[1] = -7;
    r.hash = 0xfedcba9876543210ull + frame;
    r.verified[0] = 1;
    r.verified[1] = frame == 1 ? -1 : 0;
    r.focused[0] = 1;
    r.focused[1] = frame != 2;
    r.t_ms = 33 * frame;
    return r;
}

static void make_record(episode_record *rec, uint32_t nrows)
{
    memset(rec, 0, sizeof *rec);
    snprintf(rec->scene, sizeof rec->scene, "game");
    snprintf(rec->game, sizeof rec->game, "g1");
    snprintf(rec->env, sizeof rec->env, "cooking/cramped_room");
    rec->episode = 1;
    rec->seed = UINT64_MAX; /* must survive as a decimal string */
    rec->horizon = 450;
    rec->timing = (episode_timing){.fps = 30, .input = "held"};
    rec->nseats = 2;
    snprintf(rec->seat_names[0], sizeof rec->seat_names[0], "alice");
    snprintf(rec->seat_names[1], sizeof rec->seat_names[1], "bob");
    rec->seat_is_human[0] = rec->seat_is_human[1] = true;
    rec->ninfo = 2;
    snprintf(rec->info_names[0], sizeof rec->info_names[0], "soups");
    snprintf(rec->info_names[1], sizeof rec->info_names[1], "dropped");
    snprintf(rec->end_reason, sizeof rec->end_reason, "truncated");
    rec->nrows = nrows;
    rec->rows = calloc(nrows ? nrows : 1, sizeof *rec->rows);
    for (uint32_t i = 0; i < nrows; i++)
        rec->rows[i] = make_row(i);
}

static const char EXPECTED_HEADER[] =
    "frame,episode,game,condition,seat.0,seat.1,action.0,action.1,source.0,source.1,reward.0,reward.1,"
    "terminated,truncated,info.soups,info.dropped,hash,verified.0,verified.1,focused.0,"
    "focused.1,t_ms";

static const char EXPECTED_CSV[] =
    "frame,episode,game,condition,seat.0,seat.1,action.0,action.1,source.0,source.1,reward.0,reward.1,"
    "terminated,truncated,info.soups,info.dropped,hash,verified.0,verified.1,focused.0,"
    "focused.1,t_ms\n"
    "0,1,g1,,alice,bob,0,1,input,ai,0,0,0,0,0,-7,fedcba9876543210,1,0,1,1,0\n"
    "1,1,g1,,alice,bob,1,2,input,default,0,0,0,0,1,-7,fedcba9876543211,1,,1,1,33\n"
    "2,1,g1,,alice,bob,2,3,input,ai,20,-3,0,1,2,-7,fedcba9876543212,1,0,1,0,66\n";

/* ---- CSV layout --------------------------------------------------------------------- */

static void test_csv_layout(void **state)
{
    (void)state;
    episode_record rec;
    make_record(&rec, 3);
    char buf[4096];
    int n = store_csv_header(&rec, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(EXPECTED_HEADER));
    assert_string_equal(buf, EXPECTED_HEADER);

    n = store_csv_row(&rec, &rec.rows[1], buf, sizeof buf);
    assert_string_equal(buf, "1,1,g1,,alice,bob,1,2,input,default,0,0,0,0,1,-7,"
                             "fedcba9876543211,1,,1,1,33");
    assert_int_equal(n, (int)strlen(buf));

    /* Too small a buffer: -1 and an empty string, never a cut line. */
    assert_int_equal(store_csv_row(&rec, &rec.rows[1], buf, 20), -1);
    assert_string_equal(buf, "");
    assert_int_equal(store_csv_header(&rec, buf, 10), -1);

    /* A name with a comma is quoted so columns never shift. */
    snprintf(rec.seat_names[1], sizeof rec.seat_names[1], "ai:x,\"y\"");
    store_csv_row(&rec, &rec.rows[0], buf, sizeof buf);
    assert_non_null(strstr(buf, ",alice,\"ai:x,\"\"y\"\"\",0,1,"));
    free(rec.rows);
}

static void test_safe_name(void **state)
{
    (void)state;
    assert_true(store_safe_name("PROLIFIC_abc-1.2"));
    assert_false(store_safe_name(NULL));
    assert_false(store_safe_name(""));
    assert_false(store_safe_name("."));
    assert_false(store_safe_name(".."));
    assert_false(store_safe_name("a/b"));
    assert_false(store_safe_name("a\\b"));
    assert_false(store_safe_name("ai:greedy"));
    char big[STORE_NAME_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_false(store_safe_name(big));
}

static void test_open_refuses_bad_args(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(store_open("/tmp", "../escape", err, sizeof err));
    assert_true(strlen(err) > 0);
    assert_null(store_open(NULL, "x", err, sizeof err));
    assert_null(store_open("/proc/definitely/not/here", "x", err, sizeof err));
    assert_null(store_open(NULL, "x", NULL, 0)); /* no err buffer: still no crash */
}

/* A second server on the same experiment's data folder is refused, saying who holds it;
 * another experiment in the same data folder is not; once the first closes, the folder
 * opens again (the lock goes with the holder). */
static void test_one_store_per_folder(void **state)
{
    fixture *f = *state;
    char err[256] = "", want[64];
    assert_null(store_open(f->root, "exp1", err, sizeof err));
    snprintf(want, sizeof want, "in use by another cohort serve, pid %ld:", (long)getpid());
    if (!strstr(err, want))
        fail_msg("expected \"%s\" in: %s", want, err);
    store *other = store_open(f->root, "exp2", err, sizeof err);
    if (!other)
        fail_msg("another experiment beside it: %s", err);
    store_close(other);
    store_close(f->s);
    f->s = store_open(f->root, "exp1", err, sizeof err);
    if (!f->s)
        fail_msg("reopened after close: %s", err);
}

/* Every function tolerates a NULL store (and the optional NULL arguments). */
static void test_null_store(void **state)
{
    (void)state;
    store_participant(NULL, "a", NULL, NULL, NULL, NULL, 1);
    store_session(NULL, "a", "connect", NULL, 1);
    store_scene_visit(NULL, "a", 0, "s", false, 1);
    store_form(NULL, "a", "s", NULL, 1);
    store_wait(NULL, "a", "s", 1, 2, "matched", NULL);
    store_outcome(NULL, "a", "completed", NULL, NULL, 1);
    store_event(NULL, NULL, NULL, "x", NULL, 1);
    store_match(NULL, "g", "s", NULL, NULL, NULL, 1);
    store_game(NULL, "g", "s", "e", NULL, NULL, 0, 1);
    store_episode_start(NULL, "g", 0, 1, 2, NULL, 3);
    store_game_end(NULL, "g", "completed", 1);
    frame_row r = make_row(0);
    store_frames(NULL, "g", 0, &r, 1);
    episode_record rec;
    make_record(&rec, 2);
    store_episode(NULL, &rec); /* takes (and frees) the rows even so */
    assert_null(rec.rows);
    store_episode(NULL, NULL);
    store_flush(NULL);
    store_close(NULL);
    assert_null(store_dir(NULL));
    store_stats st = store_get_stats(NULL);
    assert_int_equal(st.jobs_queued, 0);
}

/* ---- people and games --------------------------------------------------------------- */

static void test_people_rows(void **state)
{
    fixture *f = *state;
    store *s = f->s;
    store_participant(s, "alice", "tok1", "{\"STUDY_ID\":\"s1\"}", NULL, NULL, 1000);
    store_participant(s, "alice", "tok2", NULL, NULL, NULL, 2000); /* new token, keeps params+created */
    store_participant(s, "bob", NULL, NULL, NULL, NULL, 1500);
    store_session(s, "alice", "connect", NULL, 1001);
    store_session(s, "alice", "disconnect", "{\"code\":1006}", 1002);
    store_scene_visit(s, "alice", 0, "welcome", false, 1003);
    store_scene_visit(s, "alice", 1, "consent", false, 1004);
    store_form(s, "alice", "consent", "{\"agree\":\"yes\",\"age\":\"31\"}", 1005);
    store_form(s, "bob", "consent", NULL, 1006);
    store_form(s, "../evil", "consent", "{}", 1007); /* refused: no file, an error */
    store_wait(s, "alice", "game", 2000, 2750, "matched", "g1");
    store_wait(s, "carol", "game", 2000, 5000, "timeout", NULL);
    store_match(s, "g1", "game", "[\"alice\",\"bob\"]", "[40,55]", NULL, 2750);
    const store_seat seats[] = {{"alice", true}, {"bob", true}};
    store_game(s, "g1", "game", "cooking/cramped_room", NULL, seats, 2, 2800);
    store_game_end(s, "g1", "completed", 9000);
    store_game_end(s, "g2", "abandoned", 9100); /* end without a start still records */
    store_outcome(s, "alice", "completed", "C1A2B3", NULL, 9500);
    store_event(s, NULL, NULL, "server_start", NULL, 10);
    store_event(s, "alice", "g1", "desync", "{\"frame\":40}", 5000);
    store_flush(s);

    store_stats st = store_get_stats(s);
    assert_int_equal(st.jobs_queued, 19);
    assert_int_equal(st.jobs_done, 19);
    assert_int_equal(st.files_written, 2);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.jobs_dropped, 0);

    sqlite3 *db = open_ro(f);
    char buf[256];
    assert_int_equal(query_int(db, "SELECT count(*) FROM participants"), 2);
    assert_string_equal(query_text(db, "SELECT token FROM participants WHERE subject='alice'",
                                   buf, sizeof buf), "tok2");
    assert_string_equal(query_text(db, "SELECT params FROM participants WHERE subject='alice'",
                                   buf, sizeof buf), "{\"STUDY_ID\":\"s1\"}");
    assert_int_equal(query_int(db, "SELECT created FROM participants WHERE subject='alice'"),
                     1000);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sessions"), 2);
    assert_string_equal(query_text(db, "SELECT detail FROM sessions WHERE event='connect'",
                                   buf, sizeof buf), "<null>");
    assert_int_equal(query_int(db, "SELECT scene_index FROM scene_visits WHERE scene='consent'"),
                     1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM forms"), 3);
    assert_int_equal(query_int(db, "SELECT wait_ms FROM waits WHERE subject='alice'"), 750);
    assert_string_equal(query_text(db, "SELECT game FROM waits WHERE subject='carol'", buf,
                                   sizeof buf), "<null>");
    assert_string_equal(query_text(db, "SELECT rtts FROM matches", buf, sizeof buf), "[40,55]");
    assert_string_equal(query_text(db, "SELECT env || ' ' || t_start || ' ' || t_end || ' ' ||"
                                       " end_reason FROM games WHERE game='g1'", buf,
                                   sizeof buf), "cooking/cramped_room 2800 9000 completed");
    assert_int_equal(query_int(db, "SELECT count(*) FROM games"), 2);
    assert_string_equal(query_text(db, "SELECT code FROM outcomes", buf, sizeof buf), "C1A2B3");
    assert_int_equal(query_int(db, "SELECT count(*) FROM events WHERE subject IS NULL"), 1);
    assert_string_equal(query_text(db, "SELECT detail FROM events WHERE kind='desync'", buf,
                                   sizeof buf), "{\"frame\":40}");
    assert_string_equal(query_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    sqlite3_close(db);

    /* Form files: re-encoded JSON objects; bob's NULL form is {}. */
    char path[256];
    snprintf(path, sizeof path, "%s/exp1/consent/alice_form.json", f->root);
    char *text = test_read_file(path, NULL);
    assert_non_null(text);
    json_t *form = json_loads(text, 0, NULL);
    assert_non_null(form);
    assert_string_equal(json_string_value(json_object_get(form, "agree")), "yes");
    assert_string_equal(json_string_value(json_object_get(form, "age")), "31");
    json_decref(form);
    free(text);
    snprintf(path, sizeof path, "%s/exp1/consent/bob_form.json", f->root);
    text = test_read_file(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "{}\n");
    free(text);

    snprintf(path, sizeof path, "%s/exp1/consent", f->root);
    assert_int_equal(count_entries(path, ".tmp"), 0);
    assert_int_equal(count_entries(path, "evil"), 0);
    snprintf(path, sizeof path, "%s/exp1", f->root);
    assert_int_equal(count_entries(path, "evil"), 0);
    assert_string_equal(store_dir(s), path);
}

/* ---- episodes ----------------------------------------------------------------------- */

static void test_episode_files(void **state)
{
    fixture *f = *state;
    episode_record rec;
    make_record(&rec, 3);
    store_episode(f->s, &rec);
    assert_null(rec.rows); /* ownership passed */

    /* Human + AI: only the human gets files. */
    make_record(&rec, 1);
    rec.episode = 0;
    snprintf(rec.game, sizeof rec.game, "g2");
    snprintf(rec.seat_names[1], sizeof rec.seat_names[1], "ai:greedy");
    rec.seat_is_human[1] = false;
    rec.timing = (episode_timing){.step_ms = 150, .input = "press"};
    store_episode(f->s, &rec);
    store_flush(f->s);

    char dir[256], path[512];
    snprintf(dir, sizeof dir, "%s/exp1/game", f->root);
    const char *subjects[] = {"alice", "bob"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s_ep1.csv", dir, subjects[i]);
        char *csv = test_read_file(path, NULL);
        assert_non_null(csv);
        assert_string_equal(csv, EXPECTED_CSV);
        free(csv);

        snprintf(path, sizeof path, "%s/%s_ep1.json", dir, subjects[i]);
        char *text = test_read_file(path, NULL);
        assert_non_null(text);
        json_t *meta = json_loads(text, 0, NULL);
        free(text);
        assert_non_null(meta);
        assert_string_equal(json_string_value(json_object_get(meta, "experiment")), "exp1");
        assert_string_equal(json_string_value(json_object_get(meta, "scene")), "game");
        assert_string_equal(json_string_value(json_object_get(meta, "game")), "g1");
        assert_string_equal(json_string_value(json_object_get(meta, "env")),
                            "cooking/cramped_room");
        assert_int_equal(json_integer_value(json_object_get(meta, "episode")), 1);
        assert_string_equal(json_string_value(json_object_get(meta, "seed")),
                            "18446744073709551615");
        assert_int_equal(json_integer_value(json_object_get(meta, "horizon")), 450);
        assert_int_equal(json_integer_value(json_object_get(meta, "seat")), i);
        assert_string_equal(json_string_value(json_object_get(meta, "subject")), subjects[i]);
        assert_int_equal(json_array_size(json_object_get(meta, "seats")), 2);
        assert_string_equal(json_string_value(json_array_get(json_object_get(meta, "info_names"),
                                                             1)), "dropped");
        assert_string_equal(json_string_value(json_object_get(meta, "end_reason")), "truncated");
        assert_int_equal(json_integer_value(json_object_get(meta, "rows")), 3);
        /* Paced by fps: step_ms is null, and the period is what 30 fps comes to. */
        assert_int_equal(json_integer_value(json_object_get(meta, "fps")), 30);
        assert_true(json_is_null(json_object_get(meta, "step_ms")));
        double period = json_real_value(json_object_get(meta, "step_period_ms"));
        assert_true(period > 33.3333 && period < 33.3334);
        assert_string_equal(json_string_value(json_object_get(meta, "input")), "held");
        json_decref(meta);
    }
    /* Paced by step_ms, one action per key press. */
    snprintf(path, sizeof path, "%s/alice_ep0.json", dir);
    char *text = test_read_file(path, NULL);
    assert_non_null(text);
    json_t *meta = json_loads(text, 0, NULL);
    free(text);
    assert_true(json_is_null(json_object_get(meta, "fps")));
    assert_int_equal(json_integer_value(json_object_get(meta, "step_ms")), 150);
    assert_true(json_real_value(json_object_get(meta, "step_period_ms")) == 150.0);
    assert_string_equal(json_string_value(json_object_get(meta, "input")), "press");
    json_decref(meta);
    snprintf(path, sizeof path, "%s/alice_ep0.csv", dir);
    char *csv = test_read_file(path, NULL);
    assert_non_null(csv);
    assert_non_null(strstr(csv, ",alice,ai:greedy,"));
    free(csv);
    assert_int_equal(count_entries(dir, "greedy"), 0);
    assert_int_equal(count_entries(dir, ".tmp"), 0);

    sqlite3 *db = open_ro(f);
    char buf[256];
    assert_int_equal(query_int(db, "SELECT count(*) FROM episodes"), 2);
    assert_string_equal(query_text(db, "SELECT seed || ' ' || frames || ' ' || reason || ' ' ||"
                                       " files FROM episodes WHERE game='g1'", buf, sizeof buf),
                        "18446744073709551615 3 truncated "
                        "[\"game/alice_ep1.csv\",\"game/bob_ep1.csv\"]");
    sqlite3_close(db);
    store_stats st = store_get_stats(f->s);
    assert_int_equal(st.files_written, 6);
    assert_int_equal(st.errors, 0);
}

static void test_episode_refuses_unsafe_names(void **state)
{
    fixture *f = *state;
    episode_record rec;
    make_record(&rec, 2);
    snprintf(rec.seat_names[0], sizeof rec.seat_names[0], "../../etc/x");
    store_episode(f->s, &rec);
    make_record(&rec, 2);
    snprintf(rec.scene, sizeof rec.scene, "..");
    store_episode(f->s, &rec);
    /* A name field filled to the brim without a terminator must not be overrun. */
    make_record(&rec, 1);
    memset(rec.seat_names[1], 'b', sizeof rec.seat_names[1]);
    memset(rec.game, 'g', sizeof rec.game);
    store_episode(f->s, &rec);
    store_flush(f->s);

    char path[512];
    snprintf(path, sizeof path, "%s/exp1/game/bob_ep1.csv", f->root);
    assert_int_equal(access(path, F_OK), 0); /* the safe seat of the first record */
    snprintf(path, sizeof path, "%s/etc", f->root);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/exp1/game", f->root);
    assert_int_equal(count_entries(path, "x_ep"), 0);
    char brim[sizeof rec.seat_names[1] + 8];
    memset(brim, 'b', sizeof rec.seat_names[1] - 1); /* the field, cut to fit its NUL */
    snprintf(brim + sizeof rec.seat_names[1] - 1, 8, "_ep");
    assert_int_equal(count_entries(path, brim), 2);
    store_stats st = store_get_stats(f->s);
    assert_int_equal(st.errors, 2);
}

/* A read-write connection beside the writer's, for what an older version or another
 * program would have left in the database. */
static void exec_rw(const fixture *f, const char *sql)
{
    char path[256];
    snprintf(path, sizeof path, "%s/exp1/cohort.db", f->root);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* ---- the frame log ------------------------------------------------------------------ */

static void test_frames_roundtrip(void **state)
{
    fixture *f = *state;
    frame_row rows[3];
    for (uint32_t i = 0; i < 3; i++)
        rows[i] = make_row(i);
    store_frames(f->s, "g1", 4, rows, 2);
    store_frames(f->s, "g1", 4, rows + 2, 1);
    store_frames(f->s, "g1", 5, rows, 1);
    store_frames(f->s, "g1", 4, rows, 0); /* nothing */
    store_frames(f->s, NULL, 4, NULL, 3); /* nothing */
    store_flush(f->s);

    char db[256];
    snprintf(db, sizeof db, "%s/exp1/cohort.db", f->root);
    frame_row *got = NULL;
    uint32_t n = 0;
    assert_int_equal(store_frames_load(db, "g1", 4, &got, &n), 0);
    assert_int_equal(n, 3);
    for (uint32_t i = 0; i < 3; i++)
        assert_memory_equal(&got[i], &rows[i], sizeof rows[i]);
    free(got);
    assert_int_equal(store_frames_load(db, "nope", 4, &got, &n), 0);
    assert_int_equal(n, 0);
    assert_null(got);
    assert_int_equal(store_get_stats(f->s).frames_logged, 4);

    /* Every seat's and every info slot's field, with the extremes, survives the log's
     * fixed-size record (an 8-seat game uses all of them). */
    frame_row full;
    memset(&full, 0, sizeof full);
    full.frame = UINT32_MAX - 1;
    for (int i = 0; i < ENV_MAX_PLAYERS; i++) {
        full.actions[i] = (uint8_t)(250 - i);
        full.sources[i] = (uint8_t)(i % 4);
        full.verified[i] = (int8_t)(i % 3 - 1);
        full.focused[i] = (uint8_t)(i % 2);
        full.rewards[i] = i % 2 ? INT32_MIN + i : INT32_MAX - i;
    }
    for (int i = 0; i < ENV_MAX_INFO; i++)
        full.info[i] = -1000000 * (i + 1);
    full.terminated = 1;
    full.truncated = 1;
    full.hash = 0x8000000000000001ull;
    full.t_ms = UINT32_MAX;
    store_frames(f->s, "g2", 0, &full, 1);
    store_flush(f->s);
    assert_int_equal(store_frames_load(db, "g2", 0, &got, &n), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(got, &full, sizeof full);
    free(got);

    /* A damaged batch (its blob not n records) is skipped and the others still read: the
     * episode's frames then stop at a gap, as when the log lost them. */
    exec_rw(f, "UPDATE frame_log SET rows = x'00' WHERE game = 'g1' AND episode = 4 AND frame = 0");
    assert_int_equal(store_frames_load(db, "g1", 4, &got, &n), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(&got[0], &rows[2], sizeof rows[2]);
    free(got);
}

/* The log is committed on a timer: another connection sees the frames within a second
 * without any flush or close. The wait is the behaviour under test. */
static void test_frames_durable_within_a_second(void **state)
{
    fixture *f = *state;
    frame_row rows[100];
    for (uint32_t i = 0; i < 100; i++)
        rows[i] = make_row(i);
    store_frames(f->s, "g1", 0, rows, 60);
    /* By now the writer has a transaction open and sleeps until its commit is due; jobs
     * that arrive meanwhile do not wake it, and must still be on disk within a second. */
    struct timespec settle = {0, 50000000};
    nanosleep(&settle, NULL);
    store_frames(f->s, "g1", 0, rows + 60, 40);
    store_event(f->s, "alice", "g1", "late_inputs", "3", 1);
    struct timespec ts = {1, 150000000};
    nanosleep(&ts, NULL);

    sqlite3 *db = open_ro(f);
    assert_int_equal(query_int(db, "SELECT coalesce(sum(n), 0) FROM frame_log WHERE game='g1'"), 100);
    assert_int_equal(query_int(db, "SELECT count(*) FROM events"), 1);
    sqlite3_close(db);
}

/* store_close drains whatever is queued, however much, before it returns. */
typedef struct {
    store *s;
    int id;
} producer_arg;

enum { PRODUCERS = 2, BATCHES = 2000, BATCH_ROWS = 5 };

static void *producer(void *p)
{
    producer_arg *a = p;
    char game[16];
    snprintf(game, sizeof game, "p%d", a->id);
    frame_row rows[BATCH_ROWS];
    for (uint32_t b = 0; b < BATCHES; b++) {
        for (uint32_t i = 0; i < BATCH_ROWS; i++)
            rows[i] = make_row(b * BATCH_ROWS + i);
        store_frames(a->s, game, 0, rows, BATCH_ROWS);
        if (b % 100 == 0)
            store_event(a->s, NULL, game, "tick", NULL, b);
    }
    return NULL;
}

static void test_close_under_load_drains(void **state)
{
    fixture *f = *state;
    pthread_t th[PRODUCERS];
    producer_arg args[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (producer_arg){f->s, i};
        pthread_create(&th[i], NULL, producer, &args[i]);
    }
    /* Episodes queued behind the frames must be written too. */
    episode_record rec;
    make_record(&rec, 3);
    store_episode(f->s, &rec);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    store_close(f->s);
    f->s = NULL;

    char path[256];
    snprintf(path, sizeof path, "%s/exp1/cohort.db", f->root);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT coalesce(sum(n), 0) FROM frame_log"),
                     PRODUCERS * BATCHES * BATCH_ROWS);
    assert_int_equal(query_int(db, "SELECT count(*) FROM events"), PRODUCERS * BATCHES / 100);
    assert_int_equal(query_int(db, "SELECT count(*) FROM episodes"), 1);
    sqlite3_close(db);
    snprintf(path, sizeof path, "%s/exp1/game/bob_ep1.csv", f->root);
    assert_int_equal(access(path, F_OK), 0);
}

/* Reopening an existing store keeps its data (CREATE TABLE IF NOT EXISTS). */
static void test_reopen_keeps_data(void **state)
{
    fixture *f = *state;
    store_participant(f->s, "alice", "t", NULL, NULL, NULL, 1);
    store_close(f->s);
    char err[256];
    f->s = store_open(f->root, "exp1", err, sizeof err);
    assert_non_null(f->s);
    store_participant(f->s, "bob", "t", NULL, NULL, NULL, 2);
    store_flush(f->s);
    sqlite3 *db = open_ro(f);
    assert_int_equal(query_int(db, "SELECT count(*) FROM participants"), 2);
    sqlite3_close(db);
}

/* ---- recovery ----------------------------------------------------------------------- */

/* The env a find_env stub knows: only its info names matter to a rebuild. */
static const env_def STUB_ENV = {
    .name = "stub/env",
    .ninfo = 2,
    .info_names = {"soups", "dropped"},
};

static const env_def *stub_find_env(const char *name)
{
    return strcmp(name, STUB_ENV.name) == 0 ? &STUB_ENV : NULL;
}

/* What the server writes for one episode of one game before dying mid-episode: the game
 * and its seats, the episode's start, and nframes frames of the log (no episode row). */
static void record_game_episode(store *s, const char *game, const char *env,
                                const store_seat *seats, int nseats, uint32_t episode,
                                uint64_t seed, uint32_t horizon, uint32_t nframes)
{
    store_game(s, game, "game", env, NULL, seats, nseats, 1000);
    const episode_timing timing = {.step_ms = 150, .input = "press"};
    store_episode_start(s, game, episode, seed, horizon, &timing, 1100);
    frame_row rows[8];
    assert_true(nframes <= 8);
    for (uint32_t i = 0; i < nframes; i++)
        rows[i] = make_row(i);
    store_frames(s, game, episode, rows, nframes);
}

/* DIR/exp1/game/NAME parsed as JSON (NULL when missing). */
static json_t *load_meta(const fixture *f, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/exp1/game/%s", f->root, name);
    char *text = test_read_file(path, NULL);
    if (!text)
        return NULL;
    json_t *meta = json_loads(text, 0, NULL);
    free(text);
    return meta;
}

/* The JSON array `key` of meta as "a,b,c". */
static const char *join_array(json_t *meta, const char *key, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(meta, key), i, v)
    {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? "," : "", json_string_value(v));
    }
    return buf;
}

/* The rebuilt episode takes its seed, horizon, seats and info names from columns. */
static void test_rebuild_reads_columns(void **state)
{
    fixture *f = *state;
    const store_seat seats[] = {{"alice", true}, {"ai:greedy", false}};
    record_game_episode(f->s, "g1", "stub/env", seats, 2, 2, UINT64_MAX, 450, 2);
    char err[256] = "stale";
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 1);
    assert_string_equal(err, "");
    store_flush(f->s);

    json_t *meta = load_meta(f, "alice_ep2.json");
    assert_non_null(meta);
    char buf[256];
    assert_string_equal(json_string_value(json_object_get(meta, "seed")),
                        "18446744073709551615");
    assert_int_equal(json_integer_value(json_object_get(meta, "horizon")), 450);
    assert_int_equal(json_integer_value(json_object_get(meta, "episode")), 2);
    assert_int_equal(json_integer_value(json_object_get(meta, "seat")), 0);
    assert_string_equal(json_string_value(json_object_get(meta, "env")), "stub/env");
    assert_string_equal(join_array(meta, "seats", buf, sizeof buf), "alice,ai:greedy");
    assert_string_equal(join_array(meta, "info_names", buf, sizeof buf), "soups,dropped");
    assert_string_equal(json_string_value(json_object_get(meta, "end_reason")), "cut");
    assert_int_equal(json_integer_value(json_object_get(meta, "rows")), 2);
    /* The pace the room recorded at the episode's start survives the crash. */
    assert_true(json_is_null(json_object_get(meta, "fps")));
    assert_int_equal(json_integer_value(json_object_get(meta, "step_ms")), 150);
    assert_string_equal(json_string_value(json_object_get(meta, "input")), "press");
    json_decref(meta);

    /* The CSV has the info columns, and the last row is marked truncated. */
    char path[512];
    snprintf(path, sizeof path, "%s/exp1/game/alice_ep2.csv", f->root);
    char *csv = test_read_file(path, NULL);
    assert_non_null(csv);
    assert_int_equal(strncmp(csv, EXPECTED_HEADER, strlen(EXPECTED_HEADER)), 0);
    assert_int_equal(csv[strlen(EXPECTED_HEADER)], '\n');
    assert_non_null(strstr(csv, "\n1,2,g1,,alice,ai:greedy,1,2,input,default,0,0,0,1,1,-7,"
                                "fedcba9876543211,1,,1,1,33\n"));
    free(csv);

    /* No file for the AI seat. */
    snprintf(path, sizeof path, "%s/exp1/game", f->root);
    assert_int_equal(count_entries(path, "greedy"), 0);
    assert_int_equal(count_entries(path, "_ep2."), 2);

    sqlite3 *db = open_ro(f);
    assert_string_equal(query_text(db, "SELECT seed || ' ' || horizon || ' ' || frames || ' '"
                                       " || reason FROM episodes WHERE game='g1' AND episode=2",
                                   buf, sizeof buf),
                        "18446744073709551615 450 2 cut");
    sqlite3_close(db);

    /* Written once: a second restart has nothing to rebuild. */
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(store_get_stats(f->s).errors, 0);
}

/* Which seats are human comes from the seats table, not from an "ai:" prefix: an AI seat
 * named like a subject gets no file, the human seat after it does. */
static void test_rebuild_ignores_ai_prefix(void **state)
{
    fixture *f = *state;
    const store_seat seats[] = {{"robot", false}, {"alice", true}};
    record_game_episode(f->s, "g1", "stub/env", seats, 2, 0, 7, 100, 3);
    char err[256];
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 1);
    store_flush(f->s);

    char path[512], buf[256];
    snprintf(path, sizeof path, "%s/exp1/game", f->root);
    assert_int_equal(count_entries(path, "robot"), 0);
    assert_int_equal(count_entries(path, "alice_ep0."), 2);
    json_t *meta = load_meta(f, "alice_ep0.json");
    assert_non_null(meta);
    assert_int_equal(json_integer_value(json_object_get(meta, "seat")), 1);
    assert_string_equal(json_string_value(json_object_get(meta, "seed")), "7");
    assert_string_equal(join_array(meta, "seats", buf, sizeof buf), "robot,alice");
    json_decref(meta);
    assert_int_equal(store_get_stats(f->s).errors, 0);
}

/* store_game writes games.seats (JSON names) and one seats row per seat; store_episode_start
 * one episode_starts row per episode, the seed as a decimal string. */
static void test_seat_and_episode_start_rows(void **state)
{
    fixture *f = *state;
    const store_seat three[] = {{"alice", true}, {"ai:greedy", false}, {"bob", true}};
    store_game(f->s, "g1", "game", "stub/env", NULL, three, 3, 2800);
    const store_seat two[] = {{"carol", true}, {"ai:random", false}};
    store_game(f->s, "g2", "game", "stub/env", NULL, two, 2, 2900);
    store_game(f->s, "g2", "game", "stub/env", NULL, two, 1, 2950); /* replaces g2's seats */
    const store_seat nine[] = {{"a", true}, {"b", true}, {"c", true}, {"d", true}, {"e", true},
                               {"f", true}, {"g", true}, {"h", true}, {"i", true}};
    store_game(f->s, "g3", "game", "stub/env", NULL, nine, 9, 3000); /* cut to ENV_MAX_PLAYERS */
    const episode_timing fps = {.fps = 30, .input = "held"}, step = {.step_ms = 150,
                                                                     .input = "press"};
    store_episode_start(f->s, "g1", 0, UINT64_MAX, 450, &fps, 1234);
    store_episode_start(f->s, "g1", 1, 42, 0, NULL, 1300); /* timing not known */
    store_episode_start(f->s, "g2", 0, 5, 60, &fps, 1400);
    store_episode_start(f->s, "g2", 0, 6, 61, &step, 1500); /* the later row wins */
    store_flush(f->s);

    sqlite3 *db = open_ro(f);
    char buf[512];
    assert_string_equal(query_text(db, "SELECT group_concat(seat || ':' || name || ':' || kind,"
                                       " ' ') FROM (SELECT * FROM seats WHERE game='g1'"
                                       " ORDER BY seat)", buf, sizeof buf),
                        "0:alice:human 1:ai:greedy:ai 2:bob:human");
    assert_string_equal(query_text(db, "SELECT seats || ' ' || env || ' ' || t_start FROM games"
                                       " WHERE game='g1'", buf, sizeof buf),
                        "[\"alice\",\"ai:greedy\",\"bob\"] stub/env 2800");
    assert_string_equal(query_text(db, "SELECT group_concat(seat || ':' || name || ':' || kind,"
                                       " ' ') FROM seats WHERE game='g2'", buf, sizeof buf),
                        "0:carol:human");
    assert_string_equal(query_text(db, "SELECT seats FROM games WHERE game='g2'", buf,
                                   sizeof buf), "[\"carol\"]");
    assert_int_equal(query_int(db, "SELECT count(*) FROM seats WHERE game='g3'"),
                     ENV_MAX_PLAYERS);
    assert_string_equal(query_text(db, "SELECT seats FROM games WHERE game='g3'", buf,
                                   sizeof buf), "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]");
    assert_string_equal(query_text(db, "SELECT group_concat(episode || ' ' || seed || ' ' ||"
                                       " horizon || ' ' || t, ', ') FROM (SELECT * FROM"
                                       " episode_starts WHERE game='g1' ORDER BY episode)",
                                   buf, sizeof buf),
                        "0 18446744073709551615 450 1234, 1 42 0 1300");
    assert_string_equal(query_text(db, "SELECT typeof(seed) FROM episode_starts LIMIT 1", buf,
                                   sizeof buf), "text");
    assert_string_equal(query_text(db, "SELECT seed || ' ' || horizon || ' ' || t FROM"
                                       " episode_starts WHERE game='g2'", buf, sizeof buf),
                        "6 61 1500");
    /* fps or step_ms, the other NULL; nothing at all when the timing was not given. */
    assert_string_equal(query_text(db, "SELECT group_concat(episode || ':' || coalesce(fps, '-')"
                                       " || ':' || coalesce(step_ms, '-') || ':' ||"
                                       " coalesce(input, '-'), ' ') FROM (SELECT * FROM"
                                       " episode_starts ORDER BY game, episode)",
                                   buf, sizeof buf),
                        "0:30:-:held 1:-:-:- 0:-:150:press");
    assert_int_equal(query_int(db, "SELECT count(*) FROM episode_starts"), 3);
    /* Nothing goes to the general event log any more. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM events"), 0);
    sqlite3_close(db);
    assert_int_equal(store_get_stats(f->s).errors, 0);
}

/* Without find_env, or when it does not know the env, the files have no info columns. */
static void check_no_info(const fixture *f, const char *subject)
{
    static const char header[] =
        "frame,episode,game,condition,seat.0,seat.1,action.0,action.1,source.0,source.1,reward.0,"
        "reward.1,terminated,truncated,hash,verified.0,verified.1,focused.0,focused.1,t_ms\n";
    char path[512], buf[256];
    snprintf(path, sizeof path, "%s/exp1/game/%s_ep0.csv", f->root, subject);
    char *csv = test_read_file(path, NULL);
    assert_non_null(csv);
    assert_int_equal(strncmp(csv, header, strlen(header)), 0);
    free(csv);
    snprintf(path, sizeof path, "%s_ep0.json", subject);
    json_t *meta = load_meta(f, path);
    assert_non_null(meta);
    assert_int_equal(json_array_size(json_object_get(meta, "info_names")), 0);
    snprintf(path, sizeof path, "%s,ai:greedy", subject);
    assert_string_equal(join_array(meta, "seats", buf, sizeof buf), path);
    json_decref(meta);
}

static void test_rebuild_without_env(void **state)
{
    fixture *f = *state;
    const store_seat alice[] = {{"alice", true}, {"ai:greedy", false}};
    record_game_episode(f->s, "g1", "stub/env", alice, 2, 0, 9, 450, 2);
    char err[256];
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", NULL, err, sizeof err), 1);
    assert_string_equal(err, "");
    store_flush(f->s);
    check_no_info(f, "alice");

    /* find_env given, but it returns NULL for this env. */
    const store_seat bob[] = {{"bob", true}, {"ai:greedy", false}};
    record_game_episode(f->s, "g2", "nope/env", bob, 2, 0, 9, 450, 2);
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 1);
    assert_string_equal(err, "");
    store_flush(f->s);
    check_no_info(f, "bob");

    sqlite3 *db = open_ro(f);
    assert_int_equal(query_int(db, "SELECT count(*) FROM episodes"), 2);
    sqlite3_close(db);
    assert_int_equal(store_get_stats(f->s).errors, 0);
}

/* An episode without its episode_starts row, or a game without seats rows, is skipped and
 * said so in err; it is rebuilt once the records are there. */
static void test_rebuild_skips_unrecorded(void **state)
{
    fixture *f = *state;
    frame_row rows[2] = {make_row(0), make_row(1)};
    store_game(f->s, "g1", "game", "stub/env", NULL, NULL, 0, 1000);
    store_frames(f->s, "g1", 3, rows, 2);
    char err[256];
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 0);
    assert_non_null(strstr(err, "g1 episode 3"));
    assert_non_null(strstr(err, "no episode start recorded"));

    store_episode_start(f->s, "g1", 3, 11, 450, NULL, 1100);
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 0);
    assert_non_null(strstr(err, "no seats recorded"));

    const store_seat seats[] = {{"alice", true}};
    store_game(f->s, "g1", "game", "stub/env", NULL, seats, 1, 1000);
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 1);
    assert_string_equal(err, "");
    store_flush(f->s);
    char path[512];
    snprintf(path, sizeof path, "%s/exp1/game/alice_ep3.csv", f->root);
    assert_int_equal(access(path, F_OK), 0);
}

/* The schema of the version before episode_starts, seats and the indexes. */
static const char OLD_SCHEMA[] =
    "CREATE TABLE participants(subject TEXT PRIMARY KEY, token TEXT, params TEXT,"
    "  created INTEGER);"
    "CREATE TABLE sessions(subject TEXT, event TEXT, detail TEXT, t INTEGER);"
    "CREATE TABLE scene_visits(subject TEXT, scene_index INTEGER, scene TEXT, t INTEGER);"
    "CREATE TABLE forms(subject TEXT, scene TEXT, form TEXT, t INTEGER);"
    "CREATE TABLE waits(subject TEXT, scene TEXT, t_start INTEGER, t_end INTEGER,"
    "  wait_ms INTEGER, outcome TEXT, game TEXT);"
    "CREATE TABLE matches(game TEXT, scene TEXT, subjects TEXT, rtts TEXT, t INTEGER);"
    "CREATE TABLE games(game TEXT PRIMARY KEY, scene TEXT, env TEXT, seats TEXT,"
    "  t_start INTEGER, t_end INTEGER, end_reason TEXT);"
    "CREATE TABLE episodes(game TEXT, episode INTEGER, scene TEXT, env TEXT, seed TEXT,"
    "  horizon INTEGER, frames INTEGER, reason TEXT, files TEXT, t INTEGER,"
    "  PRIMARY KEY(game, episode));"
    "CREATE TABLE outcomes(subject TEXT, outcome TEXT, code TEXT, reason TEXT, t INTEGER);"
    "CREATE TABLE events(t INTEGER, subject TEXT, game TEXT, kind TEXT, detail TEXT);"
    "CREATE TABLE frames(game TEXT, episode INTEGER, frame INTEGER, actions BLOB,"
    "  sources BLOB, rewards BLOB, terminated INTEGER, truncated INTEGER, info BLOB,"
    "  hash INTEGER, verified BLOB, focused BLOB, t_ms INTEGER,"
    "  PRIMARY KEY(game, episode, frame)) WITHOUT ROWID;"
    "INSERT INTO participants VALUES('alice', 'tok', NULL, 1);"
    "INSERT INTO games VALUES('g1', 'game', 'stub/env', '[\"alice\",\"ai:greedy\"]', 2, NULL,"
    "  NULL);"
    "INSERT INTO events VALUES(3, NULL, 'g1', 'episode_start',"
    "  '{\"episode\":0,\"seed\":\"5\",\"horizon\":450}');"
    "INSERT INTO frames VALUES('g1', 0, 0, zeroblob(4), zeroblob(4), zeroblob(16), 0, 0,"
    "  zeroblob(32), 0, zeroblob(4), zeroblob(4), 0);"
    /* Another game's episode, its frames inserted out of order, with 4-seat blobs: seat 0
     * acts 5, seat 1 gets reward 2 (little-endian), the hash is negative as stored. */
    "INSERT INTO frames VALUES('g0', 1, 2, x'05000000', x'00000000', x'0000000002000000"
    "0000000000000000', 0, 1, zeroblob(32), -2, x'01ff0000', x'01010000', 66);"
    "INSERT INTO frames VALUES('g0', 1, 0, x'05000000', x'00000000', zeroblob(16), 0, 0,"
    "  zeroblob(32), 7, x'01ff0000', x'01010000', 0);"
    "INSERT INTO frames VALUES('g0', 1, 1, x'05000000', x'00000000', zeroblob(16), 0, 0,"
    "  zeroblob(32), 8, x'01ff0000', x'01010000', 33);";

static void count_participant(const known_participant *p, void *ctx)
{
    (void)p;
    (*(int *)ctx)++;
}

/* A cohort.db of the previous version opens, gains the new tables and indexes, keeps its
 * data; its cut episode (no episode_starts row) is reported and skipped. */
static void test_old_database_opens(void **state)
{
    fixture *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/exp1", f->root);
    assert_int_equal(store_mkdirs(path, STORE_DATA_MODE), 0);
    snprintf(path, sizeof path, "%s/exp1/cohort.db", f->root);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, OLD_SCHEMA, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("old schema: %s", msg);
    sqlite3_close(db);

    char err[256];
    f->s = store_open(f->root, "exp1", err, sizeof err);
    if (!f->s)
        fail_msg("store_open: %s", err);
    int n = 0;
    assert_int_equal(store_load_participants(f->s, count_participant, &n, err, sizeof err), 1);
    assert_int_equal(n, 1);
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 0);
    assert_non_null(strstr(err, "no episode start recorded"));

    db = open_ro(f);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND"
                                   " name IN ('seats', 'episode_starts')"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type='index' AND"
                                   " name IN ('scene_visits_subject', 'outcomes_subject',"
                                   " 'waits_subject_scene')"), 3);
    /* Its one-row-per-frame log became a chunk of frame_log per episode, and the old
     * table is gone. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM frame_log"), 2);
    assert_int_equal(query_int(db, "SELECT sum(n) FROM frame_log"), 4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'frames'"), 0);
    sqlite3_close(db);
    snprintf(path, sizeof path, "%s/exp1/cohort.db", f->root);
    frame_row *rows = NULL;
    uint32_t nrows = 0;
    assert_int_equal(store_frames_load(path, "g0", 1, &rows, &nrows), 0);
    assert_int_equal(nrows, 3);
    for (uint32_t k = 0; k < 3; k++) {
        assert_int_equal(rows[k].frame, k);
        assert_int_equal(rows[k].actions[0], 5);
        assert_int_equal(rows[k].actions[2], 0); /* past the 4 seats written: zero */
        assert_int_equal(rows[k].verified[0], 1);
        assert_int_equal(rows[k].verified[1], -1);
        assert_int_equal(rows[k].focused[1], 1);
        assert_int_equal(rows[k].t_ms, 33 * k);
    }
    assert_int_equal(rows[2].rewards[1], 2);
    assert_int_equal(rows[2].truncated, 1);
    assert_true(rows[2].hash == UINT64_MAX - 1); /* -2 bit for bit */
    assert_true(rows[0].hash == 7);
    free(rows);
}

/* What store_load_participants reports, now over indexed tables. */
typedef struct {
    int n;
    char line[4][160];
} loaded;

static void keep_participant(const known_participant *p, void *ctx)
{
    loaded *l = ctx;
    if (l->n >= 4)
        return;
    snprintf(l->line[l->n++], sizeof l->line[0], "%s %s %d %s %s %s %d", p->subject, p->token,
             p->scene_index, p->outcome ? p->outcome : "-", p->code ? p->code : "-",
             p->reason ? p->reason : "-", p->matched_in_scene);
}

static int by_line(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* partners: participants.party names the game whose group they belong to; restore reads
 * it back with that game's scene and the member's seat; matches.party names the earlier
 * game a match plays again (NULL for a fresh one). */
static void party_of(const known_participant *p, void *ctx)
{
    loaded *l = ctx;
    if (l->n < 4)
        snprintf(l->line[l->n++], sizeof l->line[0], "%s %s %s %d", p->subject,
                 p->party ? p->party : "-", p->party_scene ? p->party_scene : "-",
                 p->party_seat);
}

static void test_party_columns(void **state)
{
    fixture *f = *state;
    store *s = f->s;
    store_participant(s, "alice", "ta", NULL, NULL, NULL, 1);
    store_participant(s, "bob", "tb", NULL, NULL, NULL, 1);
    store_participant(s, "carol", "tc", NULL, NULL, NULL, 1);
    store_seat seats[] = {{"bob", true}, {"alice", true}};
    store_game(s, "g1", "game1", "cooking/cramped_room", NULL, seats, 2, 2);
    store_match(s, "g1", "game1", "[\"bob\",\"alice\"]", "[0,0]", NULL, 2);
    store_participant_party(s, "alice", "g1");
    store_participant_party(s, "bob", "g1");
    store_match(s, "g2", "game2", "[\"bob\",\"alice\"]", "[0,0]", "g1", 3);
    loaded l;
    memset(&l, 0, sizeof l);
    char err[256];
    assert_int_equal(store_load_participants(s, party_of, &l, err, sizeof err), 3);
    qsort(l.line, (size_t)l.n, sizeof l.line[0], by_line);
    assert_string_equal(l.line[0], "alice g1 game1 1");
    assert_string_equal(l.line[1], "bob g1 game1 0");
    assert_string_equal(l.line[2], "carol - - -1");
    sqlite3 *db = open_ro(f);
    assert_int_equal(query_int(db, "SELECT count(*) FROM matches WHERE game = 'g2' AND "
                                   "party = 'g1'"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM matches WHERE game = 'g1' AND "
                                   "party IS NULL"), 1);
    sqlite3_close(db);
}

static void test_load_participants(void **state)
{
    fixture *f = *state;
    store *s = f->s;
    store_participant(s, "alice", "ta", NULL, NULL, NULL, 1);
    store_participant(s, "bob", "tb", NULL, NULL, NULL, 1);
    store_participant(s, "carol", "tc", NULL, NULL, NULL, 1);
    store_scene_visit(s, "alice", 0, "welcome", false, 10);
    store_scene_visit(s, "alice", 1, "game", false, 20);
    store_wait(s, "alice", "game", 20, 30, "matched", "g1");
    store_outcome(s, "alice", "partner_dropped", NULL, "drop", 40);
    store_outcome(s, "alice", "completed", "C1", NULL, 50);
    store_scene_visit(s, "bob", 0, "welcome", false, 10);
    store_scene_visit(s, "bob", 1, "game", false, 20);
    store_wait(s, "bob", "game", 20, 30, "timeout", NULL);
    store_wait(s, "bob", "welcome", 5, 6, "matched", "g0"); /* another scene's match */
    loaded l;
    memset(&l, 0, sizeof l);
    char err[256];
    assert_int_equal(store_load_participants(s, keep_participant, &l, err, sizeof err), 3);
    qsort(l.line, (size_t)l.n, sizeof l.line[0], by_line);
    assert_string_equal(l.line[0], "alice ta 1 completed C1 - 1");
    assert_string_equal(l.line[1], "bob tb 1 - - - 0");
    assert_string_equal(l.line[2], "carol tc -1 - - - 0");

    /* The lookups use the indexes (the plan's detail column names them). */
    sqlite3 *db = open_ro(f);
    static const char *const plans[][2] = {
        {"SELECT 1 FROM waits WHERE subject = 'a' AND scene = 'b'", "waits_subject_scene"},
        {"SELECT 1 FROM scene_visits WHERE subject = 'a'", "scene_visits_subject"},
        {"SELECT 1 FROM outcomes WHERE subject = 'a'", "outcomes_subject"},
    };
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", plans[i][0]);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        bool found = false;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *detail = sqlite3_column_text(st, 3);
            if (detail && strstr((const char *)detail, plans[i][1]))
                found = true;
        }
        sqlite3_finalize(st);
        if (!found)
            fail_msg("%s does not use %s", plans[i][0], plans[i][1]);
    }
    sqlite3_close(db);
}

/* ---- durability (docs/DESIGN.md section 8) ------------------------------------------ */

/* Bounded polling: true as soon as the store is healthy with nothing held (the writer
 * retries about once a second), false after timeout_ms. */
static bool wait_healthy(store *s, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        store_health_info h = store_health(s);
        if (!h.failing && h.held == 0)
            return true;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static int64_t count_rows(const fixture *f, const char *sql)
{
    sqlite3 *db = open_ro(f);
    int64_t n = query_int(db, sql);
    sqlite3_close(db);
    return n;
}

static bool exists(const fixture *f, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/exp1/%s", f->root, rel);
    return access(path, F_OK) == 0;
}

/* DIR/exp1/REL's text; fails the test when it is missing. */
static char *read_scene_file(const fixture *f, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/exp1/%s", f->root, rel);
    char *text = test_read_file(path, NULL);
    if (!text)
        fail_msg("%s is missing", path);
    return text;
}

static unsigned mode_of(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        fail_msg("stat %s", path);
    return (unsigned)sb.st_mode & 0777;
}

/* A queue over its byte limit drops frames and events, counted, and never an outcome,
 * form, session or any other important record; the store says it is failing meanwhile
 * and recovers by itself once the writer has caught up. */
static void test_drop_rule(void **state)
{
    fixture *f = *state;
    store_test_pause(f->s, true);
    store_test_limit(f->s, 16 << 10);
    frame_row r = make_row(0);
    for (uint32_t i = 0; i < 200; i++) {
        r.frame = i;
        store_frames(f->s, "g1", 0, &r, 1);
        char subject[32];
        snprintf(subject, sizeof subject, "p%u", i);
        store_outcome(f->s, subject, "completed", "CODE", NULL, 1000 + i);
        if (i % 4 == 0) {
            store_event(f->s, subject, "g1", "desync", NULL, 1000 + i);
            store_form(f->s, subject, "consent", "{\"agree\":\"yes\"}", 1000 + i);
            store_session(f->s, subject, "connect", NULL, 1000 + i);
        }
    }
    store_stats st = store_get_stats(f->s);
    assert_true(st.frames_dropped > 0);
    assert_true(st.health.failing);
    assert_true(store_failing(f->s));
    assert_int_equal(st.health.status, STORE_DEGRADED);
    assert_non_null(strstr(st.health.last_error, "bulk queue over its limit"));
    store_test_resume(f->s);

    st = store_get_stats(f->s);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM outcomes"), 200);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM forms"), 50);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM sessions"), 50);
    int64_t frames = count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log");
    int64_t events = count_rows(f, "SELECT count(*) FROM events");
    assert_int_equal(frames + (int64_t)st.frames_dropped, 200);
    assert_int_equal(st.frames_logged, (uint64_t)frames);
    assert_int_equal(st.jobs_dropped, st.frames_dropped + (uint64_t)(50 - events));
    assert_true(frames > 0 && frames < 200);
    /* The writer caught up and its probe found room: healthy again, by itself. */
    assert_false(store_failing(f->s));
    assert_int_equal(store_health(f->s).status, STORE_OK);
    store_test_limit(f->s, 0);
}

/* What a room does for one episode of a game: game and seats, its start, its frames. */
static void log_episode(store *s, const char *game, uint32_t episode, uint32_t nframes,
                        uint32_t horizon)
{
    const store_seat seats[] = {{"alice", true}, {"bob", true}};
    store_game(s, game, "game", "stub/env", NULL, seats, 2, 1000);
    store_episode_start(s, game, episode, 9, horizon, NULL, 1100);
    frame_row rows[8];
    assert_true(nframes <= 8);
    for (uint32_t i = 0; i < nframes; i++)
        rows[i] = make_row(i);
    store_frames(s, game, episode, rows, nframes);
}

/* make_record's episode as game g1 episode 0, with the rows make_row gives. */
static void episode_g1(store *s, uint32_t nrows)
{
    episode_record rec;
    make_record(&rec, nrows);
    rec.episode = 0;
    rec.horizon = nrows;
    store_episode(s, &rec);
}

/* The `episodes` row is inserted only once every file of the episode is durable: the
 * second file write fails (the disk is full), so there is no row and the frames stay in
 * the log; the writer retries, and once the files are whole the row appears and the
 * frames are pruned. */
static void test_episode_row_after_durable_files(void **state)
{
    fixture *f = *state;
    log_episode(f->s, "g1", 0, 3, 3);
    store_flush(f->s);
    store_fault_files(1, 1); /* alice's sidecar is written, her CSV is not */
    episode_g1(f->s, 3);
    store_flush(f->s);

    assert_int_equal(count_rows(f, "SELECT count(*) FROM episodes"), 0);
    assert_int_equal(count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log"), 3);
    assert_false(exists(f, "game/alice_ep0.csv"));
    store_health_info h = store_health(f->s);
    assert_true(h.failing);
    assert_int_equal(h.held, 1);
    assert_non_null(strstr(h.last_error, "alice_ep0.csv"));

    /* The fault is spent: the next retry succeeds without anyone's help. */
    assert_true(wait_healthy(f->s, 5000));
    store_flush(f->s);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM episodes WHERE game='g1'"), 1);
    assert_true(exists(f, "game/alice_ep0.csv") && exists(f, "game/bob_ep0.csv"));
    assert_int_equal(count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log"), 0);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/exp1/game", f->root);
    assert_int_equal(count_entries(dir, ".tmp"), 0);
    store_stats st = store_get_stats(f->s);
    assert_int_equal(st.frames_pruned, 3);
    assert_int_equal(st.jobs_dropped, 0);
}

/* An episode whose files never got written before the server stopped stays unwritten:
 * its frames stay in the log, and the next start rebuilds it (as truncated: its last
 * logged row is truncated at the horizon). The close prints what it could not save. */
static void test_unwritten_episode_rebuilt_at_start(void **state)
{
    fixture *f = *state;
    log_episode(f->s, "g1", 0, 3, 3);
    store_fault_files(0, -1);
    episode_g1(f->s, 3);
    store_outcome(f->s, "alice", "completed", "C1", NULL, 5000);
    store_flush(f->s);
    assert_true(store_failing(f->s));
    store_close(f->s); /* retries for a while, then gives the episode up */
    f->s = NULL;
    store_fault_files(0, 0);

    char err[256];
    f->s = store_open(f->root, "exp1", err, sizeof err);
    assert_non_null(f->s);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM episodes"), 0);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM outcomes"), 1);
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 1);
    assert_string_equal(err, "");
    char buf[64];
    sqlite3 *db = open_ro(f);
    assert_string_equal(query_text(db, "SELECT reason || ' ' || frames FROM episodes", buf,
                                   sizeof buf), "truncated 3");
    assert_int_equal(query_int(db, "SELECT coalesce(sum(n), 0) FROM frame_log"), 0);
    sqlite3_close(db);
    json_t *meta = load_meta(f, "bob_ep0.json");
    assert_non_null(meta);
    assert_string_equal(json_string_value(json_object_get(meta, "end_reason")), "truncated");
    json_decref(meta);
}

/* Frames of one episode go once its row commits; another episode's stay. */
static void test_prune_after_write(void **state)
{
    fixture *f = *state;
    log_episode(f->s, "g1", 0, 3, 3);
    log_episode(f->s, "g1", 1, 2, 3);
    episode_g1(f->s, 3);
    store_flush(f->s);
    assert_int_equal(count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log WHERE episode=0"), 0);
    assert_int_equal(count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log WHERE episode=1"), 2);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM episodes"), 1);
    assert_int_equal(store_get_stats(f->s).frames_pruned, 3);
    assert_int_equal(store_get_stats(f->s).frames_logged, 5);
}

/* Start-up finds the log's episodes by seeks in the frame_log primary key, not by scanning
 * the table. */
static void test_rebuild_query_indexed(void **state)
{
    fixture *f = *state;
    sqlite3 *db = open_ro(f);
    char sql[512];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", STORE_NEXT_LOGGED_SQL);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char plan[512] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t used = strlen(plan);
        snprintf(plan + used, sizeof plan - used, "%s;", sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (!strstr(plan, "SEARCH frame_log USING PRIMARY KEY") || strstr(plan, "SCAN") ||
        strstr(plan, "TEMP B-TREE"))
        fail_msg("the log's episodes are not found by the primary key: %s", plan);
}

/* The label of a rebuilt episode comes from its last logged row: the env's terminated or
 * truncated (at the horizon) is kept; an episode that stopped early, or whose log has a
 * gap, is cut. */
static void test_rebuild_labels(void **state)
{
    fixture *f = *state;
    frame_row rows[4];
    for (uint32_t i = 0; i < 4; i++) {
        rows[i] = make_row(i);
        rows[i].truncated = 0;
    }
    const store_seat seats[] = {{"alice", true}};
    const struct {
        const char *game;
        uint32_t n, horizon;
        int terminated_at, truncated_at, skip; /* -1: none */
        const char *want;
        int64_t frames;
    } cases[] = {
        {"gt", 3, 10, 2, -1, -1, "terminated", 3}, /* the env ended it */
        {"gh", 4, 4, -1, 3, -1, "truncated", 4},   /* the horizon */
        {"gc", 3, 10, -1, 2, -1, "cut", 3},        /* a cut marks its last row truncated */
        {"gs", 2, 10, -1, -1, -1, "cut", 2},       /* the server died mid-episode */
        {"gg", 4, 4, -1, 3, 2, "cut", 2},          /* frame 2 lost: only 0..1 replay */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        /* each in its own scene, so that each has its own files */
        store_game(f->s, cases[c].game, cases[c].game, "stub/env", NULL, seats, 1, 1000);
        store_episode_start(f->s, cases[c].game, 0, 5, cases[c].horizon, NULL, 1100);
        for (uint32_t i = 0; i < cases[c].n; i++) {
            frame_row r = rows[i];
            r.terminated = (int)i == cases[c].terminated_at;
            r.truncated = (int)i == cases[c].truncated_at;
            if ((int)i != cases[c].skip)
                store_frames(f->s, cases[c].game, 0, &r, 1);
        }
    }
    char err[256];
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 5);
    sqlite3 *db = open_ro(f);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char sql[160], buf[64], want[64];
        snprintf(sql, sizeof sql, "SELECT reason || ' ' || frames FROM episodes WHERE game='%s'",
                 cases[c].game);
        snprintf(want, sizeof want, "%s %lld", cases[c].want, (long long)cases[c].frames);
        assert_string_equal(query_text(db, sql, buf, sizeof buf), want);
    }
    assert_int_equal(query_int(db, "SELECT coalesce(sum(n), 0) FROM frame_log"), 0);
    sqlite3_close(db);
    /* A cut's last row is marked truncated, as the room marks it; the gap's file ends
     * before the gap; the env's ending is left as it was logged. */
    char *csv = read_scene_file(f, "gc/alice_ep0.csv");
    assert_non_null(strstr(csv, "\n2,0,gc,,alice,2,input,20,0,1,"));
    free(csv);
    csv = read_scene_file(f, "gg/alice_ep0.csv");
    assert_non_null(strstr(csv, "\n1,0,gg,,alice,1,input,0,0,1,"));
    assert_null(strstr(csv, "\n2,0,gg,"));
    free(csv);
    csv = read_scene_file(f, "gt/alice_ep0.csv");
    assert_non_null(strstr(csv, "\n2,0,gt,,alice,2,input,20,1,0,"));
    free(csv);
}

/* Start-up: an `episodes` row whose files are missing (an older version recorded it
 * although its CSV failed) is rebuilt from the log; a row whose files are there only
 * loses its frames; files whole on disk without a row are adopted as they are, even
 * when the log lost frames the files have. */
static void test_rebuild_missing_files(void **state)
{
    fixture *f = *state;
    log_episode(f->s, "gm", 0, 3, 3); /* row, no files */
    log_episode(f->s, "gp", 0, 3, 3); /* row and files */
    log_episode(f->s, "ga", 0, 2, 3); /* files (3 rows), no row, the log lost frame 2 */
    store_flush(f->s);
    /* As an older version wrote them: without the score column added since. */
    exec_rw(f, "INSERT INTO episodes(game, episode, scene, env, seed, horizon, frames, reason,"
               " files, t) VALUES('gm', 0, 'game', 'stub/env', '9', 3, 3,"
               " 'truncated', '[\"game/alice_ep0.csv\"]', 1);"
               "INSERT INTO episodes(game, episode, scene, env, seed, horizon, frames, reason,"
               " files, t) VALUES('gp', 0, 'game', 'stub/env', '9', 3, 3,"
               " 'truncated', '[]', 1);");
    char err[256];
    for (int g = 0; g < 2; g++) {
        episode_record rec;
        make_record(&rec, 3);
        rec.episode = 0;
        snprintf(rec.game, sizeof rec.game, "%s", g ? "ga" : "gp");
        snprintf(rec.scene, sizeof rec.scene, "%s", g ? "scene_a" : "scene_p");
        snprintf(rec.end_reason, sizeof rec.end_reason, "terminated");
        char dir[256];
        snprintf(dir, sizeof dir, "%s/exp1", f->root);
        assert_int_equal(store_write_episode_files(dir, "exp1", &rec, STORE_DATA_MODE, NULL, 0,
                                                   err, sizeof err), 4);
        free(rec.rows);
    }
    exec_rw(f, "UPDATE games SET scene='scene_p' WHERE game='gp';"
               "UPDATE games SET scene='scene_a' WHERE game='ga';");

    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 2);
    assert_string_equal(err, "");
    assert_true(exists(f, "game/alice_ep0.csv") && exists(f, "game/bob_ep0.json"));
    sqlite3 *db = open_ro(f);
    char buf[128];
    assert_string_equal(query_text(db, "SELECT reason || ' ' || frames || ' ' || files FROM"
                                       " episodes WHERE game='gm'", buf, sizeof buf),
                        "truncated 3 [\"game/alice_ep0.csv\",\"game/bob_ep0.csv\"]");
    assert_string_equal(query_text(db, "SELECT reason || ' ' || frames FROM episodes WHERE"
                                       " game='ga'", buf, sizeof buf), "terminated 3");
    assert_string_equal(query_text(db, "SELECT files FROM episodes WHERE game='ga'", buf,
                                   sizeof buf),
                        "[\"scene_a/alice_ep0.csv\",\"scene_a/bob_ep0.csv\"]");
    assert_int_equal(query_int(db, "SELECT coalesce(sum(n), 0) FROM frame_log"), 0);
    sqlite3_close(db);
    /* The adopted files are the whole episode, not the shorter log. */
    char path[512];
    snprintf(path, sizeof path, "%s/exp1/scene_a/alice_ep0.csv", f->root);
    char *csv = test_read_file(path, NULL);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "\n2,0,ga,,alice,"));
    free(csv);
    /* Nothing left: the next start does nothing. */
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 0);
    assert_string_equal(err, "");
    /* Files deleted after their frames were pruned cannot come back: said, not hidden. */
    snprintf(path, sizeof path, "%s/exp1/game/bob_ep0.csv", f->root);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(store_rebuild_episodes(f->s, "exp1", stub_find_env, err, sizeof err), 0);
    assert_non_null(strstr(err, "game gm episode 0: files missing"));
}

/* Folders 0700 and files 0600 whatever the umask; COHORT_DATA_MODE relaxes it for a
 * group (0750: files 0640) and refuses what would let others write. */
static void check_modes(const char *root, unsigned dmode)
{
    const char *dirs[] = {"exp1", "exp1/game", "exp1/consent"};
    const char *files[] = {"exp1/cohort.db",          "exp1/cohort.db-wal",
                           "exp1/game/alice_ep1.csv", "exp1/game/alice_ep1.json",
                           "exp1/consent/alice_form.json"};
    char path[512];
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        if (mode_of(path) != dmode)
            fail_msg("%s is %o, not %o", path, mode_of(path), dmode);
    }
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        if (mode_of(path) != (dmode & 0666))
            fail_msg("%s is %o, not %o", path, mode_of(path), dmode & 0666);
    }
}

static void write_some(store *s)
{
    episode_record rec;
    make_record(&rec, 3);
    store_episode(s, &rec);
    store_form(s, "alice", "consent", "{}", 1);
    store_flush(s);
    assert_int_equal(store_get_stats(s).errors, 0);
}

static void test_modes(void **state)
{
    fixture *f = *state;
    mode_t old = umask(0); /* would make everything world-writable if modes were left to it */
    char err[256];
    f->s = store_open(f->root, "exp1", err, sizeof err);
    assert_non_null(f->s);
    write_some(f->s);
    check_modes(f->root, 0700);
    store_close(f->s);
    f->s = NULL;

    /* Reopened with a group mode under a strict umask: the store's folder and database
     * follow the setting, new folders and files get it. */
    umask(077);
    setenv("COHORT_DATA_MODE", "0750", 1);
    test_rm_tree(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    f->s = store_open(f->root, "exp1", err, sizeof err);
    assert_non_null(f->s);
    write_some(f->s);
    check_modes(f->root, 0750);
    store_close(f->s);
    f->s = NULL;

    const char *bad[] = {"0777", "0755x", "0600", "0770", "9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("COHORT_DATA_MODE", bad[i], 1);
        assert_null(store_open(f->root, "exp1", err, sizeof err));
        assert_non_null(strstr(err, "COHORT_DATA_MODE"));
    }
    unsetenv("COHORT_DATA_MODE");
    umask(old);
}

/* A frames transaction that fails (here a trigger rolls the whole transaction back, as
 * SQLite may on a full disk) loses only frames: outcomes, forms and sessions queued in the
 * same batch are committed in their own transaction first. */
static void test_outcomes_survive_frames_failure(void **state)
{
    fixture *f = *state;
    store_flush(f->s);
    exec_rw(f, "CREATE TRIGGER frames_fail BEFORE INSERT ON frame_log"
               " BEGIN SELECT RAISE(ROLLBACK, 'no room for frames'); END;");
    frame_row rows[3] = {make_row(0), make_row(1), make_row(2)};
    store_test_pause(f->s, true); /* one batch: everything below in the same cycle */
    store_frames(f->s, "g1", 0, rows, 3);
    store_outcome(f->s, "alice", "completed", "C1", NULL, 10);
    store_frames(f->s, "g1", 0, rows, 2);
    store_form(f->s, "alice", "consent", "{\"a\":\"1\"}", 11);
    store_session(f->s, "alice", "disconnect", NULL, 12);
    store_event(f->s, "alice", NULL, "hidden", NULL, 13);
    store_test_resume(f->s);

    assert_int_equal(count_rows(f, "SELECT count(*) FROM outcomes WHERE code='C1'"), 1);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM forms"), 1);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM sessions"), 1);
    assert_int_equal(count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log"), 0);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM events"), 0);
    store_stats st = store_get_stats(f->s);
    assert_int_equal(st.frames_dropped, 5);
    assert_int_equal(st.jobs_dropped, 3);
    assert_true(st.health.failing);
    assert_non_null(strstr(st.health.last_error, "no room for frames"));

    /* Frames go in again once the cause is gone, and the store says it is healthy. */
    exec_rw(f, "DROP TRIGGER frames_fail;");
    store_frames(f->s, "g1", 0, rows, 3);
    assert_true(wait_healthy(f->s, 5000));
    store_flush(f->s);
    assert_int_equal(count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log"), 3);
}

/* A commit of important rows that fails keeps them; they are retried until they are in,
 * once each, and the store is healthy again by itself. */
static void test_important_retried(void **state)
{
    fixture *f = *state;
    store_fault_commits(0, 1); /* the important transaction's COMMIT */
    frame_row r = make_row(0);
    store_test_pause(f->s, true);
    store_outcome(f->s, "alice", "completed", "C1", NULL, 10);
    store_wait(f->s, "alice", "game", 1, 2, "matched", "g1");
    store_frames(f->s, "g1", 0, &r, 1);
    store_test_resume(f->s);

    assert_int_equal(count_rows(f, "SELECT count(*) FROM outcomes"), 0);
    assert_int_equal(count_rows(f, "SELECT coalesce(sum(n), 0) FROM frame_log"), 1); /* its own commit */
    store_health_info h = store_health(f->s);
    assert_true(h.failing);
    assert_int_equal(h.held, 2);
    assert_true(h.held_bytes > 0);
    assert_non_null(strstr(h.last_error, "commit"));

    assert_true(wait_healthy(f->s, 5000));
    store_flush(f->s);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM outcomes WHERE code='C1'"), 1);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM waits"), 1);
    store_stats st = store_get_stats(f->s);
    assert_int_equal(st.jobs_dropped, 0);
    assert_int_equal(st.jobs_done, st.jobs_queued);
    assert_int_equal(st.health.held_bytes, 0);
}

/* A form file that fails to write is retried; its row does not wait for it. */
static void test_form_file_retried(void **state)
{
    fixture *f = *state;
    store_fault_files(0, -1);
    store_form(f->s, "alice", "consent", "{\"agree\":\"yes\"}", 10);
    store_flush(f->s);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM forms"), 1);
    assert_false(exists(f, "consent/alice_form.json"));
    assert_true(store_failing(f->s));
    assert_int_equal(store_health(f->s).held, 1);
    store_fault_files(0, 0);
    assert_true(wait_healthy(f->s, 5000));
    assert_true(exists(f, "consent/alice_form.json"));
    assert_int_equal(count_rows(f, "SELECT count(*) FROM forms"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_layout),
        cmocka_unit_test(test_safe_name),
        cmocka_unit_test(test_open_refuses_bad_args),
        cmocka_unit_test(test_null_store),
        cmocka_unit_test_setup_teardown(test_one_store_per_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_people_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_episode_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_episode_refuses_unsafe_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_durable_within_a_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_under_load_drains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_reads_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_ignores_ai_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seat_and_episode_start_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_without_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_skips_unrecorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_database_opens, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_load_participants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_party_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_episode_row_after_durable_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_episode_rebuilt_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_after_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_query_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_outcomes_survive_frames_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_important_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_form_file_retried, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
