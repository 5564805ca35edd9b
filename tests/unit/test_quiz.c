/*
 * Comprehension quizzes, the pure parts: reading a page's form fields as the browser will
 * send them (src/config/page_fields.c) and grading a submitted form (src/flow/quiz.c).
 * The flow around them (attempts, feedback, exclusion, retry) is in test_flow.c, the
 * experiment-file mistakes in test_config.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "config/page_fields.h"
#include "flow/quiz.h"

static void scan(const char *html, page_fields *pf) { page_fields_scan(html, strlen(html), pf); }

static void fields_are_read_as_the_browser_sends_them(void **state)
{
    (void)state;
    page_fields pf;
    scan("<!-- <input name=\"ghost\"> -->"
         "<INPUT TYPE=radio NAME=q1 VALUE=a><input type='radio' name='q1' value='b'>"
         "<input type=\"radio\" name=\"bare\">"
         "<input name=\"typed\">"
         "<input type=\"checkbox\" name=\"one\">"
         "<input type=\"checkbox\" name=\"many\" value=\"x\">"
         "<input type=\"checkbox\" name=\"many\" value=\"y\">"
         "<select name=\"pick\"><option value=\"1\">One</option><option> Two &amp; more </option>"
         "<option disabled value=\"3\">Three</option></select>"
         "<select name=\"several\" multiple><option>p</option></select>"
         "<option value=\"stray\">not in a select</option>"
         "<textarea name=\"notes\"></textarea>"
         "<input type=\"text\" name=\"off\" disabled>"
         "<input type=\"submit\" name=\"go\"><button name=\"b\">B</button>",
         &pf);
    assert_int_equal(pf.n, 8);
    assert_null(page_fields_find(&pf, "ghost")); /* commented out */
    assert_null(page_fields_find(&pf, "off"));   /* disabled: the browser sends nothing */
    assert_null(page_fields_find(&pf, "go"));
    const page_field *f = page_fields_find(&pf, "q1");
    assert_int_equal(f->kind, QUIZ_FIELD_CHOICE);
    assert_int_equal(f->noptions, 2);
    assert_true(page_field_has_option(f, "a") && page_field_has_option(f, "b"));
    assert_false(page_field_has_option(f, "c"));
    assert_true(page_field_has_option(page_fields_find(&pf, "bare"), "on"));
    assert_int_equal(page_fields_find(&pf, "typed")->kind, QUIZ_FIELD_TEXT);
    assert_int_equal(page_fields_find(&pf, "one")->kind, QUIZ_FIELD_CHECKBOX);
    assert_int_equal(page_fields_find(&pf, "many")->kind, QUIZ_FIELD_SET);
    f = page_fields_find(&pf, "pick");
    assert_int_equal(f->kind, QUIZ_FIELD_CHOICE);
    assert_int_equal(f->noptions, 2);
    assert_true(page_field_has_option(f, "Two & more"));
    assert_int_equal(page_fields_find(&pf, "several")->kind, QUIZ_FIELD_SET);
    assert_int_equal(page_fields_find(&pf, "notes")->kind, QUIZ_FIELD_TEXT);
    page_fields_free(&pf);
    /* Broken markup ends the scan, not the program. */
    scan("<input name=\"cut\" value=\"abc", &pf);
    assert_int_equal(pf.n, 1);
    page_fields_free(&pf);
    scan("<!-- never closed <input name=\"x\">", &pf);
    assert_int_equal(pf.n, 0);
    page_fields_free(&pf);
}

static quiz_answer answer(const char *field, quiz_field_kind kind, const char *value)
{
    quiz_answer a = {.kind = kind};
    snprintf(a.field, sizeof a.field, "%s", field);
    snprintf(a.value, sizeof a.value, "%s", value);
    return a;
}

static void each_kind_of_answer_is_compared_as_it_should_be(void **state)
{
    (void)state;
    /* Typed text: spaces around it and letter case do not count; numbers by value. */
    quiz_answer t = answer("q", QUIZ_FIELD_TEXT, "Onion Soup");
    assert_true(quiz_answer_matches(&t, "  onion soup "));
    assert_false(quiz_answer_matches(&t, "onion  soup"));
    assert_false(quiz_answer_matches(&t, ""));
    assert_false(quiz_answer_matches(&t, NULL));
    quiz_answer n = answer("q", QUIZ_FIELD_TEXT, "4");
    assert_true(quiz_answer_matches(&n, "4.0"));
    assert_true(quiz_answer_matches(&n, " 4"));
    assert_false(quiz_answer_matches(&n, "40"));
    assert_false(quiz_answer_matches(&n, "4 onions"));
    /* A choice is the option's value exactly. */
    quiz_answer c = answer("q", QUIZ_FIELD_CHOICE, "b");
    assert_true(quiz_answer_matches(&c, "b"));
    assert_false(quiz_answer_matches(&c, "B"));
    assert_false(quiz_answer_matches(&c, ""));
    quiz_answer box = answer("q", QUIZ_FIELD_CHECKBOX, "true");
    assert_true(quiz_answer_matches(&box, "true"));
    assert_false(quiz_answer_matches(&box, "false"));
    /* Checkboxes sharing a name: the same set, in any order, nothing more or less. */
    quiz_answer set = answer("q", QUIZ_FIELD_SET, "tomato,onion");
    assert_true(quiz_answer_matches(&set, "onion,tomato"));
    assert_true(quiz_answer_matches(&set, "tomato,onion"));
    assert_false(quiz_answer_matches(&set, "onion"));
    assert_false(quiz_answer_matches(&set, "onion,tomato,dish"));
    assert_false(quiz_answer_matches(&set, "onio,tomato"));
    assert_false(quiz_answer_matches(&set, ""));
    quiz_answer none = answer("q", QUIZ_FIELD_SET, "");
    assert_true(quiz_answer_matches(&none, ""));
    assert_false(quiz_answer_matches(&none, "onion"));
}

static void a_form_is_graded_field_by_field(void **state)
{
    (void)state;
    static quiz_spec q;
    q.nanswers = 3;
    q.answers[0] = answer("q1", QUIZ_FIELD_CHOICE, "b");
    q.answers[1] = answer("q2", QUIZ_FIELD_TEXT, "3");
    q.answers[2] = answer("q3", QUIZ_FIELD_SET, "onion,tomato");
    uint32_t wrong;
    json_t *form = json_pack("{s:s, s:s, s:s, s:s}", "q1", "b", "q2", " 3 ", "q3",
                             "tomato,onion", "comments", "anything");
    assert_true(quiz_grade(&q, form, &wrong));
    assert_int_equal(wrong, 0);
    json_object_set_new(form, "q1", json_string("a"));
    json_object_del(form, "q3"); /* not sent at all: wrong, not skipped */
    assert_false(quiz_grade(&q, form, &wrong));
    assert_int_equal(wrong, (1u << 0) | (1u << 2));
    assert_false(quiz_grade(&q, NULL, &wrong));
    assert_int_equal(wrong, 7u);
    json_decref(form);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_are_read_as_the_browser_sends_them),
        cmocka_unit_test(each_kind_of_answer_is_compared_as_it_should_be),
        cmocka_unit_test(a_form_is_graded_field_by_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
