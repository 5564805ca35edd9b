/*
 * The closed vocabularies that cross module boundaries: why a participant's study ended,
 * why a game or an episode ended, why a seat left a game, what a partner's seat is doing,
 * how a wait ended. Inside the server they are enums; each has exactly one string, used
 * only at the edges (the wire, the data files, the log), and one table that holds them.
 *
 * Adding a value: add one X(...) line to its list; the enum, the name table and the
 * parser follow.
 */
#ifndef COHORT_NAMES_H
#define COHORT_NAMES_H

#include <stdbool.h>

/* The participant's outcome: which completion code they get (experiment `codes:`). */
#define OUTCOME_LIST(X)                                                                    \
    X(OUTCOME_COMPLETED, "completed")                                                      \
    X(OUTCOME_PARTNER_DROPPED, "partner_dropped")                                          \
    X(OUTCOME_WAITROOM_TIMEOUT, "waitroom_timeout")                                        \
    X(OUTCOME_EXCLUDED, "excluded")                                                        \
    X(OUTCOME_ABANDONED, "abandoned")                                                      \
    X(OUTCOME_QUIZ_FAILED, "quiz_failed")       /* a comprehension quiz failed out */      \
    X(OUTCOME_SCREENED_OUT, "screened_out")     /* the device does not meet `require:` */

/* Why they got it, recorded beside the outcome; REASON_NONE is recorded as no reason. */
#define REASON_LIST(X)                                                                     \
    X(REASON_NONE, "")                                                                     \
    X(REASON_FOCUS_LOSS, "focus_loss")       /* game tab hidden too long */                \
    X(REASON_INACTIVE, "inactive")           /* no key pressed for too long */             \
    X(REASON_LATENCY, "latency")             /* connection too slow for the game */        \
    X(REASON_BROWSER, "browser")             /* browser lacks what the game needs */       \
    X(REASON_DROPPED, "dropped")             /* away past the reconnect grace */           \
    X(REASON_PARTNER_DROPPED, "partner_dropped")                                           \
    X(REASON_ABANDONED, "abandoned")         /* every person left the game */              \
    X(REASON_SERVER_RESTART, "server_restart") /* the server restarted mid-game */         \
    X(REASON_SERVER_ERROR, "server_error")                                                 \
    X(REASON_STALLED, "stalled")             /* no input from anyone for too long */     \
    X(REASON_STUDY_CLOSING, "study_closing") /* the server is draining: no new games */ \
    X(REASON_NOT_DESKTOP, "not_desktop")     /* require.desktop: a phone or tablet */      \
    X(REASON_NO_KEYBOARD, "no_keyboard")     /* require.keyboard: touch is its main input */ \
    X(REASON_SMALL_WINDOW, "small_window")   /* require.min_window: the window is smaller */ \
    X(REASON_PARTNER_GONE, "partner_gone")   /* the group from an earlier game is gone */

/* Why a person left a game before it ended (room_seat_remove). */
#define REMOVAL_LIST(X)                                                                    \
    X(REMOVAL_DROPPED, "dropped")                                                          \
    X(REMOVAL_FOCUS_LOSS, "focus_loss")                                                    \
    X(REMOVAL_INACTIVE, "inactive")                                                        \
    X(REMOVAL_LATENCY, "latency")                                                          \
    X(REMOVAL_BROWSER, "browser")

/* Why a game ended: `game_end` on the wire, games.end_reason in cohort.db. EXCLUDED is
 * what a seat removed for exclusion is told; the game may go on for the others. */
#define GAME_END_LIST(X)                                                                   \
    X(GAME_COMPLETED, "completed")                                                         \
    X(GAME_PARTNER_DROPPED, "partner_dropped")                                             \
    X(GAME_ABANDONED, "abandoned")                                                         \
    X(GAME_EXCLUDED, "excluded")                                                           \
    X(GAME_SERVER_STOPPED, "server_stopped")                                               \
    X(GAME_STALLED, "stalled")

/* Why an episode ended: `episode_end` on the wire, the episode files and table. */
#define EPISODE_END_LIST(X)                                                                \
    X(EPISODE_TERMINATED, "terminated")                                                    \
    X(EPISODE_TRUNCATED, "truncated")                                                      \
    X(EPISODE_CUT, "cut")                                                                  \
    X(EPISODE_STALLED, "stalled")

/* What a partner's seat is doing: `partner` on the wire. */
#define PARTNER_LIST(X)                                                                    \
    X(PARTNER_RECONNECTING, "reconnecting")                                                \
    X(PARTNER_BACK, "back")                                                                \
    X(PARTNER_DROPPED, "dropped")                                                          \
    X(PARTNER_AI, "ai")                                                                    \
    X(PARTNER_DEFAULT, "default")

/* How a stay in the waiting room ended: waits.outcome in cohort.db. */
#define WAIT_END_LIST(X)                                                                   \
    X(WAIT_MATCHED, "matched")                                                             \
    X(WAIT_TIMEOUT, "timeout")                                                             \
    X(WAIT_LEFT, "left")                                                                   \
    X(WAIT_DROPPED, "dropped")                                                             \
    X(WAIT_PARTNER_GONE, "partner_gone") /* the group waited for lost a member (partners) */

/* Who chose a seat's action for a frame: the `source` columns of the episode files. */
#define SOURCE_LIST(X)                                                                     \
    X(SOURCE_INPUT, "input")                                                               \
    X(SOURCE_DEFAULT, "default")                                                           \
    X(SOURCE_AI, "ai")                                                                     \
    X(SOURCE_MODEL, "model") /* a trained model's action, computed by its host's page */

/* A device's primary pointer, as the browser's `(pointer: ...)` media query says:
 * `hello.device.pointer` (src/flow/screen.h decides with it). */
#define POINTER_LIST(X)                                                                    \
    X(POINTER_NONE, "none")     /* no pointing device (keyboard only, a TV remote) */      \
    X(POINTER_COARSE, "coarse") /* a finger on a touchscreen */                            \
    X(POINTER_FINE, "fine")     /* a mouse, a trackpad, a pen */

#define NAMES_ENUM_ITEM(id, name) id,
#define NAMES_DECLARE(type, LIST)                                                          \
    typedef enum { LIST(NAMES_ENUM_ITEM) type##_COUNT_ } type;                            \
    /* The value's one string; "?" for a value outside the enum. */                        \
    const char *type##_name(type v);                                                       \
    /* The value named s; false (and *out untouched) when s names none. */                 \
    bool type##_parse(const char *s, type *out);

NAMES_DECLARE(outcome, OUTCOME_LIST)
NAMES_DECLARE(outcome_reason, REASON_LIST)
NAMES_DECLARE(seat_removal, REMOVAL_LIST)
NAMES_DECLARE(game_end, GAME_END_LIST)
NAMES_DECLARE(episode_end, EPISODE_END_LIST)
NAMES_DECLARE(partner_status, PARTNER_LIST)
NAMES_DECLARE(wait_end, WAIT_END_LIST)
NAMES_DECLARE(input_source, SOURCE_LIST)
NAMES_DECLARE(pointer_kind, POINTER_LIST)

#endif
