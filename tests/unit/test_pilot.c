/*
 * `cohort pilot`'s C front (src/pilot): the design it hands the driver is the one the
 * loader resolved. The driver answers quizzes, fills groups and expects codes from this
 * JSON alone, so a wrong or missing field here is a pilot that answers a quiz wrong or
 * waits for a condition that does not exist.
 *
 * Run from the repo root (`make test-unit`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "pilot/pilot.h"
#include "support.h"

static json_t *plan_of(const char *path)
{
    experiment *x = calloc(1, sizeof *x);
    char err[1024];
    assert_non_null(x);
    assert_int_equal(config_load(path, config_registry_hooks(), x, err, sizeof err), 0);
    char *text = pilot_plan_json(x);
    free(x);
    assert_non_null(text);
    json_error_t jerr;
    json_t *plan = json_loads(text, 0, &jerr);
    free(text);
    assert_non_null(plan);
    return plan;
}

/* The scene of that id in that condition (NULL: the shared one). */
static json_t *scene(json_t *plan, const char *id, const char *condition)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(plan, "scenes"), i, s) {
        json_t *c = json_object_get(s, "condition");
        bool same = condition ? json_is_string(c) && strcmp(json_string_value(c), condition) == 0
                              : json_is_null(c);
        if (same && strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
            return s;
    }
    return NULL;
}

/* experiments/conditions: four conditions, each with its own game variant; the quiz's
 * answers as the page must be filled (a number, a set of checkboxes as a list); codes and
 * exit scenes per outcome; the bonus shown. */
static void conditions_example_resolved(void **state)
{
    (void)state;
    json_t *plan = plan_of("experiments/conditions/experiment.yaml");
    assert_string_equal(json_string_value(json_object_get(plan, "experiment")), "conditions");
    assert_int_equal(json_array_size(json_object_get(plan, "conditions")), 4);
    assert_string_equal(json_string_value(json_object_get(plan, "assignment")), "balanced");

    json_t *check = scene(plan, "check", NULL);
    assert_non_null(check);
    json_t *answers = json_object_get(json_object_get(check, "quiz"), "answers");
    assert_int_equal(json_array_size(answers), 2);
    json_t *onions = json_array_get(answers, 0), *serve = json_array_get(answers, 1);
    assert_string_equal(json_string_value(json_object_get(onions, "field")), "onions");
    assert_string_equal(json_string_value(json_object_get(onions, "value")), "3");
    assert_string_equal(json_string_value(json_object_get(serve, "kind")), "set");
    json_t *set = json_object_get(serve, "value");
    assert_int_equal(json_array_size(set), 2);
    assert_string_equal(json_string_value(json_array_get(set, 0)), "dish");
    assert_string_equal(json_string_value(json_array_get(set, 1)), "pass");
    assert_string_equal(json_string_value(json_object_get(json_object_get(check, "quiz"), "on_fail")), "retry");

    /* The AI condition's game has one human seat (no partner to wait for); the ring's
     * human condition plays another layout with two. */
    json_t *ai = json_object_get(scene(plan, "game", "cramped-ai"), "game");
    assert_int_equal(json_integer_value(json_object_get(ai, "humans")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(ai, "seats"), 1)), "ai:greedy");
    json_t *ring = json_object_get(scene(plan, "game", "ring-human"), "game");
    assert_string_equal(json_string_value(json_object_get(ring, "env")), "cooking/coordination_ring");
    assert_int_equal(json_integer_value(json_object_get(ring, "humans")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ring, "keys"), "ArrowUp")), 0);

    /* Each condition's route goes through its own game variant. */
    json_t *route = json_object_get(json_object_get(plan, "routes"), "ring-human");
    bool through_variant = false;
    size_t i;
    json_t *idx;
    json_array_foreach(route, i, idx) {
        json_t *s = json_array_get(json_object_get(plan, "scenes"), (size_t)json_integer_value(idx));
        if (s == scene(plan, "game", "ring-human"))
            through_variant = true;
    }
    assert_true(through_variant);

    json_t *codes = json_object_get(plan, "codes");
    assert_string_equal(json_string_value(json_object_get(codes, "completed")), "C2X2OK");
    assert_string_equal(json_string_value(json_object_get(codes, "partner_dropped")), "C2X2PD");
    json_t *exits = json_object_get(json_object_get(plan, "on_outcome"), "partner_dropped");
    assert_string_equal(json_string_value(json_array_get(exits, 0)), "exit-survey");
    json_t *bonus = json_object_get(plan, "bonus");
    assert_true(json_is_true(json_object_get(bonus, "show")));
    assert_string_equal(json_string_value(json_object_get(bonus, "per_point")), "0.0100");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(plan, "require"), "min_width")), 800);
    json_decref(plan);
}

/* The demo: no conditions (one route, under ""), the game's drop rule and grace, which
 * the driver uses to time a scripted drop and to know what the partner gets. */
static void demo_settings_resolved(void **state)
{
    (void)state;
    json_t *plan = plan_of("experiments/demo/experiment.yaml");
    assert_int_equal(json_array_size(json_object_get(plan, "conditions")), 0);
    assert_non_null(json_object_get(json_object_get(plan, "routes"), ""));
    json_t *settings = json_object_get(scene(plan, "game", NULL), "settings");
    assert_string_equal(json_string_value(json_object_get(settings, "on_partner_drop")), "end");
    assert_int_equal(json_integer_value(json_object_get(settings, "reconnect_grace_s")), 10);
    assert_int_equal(json_integer_value(json_object_get(settings, "waitroom_timeout_s")), 180);
    assert_true(json_is_null(json_object_get(plan, "bonus")));
    assert_true(json_is_true(json_object_get(scene(plan, "consent", NULL), "form")));
    json_decref(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conditions_example_resolved),
        cmocka_unit_test(demo_settings_resolved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
