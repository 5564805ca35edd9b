/*
 * Parties: the people who finished one game together, kept so that a later game scene
 * (`partners: {same_as: ...}`) can seat them together again (docs/DESIGN.md section 5,
 * "Same partners"). Pure bookkeeping like lobby.h: no I/O, time passed in, members are
 * opaque pointers; the caller decides what "gone" means and what happens to whoever a
 * verdict sends on alone.
 *
 * A party gathers once per later scene (a target). The first member to arrive there
 * starts its clock; once every member has arrived the party plays (PARTY_PLAY). If a
 * member is gone (finished the study, or released by the caller), or the clock runs out
 * with someone missing, the gathering is over for that target (PARTY_BROKEN): whoever
 * waits goes on alone, and so does anyone arriving there later. A member who leaves the
 * waiting room is simply no longer there; when nobody is, the clock stops, and the next
 * arrival starts it again.
 */
#ifndef COHORT_PARTY_H
#define COHORT_PARTY_H

#include <stdbool.h>
#include <stdint.h>

#define PARTY_MAX_MEMBERS 8 /* a game's seats at most (ENV_MAX_PLAYERS) */
#define PARTY_ID_LEN 32
/* Targets are scene indices below this (config.h: CFG_MAX_SCENES). */
#define PARTY_MAX_TARGETS 64

typedef struct party party;
typedef struct party_book party_book;

typedef enum {
    PARTY_WAIT,   /* the arrival waits for the rest of its party */
    PARTY_PLAY,   /* everyone is here: the group plays together */
    PARTY_BROKEN, /* a member is gone or late: the group goes on alone */
} party_verdict;

party_book *party_book_new(void);
/* Frees every party; members are not touched. */
void party_book_free(party_book *b);
/* Parties held, and of them those with someone waiting now. */
int party_book_count(const party_book *b);
int party_book_gathering(const party_book *b);

/* A new party named `id` (the game it comes from; at most PARTY_ID_LEN-1 characters) of
 * `scene`, without members yet. NULL when out of memory or the id is too long. */
party *party_new(party_book *b, const char *id, int scene);
/* Adds a member who played seat `seat` of that game; members are kept in seat order. A
 * member already gone (restored after it finished) is given as NULL: it only makes the
 * party incomplete. False when the party is full. */
bool party_add(party *pt, void *who, int seat);
/* Frees a party none of whose members is left (after a restore); true if it did. */
bool party_drop_if_empty(party_book *b, party *pt);

const char *party_id(const party *pt);
int party_scene(const party *pt);
/* Members, the gone ones included: the size of the group that played. */
int party_size(const party *pt);
/* Members waiting at the current target now. */
int party_present(const party *pt);
/* The gathering's time left at now, or -1 when nobody waits. */
int64_t party_remaining_ms(const party *pt, int64_t now);
bool party_is_waiting(const party *pt, const void *who);
/* The members waiting now, in seat order, written to out (PARTY_MAX_MEMBERS); how many. */
int party_waiters(const party *pt, void **out);
/* The i-th party with someone waiting (0 <= i < party_book_gathering), for refreshes. */
party *party_book_gathering_at(const party_book *b, int i);

/* `who` (a member) arrives at scene `target` and may wait `wait_ms` from the first
 * arrival. PARTY_PLAY: out[] receives every member in seat order (n of them) and nobody
 * waits any more. PARTY_BROKEN: out[] receives who and everyone who was waiting (they
 * wait no more), to go on alone. PARTY_WAIT: *n is 0. out must hold PARTY_MAX_MEMBERS. */
party_verdict party_arrive(party *pt, void *who, int target, int64_t now, int64_t wait_ms,
                           void **out, int *n);
/* `who` left the waiting room (a leave, a dropped connection): still a member. */
void party_leave(party *pt, void *who);
/* `who` is gone for good (finished): it leaves the party, which is incomplete from now on.
 * Whoever was waiting is written to out (n; the gathering is broken) to go on alone. The
 * party is freed once no member is left: do not use pt after a call that emptied it
 * (*freed says so). */
void party_gone(party *pt, void *who, void **out, int *n, bool *freed);
/* Gatherings whose time ran out at now: each is broken, and its waiters are written to
 * out[] (up to max >= PARTY_MAX_MEMBERS, whole parties only) with the party each came
 * from in from[]. Returns how many; call again until it returns 0. */
int party_expire(party_book *b, int64_t now, void **out, party **from, int max);
/* Breaks every gathering now (the server is closing); same out/from as party_expire. */
int party_break_all(party_book *b, void **out, party **from, int max);

#endif
