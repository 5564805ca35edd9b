/*
 * `cohort pilot`: the C front of the pilot (pilot.h; docs/PILOT.md).
 */
#include "pilot.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/names.h"
#include "../util/file.h"
#include "../util/money.h"

static const char *quiz_kind_name(quiz_field_kind k)
{
    switch (k) {
    case QUIZ_FIELD_CHOICE: return "choice";
    case QUIZ_FIELD_CHECKBOX: return "checkbox";
    case QUIZ_FIELD_SET: return "set";
    case QUIZ_FIELD_TEXT: break;
    }
    return "text";
}

static json_t *quiz_json(const experiment *x, const quiz_spec *q)
{
    json_t *answers = json_array();
    for (int i = 0; i < q->nanswers; i++) {
        const quiz_answer *a = &q->answers[i];
        json_t *value;
        if (a->kind == QUIZ_FIELD_SET) {
            /* The values joined by ',' (config.h): the driver wants the list. */
            value = json_array();
            char buf[CFG_QUIZ_VALUE_LEN];
            snprintf(buf, sizeof buf, "%s", a->value);
            for (char *save = NULL, *v = strtok_r(buf, ",", &save); v;
                 v = strtok_r(NULL, ",", &save))
                json_array_append_new(value, json_string(v));
        } else {
            value = json_string(a->value);
        }
        json_array_append_new(answers, json_pack("{s:s, s:s, s:o}", "field", a->field, "kind",
                                                 quiz_kind_name(a->kind), "value", value));
    }
    return json_pack("{s:o, s:i, s:s, s:s}", "answers", answers, "max_attempts",
                     q->max_attempts, "on_fail", q->on_fail == QUIZ_RETRY ? "retry" : "exclude",
                     "retry_from", x->scenes[q->retry_from].id);
}

static json_t *game_json(const game_spec *g)
{
    json_t *seats = json_array(), *keys = json_object();
    for (int i = 0; i < g->nseats; i++) {
        if (g->seats[i].kind == SEAT_HUMAN) {
            json_array_append_new(seats, json_string("human"));
        } else {
            char ai[CFG_ID_LEN + 4];
            snprintf(ai, sizeof ai, "ai:%s", g->seats[i].policy);
            json_array_append_new(seats, json_string(ai));
        }
    }
    for (int i = 0; i < g->nkeys; i++)
        json_object_set_new(keys, g->keys[i].key, json_integer(g->keys[i].action));
    /* The clock as the file set it (fps or step_ms, the other null) and the period it
     * comes to, which is what the driver times a game by. */
    game_rate rate = game_spec_rate(g);
    return json_pack("{s:s, s:o, s:i, s:o, s:o, s:f, s:s, s:i, s:i, s:i, s:i, s:o}", "env",
                     g->env, "seats", seats, "humans", g->humans, "fps",
                     g->step_ms > 0 ? json_null() : json_integer(g->fps), "step_ms",
                     g->step_ms > 0 ? json_integer(g->step_ms) : json_null(), "step_period_ms",
                     (double)rate.den / (double)rate.num, "input", input_mode_name(g->input),
                     "episodes", g->episodes, "max_steps", g->max_steps, "countdown_s",
                     g->countdown_s, "input_delay", g->input_delay, "keys", keys);
}

static const char *drop_name(const scene_spec *s)
{
    switch (s->on_partner_drop) {
    case DROP_DEFAULT: return "default";
    case DROP_AI: return "ai";
    case DROP_END: break;
    }
    return "end";
}

static json_t *scene_json(const experiment *x, int i)
{
    const scene_spec *s = &x->scenes[i];
    json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:b, s:s, s:b}", "index", i, "id", s->id, "kind",
                          s->kind == SCENE_GAME ? "game" : "page", "base", s->base, "exit_only",
                          s->exit_only, "page", s->page, "form", s->form);
    json_object_set_new(o, "condition",
                        s->condition >= 0 ? json_string(x->conditions[s->condition]) : json_null());
    const quiz_spec *q = scene_quiz(x, s);
    if (q)
        json_object_set_new(o, "quiz", quiz_json(x, q));
    if (s->kind == SCENE_GAME) {
        json_object_set_new(o, "game", game_json(&s->game));
        json_object_set_new(
            o, "settings",
            json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "waitroom_timeout_s",
                      s->waitroom_timeout_s, "on_partner_drop", drop_name(s), "reconnect_grace_s",
                      s->reconnect_grace_s, "focus_loss_timeout_s", s->focus_loss_timeout_s,
                      "inactivity_timeout_s", s->inactivity_timeout_s, "no_input_timeout_s",
                      s->no_input_timeout_s, "entry_max_rtt_ms", s->entry_max_rtt_ms,
                      "continuous_max_rtt_ms", s->continuous_max_rtt_ms));
        if (s->partners.keep)
            json_object_set_new(o, "partners",
                                json_pack("{s:s, s:i, s:s}", "same_as",
                                          x->scenes[s->partners.same_as].id, "wait_s",
                                          s->partners.wait_s, "if_gone",
                                          s->partners.if_gone == PARTNERS_END ? "end" : "regroup"));
    }
    return o;
}

/* Every shuffle drawn as written: the driver wants the set of scenes, not an order. */
static uint64_t no_shuffle(void *ctx)
{
    (void)ctx;
    return 0;
}

static json_t *route_json(const experiment *x, int condition)
{
    int16_t route[CFG_MAX_ROUTE];
    int n = experiment_route(x, condition, no_shuffle, NULL, route);
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_integer(route[i]));
    return a;
}

static json_t *money_json(int64_t v)
{
    char buf[MONEY_TEXT_MAX];
    /* Rates may have 4 decimals: print them exactly, not rounded to cents. */
    snprintf(buf, sizeof buf, "%lld.%04lld", (long long)(v / MONEY_SCALE),
             (long long)(v % MONEY_SCALE));
    return json_string(buf);
}

char *pilot_plan_json(const experiment *x)
{
    json_t *scenes = json_array(), *conditions = json_array(), *routes = json_object(),
           *codes = json_object(), *exits = json_object(), *identity = json_array();
    for (int i = 0; i < x->nscenes; i++)
        json_array_append_new(scenes, scene_json(x, i));
    for (int c = 0; c < x->nconditions; c++) {
        json_array_append_new(conditions, json_string(x->conditions[c]));
        json_object_set_new(routes, x->conditions[c], route_json(x, c));
    }
    if (x->nconditions == 0)
        json_object_set_new(routes, "", route_json(x, -1));
    for (int o = 0; o < outcome_COUNT_; o++) {
        if (x->codes[o][0])
            json_object_set_new(codes, outcome_name((outcome)o), json_string(x->codes[o]));
        if (x->nexit[o] > 0) {
            json_t *ids = json_array();
            for (int i = 0; i < x->nexit[o]; i++)
                json_array_append_new(ids, json_string(x->scenes[x->exits[o][i]].id));
            json_object_set_new(exits, outcome_name((outcome)o), ids);
        }
    }
    for (int i = 0; i < x->nidentity; i++)
        json_array_append_new(identity, json_string(x->identity_params[i]));
    json_t *assignment;
    if (x->assignment == ASSIGN_PARAM)
        assignment = json_pack("{s:s}", "param", x->assignment_param);
    else
        assignment = json_string(x->assignment == ASSIGN_RANDOM ? "random" : "balanced");
    json_t *bonus = json_null();
    if (x->bonus.enabled) {
        const bonus_spec *b = &x->bonus;
        bonus = json_pack("{s:o, s:o, s:b, s:s}", "per_point", money_json(b->per_point),
                          "per_minute_waited", money_json(b->per_minute_waited), "show", b->show,
                          "currency", b->currency);
        json_object_set_new(bonus, "max_score",
                            b->max_score == CFG_NO_CAP ? json_null() : money_json(b->max_score));
        json_object_set_new(bonus, "max_waiting", b->max_waiting == CFG_NO_CAP
                                                      ? json_null()
                                                      : money_json(b->max_waiting));
    }
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:s, s:o, s:{s:b, s:b, s:i, s:i}}",
        "experiment", x->id, "file", x->path, "dir", x->dir, "scenes", scenes, "conditions",
        conditions, "mix_conditions", x->mix_conditions, "routes", routes, "assignment",
        assignment, "codes", codes, "on_outcome", exits, "redirect", x->redirect, "identity_params",
        identity, "require", "desktop", x->require.desktop, "keyboard", x->require.keyboard,
        "min_width", x->require.min_width, "min_height", x->require.min_height);
    json_object_set_new(root, "bonus", bonus);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    return text;
}

/* The driver: COHORT_PILOT_DRIVER, else tools/pilot/pilot.mjs of the source tree this
 * executable was built in (build/cohort), else the installed PREFIX/share/cohort/pilot. */
static int find_driver(char *out, size_t len)
{
    if (file_beside_exe("COHORT_PILOT_DRIVER", "../tools/pilot/pilot.mjs", out, len) == 0)
        return 0;
    if (getenv("COHORT_PILOT_DRIVER"))
        return -1;
    return file_beside_exe(NULL, "../share/cohort/pilot/pilot.mjs", out, len);
}

static void pilot_usage(FILE *to)
{
    fprintf(to, "usage: cohort pilot EXPERIMENT.yaml [--browsers N] [--url URL] [--out DIR] "
                "[options]\n"
                "       (cohort pilot --help lists every option; docs/PILOT.md explains the "
                "report)\n");
}

int cmd_pilot(int argc, char **argv)
{
    if (argc < 2) {
        pilot_usage(stderr);
        return 2;
    }
    char driver[PATH_MAX + 64];
    bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
    if (find_driver(driver, sizeof driver) != 0) {
        fprintf(stderr,
                "cohort pilot: the pilot's driver (pilot/pilot.mjs) is not installed beside "
                "this cohort; run `make install` again from the cohort source folder\n");
        return 2;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "cohort pilot: cannot find this executable\n");
        return 2;
    }
    exe[n] = '\0';
    char plan_path[] = "/tmp/cohort-pilot-plan-XXXXXX";
    const char *file = argv[1];
    if (!help) {
        /* The real loader first: what `cohort serve` would refuse is never piloted, and
         * the message is the same file:line:col one `cohort check` prints. */
        experiment *x = calloc(1, sizeof *x);
        char err[1024];
        if (!x)
            return 2;
        if (config_load(file, config_registry_hooks(), x, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            fprintf(stderr, "cohort pilot: FAIL: the experiment file does not load (see "
                            "`cohort check`)\n");
            free(x);
            return 1;
        }
        char *plan = pilot_plan_json(x);
        free(x);
        int fd = plan ? mkstemp(plan_path) : -1;
        FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!fp || fputs(plan, fp) == EOF || fclose(fp) != 0) {
            fprintf(stderr, "cohort pilot: cannot write the plan to %s: %s\n", plan_path,
                    strerror(errno));
            free(plan);
            return 2;
        }
        free(plan);
    }
    /* node DRIVER --plan PLAN --cohort EXE FILE [options...]; the driver deletes PLAN. */
    char **args = calloc((size_t)argc + 8, sizeof *args);
    if (!args)
        return 2;
    int k = 0;
    args[k++] = "node";
    args[k++] = driver;
    if (help) {
        args[k++] = "--help";
    } else {
        args[k++] = "--plan";
        args[k++] = plan_path;
        args[k++] = "--cohort";
        args[k++] = exe;
        for (int i = 1; i < argc; i++)
            args[k++] = argv[i];
    }
    args[k] = NULL;
    const char *node = getenv("COHORT_NODE");
    execvp(node && *node ? node : "node", args);
    fprintf(stderr,
            "cohort pilot: cannot run Node.js (%s). The pilot needs Node.js 20 or later, "
            "Playwright and Chromium's headless shell: run `scripts/setup --pilot` in the "
            "cohort source folder (docs/PILOT.md, \"Setup\")\n",
            strerror(errno));
    if (!help)
        unlink(plan_path);
    free(args);
    return 2;
}
