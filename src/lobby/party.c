#include "party.h"

#include <stdlib.h>
#include <string.h>

struct party {
    char id[PARTY_ID_LEN];
    int scene;
    struct member {
        void *who;    /* NULL once gone */
        int seat;
        bool waiting; /* at the current target */
    } m[PARTY_MAX_MEMBERS];
    int n;            /* members, gone ones included */
    int live;         /* members not gone */
    int target;       /* the scene of the current gathering; -1 before the first */
    int present;      /* members waiting there */
    int64_t deadline; /* meaningful while present > 0 */
    /* Scenes where a gathering broke: whoever arrives there later goes on alone. A
     * gathering that played sets nothing, so a scene visited again (repeat) gathers again. */
    uint64_t broken;
    int gather_slot;  /* index in the book's gathering list, -1 when nobody waits */
    party_book *book;
    party *prev, *next;
};

struct party_book {
    party *head;
    int count;
    party **gathering; /* parties with someone waiting: the only ones a clock can expire */
    int ngathering, cap;
};

party_book *party_book_new(void) { return calloc(1, sizeof(party_book)); }

void party_book_free(party_book *b)
{
    if (!b)
        return;
    for (party *pt = b->head, *next; pt; pt = next) {
        next = pt->next;
        free(pt);
    }
    free(b->gathering);
    free(b);
}

int party_book_count(const party_book *b) { return b->count; }
int party_book_gathering(const party_book *b) { return b->ngathering; }

party *party_new(party_book *b, const char *id, int scene)
{
    if (strlen(id) >= PARTY_ID_LEN)
        return NULL;
    party *pt = calloc(1, sizeof *pt);
    if (!pt)
        return NULL;
    strcpy(pt->id, id);
    pt->scene = scene;
    pt->target = -1;
    pt->gather_slot = -1;
    pt->book = b;
    pt->next = b->head;
    if (b->head)
        b->head->prev = pt;
    b->head = pt;
    b->count++;
    return pt;
}

bool party_add(party *pt, void *who, int seat)
{
    if (pt->n == PARTY_MAX_MEMBERS)
        return false;
    int i = pt->n;
    while (i > 0 && pt->m[i - 1].seat > seat) { /* seat order: a few members, insertion */
        pt->m[i] = pt->m[i - 1];
        i--;
    }
    pt->m[i] = (struct member){who, seat, false};
    pt->n++;
    pt->live += who != NULL;
    return true;
}

static void gathering_add(party_book *b, party *pt)
{
    if (pt->gather_slot >= 0)
        return;
    if (b->ngathering == b->cap) {
        int cap = b->cap ? b->cap * 2 : 16;
        party **grown = realloc(b->gathering, (size_t)cap * sizeof *grown);
        if (!grown)
            abort(); /* as flow does: a party nobody's clock could expire would be worse */
        b->gathering = grown;
        b->cap = cap;
    }
    pt->gather_slot = b->ngathering;
    b->gathering[b->ngathering++] = pt;
}

static void gathering_remove(party_book *b, party *pt)
{
    int i = pt->gather_slot;
    if (i < 0)
        return;
    party *last = b->gathering[--b->ngathering];
    b->gathering[i] = last;
    last->gather_slot = i;
    pt->gather_slot = -1;
}

static void free_party(party_book *b, party *pt)
{
    gathering_remove(b, pt);
    if (pt->prev)
        pt->prev->next = pt->next;
    else
        b->head = pt->next;
    if (pt->next)
        pt->next->prev = pt->prev;
    b->count--;
    free(pt);
}

bool party_drop_if_empty(party_book *b, party *pt)
{
    if (pt->live > 0)
        return false;
    free_party(b, pt);
    return true;
}

const char *party_id(const party *pt) { return pt->id; }
int party_scene(const party *pt) { return pt->scene; }
int party_size(const party *pt) { return pt->n; }
int party_present(const party *pt) { return pt->present; }

int64_t party_remaining_ms(const party *pt, int64_t now)
{
    if (pt->present == 0)
        return -1;
    return pt->deadline > now ? pt->deadline - now : 0;
}

static int member_of(const party *pt, const void *who)
{
    for (int i = 0; who && i < pt->n; i++)
        if (pt->m[i].who == who)
            return i;
    return -1;
}

int party_waiters(const party *pt, void **out)
{
    int k = 0;
    for (int i = 0; i < pt->n; i++)
        if (pt->m[i].waiting)
            out[k++] = pt->m[i].who;
    return k;
}

party *party_book_gathering_at(const party_book *b, int i)
{
    return i >= 0 && i < b->ngathering ? b->gathering[i] : NULL;
}

bool party_is_waiting(const party *pt, const void *who)
{
    int i = member_of(pt, who);
    return i >= 0 && pt->m[i].waiting;
}

/* Everyone waiting stops waiting and is written to out (seat order); the clock stops. */
static int release_waiters(party_book *b, party *pt, void **out)
{
    int k = 0;
    for (int i = 0; i < pt->n; i++)
        if (pt->m[i].waiting) {
            pt->m[i].waiting = false;
            out[k++] = pt->m[i].who;
        }
    pt->present = 0;
    gathering_remove(b, pt);
    return k;
}

/* The gathering at the current target is over without the party: its waiters go on. */
static int break_gathering(party_book *b, party *pt, void **out)
{
    if (pt->target >= 0 && pt->target < PARTY_MAX_TARGETS)
        pt->broken |= UINT64_C(1) << pt->target;
    return release_waiters(b, pt, out);
}

party_verdict party_arrive(party *pt, void *who, int target, int64_t now, int64_t wait_ms,
                           void **out, int *n)
{
    party_book *b = pt->book;
    *n = 0;
    int i = member_of(pt, who);
    bool other_gathering = pt->present > 0 && pt->target != target;
    if (i < 0 || target < 0 || target >= PARTY_MAX_TARGETS || other_gathering ||
        (pt->broken >> target) & 1) {
        out[(*n)++] = who; /* not (or no longer) a gathering this arrival can join */
        return PARTY_BROKEN;
    }
    if (pt->m[i].waiting)
        return PARTY_WAIT; /* a repeated start changes nothing */
    pt->target = target;
    if (pt->live < pt->n) { /* someone is gone: the party cannot play as it was */
        *n = break_gathering(b, pt, out);
        out[(*n)++] = who;
        return PARTY_BROKEN;
    }
    pt->m[i].waiting = true;
    if (pt->present++ == 0) {
        pt->deadline = now + wait_ms;
        gathering_add(b, pt);
    }
    if (pt->present < pt->n)
        return PARTY_WAIT;
    for (int k = 0; k < pt->n; k++) {
        pt->m[k].waiting = false;
        out[k] = pt->m[k].who;
    }
    *n = pt->n;
    pt->present = 0;
    gathering_remove(b, pt);
    return PARTY_PLAY;
}

void party_leave(party *pt, void *who)
{
    int i = member_of(pt, who);
    if (i < 0 || !pt->m[i].waiting)
        return;
    pt->m[i].waiting = false;
    if (--pt->present == 0)
        gathering_remove(pt->book, pt); /* nobody waits: the clock stops */
}

void party_gone(party *pt, void *who, void **out, int *n, bool *freed)
{
    *n = 0;
    *freed = false;
    int i = member_of(pt, who);
    if (i < 0)
        return;
    if (pt->m[i].waiting) {
        pt->m[i].waiting = false;
        pt->present--;
    }
    pt->m[i].who = NULL;
    pt->live--;
    if (pt->present > 0)
        *n = break_gathering(pt->book, pt, out);
    else
        gathering_remove(pt->book, pt);
    if (pt->live == 0) {
        free_party(pt->book, pt);
        *freed = true;
    }
}

/* Writes the waiters of every gathering `due` says is over, whole parties only. */
static int break_due(party_book *b, int64_t now, bool all, void **out, party **from, int max)
{
    int k = 0;
    for (int i = 0; i < b->ngathering;) {
        party *pt = b->gathering[i];
        if (!all && now < pt->deadline) {
            i++;
            continue;
        }
        if (k + pt->present > max)
            break;
        int got = break_gathering(b, pt, out + k); /* moves another party into slot i */
        for (int j = 0; j < got; j++)
            from[k + j] = pt;
        k += got;
    }
    return k;
}

int party_expire(party_book *b, int64_t now, void **out, party **from, int max)
{
    return break_due(b, now, false, out, from, max);
}

int party_break_all(party_book *b, void **out, party **from, int max)
{
    return break_due(b, 0, true, out, from, max);
}
