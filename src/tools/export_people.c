/* `cohort export`: participants.csv and events.csv (docs/DATA.md). */
#include "export_internal.h"
#include "../util/money.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/map.h"

/* ---------------------------------------------------------------------------------------
 * participants.csv
 * ------------------------------------------------------------------------------------- */

/* A JSON value as a cell: strings as they are, anything else as compact JSON text. */
static char *json_cell(const json_t *v)
{
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
}

typedef struct {
    size_t first_visit, nvisits;  /* in s->visits (ordered by subject, t) */
    size_t first_form, nforms;
    size_t first_quiz, nquizzes;  /* in s->quizzes (ordered by subject) */
    const outcome_row *outcome;   /* the latest */
    const wait_sum *waits;
    uint32_t games, episodes;
    json_t *study;                /* params.study */
} person;

static void index_runs(const vec *v, size_t offset_subject, map *m)
{
    /* rows are ordered by subject: record the first row and the run length of each */
    for (size_t i = 0; i < v->n;) {
        const char *subj = *(const char *const *)((const char *)v->items + i * v->size + offset_subject);
        size_t j = i + 1;
        while (j < v->n &&
               subj && strcmp(subj, *(const char *const *)((const char *)v->items + j * v->size +
                                                         offset_subject)) == 0)
            j++;
        if (subj) {
            size_t *run = malloc(2 * sizeof *run);
            run[0] = i;
            run[1] = j - i;
            free(map_put(m, subj, run));
        }
        i = j;
    }
}

static void free_run(const char *key, void *value, void *ctx)
{
    (void)key;
    (void)ctx;
    free(value);
}

int write_participants(xfiles *xf, json_t *codebook, const snapshot *s, const vec *outs,
                              uint64_t *rows)
{
    char err[512];
    size_t np = s->participants.n;
    person *people = calloc(np ? np : 1, sizeof *people);
    map *by_subject = map_new(), *visit_runs = map_new(), *form_runs = map_new();
    map *quiz_runs = map_new();
    for (size_t i = 0; i < np; i++)
        map_put(by_subject, AT(s->participants, participant_row, i)->subject,
                &people[i]);
    index_runs(&s->visits, offsetof(visit_row, subject), visit_runs);
    index_runs(&s->forms, offsetof(form_row, subject), form_runs);
    index_runs(&s->quizzes, offsetof(quiz_sum, subject), quiz_runs);

    /* column sets: study params, scenes (by index), form fields per scene */
    strset params = {0};
    json_t *param_keys = json_array(); /* keeps the key strings alive */
    for (size_t i = 0; i < np; i++) {
        const participant_row *p = AT(s->participants, participant_row, i);
        person *pp = &people[i];
        json_t *all = p->params ? json_loads(p->params, 0, NULL) : NULL;
        pp->study = json_incref(json_object_get(all, "study"));
        json_decref(all);
        const char *key;
        json_t *v;
        json_object_foreach(pp->study, key, v) {
            if (strset_index(&params, key) < 0) {
                json_t *k = json_string(key);
                json_array_append_new(param_keys, k);
                strset_add(&params, json_string_value(k));
            }
        }
        size_t *run = map_get(visit_runs, p->subject);
        if (run) {
            pp->first_visit = run[0];
            pp->nvisits = run[1];
        }
        run = map_get(form_runs, p->subject);
        if (run) {
            pp->first_form = run[0];
            pp->nforms = run[1];
        }
        run = map_get(quiz_runs, p->subject);
        if (run) {
            pp->first_quiz = run[0];
            pp->nquizzes = run[1];
        }
    }
    for (size_t i = 0; i < s->outcomes.n; i++) {
        const outcome_row *o = AT(s->outcomes, outcome_row, i);
        person *pp = o->subject ? map_get(by_subject, o->subject) : NULL;
        if (pp)
            pp->outcome = o; /* ordered by t: the last one wins */
    }
    for (size_t i = 0; i < s->waits.n; i++) {
        const wait_sum *w = AT(s->waits, wait_sum, i);
        person *pp = w->subject ? map_get(by_subject, w->subject) : NULL;
        if (pp)
            pp->waits = w;
    }
    map *games_seen = map_new();
    for (size_t i = 0; i < outs->n; i++) {
        const episode_out *eo = AT(*outs, episode_out, i);
        for (uint32_t k = 0; k < eo->nseats; k++) {
            person *pp = eo->seat_names[k] ? map_get(by_subject, eo->seat_names[k]) : NULL;
            if (!pp)
                continue;
            pp->episodes++;
            char key[256];
            snprintf(key, sizeof key, "%s\x1f%s", eo->row->game, eo->seat_names[k]);
            if (!map_get(games_seen, key)) {
                map_put(games_seen, key, pp);
                pp->games++;
            }
        }
    }
    map_free(games_seen);

    /* scenes in experiment order (scene_index), each id once */
    typedef struct {
        const char *id;
        int index;
    } scene_col;
    scene_col *scenes = NULL;
    size_t nscenes = 0;
    for (size_t i = 0; i < s->visits.n; i++) {
        const visit_row *v = AT(s->visits, visit_row, i);
        size_t j = 0;
        while (j < nscenes && strcmp(scenes[j].id, v->scene) != 0)
            j++;
        if (j == nscenes) {
            scenes = realloc(scenes, (nscenes + 1) * sizeof *scenes);
            scenes[nscenes++] = (scene_col){v->scene, v->index};
        } else if (v->index < scenes[j].index) {
            scenes[j].index = v->index;
        }
    }
    for (size_t i = 1; i < nscenes; i++) /* insertion sort by index, then id */
        for (size_t j = i; j > 0 && (scenes[j].index < scenes[j - 1].index ||
                                     (scenes[j].index == scenes[j - 1].index &&
                                      strcmp(scenes[j].id, scenes[j - 1].id) < 0)); j--) {
            scene_col tmp = scenes[j];
            scenes[j] = scenes[j - 1];
            scenes[j - 1] = tmp;
        }
    /* form columns: form.SCENE.FIELD, scenes in that order (then any other), fields sorted */
    strset form_cols_set = {0};
    json_t *form_col_names = json_array();
    json_t *forms_parsed = json_array(); /* one object per forms row, same order */
    for (size_t i = 0; i < s->forms.n; i++) {
        const form_row *f = AT(s->forms, form_row, i);
        json_t *o = f->form ? json_loads(f->form, 0, NULL) : NULL;
        if (!json_is_object(o)) {
            json_decref(o);
            o = json_object();
        }
        json_array_append_new(forms_parsed, o);
    }
    const char **form_order = NULL;
    size_t nform_cols = 0;
    for (size_t pass = 0; pass <= nscenes; pass++) {
        strset fields = {0};
        json_t *keep = json_array();
        for (size_t i = 0; i < s->forms.n; i++) {
            const form_row *f = AT(s->forms, form_row, i);
            bool in_scene = pass < nscenes ? strcmp(f->scene, scenes[pass].id) == 0 : true;
            if (pass == nscenes)
                for (size_t k = 0; k < nscenes; k++)
                    if (strcmp(f->scene, scenes[k].id) == 0)
                        in_scene = false;
            if (!in_scene)
                continue;
            const char *key;
            json_t *v;
            json_object_foreach(json_array_get(forms_parsed, i), key, v) {
                char col[512];
                snprintf(col, sizeof col, "form.%s.%s", f->scene, key);
                if (strset_index(&form_cols_set, col) >= 0 || strset_index(&fields, col) >= 0)
                    continue;
                json_t *k = json_string(col);
                json_array_append_new(keep, k);
                strset_add(&fields, json_string_value(k));
            }
        }
        for (size_t i = 0; i < fields.n; i++) {
            json_t *k = json_string(fields.s[i]);
            json_array_append_new(form_col_names, k);
            strset_add(&form_cols_set, json_string_value(k));
            form_order = realloc(form_order, (nform_cols + 1) * sizeof *form_order);
            form_order[nform_cols++] = json_string_value(k);
        }
        free(fields.s);
        json_decref(keep);
    }

    xtable *t = xt_new(xf, "participants.csv",
                       "one row per participant (everyone who opened the study link), in the "
                       "order they arrived; the key is subject", err, sizeof err);
    if (!t) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    xt_col(t, "subject", XT_STRING, "", false,
           "participant id (from the recruitment platform's URL parameter, or made up)");
    for (size_t i = 0; i < params.n; i++) {
        char name[300], desc[400];
        snprintf(name, sizeof name, "param.%s", params.s[i]);
        snprintf(desc, sizeof desc, "study parameter %s from the study link (identity.study_params)",
                 params.s[i]);
        xt_col(t, name, XT_STRING, "", true, desc);
    }
    xt_col(t, "condition", XT_STRING, "", true,
           "the condition they were assigned (docs/EXPERIMENTS.md \"Conditions\"); empty when "
           "the experiment has none");
    json_object_set_new(xt_col(t, "outcome", XT_STRING, "", true,
                               "how the study ended for them (docs/EXPERIMENTS.md); empty while "
                               "they are still in it"),
                        "values", xt_words(outcome_words));
    json_object_set_new(xt_col(t, "reason", XT_STRING, "", true, "why they got that outcome, if a reason applies"),
                        "values", xt_words(reason_words_all + 1));
    xt_col(t, "code", XT_STRING, "", true, "the completion code they were given for the outcome");
    xt_col(t, "last_scene", XT_STRING, "", true, "id of the last scene they entered");
    xt_col(t, "t_start", XT_INTEGER, "ms since 1970-01-01 UTC", false, "when they first arrived");
    xt_col(t, "t_start_iso", XT_DATETIME, "", false, "t_start as an ISO 8601 UTC time");
    xt_col(t, "t_end", XT_INTEGER, "ms since 1970-01-01 UTC", true,
           "when their outcome was decided (the end of the study for them)");
    xt_col(t, "t_end_iso", XT_DATETIME, "", true, "t_end as an ISO 8601 UTC time");
    xt_col(t, "duration_ms", XT_INTEGER, "ms", true, "t_end - t_start");
    for (size_t i = 0; i < nscenes; i++) {
        char name[300], desc[400];
        snprintf(name, sizeof name, "scene_ms.%s", scenes[i].id);
        snprintf(desc, sizeof desc,
                 "time spent in scene %s (scene %d): from entering it to entering the next "
                 "scene or the end; empty if never entered or still there",
                 scenes[i].id, scenes[i].index);
        xt_col(t, name, XT_INTEGER, "ms", true, desc);
    }
    xt_col(t, "wait_ms", XT_INTEGER, "ms", false, "total time in waiting rooms");
    xt_col(t, "waits", XT_INTEGER, "", false, "stays in a waiting room");
    xt_col(t, "games", XT_INTEGER, "", false, "games they sat in (with an exported episode)");
    xt_col(t, "episodes", XT_INTEGER, "", false, "exported episodes they sat in (episodes.csv)");
    xt_col(t, "bonus", XT_DECIMAL, "currency units", true,
           "bonus decided with the outcome (docs/EXPERIMENTS.md \"Bonus\"), two decimals "
           "rounded down, as payments.csv pays it; empty without a bonus rule or outcome");
    /* quiz_attempts.SCENE: one column per scene with graded quiz attempts, by scene id */
    strset quiz_scenes = {0};
    for (size_t i = 0; i < s->quizzes.n; i++) {
        const quiz_sum *q = AT(s->quizzes, quiz_sum, i);
        if (q->scene && strset_index(&quiz_scenes, q->scene) < 0)
            strset_add(&quiz_scenes, q->scene);
    }
    for (size_t i = 0; i < quiz_scenes.n; i++) {
        char name[300], desc[400];
        snprintf(name, sizeof name, "quiz_attempts.%s", quiz_scenes.s[i]);
        snprintf(desc, sizeof desc,
                 "graded attempts at the quiz of scene %s, over all their visits of it (each "
                 "a quiz_attempts row in cohort.db); empty if none", quiz_scenes.s[i]);
        xt_col(t, name, XT_INTEGER, "", true, desc);
    }
    for (size_t i = 0; i < nform_cols; i++) {
        char desc[600];
        const char *scene_field = form_order[i] + 5;
        snprintf(desc, sizeof desc,
                 "answer to form field %s as submitted (text; non-text answers as JSON); "
                 "empty if not answered",
                 scene_field);
        xt_col(t, form_order[i], XT_STRING, "", true, desc);
    }

    for (size_t i = 0; i < np; i++) {
        const participant_row *p = AT(s->participants, participant_row, i);
        const person *pp = &people[i];
        xt_str(t, p->subject);
        for (size_t k = 0; k < params.n; k++) {
            char *cell = json_cell(json_object_get(pp->study, params.s[k]));
            xt_str(t, cell);
            free(cell);
        }
        xt_str(t, p->condition);
        const outcome_row *o = pp->outcome;
        xt_str(t, o ? o->outcome : NULL);
        xt_str(t, o && o->reason && o->reason[0] ? o->reason : NULL);
        xt_str(t, o ? o->code : NULL);
        const visit_row *visits = pp->nvisits ? AT(s->visits, visit_row, pp->first_visit) : NULL;
        xt_str(t, visits ? visits[pp->nvisits - 1].scene : NULL);
        xt_int(t, p->created);
        xt_time(t, p->created);
        if (o) {
            xt_int(t, o->t);
            xt_time(t, o->t);
            xt_int(t, o->t - p->created);
        } else {
            xt_null(t);
            xt_null(t);
            xt_null(t);
        }
        for (size_t sc = 0; sc < nscenes; sc++) {
            int64_t total = 0;
            bool any = false;
            for (size_t v = 0; v < pp->nvisits; v++) {
                if (strcmp(visits[v].scene, scenes[sc].id) != 0)
                    continue;
                int64_t end = v + 1 < pp->nvisits ? visits[v + 1].t
                              : o && o->t >= visits[v].t ? o->t : -1;
                if (end >= 0) {
                    total += end - visits[v].t;
                    any = true;
                }
            }
            if (any)
                xt_int(t, total);
            else
                xt_null(t);
        }
        xt_int(t, pp->waits ? pp->waits->wait_ms : 0);
        xt_int(t, pp->waits ? pp->waits->waits : 0);
        xt_uint(t, pp->games);
        xt_uint(t, pp->episodes);
        xt_str(t, o ? o->bonus : NULL);
        for (size_t qs = 0; qs < quiz_scenes.n; qs++) {
            const quiz_sum *found = NULL;
            for (size_t k = 0; k < pp->nquizzes && !found; k++) {
                const quiz_sum *q = AT(s->quizzes, quiz_sum, pp->first_quiz + k);
                if (q->scene && strcmp(q->scene, quiz_scenes.s[qs]) == 0)
                    found = q;
            }
            if (found)
                xt_int(t, found->attempts);
            else
                xt_null(t);
        }
        /* each field's answer from the last submission of its scene's form */
        char **cells = calloc(nform_cols ? nform_cols : 1, sizeof *cells);
        for (size_t k = 0; k < pp->nforms; k++) {
            size_t fi = pp->first_form + k;
            const form_row *f = AT(s->forms, form_row, fi);
            const char *key;
            json_t *v;
            json_object_foreach(json_array_get(forms_parsed, fi), key, v) {
                char col[512];
                snprintf(col, sizeof col, "form.%s.%s", f->scene, key);
                for (size_t c = 0; c < nform_cols; c++)
                    if (strcmp(form_order[c], col) == 0) {
                        free(cells[c]);
                        cells[c] = json_cell(v);
                        break;
                    }
            }
        }
        for (size_t c = 0; c < nform_cols; c++) {
            xt_str(t, cells[c]);
            free(cells[c]);
        }
        free(cells);
        xt_end(t);
    }
    *rows = xt_rows(t);
    int rc = xt_finish(t, codebook, err, sizeof err) == 0 ? 0 : 2;
    if (rc)
        fprintf(stderr, "export: %s\n", err);

    for (size_t i = 0; i < np; i++)
        json_decref(people[i].study);
    free(people);
    free(scenes);
    free(params.s);
    free(form_cols_set.s);
    free(quiz_scenes.s);
    free(form_order);
    json_decref(param_keys);
    json_decref(form_col_names);
    json_decref(forms_parsed);
    map_each(visit_runs, free_run, NULL);
    map_each(form_runs, free_run, NULL);
    map_each(quiz_runs, free_run, NULL);
    map_free(quiz_runs);
    map_free(visit_runs);
    map_free(form_runs);
    map_free(by_subject);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * events.csv
 * ------------------------------------------------------------------------------------- */

int write_events(xfiles *xf, json_t *codebook, const snapshot *s, uint64_t *rows)
{
    char err[512];
    xtable *t = xt_new(xf, "events.csv",
                       "the events table of cohort.db, one row per event in time order, its "
                       "detail JSON flattened into the known columns (and kept whole in detail)",
                       err, sizeof err);
    if (!t) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    static const char *const kinds[] = {
        "desync", "ahead_of_clock", "drop", "excluded", "disconnect", "reconnect", "visible",
        "hidden", "protocol_error", "excluded_browser", "excluded_latency", "send_queue_full",
        "ping_timeout", NULL};
    xt_col(t, "t", XT_INTEGER, "ms since 1970-01-01 UTC", false, "when it happened");
    xt_col(t, "t_iso", XT_DATETIME, "", false, "t as an ISO 8601 UTC time");
    xt_col(t, "subject", XT_STRING, "", true, "the participant it concerns, if any");
    xt_col(t, "game", XT_STRING, "", true, "the game it concerns, if any");
    /* an open vocabulary: the kinds known today are examples, not a closed list */
    json_object_set_new(xt_col(t, "kind", XT_STRING, "", false,
                               "what happened (docs/DESIGN.md section 8); kinds known when this "
                               "cohort was built: desync, ahead_of_clock, drop, excluded, "
                               "disconnect, reconnect, visible, hidden, protocol_error, "
                               "excluded_browser, excluded_latency, send_queue_full, "
                               "ping_timeout"),
                        "examples", xt_words(kinds));
    /* the flattened detail keys: name, type, meaning */
    static const struct {
        const char *key, *type, *unit, *meaning;
    } known[] = {
        {"seat", XT_INTEGER, "", "seat index the event concerns (desync, drop, excluded, ahead_of_clock)"},
        {"episode", XT_INTEGER, "", "episode number (desync, ahead_of_clock)"},
        {"frame", XT_INTEGER, "step", "frame number (desync: the frame whose hash differed)"},
        {"reason", XT_STRING, "", "why a seat left (drop, excluded)"},
        {"rtt_ms", XT_INTEGER, "ms", "median round-trip time measured (excluded_latency)"},
        {"limit_ms", XT_INTEGER, "ms", "the round-trip limit it broke (excluded_latency)"},
        {"changes", XT_INTEGER, "", "visibility changes folded into this row (visible, hidden)"},
        {"code", XT_STRING, "", "error code (protocol_error)"},
    };
    size_t nknown = sizeof known / sizeof known[0];
    for (size_t k = 0; k < nknown; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s", known[k].key);
        xt_col(t, name, known[k].type, known[k].unit, true, known[k].meaning);
    }
    xt_col(t, "detail", XT_STRING, "", true, "the event's whole detail as recorded (JSON)");

    for (size_t i = 0; i < s->events.n; i++) {
        const event_row *ev = AT(s->events, event_row, i);
        xt_int(t, ev->t);
        xt_time(t, ev->t);
        xt_str(t, ev->subject);
        xt_str(t, ev->game);
        xt_str(t, ev->kind ? ev->kind : "");
        json_t *d = ev->detail ? json_loads(ev->detail, JSON_DECODE_ANY, NULL) : NULL;
        for (size_t k = 0; k < nknown; k++) {
            json_t *v = json_is_object(d) ? json_object_get(d, known[k].key) : NULL;
            if (strcmp(known[k].type, XT_INTEGER) == 0 && json_is_integer(v)) {
                xt_int(t, json_integer_value(v));
            } else if (strcmp(known[k].type, XT_STRING) == 0 && json_is_string(v)) {
                xt_str(t, json_string_value(v));
            } else {
                xt_null(t);
            }
        }
        json_decref(d);
        xt_str(t, ev->detail);
        xt_end(t);
    }
    *rows = xt_rows(t);
    if (xt_finish(t, codebook, err, sizeof err) != 0) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    return 0;
}


/* payments.csv: Prolific's bulk bonus list ("Bulk bonus payment" on a study's submissions
 * page), one `participant_id,amount` line per participant whose latest outcome carries a
 * bonus above zero, amounts with two decimals, no header, ordered by subject. */
int write_payments(xfiles *xf, const snapshot *s, uint64_t *rows)
{
    char err[512];
    FILE *fp = xf_open(xf, "payments.csv", err, sizeof err);
    if (!fp) {
        fprintf(stderr, "export: %s\n", err);
        return 2;
    }
    *rows = 0;
    bool ok = true;
    for (size_t i = 0; i < s->outcomes.n; i++) {
        const outcome_row *o = AT(s->outcomes, outcome_row, i);
        const outcome_row *next = i + 1 < s->outcomes.n ? AT(s->outcomes, outcome_row, i + 1) : NULL;
        if (!o->subject || (next && next->subject && strcmp(next->subject, o->subject) == 0))
            continue; /* ordered by subject, then time: only the latest counts */
        int64_t amount = 0;
        if (!o->bonus || money_parse(o->bonus, &amount) != MONEY_OK || amount <= 0)
            continue;
        char text[MONEY_TEXT_MAX];
        ok = fprintf(fp, "%s,%s\n", o->subject, money_format(amount, text)) > 0 && ok;
        (*rows)++;
    }
    ok = fclose(fp) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "export: payments.csv: write failed\n");
        return 2;
    }
    return 0;
}
