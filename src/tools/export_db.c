/* `cohort export`: the snapshot of cohort.db, read in one read transaction, and the
 * small helpers the export shares (export_internal.h). */
#include "export_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/names.h"
#include "../store/store_schema.h"

/* ---------------------------------------------------------------------------------------
 * Memory: every string loaded from the database lives in one arena, freed at the end.
 * ------------------------------------------------------------------------------------- */

void *arena_alloc(arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->head->used + n > a->head->cap) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        chunk *c = malloc(sizeof *c + cap);
        if (!c) {
            fprintf(stderr, "export: out of memory\n");
            exit(2);
        }
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

char *arena_str(arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(a, n);
    memcpy(p, s, n);
    return p;
}

void arena_free(arena *a)
{
    while (a->head) {
        chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

void *vec_push(vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *grown = realloc(v->items, cap * v->size);
        if (!grown) {
            fprintf(stderr, "export: out of memory\n");
            exit(2);
        }
        v->items = grown;
        v->cap = cap;
    }
    void *p = (char *)v->items + v->n++ * v->size;
    memset(p, 0, v->size);
    return p;
}

/* ---------------------------------------------------------------------------------------
 * The snapshot
 * ------------------------------------------------------------------------------------- */

static const char *col_text(arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? arena_str(a, (const char *)t) : NULL;
}

/* Runs sql and calls fn for each row. 0, or -1 with a message on stderr. */
static int query(snapshot *s, const char *sql, void (*fn)(snapshot *, sqlite3_stmt *))
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "export: %s\n  in: %s\n", sqlite3_errmsg(s->db), sql);
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(s, st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "export: %s\n  in: %s\n", sqlite3_errmsg(s->db), sql);
        return -1;
    }
    return 0;
}

static void on_participant(snapshot *s, sqlite3_stmt *st)
{
    participant_row *r = vec_push(&s->participants);
    r->subject = col_text(&s->mem, st, 0);
    r->params = col_text(&s->mem, st, 1);
    r->created = sqlite3_column_int64(st, 2);
    r->condition = col_text(&s->mem, st, 3);
}

static void on_visit(snapshot *s, sqlite3_stmt *st)
{
    visit_row *r = vec_push(&s->visits);
    r->subject = col_text(&s->mem, st, 0);
    r->index = sqlite3_column_int(st, 1);
    r->scene = col_text(&s->mem, st, 2);
    r->t = sqlite3_column_int64(st, 3);
}

static void on_form(snapshot *s, sqlite3_stmt *st)
{
    form_row *r = vec_push(&s->forms);
    r->subject = col_text(&s->mem, st, 0);
    r->scene = col_text(&s->mem, st, 1);
    r->form = col_text(&s->mem, st, 2);
}

static void on_outcome(snapshot *s, sqlite3_stmt *st)
{
    outcome_row *r = vec_push(&s->outcomes);
    r->subject = col_text(&s->mem, st, 0);
    r->outcome = col_text(&s->mem, st, 1);
    r->code = col_text(&s->mem, st, 2);
    r->reason = col_text(&s->mem, st, 3);
    r->t = sqlite3_column_int64(st, 4);
    r->bonus = col_text(&s->mem, st, 5);
}


static void on_event(snapshot *s, sqlite3_stmt *st)
{
    event_row *r = vec_push(&s->events);
    r->t = sqlite3_column_int64(st, 0);
    r->subject = col_text(&s->mem, st, 1);
    r->game = col_text(&s->mem, st, 2);
    r->kind = col_text(&s->mem, st, 3);
    r->detail = col_text(&s->mem, st, 4);
}

static void on_seat(snapshot *s, sqlite3_stmt *st)
{
    seat_row *r = vec_push(&s->seats);
    r->game = col_text(&s->mem, st, 0);
    r->seat = sqlite3_column_int(st, 1);
    r->name = col_text(&s->mem, st, 2);
    r->kind = col_text(&s->mem, st, 3);
}

static void on_episode(snapshot *s, sqlite3_stmt *st)
{
    episode_row *r = vec_push(&s->episodes);
    r->game = col_text(&s->mem, st, 0);
    r->episode = (uint32_t)sqlite3_column_int64(st, 1);
    r->scene = col_text(&s->mem, st, 2);
    r->env = col_text(&s->mem, st, 3);
    r->seed = col_text(&s->mem, st, 4);
    r->horizon = sqlite3_column_int64(st, 5);
    r->frames = sqlite3_column_int64(st, 6);
    r->reason = col_text(&s->mem, st, 7);
    r->files = col_text(&s->mem, st, 8);
    r->t_end = sqlite3_column_int64(st, 9);
    r->t_start = sqlite3_column_type(st, 10) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 10);
    r->condition = col_text(&s->mem, st, 11);
}

static void on_start(snapshot *s, sqlite3_stmt *st)
{
    start_row *r = vec_push(&s->starts);
    r->game = col_text(&s->mem, st, 0);
    r->episode = (uint32_t)sqlite3_column_int64(st, 1);
}

static void on_wait(snapshot *s, sqlite3_stmt *st)
{
    wait_sum *r = vec_push(&s->waits);
    r->subject = col_text(&s->mem, st, 0);
    r->wait_ms = sqlite3_column_int64(st, 1);
    r->waits = sqlite3_column_int64(st, 2);
}

static void on_quiz(snapshot *s, sqlite3_stmt *st)
{
    quiz_sum *r = vec_push(&s->quizzes);
    r->subject = col_text(&s->mem, st, 0);
    r->scene = col_text(&s->mem, st, 1);
    r->attempts = sqlite3_column_int64(st, 2);
}

/* A database written before a table existed lacks it (export never creates anything). */
static bool has_table(snapshot *s, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

int load_snapshot(const char *db_path, snapshot *s)
{
    if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "export: %s: %s\n", db_path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        return -1;
    }
    sqlite3_busy_timeout(s->db, 5000);
    s->participants = VEC(participant_row);
    s->visits = VEC(visit_row);
    s->forms = VEC(form_row);
    s->outcomes = VEC(outcome_row);
    s->events = VEC(event_row);
    s->seats = VEC(seat_row);
    s->episodes = VEC(episode_row);
    s->starts = VEC(start_row);
    s->waits = VEC(wait_sum);
    s->quizzes = VEC(quiz_sum);
    /* One read transaction: every SELECT below sees the same committed state. */
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "export: %s: %s\n", db_path, sqlite3_errmsg(s->db));
        return -1;
    }
    int rc = 0;
    /* Columns later versions added are read only where the database has them. */
    bool conditions = store_schema_has_column(s->db, "participants", "condition") &&
                      store_schema_has_column(s->db, "games", "condition");
    rc |= query(s, conditions ? "SELECT subject, params, created, condition FROM participants"
                                " ORDER BY created, subject"
                              : "SELECT subject, params, created, NULL FROM participants"
                                " ORDER BY created, subject",
                on_participant);
    /* A visit without a scene marks the end page reached after exit scenes (flow.c). */
    rc |= query(s, "SELECT subject, scene_index, scene, t FROM scene_visits WHERE scene != ''"
                   " ORDER BY subject, t, rowid", on_visit);
    rc |= query(s, "SELECT subject, scene, form FROM forms ORDER BY subject, t, rowid", on_form);
    rc |= query(s, store_schema_has_column(s->db, "outcomes", "bonus")
                       ? "SELECT subject, outcome, code, reason, t, bonus FROM outcomes"
                         " ORDER BY subject, t, rowid"
                       : "SELECT subject, outcome, code, reason, t, NULL FROM outcomes"
                         " ORDER BY subject, t, rowid",
                on_outcome);
    rc |= query(s, "SELECT t, subject, game, kind, detail FROM events ORDER BY t, rowid",
                on_event);
    rc |= query(s, "SELECT game, seat, name, kind FROM seats ORDER BY game, seat", on_seat);
    rc |= query(s, conditions
                       ? "SELECT e.game, e.episode, e.scene, e.env, e.seed, e.horizon, e.frames,"
                         " e.reason, e.files, e.t, s.t, g.condition FROM episodes e"
                         " LEFT JOIN episode_starts s ON s.game = e.game AND s.episode = e.episode"
                         " LEFT JOIN games g ON g.game = e.game"
                         " ORDER BY COALESCE(s.t, e.t), e.game, e.episode"
                       : "SELECT e.game, e.episode, e.scene, e.env, e.seed, e.horizon, e.frames,"
                         " e.reason, e.files, e.t, s.t, NULL FROM episodes e"
                         " LEFT JOIN episode_starts s ON s.game = e.game AND s.episode = e.episode"
                         " ORDER BY COALESCE(s.t, e.t), e.game, e.episode",
                on_episode);
    rc |= query(s, "SELECT s.game, s.episode FROM episode_starts s WHERE NOT EXISTS"
                   " (SELECT 1 FROM episodes e WHERE e.game = s.game AND e.episode = s.episode)"
                   " ORDER BY s.t, s.game, s.episode", on_start);
    rc |= query(s, "SELECT subject, SUM(wait_ms), COUNT(*) FROM waits GROUP BY subject"
                   " ORDER BY subject", on_wait);
    if (has_table(s, "quiz_attempts"))
        rc |= query(s, "SELECT subject, scene, COUNT(*) FROM quiz_attempts"
                       " GROUP BY subject, scene ORDER BY subject, scene", on_quiz);
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return rc ? -1 : 0;
}

void free_snapshot(snapshot *s)
{
    free(s->participants.items);
    free(s->visits.items);
    free(s->forms.items);
    free(s->quizzes.items);
    free(s->outcomes.items);
    free(s->events.items);
    free(s->seats.items);
    free(s->episodes.items);
    free(s->starts.items);
    free(s->waits.items);
    arena_free(&s->mem);
    sqlite3_close(s->db);
}

/* ---------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------- */


size_t strset_find(const strset *set, const char *s, bool *found)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(set->s[mid], s);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

void strset_add(strset *set, const char *s)
{
    bool found;
    size_t at = strset_find(set, s, &found);
    if (found)
        return;
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->s = realloc(set->s, set->cap * sizeof *set->s);
        if (!set->s) {
            fprintf(stderr, "export: out of memory\n");
            exit(2);
        }
    }
    memmove(set->s + at + 1, set->s + at, (set->n - at) * sizeof *set->s);
    set->s[at] = s;
    set->n++;
}

long strset_index(const strset *set, const char *s)
{
    bool found;
    size_t at = strset_find(set, s, &found);
    return found ? (long)at : -1;
}

#define WORD(id, name) name,
const char *const outcome_words[] = {OUTCOME_LIST(WORD) NULL};
const char *const reason_words_all[] = {REASON_LIST(WORD) NULL};
const char *const episode_end_words[] = {EPISODE_END_LIST(WORD) NULL};
const char *const source_words[] = {SOURCE_LIST(WORD) NULL};
#undef WORD
