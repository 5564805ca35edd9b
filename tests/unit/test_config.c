/*
 * Experiment file loading (src/config): good files with every field and with defaults,
 * the shipped experiments, one broken file per rule checked against its exact message,
 * and hostile input that must fail cleanly.
 *
 * Run from the repo root (`make test-unit`), or set COHORT_ROOT to the repo root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "texts/texts.h"
#include "support.h"

/* ---- fake env registry ---- */

typedef struct {
    int lookups;
} fake_registry;

static fake_registry registry;

static bool fake_env_lookup(const char *env, int *players, int *actions, int *horizon, void *ctx)
{
    assert_ptr_equal(ctx, &registry);
    registry.lookups++;
    static const struct {
        const char *name;
        int players, actions, horizon;
    } envs[] = {
        {"cooking/cramped_room", 2, 6, 400},
        {"volley/slime", 2, 6, 3600},
        {"tiny/four", 1, 4, 100},
        {"commons/harvest", 4, 6, 1800},
    };
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        if (strcmp(env, envs[i].name) == 0) {
            *players = envs[i].players;
            *actions = envs[i].actions;
            *horizon = envs[i].horizon;
            return true;
        }
    }
    return false;
}

static bool fake_policy_exists(const char *env, const char *policy, void *ctx)
{
    assert_ptr_equal(ctx, &registry);
    return (strcmp(env, "cooking/cramped_room") == 0 && strcmp(policy, "greedy") == 0) ||
           (strcmp(env, "volley/slime") == 0 && strcmp(policy, "tracker") == 0) ||
           (strcmp(env, "commons/harvest") == 0 &&
            (strcmp(policy, "sustainable") == 0 || strcmp(policy, "greedy") == 0));
}

/* The cooking env computes the observations the shipped agents read; nothing else does. */
static bool fake_obs_exists(const char *env, const char *obs, void *ctx)
{
    assert_ptr_equal(ctx, &registry);
    return strcmp(env, "cooking/cramped_room") == 0 &&
           (strcmp(obs, "lossless2019") == 0 || strcmp(obs, "lossless") == 0);
}

static const config_hooks hooks = {.env_lookup = fake_env_lookup,
                                   .policy_exists = fake_policy_exists,
                                   .obs_exists = fake_obs_exists,
                                   .ctx = &registry};

/* ---- paths ---- */

/* "" or "ROOT/": what to put before a repo-relative path. */
static const char *root(void)
{
    static char prefix[PATH_MAX];
    const char *r = getenv("COHORT_ROOT");
    if (r && *r)
        snprintf(prefix, sizeof prefix, "%.*s/", PATH_MAX - 2, r);
    return prefix;
}

static void fixture(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%stests/unit/configs/%s", root(), name);
}

/* experiment is large (128 scenes): keep it off the stack. */
static experiment x;
static char err[2048];

static void load_ok(const char *path)
{
    int rc = config_load(path, &hooks, &x, err, sizeof err);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
}

static void expect_page(const scene_spec *s, const char *rel)
{
    char path[PATH_MAX], real[PATH_MAX];
    fixture(path, sizeof path, rel);
    assert_non_null(realpath(path, real));
    assert_string_equal(s->page, real);
    assert_true(s->page[0] == '/');
}

/* ---- good files ---- */

static void test_good_full(void **state)
{
    (void)state;
    char path[PATH_MAX], dir[PATH_MAX];
    fixture(path, sizeof path, "good_full.yaml");
    load_ok(path);

    assert_string_equal(x.path, path);
    fixture(path, sizeof path, "");
    assert_non_null(realpath(path, dir));
    assert_string_equal(x.dir, dir);
    assert_string_equal(x.id, "full_test-1");
    assert_int_equal(x.nidentity, 2);
    assert_string_equal(x.identity_params[0], "PROLIFIC_PID");
    assert_string_equal(x.identity_params[1], "worker.id");
    assert_int_equal(x.nstudy, 1);
    assert_string_equal(x.study_params[0], "STUDY_ID");
    assert_int_equal(x.resume_without_token, RESUME_NEVER);
    assert_int_equal(x.limits.participants, 5000);
    assert_int_equal(x.limits.unacted, 700);
    assert_int_equal(x.limits.unacted_expiry_s, 120);
    assert_int_equal(x.nscenes, 5);

    const scene_spec *s = &x.scenes[0];
    assert_string_equal(s->id, "welcome");
    assert_int_equal(s->kind, SCENE_PAGE);
    assert_false(s->form);
    expect_page(s, "pages/welcome.html");

    s = &x.scenes[1];
    assert_string_equal(s->id, "consent");
    assert_int_equal(s->kind, SCENE_PAGE);
    assert_true(s->form);
    expect_page(s, "pages/form.html"); /* "./pages/form.html" is normalised */

    s = &x.scenes[2];
    assert_string_equal(s->id, "game");
    assert_int_equal(s->kind, SCENE_GAME);
    assert_false(s->form);
    expect_page(s, "pages/game.html");
    const game_spec *g = &s->game;
    assert_string_equal(g->env, "cooking/cramped_room");
    assert_int_equal(g->nseats, 2);
    assert_int_equal(g->humans, 1);
    assert_int_equal(g->seats[0].kind, SEAT_HUMAN);
    assert_int_equal(g->seats[1].kind, SEAT_AI);
    assert_string_equal(g->seats[1].policy, "greedy");
    assert_int_equal(g->fps, 20);
    assert_int_equal(g->episodes, 3);
    assert_int_equal(g->max_steps, 450);
    assert_int_equal(g->input_delay, 0);
    assert_int_equal(g->confirm_window, 10);
    assert_int_equal(g->prediction_limit, 25);
    assert_int_equal(g->countdown_s, 0);
    assert_int_equal(g->nkeys, 6);
    static const struct {
        const char *key;
        int action;
    } keys[] = {{"ArrowUp", 0}, {"ArrowDown", 1}, {"ArrowLeft", 2},
                {"ArrowRight", 3}, {" ", 5}, {"w", 0}};
    for (int i = 0; i < 6; i++) {
        assert_string_equal(g->keys[i].key, keys[i].key);
        assert_int_equal(g->keys[i].action, keys[i].action);
    }
    assert_int_equal(s->waitroom_timeout_s, 60);
    assert_int_equal(s->waitroom_on_timeout, WAITROOM_END);
    assert_int_equal(s->matchmaker, MATCH_LATENCY_FIFO);
    assert_int_equal(s->max_rtt_ms, 120);
    assert_int_equal(s->on_partner_drop, DROP_AI);
    assert_string_equal(s->drop_ai, "greedy");
    assert_int_equal(s->reconnect_grace_s, 0);
    assert_int_equal(s->focus_loss_timeout_s, 0);
    assert_int_equal(s->inactivity_timeout_s, 45);
    assert_int_equal(s->entry_max_rtt_ms, 300);

    s = &x.scenes[3];
    assert_string_equal(s->id, "preview");
    assert_int_equal(s->kind, SCENE_PAGE);
    assert_false(s->form);
    expect_page(s, "pages/form.html");

    s = &x.scenes[4];
    assert_string_equal(s->id, "volley");
    assert_int_equal(s->kind, SCENE_GAME);
    assert_string_equal(s->page, "");
    assert_string_equal(s->game.env, "volley/slime");
    assert_int_equal(s->game.nseats, 2);
    assert_int_equal(s->game.humans, 2);
    assert_int_equal(s->matchmaker, MATCH_LATENCY_FIFO);
    assert_int_equal(s->max_rtt_ms, 250);
    assert_int_equal(s->on_partner_drop, DROP_DEFAULT);

    assert_string_equal(x.redirect, "https://app.prolific.com/submissions/complete?cc={code}");
    assert_string_equal(x.codes[OUTCOME_COMPLETED], "C1A2B3");
    assert_string_equal(x.codes[OUTCOME_PARTNER_DROPPED], "C4D5E6");
    assert_string_equal(x.codes[OUTCOME_WAITROOM_TIMEOUT], "C7F8G9");
    assert_string_equal(x.codes[OUTCOME_EXCLUDED], "NOCODE");
    assert_string_equal(x.codes[OUTCOME_ABANDONED], "");
}

static void test_good_minimal_defaults(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_minimal.yaml");
    load_ok(path);

    assert_string_equal(x.id, "minimal");
    assert_int_equal(x.nidentity, 3);
    assert_string_equal(x.identity_params[0], "PROLIFIC_PID");
    assert_string_equal(x.identity_params[1], "workerId");
    assert_string_equal(x.identity_params[2], "participant");
    assert_int_equal(x.nstudy, 4);
    assert_string_equal(x.study_params[0], "STUDY_ID");
    assert_string_equal(x.study_params[3], "hitId");
    assert_int_equal(x.resume_without_token, RESUME_UNTIL_GAME);
    assert_int_equal(x.limits.participants, CFG_DEFAULT_PARTICIPANTS);
    assert_int_equal(x.limits.unacted, CFG_DEFAULT_UNACTED);
    assert_int_equal(x.limits.unacted_expiry_s, CFG_DEFAULT_UNACTED_EXPIRY_S);
    assert_int_equal(CFG_DEFAULT_PARTICIPANTS, 200000);
    assert_int_equal(CFG_DEFAULT_UNACTED, 10000);
    assert_int_equal(CFG_DEFAULT_UNACTED_EXPIRY_S, 600);
    assert_int_equal(x.nscenes, 1);

    const scene_spec *s = &x.scenes[0];
    assert_int_equal(s->kind, SCENE_GAME);
    assert_string_equal(s->page, "");
    assert_false(s->form);
    const game_spec *g = &s->game;
    assert_int_equal(g->humans, 2);
    assert_int_equal(g->fps, 30);
    assert_int_equal(g->step_ms, 0);
    assert_int_equal(g->input, INPUT_HELD);
    assert_int_equal(g->episodes, 1);
    assert_int_equal(g->max_steps, 400); /* the env's horizon */
    assert_int_equal(g->input_delay, 2);
    assert_int_equal(g->confirm_window, 15);
    assert_int_equal(g->prediction_limit, 30);
    assert_int_equal(g->countdown_s, 3);
    assert_int_equal(g->nkeys, 5);
    assert_string_equal(g->keys[0].key, "ArrowUp");
    assert_string_equal(g->keys[3].key, "ArrowRight");
    assert_string_equal(g->keys[4].key, " ");
    assert_int_equal(g->keys[4].action, 4);
    assert_int_equal(s->waitroom_timeout_s, 180);
    assert_int_equal(s->waitroom_on_timeout, WAITROOM_END);
    assert_int_equal(s->matchmaker, MATCH_FIFO);
    assert_int_equal(s->max_rtt_ms, 250);
    assert_int_equal(s->on_partner_drop, DROP_END);
    assert_int_equal(s->reconnect_grace_s, 10);
    assert_int_equal(s->focus_loss_timeout_s, 30);
    assert_int_equal(s->inactivity_timeout_s, 0);
    assert_int_equal(s->entry_max_rtt_ms, 0);

    assert_string_equal(x.redirect, "");
    assert_string_equal(x.codes[OUTCOME_COMPLETED], "");
    assert_string_equal(x.codes[OUTCOME_EXCLUDED], "");
}

static void test_good_small_env(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_small_env.yaml");
    load_ok(path);
    assert_int_equal(x.nidentity, 0);
    assert_int_equal(x.nstudy, 0);
    assert_int_equal(x.limits.participants, 50);
    assert_int_equal(x.limits.unacted, 50);
    assert_int_equal(x.limits.unacted_expiry_s, CFG_DEFAULT_UNACTED_EXPIRY_S);
    const game_spec *g = &x.scenes[0].game;
    assert_int_equal(g->nseats, 1);
    assert_int_equal(g->humans, 1);
    assert_int_equal(g->max_steps, 100);
    /* Default keys stop at the env's last action: no space for a 4-action env. */
    assert_int_equal(g->nkeys, 4);
    assert_string_equal(g->keys[3].key, "ArrowRight");
    assert_int_equal(g->keys[3].action, 3);
}

/* The files researchers start from must always load. */
static void test_shipped_experiments(void **state)
{
    (void)state;
    static const struct {
        const char *dir;
        int scenes;
        seat_kind seat1;
    } shipped[] = {
        {"demo", 4, SEAT_HUMAN},
        {"human-ai", 4, SEAT_AI},
        {"volley", 4, SEAT_HUMAN},
        {"quick", 2, SEAT_HUMAN},
    };
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%sexperiments/%s/experiment.yaml", root(), shipped[i].dir);
        load_ok(path);
        assert_string_equal(x.id, shipped[i].dir);
        assert_int_equal(x.nscenes, shipped[i].scenes);
        int games = 0;
        for (int s = 0; s < x.nscenes; s++) {
            if (x.scenes[s].kind != SCENE_GAME)
                continue;
            games++;
            assert_int_equal(x.scenes[s].game.seats[1].kind, shipped[i].seat1);
        }
        assert_int_equal(games, 1);
        assert_string_not_equal(x.codes[OUTCOME_COMPLETED], "");
    }
    /* The demo as docs/DESIGN.md section 4 describes it. */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%sexperiments/demo/experiment.yaml", root());
    load_ok(path);
    const scene_spec *game = &x.scenes[2];
    assert_int_equal(game->game.fps, 30);
    assert_int_equal(game->game.episodes, 2);
    assert_int_equal(game->game.max_steps, 450);
    assert_int_equal(game->waitroom_timeout_s, 180);
    assert_int_equal(game->matchmaker, MATCH_FIFO);
    assert_int_equal(game->on_partner_drop, DROP_END);
    assert_int_equal(game->reconnect_grace_s, 10);
    assert_int_equal(game->focus_loss_timeout_s, 30);
    assert_true(x.scenes[1].form);
    assert_true(x.scenes[3].form);
    /* The four-player commons study: four people, or two beside the two harvesters. */
    snprintf(path, sizeof path, "%sexperiments/commons/experiment.yaml", root());
    load_ok(path);
    assert_int_equal(x.nconditions, 2);
    int four_humans = 0, two_ai = 0;
    for (int s = 0; s < x.nscenes; s++) {
        const game_spec *g = &x.scenes[s].game;
        if (x.scenes[s].kind != SCENE_GAME)
            continue;
        assert_int_equal(g->nseats, 4);
        assert_int_equal(x.scenes[s].on_partner_drop, DROP_AI);
        assert_string_equal(x.scenes[s].drop_ai, "sustainable");
        four_humans += g->humans == 4;
        two_ai += g->humans == 2 && g->seats[2].kind == SEAT_AI && g->seats[3].kind == SEAT_AI;
    }
    assert_true(four_humans >= 1);
    assert_int_equal(two_ai, 1);
}

/* ---- broken files: the exact message, position included ---- */

static const struct {
    const char *file;
    const char *message; /* after "PATH:" */
} broken[] = {
    {"bad_fps_word.yaml", "7:12: fps must be an integer from 1 to 120, got \"fast\""},
    {"bad_fps_range.yaml", "4:67: fps must be an integer from 1 to 120, got \"500\""},
    {"bad_unknown_game_key.yaml",
     "7:7: unknown key \"epsiodes\" in game (expected one of: env, seats, fps, step_ms, "
     "episodes, max_steps, input_delay, confirm_window, prediction_limit, countdown_s, keys, "
     "input)"},
    {"bad_step_ms_and_fps.yaml", "8:7: set fps or step_ms, not both (fps counts frames a "
                                 "second, step_ms the milliseconds of one step)"},
    {"bad_step_ms_low.yaml", "4:71: step_ms must be an integer from 8 to 2000, got \"5\""},
    {"bad_step_ms_high.yaml", "7:16: step_ms must be an integer from 8 to 2000, got \"2500\""},
    {"bad_input_mode.yaml", "7:14: input must be held or press, got \"hold\""},
    {"bad_top_unknown.yaml", "2:1: unknown key \"scene\" at the top level (expected one of: "
                             "experiment, identity, scenes, exit_scenes, on_outcome, "
                             "conditions, assignment, mix_conditions, end, limits, texts, "
                             "language, direction, require, bonus)"},
    {"bad_resume.yaml", "3:25: resume_without_token must be until_game or never, got "
                        "\"always\""},
    {"bad_limits_key.yaml", "2:29: unknown key \"pending\" in limits (expected one of: "
                            "participants, unacted, unacted_expiry_s)"},
    {"bad_limits_unacted.yaml", "4:12: unacted must be an integer from 1 to 100, got \"101\""},
    {"bad_limits_expiry.yaml", "2:28: unacted_expiry_s must be an integer from 10 to 86400, "
                               "got \"5\""},
    {"bad_require_key.yaml", "2:26: unknown key \"mouse\" in require (expected one of: "
                             "desktop, keyboard, min_window)"},
    {"bad_require_bool.yaml", "2:20: desktop must be true or false, got \"yes\""},
    {"bad_require_empty.yaml", "2:10: require must name at least one of desktop, keyboard, "
                               "min_window"},
    {"bad_require_type.yaml", "2:10: require must be a mapping, got \"desktop\""},
    {"bad_require_window_half.yaml", "2:23: missing key \"height\" in min_window"},
    {"bad_require_window_key.yaml", "2:37: unknown key \"heigth\" in min_window (expected one "
                                    "of: width, height)"},
    {"bad_require_window_range.yaml", "2:31: min_window.width must be an integer from 1 to "
                                      "10000, got \"100000\""},
    {"bad_require_window_type.yaml", "2:23: min_window must be a mapping, got \"1000x700\""},
    {"bad_unknown_env.yaml", "4:17: unknown env \"cooking/nowhere\""},
    {"bad_duplicate_scene.yaml", "7:9: scene id \"game\" is used twice (first at line 5)"},
    {"bad_duplicate_key.yaml", "8:7: duplicate key \"fps\" in game (first at line 6)"},
    {"bad_key_duplicate.yaml", "10:9: duplicate key \"ArrowUp\" in keys (first at line 8)"},
    {"bad_missing_page.yaml", "4:11: page \"pages/missing.html\" not found"},
    {"bad_page_dir.yaml", "4:11: page \"pages\" is not a file"},
    {"bad_page_escape.yaml", "4:11: page \"pages/../../test_config.c\" must stay inside the "
                             "experiment's folder (no \"..\")"},
    {"bad_page_absolute.yaml", "4:11: page must be a file path relative to the experiment's "
                               "folder, got \"/etc/passwd\""},
    {"bad_page_null.yaml", "4:5: page must be a string, got nothing"},
    {"bad_syntax.yaml", "6:14: YAML syntax error: flow sequence without a closing bracket"},
    {"bad_tab_indent.yaml", "4:1: tab used for indentation; YAML indents with spaces only"},
    {"bad_alias.yaml", "4:11: anchors (&NAME) and aliases are not supported; write the value out"},
    {"bad_tag.yaml", "4:67: tags (!NAME) are not supported; write a plain value"},
    {"bad_single_quote.yaml", "4:11: '' inside single quotes is not supported; put this value "
                              "in double quotes (\"...\")"},
    {"bad_two_documents.yaml", "4:1: only one YAML document is allowed in an experiment file "
                               "(remove the second \"---\")"},
    {"bad_empty.yaml", "1:1: the file is empty; expected a mapping with experiment and scenes"},
    {"bad_experiment_id.yaml", "1:13: experiment must be 1 to 63 letters, digits, \"_\" or "
                               "\"-\", got \"my study\""},
    {"bad_scene_id.yaml", "3:9: scene id must be 1 to 63 letters, digits, \"_\" or \"-\", "
                          "got \"welcome page\""},
    {"bad_missing_scenes.yaml", "2:1: missing key \"scenes\" at the top level"},
    {"bad_scenes_empty.yaml", "2:9: scenes must list 1 to 64 scenes, got 0"},
    {"bad_scene_not_mapping.yaml", "3:5: each scene must be a mapping, got \"welcome\""},
    {"bad_scene_no_content.yaml", "5:5: scene \"thanks\" needs a page or a game"},
    {"bad_waitroom_in_page.yaml", "5:5: waitroom is only allowed in a game scene (scene "
                                  "\"welcome\" has no game)"},
    {"bad_form_in_game.yaml", "5:5: form is only allowed in a page scene (a game scene's page "
                              "cannot hold a form)"},
    {"bad_form_value.yaml", "5:11: form must be true or false, got \"yes\""},
    {"bad_form_without_fields.yaml", "5:5: form is true but page \"pages/welcome.html\" has no "
                                     "<input>, <select> or <textarea>"},
    {"bad_fields_without_form.yaml", "4:11: page \"pages/form.html\" has form fields but the "
                                     "scene does not set form: true, so its answers would not "
                                     "be recorded (write form: false if that is intended)"},
    {"bad_game_type.yaml", "5:7: game must be a mapping, got a list"},
    {"bad_missing_env.yaml", "5:7: missing key \"env\" in game"},
    {"bad_seats_type.yaml", "6:14: seats must be a list of seats (human, ai:POLICY or ai:AGENT), got a "
                            "mapping"},
    {"bad_seats_no_human.yaml", "6:14: seats must include at least one human"},
    {"bad_seats_count.yaml", "6:14: cooking/cramped_room is a 2-player game, but seats lists 3"},
    {"bad_seats_nine.yaml", "6:14: seats must list 1 to 8 seats (human, ai:POLICY or ai:AGENT), got 9"},
    {"bad_seat_policy.yaml", "6:22: unknown AI policy \"greedy\" for volley/slime (neither a scripted policy nor a shipped agent)"},
    {"bad_seat_word.yaml", "8:11: each seat must be human, ai:POLICY, ai:AGENT or a mapping {ai: AGENT} or {model: FILE, ...}, got \"robot\""},
    {"bad_key_action.yaml", "7:31: the action for \" \" must be an integer from 0 to 5 "
                            "(cooking/cramped_room has 6 actions), got \"6\""},
    {"bad_key_name.yaml", "7:40: unknown key name \"Space\"; did you mean \" \"?"},
    {"bad_key_code.yaml", "8:9: unknown key name \"KeyW\"; keys are KeyboardEvent.key values: "
                          "one character (\"w\", \" \") or a named key (ArrowUp, Enter, Shift, "
                          "...)"},
    {"bad_prediction_limit.yaml", "8:25: prediction_limit must be more than confirm_window "
                                  "(20), got \"10\""},
    {"bad_matchmaker.yaml", "5:17: matchmaker must be fifo or {latency_fifo: {max_rtt_ms: N}}, "
                            "got \"lifo\""},
    {"bad_latency_key.yaml", "5:33: unknown key \"max_rtt\" in latency_fifo (expected one of: "
                             "max_rtt_ms)"},
    {"bad_drop.yaml", "5:22: on_partner_drop must be end, default or ai:POLICY, got \"stop\""},
    {"bad_drop_policy.yaml", "5:22: unknown AI policy \"tracker\" for cooking/cramped_room"},
    {"bad_reconnect_grace.yaml", "5:24: reconnect_grace_s must be an integer from 0 to 600, got "
                                 "\"-1\""},
    {"bad_waitroom.yaml", "5:44: on_timeout must be end, got \"retry\""},
    {"bad_identity.yaml", "3:11: params must be a list of query parameter names, got "
                          "\"PROLIFIC_PID\""},
    {"bad_study_params.yaml", "3:40: \"STUDY_ID\" is listed twice in study_params"},
    {"bad_redirect.yaml", "5:13: redirect must be an http:// or https:// address without "
                          "spaces, whose only placeholder is {code}, got "
                          "\"app.prolific.com/submissions/complete?cc...\""},
    {"bad_condition_id_change.yaml", "7:21: condition \"a\": a condition cannot change a scene's id"},
    {"bad_condition_kind.yaml", "10:12: condition \"ai\": cannot make scene \"bye\" a game scene (it is a page scene)"},
    {"bad_condition_policy.yaml", "9:36: condition \"ai\": unknown AI policy \"nosuch\" for cooking/cramped_room (neither a scripted policy nor a shipped agent)"},
    {"bad_agent_unknown.yaml", "6:22: unknown AI policy \"ppo_nosuch\" for cooking/cramped_room (neither a scripted policy nor a shipped agent)"},
    {"bad_agent_layout.yaml", "6:22: the agent \"ppo_sp\" has no model for volley/slime (docs/AGENTS.md lists the layouts of each agent)"},
    {"bad_model_outside.yaml", "6:30: model must be a file under the experiment's pages/ folder (that is where browsers can fetch it), at most 63 characters and no \"..\", got \"models/x.onnx\""},
    {"bad_model_dotdot.yaml", "6:30: model must be a file under the experiment's pages/ folder (that is where browsers can fetch it), at most 63 characters and no \"..\", got \"pages/../../x.onnx\""},
    {"bad_model_type.yaml", "6:30: model must be a TensorFlow.js graph model (model.json) or an ONNX file (.onnx), got \"pages/welcome.html\""},
    {"bad_model_missing.yaml", "6:30: model \"pages/models/gone.onnx\" not found"},
    {"bad_model_no_obs.yaml", "6:22: missing key \"obs\" in an AI seat"},
    {"bad_model_obs.yaml", "6:59: cooking/cramped_room has no observation \"rgb\""},
    {"bad_model_action.yaml", "6:86: each of actions must be an integer from 0 to 5, got \"6\""},
    {"bad_model_both.yaml", "6:22: an AI seat mapping names either ai: (a shipped agent) or model: (a model file of the study's own), not both"},
    {"bad_model_rate.yaml", "6:14: the first person's page would send 200 inputs a second (its own and 1 model seats' at this step clock); at most 150 fit under the server's message limit: seat fewer models or step more slowly"},
    {"bad_model_pick.yaml", "6:41: pick must be argmax or sample, got \"best\""},
    {"bad_model_obs_shipped.yaml", "6:35: obs and actions come with a shipped agent; they are set only for a model: file"},
    {"bad_condition_scene.yaml", "7:14: condition \"ai\": no scene \"gmae\" to change"},
    {"bad_condition_twice.yaml", "5:28: condition id \"a\" is used twice"},
    {"bad_assignment.yaml", "6:13: assignment must be balanced, random or {param: NAME}, got \"roundrobin\""},
    {"bad_assignment_alone.yaml", "5:13: assignment needs conditions"},
    {"bad_on_outcome_game.yaml", "6:21: scene \"game\" is a game; after an outcome only pages can follow"},
    {"bad_on_outcome_name.yaml", "8:3: on_outcome: \"completed\" is not an outcome that can lead to exit scenes (expected partner_dropped, waitroom_timeout, excluded, abandoned or quiz_failed)"},
    {"bad_on_outcome_scene.yaml", "6:21: no scene \"survey\" (on_outcome names scenes of scenes or exit_scenes)"},
    {"bad_exit_game.yaml", "6:5: exit scene \"again\" has a game; exit scenes are pages (a survey, a debrief)"},
    {"bad_repeat_clash.yaml", "6:19: scene id \"bye-2\" is used twice (first at line 3)"},
    {"bad_repeat_zero.yaml", "3:13: repeat must be an integer from 1 to 100, got \"0\""},
    {"bad_shuffle_key.yaml", "4:5: unknown key \"order\" in a shuffle block (expected one of: shuffle)"},
    {"bad_shuffle_one.yaml", "3:14: shuffle must list 2 to 256 scenes or blocks, got 1"},
    {"bad_code_key.yaml", "5:30: unknown key \"finished\" in codes (expected one of: completed, "
                          "partner_dropped, waitroom_timeout, excluded, abandoned, quiz_failed, screened_out)"},
    {"bad_code_value.yaml", "6:16: completed must be 1 to 63 letters, digits, \"_\" or \"-\", "
                            "got \"C1 A2 B3\""},
    {"bad_text_key.yaml", "7:3: texts: \"waiting_title\" is not a text cohort shows; "
                          "docs/EXPERIMENTS.md lists every one"},
    {"bad_text_placeholder.yaml", "6:15: texts: \"round_over\" has no placeholder {runde}; its "
                                  "default is \"Round {round} of {rounds} is over.\""},
    {"bad_language.yaml", "5:11: language must be a language tag such as en, he or pt-BR, got "
                          "\"he il\""},
    {"bad_direction.yaml", "6:12: direction must be ltr or rtl, got \"right\""},
    {"bad_partners_unknown.yaml", "7:25: same_as must name an earlier game scene, got \"game9\""},
    {"bad_partners_later.yaml", "5:25: same_as must name an earlier game scene, got \"game2\""},
    {"bad_partners_self.yaml", "5:25: same_as must name an earlier game scene, not this scene "
                               "itself"},
    {"bad_partners_page.yaml", "7:25: same_as must name an earlier game scene; \"welcome\" is a "
                               "page scene"},
    {"bad_partners_seats.yaml", "7:25: same_as \"game1\" seats 1 people but this game seats 2; "
                                "a group plays again only in a game with as many human seats"},
    {"bad_partners_solo.yaml", "7:15: partners needs a game with at least two human seats; this "
                               "game has 1"},
    {"bad_partners_wait.yaml", "7:40: wait_s must be an integer from 1 to 3600, got \"0\""},
    {"bad_partners_if_gone.yaml", "7:41: if_gone must be regroup or end, got \"wait\""},
    {"bad_partners_key.yaml", "7:16: unknown key \"same\" in partners (expected one of: same_as, "
                              "wait_s, if_gone)"},
    {"bad_partners_missing.yaml", "7:15: missing key \"same_as\" in partners"},
    {"bad_partners_in_page.yaml", "7:5: partners is only allowed in a game scene (scene "
                                  "\"survey\" has no game)"},
    {"bad_partners_chain.yaml", "12:25: same_as \"game1\": game scene \"game2\" between them "
                                "forms groups for a later scene, and a participant keeps one "
                                "group at a time"},
    /* quiz: (src/config/config_quiz.c), against pages/quiz.html */
    {"bad_quiz_attempts.yaml",
     "10:21: max_attempts must be an integer from 1 to 100, got \"0\""},
    {"bad_quiz_checkbox.yaml",
     "9:21: quiz: q4 is a single checkbox, so its answer is true (checked) or false, got \"yes\""},
    {"bad_quiz_disabled_field.yaml",
     "9:17: quiz: page \"pages/quiz.html\" has no form field named \"comments\" (its fields: q1, q2, q3, q4, q5)"},
    {"bad_quiz_empty_answer.yaml",
     "9:21: quiz: the answer for q2 is empty"},
    {"bad_quiz_feedback.yaml",
     "10:17: feedback must be a string, got a list"},
    {"bad_quiz_field.yaml",
     "9:24: quiz: page \"pages/quiz.html\" has no form field named \"q9\" (its fields: q1, q2, q3, q4, q5)"},
    {"bad_quiz_in_game.yaml",
     "5:5: quiz is only allowed in a page scene with form: true (scene \"game\" has a game)"},
    {"bad_quiz_key.yaml",
     "10:7: unknown key \"attempts\" in quiz (expected one of: answers, feedback, show_wrong, max_attempts, on_fail, retry_from)"},
    {"bad_quiz_list_for_one.yaml",
     "9:21: quiz: q1 takes one value, got a list"},
    {"bad_quiz_no_answers.yaml",
     "9:7: missing key \"answers\" in quiz"},
    {"bad_quiz_on_fail.yaml",
     "10:16: on_fail must be exclude (outcome quiz_failed) or retry, got \"skip\""},
    {"bad_quiz_option.yaml",
     "9:21: quiz: q1 has no value \"d\" on the page (its values: a, b, c)"},
    {"bad_quiz_retry_from_exclude.yaml",
     "10:7: retry_from is only allowed with on_fail: retry"},
    {"bad_quiz_retry_from_unknown.yaml",
     "11:19: retry_from \"intro\" is not this scene or one before it; a retry goes back to an earlier page (or this one)"},
    {"bad_quiz_retry_later.yaml",
     "9:19: retry_from \"later\" is not this scene or one before it; a retry goes back to an earlier page (or this one)"},
    {"bad_quiz_retry_over_game.yaml",
     "13:19: retry_from \"instructions\" would play game scene \"game\" again; name a page scene after it"},
    {"bad_quiz_select_option.yaml",
     "9:21: quiz: q5 has no value \"Y\" on the page (its values: x, Y & Z)"},
    {"bad_quiz_set_comma.yaml",
     "9:22: quiz: \"onion,dish\" contains a comma, which the browser uses to join the values of q3"},
    {"bad_quiz_set_option.yaml",
     "9:29: quiz: q3 has no value \"garlic\" on the page (its values: onion, dish, tomato)"},
    {"bad_quiz_set_scalar.yaml",
     "9:21: quiz: q3 is a group of checkboxes, so its answer is a list of the values to check, e.g. [a, c] (or [] for none), got \"onion\""},
    {"bad_quiz_set_twice.yaml",
     "9:29: quiz: \"onion\" is listed twice for q3"},
    {"bad_quiz_show_wrong.yaml",
     "10:19: show_wrong must be true or false, got \"maybe\""},
    {"bad_quiz_without_form.yaml",
     "6:5: quiz needs form: true in scene \"quiz\": its answers are read from the page's form"},
    {"bad_bonus_type.yaml", "2:8: bonus must be a mapping, got \"0.02\""},
    {"bad_bonus_key.yaml", "2:26: unknown key \"per_minute\" in bonus (expected one of: "
                           "per_point, max_score, per_minute_waited, max_waiting, show, currency)"},
    {"bad_bonus_decimals.yaml", "2:20: per_point has more than 4 decimals (amounts are kept to "
                                "1/10000), got \"0.00001\""},
    {"bad_bonus_negative.yaml", "2:28: per_minute_waited must not be negative, got \"-0.10\""},
    {"bad_bonus_word.yaml", "2:20: per_point must be an amount such as 0.02 (digits and at most "
                            "one decimal point), got \"two pence\""},
    {"bad_bonus_exponent.yaml", "2:20: per_point must be an amount such as 0.02 (digits and at "
                                "most one decimal point), got \"2e-2\""},
    {"bad_bonus_rate_absurd.yaml", "2:20: per_point must be at most 100, got \"500\""},
    {"bad_bonus_absurd.yaml", "2:37: max_score must be at most 10000, got \"50000\""},
    {"bad_bonus_cap_alone.yaml", "2:33: max_score caps the score part, but bonus has no "
                                 "per_point"},
    {"bad_bonus_no_rate.yaml", "2:8: bonus needs per_point or per_minute_waited (or both)"},
    {"bad_bonus_currency.yaml", "2:36: currency must be a three-letter currency code such as "
                                "GBP or USD, got \"pounds\""},
    {"bad_bonus_show.yaml", "2:32: show must be true or false, got \"yes\""},
};

/* bonus: decimals read exactly into 1/10000 units; what is not said has no cap. */
static void test_bonus_rule(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_bonus.yaml");
    load_ok(path);
    assert_true(x.bonus.enabled);
    assert_int_equal(x.bonus.per_point, 200);
    assert_int_equal(x.bonus.max_score, 20000);
    assert_int_equal(x.bonus.per_minute_waited, 1000); /* "0.1", quoted, is the same */
    assert_int_equal(x.bonus.max_waiting, CFG_NO_CAP);
    assert_true(x.bonus.show);
    assert_string_equal(x.bonus.currency, "GBP");
    fixture(path, sizeof path, "good_minimal.yaml");
    load_ok(path);
    assert_false(x.bonus.enabled); /* no block: no bonus, nothing shown */
}

/* partners: which earlier scene's groups a game keeps, its wait and its rule for a
 * partner who is gone; scenes without the key match afresh. */
static void test_partners(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_partners.yaml");
    load_ok(path);
    assert_false(x.scenes[0].partners.keep);
    const partners_spec *g2 = &x.scenes[2].partners, *g3 = &x.scenes[3].partners;
    assert_true(g2->keep);
    assert_int_equal(g2->same_as, 0);
    assert_int_equal(g2->wait_s, 45);
    assert_int_equal(g2->if_gone, PARTNERS_END);
    assert_true(g3->keep);
    assert_int_equal(g3->same_as, 0);
    assert_int_equal(g3->wait_s, CFG_DEFAULT_PARTNERS_WAIT_S);
    assert_int_equal(g3->if_gone, PARTNERS_REGROUP);
    assert_int_equal(x.scenes[4].partners.same_as, 3); /* a chain: game4 keeps game3's */
}

/* texts: overrides by key, kept as written; the language and its direction. */
static void test_texts_and_language(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_texts.yaml");
    load_ok(path);
    assert_int_equal(x.ntexts, 3);
    assert_string_equal(x.texts[0].key, "waitroom_title");
    assert_string_equal(x.texts[0].value, "\xd7\x9e\xd7\x9e\xd7\xaa\xd7\x99\xd7\xa0\xd7\x99\xd7\x9d "
                                          "\xd7\x9c\xd7\xa9\xd7\x97\xd7\xa7\xd7\xa0\xd7\x99\xd7\x9d");
    assert_string_equal(x.texts[1].value, "Round {round} is done ({rounds} in all).");
    assert_string_equal(texts_for(&x, TEXT_END_COMPLETED), "All done, thank you.");
    assert_string_equal(texts_for(&x, TEXT_END_ABANDONED), texts_get(TEXT_END_ABANDONED));
    assert_true(texts_is_client("waitroom_title"));
    assert_false(texts_is_client("end_completed"));
    assert_string_equal(x.language, "he");
    assert_string_equal(x.direction, "");
}

/* A quiz: every kind of field, answers as the browser will send them, and the defaults. */
static void test_good_quiz(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_quiz.yaml");
    load_ok(path);
    assert_int_equal(x.nquizzes, 2);
    assert_null(scene_quiz(&x, &x.scenes[0]));
    const quiz_spec *q = scene_quiz(&x, &x.scenes[1]);
    assert_non_null(q);
    assert_int_equal(q->nanswers, 5);
    assert_string_equal(q->answers[0].field, "q1");
    assert_int_equal(q->answers[0].kind, QUIZ_FIELD_CHOICE);
    assert_string_equal(q->answers[1].value, "3");
    assert_int_equal(q->answers[1].kind, QUIZ_FIELD_TEXT);
    assert_string_equal(q->answers[2].value, "tomato,onion");
    assert_int_equal(q->answers[2].kind, QUIZ_FIELD_SET);
    assert_string_equal(q->answers[3].value, "true");
    assert_int_equal(q->answers[3].kind, QUIZ_FIELD_CHECKBOX);
    assert_string_equal(q->answers[4].value, "Y & Z"); /* an option's trimmed, decoded text */
    assert_string_equal(q->feedback, "Not quite: read the instructions again.");
    assert_false(q->show_wrong);
    assert_int_equal(q->max_attempts, 2);
    assert_int_equal(q->on_fail, QUIZ_RETRY);
    assert_int_equal(q->retry_from, 0);
    const quiz_spec *d = scene_quiz(&x, &x.scenes[2]);
    assert_non_null(d);
    assert_int_equal(d->nanswers, 2);
    assert_string_equal(d->answers[1].value, ""); /* [] : no box checked */
    assert_string_equal(d->feedback, "");         /* the text quiz_feedback */
    assert_true(d->show_wrong);
    assert_int_equal(d->max_attempts, 3);
    assert_int_equal(d->on_fail, QUIZ_EXCLUDE);
    assert_int_equal(d->retry_from, 2);
}

static uint64_t zero_rnd(void *ctx);

/* fps or step_ms, and the input mode: as set, the other clock field 0, the rate exact. */
static void test_timing(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_timing.yaml");
    load_ok(path);
    int16_t route[CFG_MAX_ROUTE];
    /* Condition "today": the file's own settings; fps 30 with held keys. */
    experiment_route(&x, 0, zero_rnd, NULL, route);
    const game_spec *g = &x.scenes[route[0]].game;
    assert_int_equal(g->fps, 30);
    assert_int_equal(g->step_ms, 0);
    assert_int_equal(g->input, INPUT_HELD);
    assert_int_equal(game_frames_at(g, 1000), 30);
    assert_int_equal(game_frames_at(g, 33), 0);
    assert_int_equal(game_frames_at(g, 34), 1);
    assert_int_equal(game_ms_for(g, 15), 500);
    /* The scene that sets step_ms: one step every 150 ms, one action per press. */
    g = &x.scenes[route[1]].game;
    assert_int_equal(g->fps, 0);
    assert_int_equal(g->step_ms, 150);
    assert_int_equal(g->input, INPUT_PRESS);
    assert_int_equal(g->max_steps, 400);
    assert_int_equal(game_frames_at(g, 149), 0);
    assert_int_equal(game_frames_at(g, 150), 1);
    assert_int_equal(game_frames_at(g, 60000), 400); /* a 60 s round: 400 steps, no drift */
    assert_int_equal(game_ms_for(g, 15), 2250);
    /* Condition "then" sets step_ms on the fps scene: its step_ms replaces the fps, it
     * does not clash with it. */
    experiment_route(&x, 1, zero_rnd, NULL, route);
    g = &x.scenes[route[0]].game;
    assert_int_equal(g->fps, 0);
    assert_int_equal(g->step_ms, 150);
    assert_int_equal(g->input, INPUT_PRESS);
    assert_string_equal(input_mode_name(g->input), "press");
    /* A spec made by hand with neither (as tests make them) runs at 30 fps. */
    game_spec bare = {0};
    assert_int_equal(game_frames_at(&bare, 1000), 30);
}

/* Every mismatch is printed before the test fails, so one run shows them all. */
/* Shipped agents by short name, a study's own model files, scripted policies beside them. */
static void test_model_seats(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_models.yaml");
    load_ok(path);
    const game_spec *g = &x.scenes[0].game;
    assert_int_equal(g->seats[1].kind, SEAT_MODEL);
    assert_string_equal(g->seats[1].policy, "ppo_sp");
    assert_string_equal(g->seats[1].model.url,
                        "/models/overcooked-2019/site/ppo_sp_cramped_room/model.json");
    assert_int_equal(g->seats[1].model.format, MODEL_TFJS);
    assert_string_equal(g->seats[1].model.obs, "lossless2019");
    assert_int_equal(g->seats[1].model.pick, PICK_ARGMAX);
    static const int8_t overcooked[6] = {0, 1, 3, 2, 4, 5}; /* north south east west stay interact */
    assert_int_equal(g->seats[1].model.nactions, 6);
    assert_memory_equal(g->seats[1].model.actions, overcooked, 6);
    assert_int_equal(g->humans, 1);

    g = &x.scenes[1].game;
    assert_int_equal(g->seats[0].kind, SEAT_MODEL);
    assert_int_equal(g->seats[0].model.pick, PICK_SAMPLE);
    assert_string_equal(g->seats[0].model.url,
                        "/models/overcooked-2019/hrl/pbt_cramped_room_seed8015/model.json");

    g = &x.scenes[2].game;
    assert_int_equal(g->seats[1].kind, SEAT_MODEL);
    assert_string_equal(g->seats[1].model.url, "/pages/models/mine/model.json");
    assert_int_equal(g->seats[1].model.format, MODEL_TFJS);
    assert_int_equal(g->seats[1].model.nactions, 6);

    g = &x.scenes[3].game;
    assert_string_equal(g->seats[1].model.url, "/pages/models/mine.onnx");
    assert_int_equal(g->seats[1].model.format, MODEL_ONNX);

    g = &x.scenes[4].game;
    assert_int_equal(g->seats[1].kind, SEAT_AI);
    assert_string_equal(g->seats[1].policy, "greedy");
}

static void test_broken_files(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        char path[PATH_MAX], want[2 * PATH_MAX];
        fixture(path, sizeof path, broken[i].file);
        snprintf(want, sizeof want, "%s:%s", path, broken[i].message);
        memset(&x, 0x5A, sizeof x);
        int rc = config_load(path, &hooks, &x, err, sizeof err);
        if (rc != -1 || strcmp(err, want) != 0) {
            print_error("%s\n  want: %s\n  got:  %s (rc %d)\n", broken[i].file, want, err, rc);
            failures++;
        }
        assert_null(strchr(err, '\n'));
        assert_string_equal(x.id, ""); /* no half-loaded experiment */
        assert_int_equal(x.nscenes, 0);
    }
    assert_int_equal(failures, 0);
}

/* ---- hostile and odd input, written at run time ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    return test_tmpdir_new(tmpdir, sizeof tmpdir, "config") ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    return test_rm_tree(tmpdir);
}

static void write_tmp(char *path, size_t cap, const char *name, const void *data, size_t len)
{
    snprintf(path, cap, "%s/%s", tmpdir, name);
    test_write_bytes(path, data, len);
}

/* Load `path` expecting failure with exactly "path:message". */
static void expect_error(const char *path, const char *message)
{
    char want[2 * PATH_MAX];
    snprintf(want, sizeof want, "%s:%s", path, message);
    assert_int_equal(config_load(path, &hooks, &x, err, sizeof err), -1);
    assert_string_equal(err, want);
}

static void test_refuses_huge_file(void **state)
{
    (void)state;
    size_t len = CFG_MAX_FILE_BYTES + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, '#', len);
    char path[PATH_MAX];
    write_tmp(path, sizeof path, "huge.yaml", big, len);
    free(big);
    expect_error(path, "1:1: the file is larger than 1 MiB; an experiment file is a few KiB");
}

static void test_refuses_binary(void **state)
{
    (void)state;
    char path[PATH_MAX];
    write_tmp(path, sizeof path, "nul.yaml", "experiment: a\0b\n", 16);
    expect_error(path, "1:14: the file contains a NUL byte; expected YAML text");
    write_tmp(path, sizeof path, "latin1.yaml", "# caf\xe9\nexperiment: \xff\n", 21);
    expect_error(path, "1:6: invalid UTF-8 (byte 0xe9); save the file as UTF-8 text");
    /* Valid UTF-8 counts as one column per character. */
    static const char utf8[] = "# caf\xc3\xa9\nexperiment: \"h\xc3\xa9 \xed\xa0\x80\"\n";
    write_tmp(path, sizeof path, "utf8.yaml", utf8, sizeof utf8 - 1);
    expect_error(path, "2:17: invalid UTF-8 (byte 0xed); save the file as UTF-8 text");
    write_tmp(path, sizeof path, "escaped_nul.yaml", "experiment: \"a\\0b\"\n", 19);
    expect_error(path, "1:13: NUL characters (\\0) are not allowed in values");
}

static void test_refuses_deep_nesting(void **state)
{
    (void)state;
    char text[4096], path[PATH_MAX];
    /* The root mapping is level 1, so the 32nd "[" (column 35) is one level too many. */
    size_t n = (size_t)snprintf(text, sizeof text, "a: ");
    for (int i = 0; i < 2000; i++)
        text[n++] = '[';
    write_tmp(path, sizeof path, "deep.yaml", text, n);
    expect_error(path, "1:35: nesting is deeper than 32 levels");
}

static void test_refuses_too_many_nodes(void **state)
{
    (void)state;
    size_t cap = 300000, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text, cap, "experiment: x\nscenes: [");
    for (int i = 0; i < 100001; i++) {
        text[n++] = '1';
        text[n++] = ',';
    }
    text[n++] = ']';
    char path[PATH_MAX];
    write_tmp(path, sizeof path, "many.yaml", text, n);
    free(text);
    /* 5 nodes come before the first item, so node 100 001 is item 99 996. */
    expect_error(path, "2:200000: too many values (more than 100000); an experiment file needs "
                       "far fewer");
}

static void test_page_symlink_escape(void **state)
{
    (void)state;
    char path[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
    fixture(path, sizeof path, "pages/welcome.html");
    assert_non_null(realpath(path, target));
    snprintf(link, sizeof link, "%s/outside.html", tmpdir);
    assert_int_equal(symlink(target, link), 0);
    static const char yaml[] = "experiment: link\nscenes:\n  - {id: a, page: outside.html}\n";
    write_tmp(path, sizeof path, "link.yaml", yaml, sizeof yaml - 1);
    expect_error(path, "3:19: page \"outside.html\" leads outside the experiment's folder");
}

static void test_not_a_file(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/absent.yaml", tmpdir);
    expect_error(path, "1:1: cannot open the file: No such file or directory");
    expect_error(tmpdir, "1:1: not a regular file; expected a YAML experiment file");
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    char path[PATH_MAX], small[24];
    fixture(path, sizeof path, "bad_fps_word.yaml");
    memset(small, 'Z', sizeof small);
    assert_int_equal(config_load(path, &hooks, &x, small, 16), -1);
    assert_int_equal(strlen(small), 15);
    assert_int_equal(small[16], 'Z');
    assert_int_equal(config_load(path, &hooks, &x, NULL, 0), -1);
}

/*
 * Random damage to a good file, through the in-memory entry point: it must never crash
 * (ASan and UBSan watch) and every failure must be one "PATH:LINE:COL: " line.
 */
/* With no `keys`, the real envs get keys that match their action names. */
static void test_default_keys_follow_the_env(void **state)
{
    static const char cooking[] = "experiment: k\nscenes:\n  - id: g\n    game: {env: "
                                  "cooking/cramped_room, seats: [human, human]}\n";
    static const char volley[] = "experiment: v\nscenes:\n  - id: g\n    game: {env: "
                                 "volley/slime, seats: [human, human]}\n";
    char path[PATH_MAX];
    write_tmp(path, sizeof path, "keys_cooking.yaml", cooking, sizeof cooking - 1);
    assert_int_equal(config_load(path, config_registry_hooks(), &x, err, sizeof err), 0);
    const game_spec *g = &x.scenes[0].game;
    assert_int_equal(g->nkeys, 5);
    for (int i = 0; i < g->nkeys; i++)
        if (strcmp(g->keys[i].key, " ") == 0)
            assert_int_equal(g->keys[i].action, 5); /* interact, not stay */
    write_tmp(path, sizeof path, "keys_volley.yaml", volley, sizeof volley - 1);
    assert_int_equal(config_load(path, config_registry_hooks(), &x, err, sizeof err), 0);
    g = &x.scenes[0].game;
    assert_int_equal(g->nkeys, 3); /* left, right, jump on the up arrow */
    for (int i = 0; i < g->nkeys; i++)
        if (strcmp(g->keys[i].key, "ArrowUp") == 0)
            assert_int_equal(g->keys[i].action, 3);
}

static uint32_t rng = 12345;
static uint32_t next_random(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static void test_mutated_files_fail_cleanly(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture(path, sizeof path, "good_full.yaml");
    size_t len;
    char *good = test_read_file(path, &len);
    assert_non_null(good);
    static char text[8192];
    assert_true(len > 0 && len <= sizeof text);
    static const char junk[] = "{}[]:,-#&*!|>'\"%@` \n\t\\?\x80\xff";
    int loaded = 0;
    for (int round = 0; round < 3000; round++) {
        memcpy(text, good, len);
        for (int k = 1 + (int)(next_random() % 4); k > 0; k--)
            text[next_random() % len] = (round & 1) ? (char)next_random()
                                                    : junk[next_random() % (sizeof junk - 1)];
        size_t n = round % 7 == 0 ? next_random() % len : len;
        if (config_load_buffer(path, text, n, &hooks, &x, err, sizeof err) == 0) {
            loaded++;
            continue;
        }
        assert_int_equal(strncmp(err, path, strlen(path)), 0);
        int line = 0, col = 0;
        assert_int_equal(sscanf(err + strlen(path), ":%d:%d: ", &line, &col), 2);
        assert_true(line >= 1 && col >= 1);
        assert_null(strchr(err, '\n'));
    }
    assert_true(loaded < 3000);
    free(good);
}

/* The design: a shuffle (a list inside stays together), a repeat numbering its scenes,
 * exit scenes after two outcomes, a condition changing one game and one repetition. */
static uint64_t zero_rnd(void *ctx) { (void)ctx; return 0; }

static void test_design(void **state)
{
    (void)state;
    char path[512];
    fixture(path, sizeof path, "good_design.yaml");
    assert_int_equal(config_load(path, &hooks, &x, err, sizeof err), 0);
    assert_int_equal(x.nconditions, 2);
    assert_int_equal(x.assignment, ASSIGN_BALANCED);
    int16_t route[CFG_MAX_ROUTE];
    int n = experiment_route(&x, 1, zero_rnd, NULL, route);
    assert_int_equal(n, 6);
    const char *want[] = {"welcome", "two", "three", "one", "game-1", "game-2"};
    for (int i = 0; i < n; i++)
        assert_string_equal(x.scenes[route[i]].id, want[i]);
    /* Condition ai: its game seats an AI and waits 20 s; its second repetition also takes
     * over a dropped seat with defaults. Condition human keeps the file's settings, in a
     * game scene of its own (conditions are grouped apart). */
    const scene_spec *g1 = &x.scenes[route[4]], *g2 = &x.scenes[route[5]];
    assert_int_equal(g1->condition, 1);
    assert_int_equal(g1->game.seats[1].kind, SEAT_AI);
    assert_int_equal(g1->waitroom_timeout_s, 20);
    assert_int_equal(g1->game.fps, 20);
    assert_int_equal(g1->on_partner_drop, DROP_END);
    assert_int_equal(g2->on_partner_drop, DROP_DEFAULT);
    assert_int_equal(g2->game.seats[1].kind, SEAT_HUMAN); /* only game-2's own keys */
    n = experiment_route(&x, 0, zero_rnd, NULL, route);
    const scene_spec *h1 = &x.scenes[route[4]];
    assert_int_equal(h1->condition, 0);
    assert_int_equal(h1->base, experiment_find_scene(&x, "game-1", -1));
    assert_int_equal(h1->game.seats[1].kind, SEAT_HUMAN);
    assert_int_equal(h1->waitroom_timeout_s, 180);
    /* Pages are shared; the file's own game scene is on nobody's route (each condition
     * has its variant), so it gets no waiting room. */
    assert_int_equal(route[0], experiment_find_scene(&x, "welcome", -1));
    assert_true(experiment_scene_used(&x, route[0]));
    assert_false(experiment_scene_used(&x, h1->base));
    assert_true(experiment_scene_used(&x, route[4]));
    n = experiment_exit_route(&x, 1, OUTCOME_PARTNER_DROPPED, route);
    assert_int_equal(n, 1);
    assert_string_equal(x.scenes[route[0]].id, "debrief");
    assert_int_equal(experiment_exit_route(&x, 1, OUTCOME_WAITROOM_TIMEOUT, route), 0);
}

int main(void)
{
    const struct CMUnitTest files[] = {
        cmocka_unit_test(test_good_full),
        cmocka_unit_test(test_design),
        cmocka_unit_test(test_good_minimal_defaults),
        cmocka_unit_test(test_good_small_env),
        cmocka_unit_test(test_shipped_experiments),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_timing),
        cmocka_unit_test(test_texts_and_language),
        cmocka_unit_test(test_good_quiz),
        cmocka_unit_test(test_partners),
        cmocka_unit_test(test_bonus_rule),
    };
    const struct CMUnitTest hostile[] = {
        cmocka_unit_test(test_refuses_huge_file),
        cmocka_unit_test(test_refuses_binary),
        cmocka_unit_test(test_refuses_deep_nesting),
        cmocka_unit_test(test_refuses_too_many_nodes),
        cmocka_unit_test(test_page_symlink_escape),
        cmocka_unit_test(test_not_a_file),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_mutated_files_fail_cleanly),
        cmocka_unit_test(test_default_keys_follow_the_env),
        cmocka_unit_test(test_model_seats),
    };
    int failed = cmocka_run_group_tests_name("config files", files, NULL, NULL);
    failed += cmocka_run_group_tests_name("config hostile input", hostile, make_tmpdir,
                                          remove_tmpdir);
    return failed ? 1 : 0;
}
