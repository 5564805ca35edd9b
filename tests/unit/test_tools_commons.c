/* `cohort compare` and `cohort replay` (src/tools) on a four-seat game: one episode of
 * commons/harvest played natively (two scripted harvesters, two seats wandering and
 * tagging), written through the store as the server writes it, one file per seat. Every
 * pair of files is the same trajectory, each replays, and a change in the fourth seat's
 * columns is caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "store/store.h"
#include "tools/tools.h"
#include "support.h"

#define ENV_NAME "commons/harvest"
#define HORIZON 300
#define SEATS 4

static char root[64];
static char files[SEATS][256];
static const char *const NAMES[SEATS] = {"ann", "ben", "cat", "dan"};

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

static int play(episode_record *rec, const env_def *env)
{
    uint8_t *state = calloc(1, env->state_size);
    rec->rows = calloc(HORIZON, sizeof *rec->rows);
    if (!state || !rec->rows)
        return -1;
    env->reset(state, rec->seed, rec->horizon);
    uint32_t n = 0, lcg = 7;
    for (; n < HORIZON; n++) {
        int32_t a[ENV_MAX_PLAYERS] = {0};
        a[0] = env->policy(0, state, 0);
        a[1] = env->policy(1, state, 1);
        for (int k = 2; k < SEATS; k++) {
            lcg = lcg * 1664525u + 1013904223u;
            a[k] = (int32_t)((lcg >> 24) % env->actions);
        }
        env_step_out out;
        memset(&out, 0, sizeof out);
        env->step(state, a, &out);
        frame_row *r = &rec->rows[n];
        r->frame = n;
        for (int k = 0; k < SEATS; k++) {
            r->actions[k] = (uint8_t)a[k];
            r->sources[k] = SOURCE_INPUT;
            r->rewards[k] = out.rewards[k];
            r->verified[k] = 1;
            r->focused[k] = 1;
        }
        r->terminated = out.terminated;
        r->truncated = out.truncated || n + 1 == HORIZON;
        memcpy(r->info, out.info, sizeof r->info);
        r->hash = env_hash(state, env->state_size);
        r->t_ms = n * 33;
        if (r->terminated || r->truncated) {
            n++;
            break;
        }
    }
    rec->nrows = n;
    free(state);
    return 0;
}

static int group_setup(void **unused)
{
    const env_def *env = env_find(ENV_NAME);
    if (!env || env->players != SEATS || !test_tmpdir_new(root, sizeof root, "tools4"))
        return -1;
    char err[256];
    store *s = store_open(root, "exp", err, sizeof err);
    if (!s)
        return -1;
    episode_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.scene, sizeof rec.scene, "game");
    snprintf(rec.game, sizeof rec.game, "g4");
    snprintf(rec.env, sizeof rec.env, "%s", ENV_NAME);
    rec.seed = 0x1234abcd5678ef90ull;
    rec.horizon = HORIZON;
    rec.nseats = SEATS;
    for (int k = 0; k < SEATS; k++) {
        snprintf(rec.seat_names[k], sizeof rec.seat_names[k], "%s", NAMES[k]);
        rec.seat_is_human[k] = true;
    }
    rec.ninfo = env->ninfo;
    for (uint32_t i = 0; i < env->ninfo; i++)
        snprintf(rec.info_names[i], sizeof rec.info_names[i], "%s", env->info_names[i]);
    snprintf(rec.end_reason, sizeof rec.end_reason, "truncated");
    if (play(&rec, env) != 0)
        return -1;
    store_episode(s, &rec);
    store_close(s);
    for (int k = 0; k < SEATS; k++) {
        snprintf(files[k], sizeof files[k], "%s/exp/game/%s_ep0.csv", root, NAMES[k]);
        if (access(files[k], F_OK) != 0)
            return -1;
    }
    return 0;
}

static int group_teardown(void **unused) { return test_rm_tree(root); }

/* dst: src with the cell of data row `row` in `column` set to value; sidecar copied. */
static void tampered(const char *src, const char *dst, size_t row, const char *column,
                     const char *value)
{
    csv_file f;
    char err[256];
    assert_int_equal(csv_load(src, &f, err, sizeof err), 0);
    long col = csv_col(&f, column);
    assert_true(col >= 0);
    FILE *fp = fopen(dst, "wb");
    assert_non_null(fp);
    for (size_t r = 0; r <= f.nrows; r++) {
        for (size_t c = 0; c < f.ncols; c++)
            fprintf(fp, "%s%s", c ? "," : "",
                    r == row + 1 && (long)c == col ? value : f.cells[r * f.ncols + c]);
        fputc('\n', fp);
    }
    fclose(fp);
    csv_free(&f);
    char sj[300], dj[300];
    snprintf(sj, sizeof sj, "%.*s.json", (int)strlen(src) - 4, src);
    snprintf(dj, sizeof dj, "%.*s.json", (int)strlen(dst) - 4, dst);
    char *meta = test_read_file(sj, NULL);
    assert_non_null(meta);
    test_write_file(dj, meta);
    free(meta);
}

static void four_files_one_trajectory(void **unused)
{
    char out[512];
    csv_file f;
    char err[256];
    assert_int_equal(csv_load(files[3], &f, err, sizeof err), 0);
    assert_true(csv_col(&f, "seat.3") >= 0 && csv_col(&f, "reward.3") >= 0);
    assert_true(csv_col(&f, "seat.4") < 0);
    assert_true(csv_col(&f, "info.apples") >= 0);
    long r0 = csv_col(&f, "reward.0");
    int eaten = 0;
    for (size_t r = 0; r < f.nrows; r++)
        eaten += atoi(csv_cell(&f, r, (size_t)r0));
    assert_true(eaten > 0); /* the harvester ate: rewards are not all zero */
    csv_free(&f);
    for (int k = 1; k < SEATS; k++) {
        char *argv[] = {"compare", files[0], files[k], NULL};
        assert_int_equal(run_captured(cmd_compare, 3, argv, out, sizeof out), 0);
    }
    for (int k = 0; k < SEATS; k++) {
        char *argv[] = {"replay", files[k], NULL};
        assert_int_equal(run_captured(cmd_replay, 2, argv, out, sizeof out), 0);
    }
}

static void a_change_in_the_fourth_seat_is_caught(void **unused)
{
    char t[256], out[512];
    snprintf(t, sizeof t, "%s/exp/game/t_reward.csv", root);
    tampered(files[0], t, 40, "reward.3", "7");
    char *rep[] = {"replay", t, NULL};
    assert_int_equal(run_captured(cmd_replay, 2, rep, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame 40"));
    char *cmp[] = {"compare", files[1], t, NULL};
    assert_int_equal(run_captured(cmd_compare, 3, cmp, out, sizeof out), 1);
    assert_non_null(strstr(out, "reward.3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_files_one_trajectory),
        cmocka_unit_test(a_change_in_the_fourth_seat_is_caught),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
