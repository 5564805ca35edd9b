/* Unit tests for src/store: the queue and writer thread, the schema, the frame log, and
 * the episode and form files. Every test works in a fresh temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/store.h"
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
    "frame,episode,game,seat.0,seat.1,action.0,action.1,source.0,source.1,reward.0,reward.1,"
    "terminated,truncated,info.soups,info.dropped,hash,verified.0,verified.1,focused.0,"
    "focused.1,t_ms";

static const char EXPECTED_CSV[] =
    "frame,episode,game,seat.0,seat.1,action.0,action.1,source.0,source.1,reward.0,reward.1,"
    "terminated,truncated,info.soups,info.dropped,hash,verified.0,verified.1,focused.0,"
    "focused.1,t_ms\n"
    "0,1,g1,alice,bob,0,1,input,ai,0,0,0,0,0,-7,fedcba9876543210,1,0,1,1,0\n"
    "1,1,g1,alice,bob,1,2,input,default,0,0,0,0,1,-7,fedcba9876543211,1,,1,1,33\n"
    "2,1,g1,alice,bob,2,3,input,ai,20,-3,0,1,2,-7,fedcba9876543212,1,0,1,0,66\n";

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
    assert_string_equal(buf, "1,1,g1,alice,bob,1,2,input,default,0,0,0,0,1,-7,"
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

/* Every function tolerates a NULL store (and the optional NULL arguments). */
static void test_null_store(void **state)
{
    (void)state;
    store_participant(NULL, "a", NULL, NULL, 1);
    store_session(NULL, "a", "connect", NULL, 1);
    store_scene_visit(NULL, "a", 0, "s", 1);
    store_form(NULL, "a", "s", NULL, 1);
    store_wait(NULL, "a", "s", 1, 2, "matched", NULL);
    store_outcome(NULL, "a", "completed", NULL, NULL, 1);
    store_event(NULL, NULL, NULL, "x", NULL, 1);
    store_match(NULL, "g", "s", NULL, NULL, 1);
    store_game(NULL, "g", "s", "e", NULL, 1);
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
    store_participant(s, "alice", "tok1", "{\"STUDY_ID\":\"s1\"}", 1000);
    store_participant(s, "alice", "tok2", NULL, 2000); /* new token, keeps params+created */
    store_participant(s, "bob", NULL, NULL, 1500);
    store_session(s, "alice", "connect", NULL, 1001);
    store_session(s, "alice", "disconnect", "{\"code\":1006}", 1002);
    store_scene_visit(s, "alice", 0, "welcome", 1003);
    store_scene_visit(s, "alice", 1, "consent", 1004);
    store_form(s, "alice", "consent", "{\"agree\":\"yes\",\"age\":\"31\"}", 1005);
    store_form(s, "bob", "consent", NULL, 1006);
    store_form(s, "../evil", "consent", "{}", 1007); /* refused: no file, an error */
    store_wait(s, "alice", "game", 2000, 2750, "matched", "g1");
    store_wait(s, "carol", "game", 2000, 5000, "timeout", NULL);
    store_match(s, "g1", "game", "[\"alice\",\"bob\"]", "[40,55]", 2750);
    store_game(s, "g1", "game", "cooking/cramped_room", "[\"human\",\"human\"]", 2800);
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
        json_decref(meta);
    }
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
    assert_int_equal(query_int(db, "SELECT count(*) FROM frames WHERE game='g1'"), 100);
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
    assert_int_equal(query_int(db, "SELECT count(*) FROM frames"),
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
    store_participant(f->s, "alice", "t", NULL, 1);
    store_close(f->s);
    char err[256];
    f->s = store_open(f->root, "exp1", err, sizeof err);
    assert_non_null(f->s);
    store_participant(f->s, "bob", "t", NULL, 2);
    store_flush(f->s);
    sqlite3 *db = open_ro(f);
    assert_int_equal(query_int(db, "SELECT count(*) FROM participants"), 2);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_layout),
        cmocka_unit_test(test_safe_name),
        cmocka_unit_test(test_open_refuses_bad_args),
        cmocka_unit_test(test_null_store),
        cmocka_unit_test_setup_teardown(test_people_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_episode_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_episode_refuses_unsafe_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_durable_within_a_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_under_load_drains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
