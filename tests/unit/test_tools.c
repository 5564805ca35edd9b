/* Unit tests for `cohort compare` and `cohort replay` (src/tools).
 *
 * The fixture is real: the group setup plays one episode of cooking/cramped_room natively
 * (both seats driven by the env's scripted policy, so soups get served and rewards are
 * non-zero), writes it through the store exactly as the server does, and each test then
 * checks the files or a tampered copy of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "store/store.h"
#include "tools/tools.h"
#include "support.h"

#define ENV_NAME "cooking/cramped_room"
#define HORIZON 150
#define TAMPER_FRAME 10 /* the frame whose action the tamper test changes */

static char root[64];      /* temporary data folder */
static char dir[128];      /* root/exp/game: the episode files */
static char alice[256], bob[256];
static int tamper_action = -1; /* an action for TAMPER_FRAME, seat 0, that changes the state */

/* ---- helpers ------------------------------------------------------------------------ */

/* Runs a command with stdout captured into out (truncated to len). Returns its status. */
static int run_captured(int (*cmd)(int, char **), int argc, char **argv, char *out, size_t len)
{
    char path[160];
    snprintf(path, sizeof path, "%s/stdout.txt", root);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    int rc = cmd(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    char *text = test_read_file(path, NULL);
    snprintf(out, len, "%s", text ? text : "");
    free(text);
    return rc;
}

static int compare(const char *a, const char *b, char *out, size_t len)
{
    char *argv[] = {"compare", (char *)a, (char *)b, NULL};
    return run_captured(cmd_compare, 3, argv, out, len);
}

static int replay(const char *a, char *out, size_t len)
{
    char *argv[] = {"replay", (char *)a, NULL};
    return run_captured(cmd_replay, 2, argv, out, len);
}

/* dst.csv: a copy of src.csv with one change: the cell (row, column) set to `value`, or,
 * when column is NULL, data row `row` left out. src's sidecar JSON is copied beside it. */
static void tampered_copy(const char *src, const char *dst, size_t row, const char *column,
                          const char *value)
{
    csv_file f;
    char err[256];
    assert_int_equal(csv_load(src, &f, err, sizeof err), 0);
    long col = column ? csv_col(&f, column) : -1;
    assert_true(!column || col >= 0);
    FILE *fp = fopen(dst, "wb");
    assert_non_null(fp);
    for (size_t r = 0; r <= f.nrows; r++) { /* r == 0 is the header */
        if (!column && r == row + 1)
            continue;
        for (size_t c = 0; c < f.ncols; c++) {
            const char *cell = f.cells[r * f.ncols + c];
            if (column && r == row + 1 && (long)c == col)
                cell = value;
            fprintf(fp, "%s%s", c ? "," : "", cell);
        }
        fputc('\n', fp);
    }
    fclose(fp);
    csv_free(&f);

    char sjson[300], djson[300];
    snprintf(sjson, sizeof sjson, "%.*s.json", (int)strlen(src) - 4, src);
    snprintf(djson, sizeof djson, "%.*s.json", (int)strlen(dst) - 4, dst);
    char *meta = test_read_file(sjson, NULL);
    assert_non_null(meta);
    test_write_file(djson, meta);
    free(meta);
}

static void path_in_dir(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* ---- the fixture: one real episode ------------------------------------------------ */

static int play_episode(episode_record *rec, const env_def *env)
{
    void *state = calloc(1, env->state_size), *before = calloc(1, env->state_size);
    rec->rows = calloc(HORIZON, sizeof *rec->rows);
    if (!state || !before || !rec->rows)
        return -1;
    env->reset(state, rec->seed, rec->horizon);
    uint32_t n = 0;
    for (; n < HORIZON; n++) {
        int32_t actions[ENV_MAX_PLAYERS] = {0};
        for (uint32_t k = 0; k < env->players; k++)
            actions[k] = env->policy ? env->policy(0, state, k) : (int32_t)((n + k) % 6);
        memcpy(before, state, env->state_size);
        env_step_out out;
        memset(&out, 0, sizeof out);
        env->step(state, actions, &out);
        uint64_t hash = env_hash(state, env->state_size);

        /* Find an action for seat 0 at TAMPER_FRAME that leads to a different state, so
         * the tamper test changes something the replay can see. */
        if (n == TAMPER_FRAME) {
            void *probe = calloc(1, env->state_size);
            for (int32_t a = 0; a < (int32_t)env->actions && tamper_action < 0; a++) {
                if (a == actions[0])
                    continue;
                int32_t alt[ENV_MAX_PLAYERS];
                memcpy(alt, actions, sizeof alt);
                alt[0] = a;
                memcpy(probe, before, env->state_size);
                env_step_out o2;
                env->step(probe, alt, &o2);
                if (env_hash(probe, env->state_size) != hash)
                    tamper_action = a;
            }
            free(probe);
        }

        frame_row *r = &rec->rows[n];
        r->frame = n;
        for (uint32_t k = 0; k < env->players; k++) {
            r->actions[k] = (uint8_t)actions[k];
            r->sources[k] = k == 0 ? SOURCE_INPUT : SOURCE_DEFAULT;
            r->rewards[k] = out.rewards[k];
            r->verified[k] = n % 3 == 0 ? -1 : 1; /* not every frame is reported */
            r->focused[k] = 1;
        }
        r->terminated = out.terminated;
        r->truncated = out.truncated;
        memcpy(r->info, out.info, sizeof r->info);
        r->hash = hash;
        r->t_ms = n * 33;
        if (out.terminated || out.truncated) {
            n++;
            break;
        }
    }
    rec->nrows = n;
    free(state);
    free(before);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    const env_def *env = env_find(ENV_NAME);
    if (!env) {
        fprintf(stderr, "test_tools: env %s is not registered\n", ENV_NAME);
        return -1;
    }
    if (!test_tmpdir_new(root, sizeof root, "tools"))
        return -1;
    char err[256];
    store *s = store_open(root, "exp", err, sizeof err);
    if (!s) {
        fprintf(stderr, "test_tools: %s\n", err);
        return -1;
    }

    episode_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.scene, sizeof rec.scene, "game");
    snprintf(rec.game, sizeof rec.game, "g7");
    snprintf(rec.env, sizeof rec.env, "%s", ENV_NAME);
    rec.episode = 0;
    rec.seed = 0xdeadbeefcafef00dull;
    rec.horizon = HORIZON;
    rec.nseats = env->players;
    snprintf(rec.seat_names[0], sizeof rec.seat_names[0], "alice");
    snprintf(rec.seat_names[1], sizeof rec.seat_names[1], "bob");
    rec.seat_is_human[0] = rec.seat_is_human[1] = true;
    rec.ninfo = env->ninfo;
    for (uint32_t i = 0; i < env->ninfo; i++)
        snprintf(rec.info_names[i], sizeof rec.info_names[i], "%s", env->info_names[i]);
    snprintf(rec.end_reason, sizeof rec.end_reason, "truncated");
    if (play_episode(&rec, env) != 0)
        return -1;
    store_episode(s, &rec);
    store_close(s);

    snprintf(dir, sizeof dir, "%s/exp/game", root);
    path_in_dir(alice, sizeof alice, "alice_ep0.csv");
    path_in_dir(bob, sizeof bob, "bob_ep0.csv");
    return access(alice, F_OK) == 0 && access(bob, F_OK) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return test_rm_tree(root);
}

/* ---- compare ------------------------------------------------------------------------ */

static void test_fixture_is_meaningful(void **state)
{
    (void)state;
    csv_file f;
    char err[256];
    assert_int_equal(csv_load(alice, &f, err, sizeof err), 0);
    assert_int_equal(f.nrows, HORIZON);
    /* Some reward was earned, so a changed reward is not a changed zero by luck only. */
    long col = csv_col(&f, "reward.0");
    bool rewarded = false;
    for (size_t r = 0; r < f.nrows; r++)
        rewarded |= strcmp(csv_cell(&f, r, (size_t)col), "0") != 0;
    assert_true(rewarded);
    csv_free(&f);
    assert_true(tamper_action >= 0);
}

static void test_compare_identical(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(compare(alice, bob, out, sizeof out), 0);
    assert_non_null(strstr(out, "same trajectory"));
    assert_int_equal(compare(alice, alice, out, sizeof out), 0);
}

static void test_compare_changed_action(void **state)
{
    (void)state;
    char b2[256], out[512];
    path_in_dir(b2, sizeof b2, "cmp_action.csv");
    tampered_copy(bob, b2, 117, "action.1", "9");
    assert_int_equal(compare(alice, b2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 117: action.1 differs: "));
    assert_non_null(strstr(out, " vs 9\n"));
}

static void test_compare_changed_reward(void **state)
{
    (void)state;
    char b2[256], out[512];
    path_in_dir(b2, sizeof b2, "cmp_reward.csv");
    tampered_copy(bob, b2, 40, "reward.0", "7");
    assert_int_equal(compare(alice, b2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 40: reward.0 differs: "));
    assert_non_null(strstr(out, " vs 7\n"));
}

static void test_compare_dropped_row(void **state)
{
    (void)state;
    char b2[256], out[512];
    path_in_dir(b2, sizeof b2, "cmp_drop.csv");
    tampered_copy(bob, b2, 60, NULL, NULL);
    assert_int_equal(compare(alice, b2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 60: frame differs: 60 vs 61"));

    /* The last row missing: only the row count tells. */
    tampered_copy(bob, b2, HORIZON - 1, NULL, NULL);
    assert_int_equal(compare(alice, b2, out, sizeof out), 1);
    assert_non_null(strstr(out, "row count differs"));
    assert_non_null(strstr(out, "frame 149"));
    assert_int_equal(compare(b2, alice, out, sizeof out), 1);
}

static void test_compare_verified_mismatch(void **state)
{
    (void)state;
    char a2[256], b2[256], out[512];
    path_in_dir(a2, sizeof a2, "cmp_ver_a.csv");
    path_in_dir(b2, sizeof b2, "cmp_ver_b.csv");
    /* Both files agree, but seat 0's browser had reported a different hash at frame 40. */
    tampered_copy(alice, a2, 40, "verified.0", "0");
    tampered_copy(bob, b2, 40, "verified.0", "0");
    assert_int_equal(compare(a2, b2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 40: verified.0 = 0 (seat 0's browser reported a "
                                "different hash)"));
}

static void test_compare_usage_and_io(void **state)
{
    (void)state;
    char out[512], missing[256], ragged[256];
    char *argv[] = {"compare", alice, NULL};
    assert_int_equal(run_captured(cmd_compare, 2, argv, out, sizeof out), 2);
    path_in_dir(missing, sizeof missing, "nope.csv");
    assert_int_equal(compare(alice, missing, out, sizeof out), 2);
    path_in_dir(ragged, sizeof ragged, "ragged.csv");
    test_write_file(ragged, "frame,x\n0,1\n1\n");
    assert_int_equal(compare(ragged, alice, out, sizeof out), 2);
    test_write_file(ragged, "frame,hash\n0,\"unterminated\n");
    assert_int_equal(compare(alice, ragged, out, sizeof out), 2);
}

/* ---- replay ------------------------------------------------------------------------- */

static void test_replay_good(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(replay(alice, out, sizeof out), 0);
    assert_string_equal(out, "replay: 150 frames ok\n");
    assert_int_equal(replay(bob, out, sizeof out), 0);
}

static void test_replay_changed_action(void **state)
{
    (void)state;
    char a2[256], out[512], value[8];
    path_in_dir(a2, sizeof a2, "rep_action.csv");
    snprintf(value, sizeof value, "%d", tamper_action);
    tampered_copy(alice, a2, TAMPER_FRAME, "action.0", value);
    assert_int_equal(replay(a2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 10: "));
}

static void test_replay_changed_reward(void **state)
{
    (void)state;
    char a2[256], out[512];
    path_in_dir(a2, sizeof a2, "rep_reward.csv");
    tampered_copy(alice, a2, 33, "reward.1", "5");
    assert_int_equal(replay(a2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 33: reward.1 differs: recorded 5, replay "));
}

static void test_replay_dropped_row(void **state)
{
    (void)state;
    char a2[256], out[512];
    path_in_dir(a2, sizeof a2, "rep_drop.csv");
    tampered_copy(alice, a2, 70, NULL, NULL);
    assert_int_equal(replay(a2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 70: missing"));

    /* The last row dropped: the sidecar's row count catches it. */
    tampered_copy(alice, a2, HORIZON - 1, NULL, NULL);
    assert_int_equal(replay(a2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 149: missing"));
}

/* dst: the first `keep` rows of src, the last of them marked truncated, as the server
 * writes an episode it cut short (a partner dropped, the server stopped); the sidecar
 * says end_reason `reason` and the new row count. */
static void cut_copy(const char *src, const char *dst, size_t keep, const char *reason)
{
    csv_file f;
    char err[256];
    assert_int_equal(csv_load(src, &f, err, sizeof err), 0);
    long trunc = csv_col(&f, "truncated");
    FILE *fp = fopen(dst, "wb");
    assert_non_null(fp);
    for (size_t r = 0; r <= keep; r++) {
        for (size_t c = 0; c < f.ncols; c++) {
            const char *cell = f.cells[r * f.ncols + c];
            if (r == keep && (long)c == trunc)
                cell = "1";
            fprintf(fp, "%s%s", c ? "," : "", cell);
        }
        fputc('\n', fp);
    }
    fclose(fp);
    csv_free(&f);
    char sjson[300], djson[300];
    snprintf(sjson, sizeof sjson, "%.*s.json", (int)strlen(src) - 4, src);
    snprintf(djson, sizeof djson, "%.*s.json", (int)strlen(dst) - 4, dst);
    json_t *meta = json_load_file(sjson, 0, NULL);
    assert_non_null(meta);
    json_object_set_new(meta, "rows", json_integer((json_int_t)keep));
    json_object_set_new(meta, "end_reason", json_string(reason));
    assert_int_equal(json_dump_file(meta, djson, 0), 0);
    json_decref(meta);
}

static void test_replay_cut_episode(void **state)
{
    (void)state;
    char a2[256], out[512];
    path_in_dir(a2, sizeof a2, "rep_cut.csv");
    /* A partial episode the server cut: its last row carries the server's truncated mark. */
    cut_copy(alice, a2, 60, "cut");
    assert_int_equal(replay(a2, out, sizeof out), 0);
    assert_string_equal(out, "replay: 60 frames ok\n");
    /* The same file claiming the env truncated it on its own is caught. */
    cut_copy(alice, a2, 60, "truncated");
    assert_int_equal(replay(a2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 59: truncated differs: recorded 1, replay 0"));
}

static void test_replay_changed_hash_and_info(void **state)
{
    (void)state;
    char a2[256], out[512];
    path_in_dir(a2, sizeof a2, "rep_hash.csv");
    tampered_copy(alice, a2, 5, "hash", "0000000000000000");
    assert_int_equal(replay(a2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 5: hash differs: recorded 0000000000000000"));
    tampered_copy(alice, a2, 6, "truncated", "1");
    assert_int_equal(replay(a2, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 6: truncated differs"));
}

static void test_replay_usage_and_io(void **state)
{
    (void)state;
    char out[512], path[256];
    char *argv[] = {"replay", NULL};
    assert_int_equal(run_captured(cmd_replay, 1, argv, out, sizeof out), 2);
    path_in_dir(path, sizeof path, "nope.csv");
    assert_int_equal(replay(path, out, sizeof out), 2); /* no sidecar */

    /* An env that is not linked in. */
    char a2[256], json[256];
    path_in_dir(a2, sizeof a2, "rep_env.csv");
    tampered_copy(alice, a2, 0, "frame", "0");
    path_in_dir(json, sizeof json, "rep_env.json");
    test_write_file(json, "{\"env\":\"nope/nope\",\"seed\":\"1\",\"horizon\":10}");
    assert_int_equal(replay(a2, out, sizeof out), 2);
    test_write_file(json, "{\"env\":\"" ENV_NAME "\",\"seed\":-1,\"horizon\":10}");
    assert_int_equal(replay(a2, out, sizeof out), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_is_meaningful),
        cmocka_unit_test(test_compare_identical),
        cmocka_unit_test(test_compare_changed_action),
        cmocka_unit_test(test_compare_changed_reward),
        cmocka_unit_test(test_compare_dropped_row),
        cmocka_unit_test(test_compare_verified_mismatch),
        cmocka_unit_test(test_compare_usage_and_io),
        cmocka_unit_test(test_replay_good),
        cmocka_unit_test(test_replay_changed_action),
        cmocka_unit_test(test_replay_changed_reward),
        cmocka_unit_test(test_replay_dropped_row),
        cmocka_unit_test(test_replay_changed_hash_and_info),
        cmocka_unit_test(test_replay_cut_episode),
        cmocka_unit_test(test_replay_usage_and_io),
    };
    return cmocka_run_group_tests_name("tools", tests, group_setup, group_teardown);
}
