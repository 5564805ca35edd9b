/*
 * Every text the server shows a participant, in one table: the end page's message for
 * each outcome and reason, and the sentences that accompany a refusal. Each has a key
 * (the name an experiment file will use to override it) and its default English.
 */
#ifndef COHORT_TEXTS_H
#define COHORT_TEXTS_H

#include "../proto/names.h"

#define TEXT_LIST(X)                                                                        \
    X(TEXT_END_COMPLETED, "end_completed", "Thank you! You have finished the study.")      \
    X(TEXT_END_SERVER_RESTART, "end_server_restart",                                        \
      "The study server restarted during your game, so the game could not go on. Thank "   \
      "you for taking part: you will be paid for your time.")                               \
    X(TEXT_END_PARTNER_DROPPED, "end_partner_dropped",                                      \
      "Your partner left the game, so it ended early. Thank you for taking part: you will " \
      "be paid for your time.")                                                             \
    X(TEXT_END_WAITROOM_TIMEOUT, "end_waitroom_timeout",                                    \
      "We could not find a partner for you in time. Thank you for waiting: you will be "    \
      "paid for your time.")                                                                \
    X(TEXT_END_EXCLUDED_FOCUS, "end_excluded_focus_loss",                                   \
      "The study ended because the game tab was hidden for too long.")                      \
    X(TEXT_END_EXCLUDED_INACTIVE, "end_excluded_inactive",                                  \
      "The study ended because no key was pressed for too long.")                           \
    X(TEXT_END_EXCLUDED_BROWSER, "end_excluded_browser",                                    \
      "This study needs a browser that can run its game (a recent Chrome, Firefox, Safari " \
      "or Edge), so you cannot take part with this one. Thank you for your interest.")      \
    X(TEXT_END_EXCLUDED_LATENCY, "end_excluded_latency",                                    \
      "Your connection to the study server is too slow for this real-time game, so you "    \
      "cannot take part. Thank you for your interest.")                                     \
    X(TEXT_END_ABANDONED, "end_abandoned", "The game ended because you were away for too long.") \
    X(TEXT_STUDY_FULL, "study_full", "This study is not taking new participants.")          \
    X(TEXT_TRY_LATER, "try_later",                                                          \
      "The study cannot take new participants right now. Please try again in a few "        \
      "minutes.")                                                                           \
    X(TEXT_REPLACED, "replaced", "This study was opened in another tab.")

#define TEXTS_ENUM_ITEM(id, key, text) id,
typedef enum { TEXT_LIST(TEXTS_ENUM_ITEM) TEXT_COUNT_ } text_id;

/* The text shown for id. */
const char *texts_get(text_id id);
/* Its key, for overrides and the docs' table. */
const char *texts_key(text_id id);
/* The end page's message for an outcome and the reason beside it. */
text_id texts_end_message(outcome o, outcome_reason why);

#endif
