/*
 * `quiz:` in a page scene: the correct answers (checked against the page's form fields),
 * the feedback, the attempts and what a failure means. Grading is src/flow/quiz.c's.
 */
#include "config/config_quiz.h"

#include <stdio.h>
#include <string.h>

#include "config/page_fields.h"

enum { Q_ANSWERS, Q_FEEDBACK, Q_SHOW_WRONG, Q_MAX_ATTEMPTS, Q_ON_FAIL, Q_RETRY_FROM, Q_N };
static const char *const quiz_keys[Q_N] = {
    [Q_ANSWERS] = "answers", [Q_FEEDBACK] = "feedback", [Q_SHOW_WRONG] = "show_wrong",
    [Q_MAX_ATTEMPTS] = "max_attempts", [Q_ON_FAIL] = "on_fail", [Q_RETRY_FROM] = "retry_from",
};
static const cfg_schema quiz_schema = {"quiz", "in quiz", quiz_keys, Q_N};

/* "a, b, c" (cut short past a few), for messages that list what the page offers. */
static void list_names(char *out, size_t cap, const char *const *names, int n)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o + 1 < cap; i++) {
        int w = snprintf(out + o, cap - o, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= cap - o || (i == 7 && i + 1 < n)) {
            snprintf(out + (o < cap - 6 ? o : cap - 6), 6, ", ...");
            return;
        }
        o += (size_t)w;
    }
}

static void list_fields(char *out, size_t cap, const page_fields *pf)
{
    const char *names[8];
    int n = 0;
    for (int i = 0; i < pf->n && n < 8; i++)
        names[n++] = pf->fields[i].name;
    list_names(out, cap, names, n);
    if (pf->n > 8)
        snprintf(out + strlen(out), cap - strlen(out), ", ...");
}

static bool check_option(cfg_ctx *c, const ynode *v, const page_field *f, const char *value)
{
    if (f->noptions == 0 || page_field_has_option(f, value))
        return true;
    char opts[200];
    list_names(opts, sizeof opts, (const char *const *)f->options, f->noptions);
    return cfg_fail(c, v, "quiz: %s has no value %s on the page (its values: %s)", f->name,
                    cfg_got(c, v), opts);
}

/* One field's answer, in the form collectForm sends it. */
static bool load_answer(cfg_ctx *c, const ynode *k, const page_fields *pf, const ynode *page,
                        quiz_answer *a)
{
    const ynode *v = ynode_value(k);
    if (!cfg_string(c, k, "a form field's name", a->field, sizeof a->field))
        return false;
    const page_field *f = page_fields_find(pf, a->field);
    if (!f) {
        char fields[200];
        list_fields(fields, sizeof fields, pf);
        char name[80];
        return cfg_fail(c, k, "quiz: page %s has no form field named %s (its fields: %s)",
                        cfg_got(c, page), cfg_quote(name, sizeof name, k->text, k->len), fields);
    }
    a->kind = f->kind;
    if (f->kind == QUIZ_FIELD_SET) {
        if (v->kind != YNODE_SEQUENCE)
            return cfg_fail(c, v, "quiz: %s is %s, so its answer is a list of the values to "
                                  "check, e.g. [a, c] (or [] for none), got %s", a->field,
                            f->elements > 1 ? "a group of checkboxes" : "a multiple select",
                            cfg_got(c, v));
        size_t o = 0;
        for (const ynode *item = v->first; item; item = item->next) {
            char one[CFG_QUIZ_VALUE_LEN];
            if (!cfg_string(c, item, "each value", one, sizeof one))
                return false;
            if (strchr(one, ','))
                return cfg_fail(c, item, "quiz: %s contains a comma, which the browser uses "
                                         "to join the values of %s", cfg_got(c, item), a->field);
            if (!check_option(c, item, f, one))
                return false;
            for (const ynode *before = v->first; before != item; before = before->next)
                if (strcmp(before->text, one) == 0)
                    return cfg_fail(c, item, "quiz: %s is listed twice for %s", cfg_got(c, item),
                                    a->field);
            int w = snprintf(a->value + o, sizeof a->value - o, "%s%s", o ? "," : "", one);
            if (w < 0 || (size_t)w >= sizeof a->value - o)
                return cfg_fail(c, v, "quiz: the values for %s are longer than %d characters "
                                      "together", a->field, CFG_QUIZ_VALUE_LEN - 1);
            o += (size_t)w;
        }
        return true;
    }
    if (v->kind != YNODE_SCALAR || v->is_null)
        return cfg_fail(c, v, "quiz: %s takes one value, got %s", a->field, cfg_got(c, v));
    if (!cfg_string(c, v, "a quiz answer", a->value, sizeof a->value))
        return false;
    if (f->kind == QUIZ_FIELD_CHECKBOX) {
        if (!cfg_is(v, "true") && !cfg_is(v, "false"))
            return cfg_fail(c, v, "quiz: %s is a single checkbox, so its answer is true "
                                  "(checked) or false, got %s", a->field, cfg_got(c, v));
        return true;
    }
    if (a->value[0] == '\0')
        return cfg_fail(c, v, "quiz: the answer for %s is empty", a->field);
    return f->kind != QUIZ_FIELD_CHOICE || check_option(c, v, f, a->value);
}

static bool load_answers(cfg_ctx *c, const ynode *n, const ynode *page, const char *page_path,
                         quiz_spec *q)
{
    if (!cfg_free_mapping(c, n, "answers", "in answers", CFG_MAX_QUIZ_ANSWERS))
        return false;
    page_fields pf;
    if (page_fields_read(page_path, &pf) != 0)
        return cfg_fail(c, page, "page %s cannot be read", cfg_got(c, page));
    bool ok = true;
    q->nanswers = 0;
    for (const ynode *k = n->first; ok && k; k = ynode_next_key(k))
        ok = load_answer(c, k, &pf, page, &q->answers[q->nanswers++]);
    page_fields_free(&pf);
    return ok;
}

/* retry_from: this scene or an earlier page scene with no game between (going back
 * must not replay a game). */
static bool load_retry_from(cfg_ctx *c, const ynode *v, const experiment *x, int scene_index,
                            quiz_spec *q)
{
    char id[CFG_ID_LEN];
    if (!cfg_ident(c, v, "retry_from", "", id, sizeof id))
        return false;
    int target = -1;
    for (int i = 0; i <= scene_index && target < 0; i++)
        if (strcmp(x->scenes[i].id, id) == 0)
            target = i;
    if (target < 0)
        return cfg_fail(c, v, "retry_from \"%s\" is not this scene or one before it; a retry "
                              "goes back to an earlier page (or this one)", id);
    for (int i = target; i < scene_index; i++)
        if (x->scenes[i].kind == SCENE_GAME)
            return cfg_fail(c, v, "retry_from \"%s\" would play game scene \"%s\" again; name "
                                  "a page scene after it", id, x->scenes[i].id);
    q->retry_from = target;
    return true;
}

bool cfg_load_quiz(cfg_ctx *c, const ynode *key, const ynode *n, const ynode *page,
                   experiment *x, scene_spec *s, int scene_index)
{
    if (!s->form)
        return cfg_fail(c, key, "quiz needs form: true in scene \"%s\": its answers are read "
                                "from the page's form", s->id);
    if (x->nquizzes >= CFG_MAX_QUIZZES)
        return cfg_fail(c, key, "at most %d scenes may have a quiz", CFG_MAX_QUIZZES);
    cfg_field f[Q_N];
    if (!cfg_mapping(c, n, &quiz_schema, f) || !cfg_require(c, n, &quiz_schema, f, Q_ANSWERS))
        return false;
    quiz_spec *q = &x->quizzes[x->nquizzes];
    memset(q, 0, sizeof *q);
    q->show_wrong = true;
    q->max_attempts = CFG_QUIZ_DEFAULT_ATTEMPTS;
    q->on_fail = QUIZ_EXCLUDE;
    q->retry_from = scene_index;
    if (!load_answers(c, f[Q_ANSWERS].val, page, s->page, q))
        return false;
    if (f[Q_FEEDBACK].val &&
        !cfg_string(c, f[Q_FEEDBACK].val, "feedback", q->feedback, sizeof q->feedback))
        return false;
    if (f[Q_SHOW_WRONG].val && !cfg_bool(c, f[Q_SHOW_WRONG].val, "show_wrong", &q->show_wrong))
        return false;
    if (f[Q_MAX_ATTEMPTS].val && !cfg_int(c, f[Q_MAX_ATTEMPTS].val, "max_attempts", 1,
                                          CFG_QUIZ_MAX_ATTEMPTS, &q->max_attempts))
        return false;
    const ynode *on = f[Q_ON_FAIL].val;
    if (on && cfg_is(on, "retry"))
        q->on_fail = QUIZ_RETRY;
    else if (on && !cfg_is(on, "exclude"))
        return cfg_fail(c, on, "on_fail must be exclude (outcome quiz_failed) or retry, got %s",
                        cfg_got(c, on));
    if (f[Q_RETRY_FROM].key && q->on_fail != QUIZ_RETRY)
        return cfg_fail(c, f[Q_RETRY_FROM].key, "retry_from is only allowed with on_fail: retry");
    if (f[Q_RETRY_FROM].val && !load_retry_from(c, f[Q_RETRY_FROM].val, x, scene_index, q))
        return false;
    s->quiz = ++x->nquizzes;
    return true;
}
