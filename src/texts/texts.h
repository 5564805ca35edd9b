/*
 * Every text a participant is shown, with its key and its default English. An experiment
 * file's `texts:` block overrides any of them by key (config checks each key and its
 * {placeholders} here).
 *
 * TEXT_LIST: what the server writes itself (the end page's message for each outcome and
 * reason, the sentences that accompany a refusal). CLIENT_TEXT_LIST: what the browser
 * writes (web/texts.js holds the same table, which a test keeps equal to this one); the
 * server only sends the overrides, in `welcome`.
 */
#ifndef COHORT_TEXTS_H
#define COHORT_TEXTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../proto/names.h"

#define TEXT_LIST(X)                                                                        \
    X(TEXT_END_COMPLETED, "end_completed", "Thank you! You have finished the study.")      \
    X(TEXT_END_SERVER_RESTART, "end_server_restart",                                        \
      "The study server restarted during your game, so the game could not go on. Thank "   \
      "you for taking part: you will be paid for your time.")                               \
    X(TEXT_END_PARTNER_DROPPED, "end_partner_dropped",                                      \
      "Your partner left the game, so it ended early. Thank you for taking part: you will " \
      "be paid for your time.")                                                             \
    X(TEXT_END_PARTNER_GONE, "end_partner_gone",                                            \
      "Your partner from the last game did not come back, so the study ends here. Thank "   \
      "you for taking part: you will be paid for your time.")                               \
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
    X(TEXT_END_QUIZ_FAILED, "end_quiz_failed",                                              \
      "You did not pass the comprehension check, so the study ends here. Thank you for "   \
      "your interest.")                                                                     \
    X(TEXT_QUIZ_FEEDBACK, "quiz_feedback",                                                  \
      "Not quite: some answers are not right. Please check them and try again.")            \
    X(TEXT_END_SCREENED_OUT, "end_screened_out",                                            \
      "This study has to be done on a desktop or laptop computer, so it cannot be taken "   \
      "on a phone or tablet. If you have a computer, you are welcome to open the study "    \
      "link there. Thank you for your interest.")                                           \
    X(TEXT_END_SCREENED_OUT_KEYBOARD, "end_screened_out_keyboard",                          \
      "This study is played with a keyboard, and this device's main input is a "            \
      "touchscreen. If you have a computer with a keyboard and a mouse or trackpad, you "   \
      "are welcome to open the study link there. Thank you for your interest.")             \
    X(TEXT_END_SCREENED_OUT_WINDOW, "end_screened_out_window",                              \
      "This study needs a browser window of at least {min_width} × {min_height} pixels, "   \
      "and this one is {width} × {height}. Please make the window larger (maximise it, or " \
      "zoom out with Ctrl and minus, ⌘ and minus on a Mac), then reload this page.")        \
    X(TEXT_END_ABANDONED, "end_abandoned", "The game ended because you were away for too long.") \
    X(TEXT_END_STALLED, "end_stalled",                                                      \
      "The game stopped because no key presses reached the study server for a long "       \
      "time. Thank you for taking part.")                                                  \
    X(TEXT_END_STUDY_CLOSING, "end_study_closing",                                          \
      "The study is closing, so no new game can start. Thank you for taking part: you "     \
      "will be paid for your time.")                                                        \
    X(TEXT_END_BONUS, "end_bonus", "Your bonus: {bonus}")                                   \
    X(TEXT_STUDY_CLOSED, "study_closed",                                                    \
      "This study is closed and is not taking new participants. Thank you for your "        \
      "interest.")                                                                          \
    X(TEXT_BAD_CONDITION, "bad_condition",                                                  \
      "This study link is incomplete, so the study cannot start. Please open it again from " \
      "the study's page.")                                                                  \
    X(TEXT_STUDY_FULL, "study_full", "This study is not taking new participants.")          \
    X(TEXT_TRY_LATER, "try_later",                                                          \
      "The study cannot take new participants right now. Please try again in a few "        \
      "minutes.")                                                                           \
    X(TEXT_BUSY, "busy",                                                                    \
      "Too many people are arriving at once. Please try again in a few minutes.")          \
    X(TEXT_BROWSER_UNSUPPORTED, "browser_unsupported",                                      \
      "This browser lacks a feature the study needs. Please continue in the browser you "   \
      "started in, or use a recent Chrome, Firefox, Safari or Edge.")                       \
    X(TEXT_DEVICE_UNSUPPORTED, "device_unsupported",                                       \
      "This device does not meet the study's requirements (a desktop or laptop computer "  \
      "with a large enough window). Please continue on the computer you started on.")      \
    X(TEXT_REPLACED, "replaced", "This study was opened in another tab.")

#define CLIENT_TEXT_LIST(X) \
    X("connecting", "Connecting…") \
    X("button_continue", "Continue") \
    X("button_start", "Start") \
    X("not_connected", "Not connected right now. Please try again in a moment.") \
    X("replaced_tab", "This study was opened in another tab or window. Please continue there; you can close this tab.") \
    X("error_generic", "Sorry, something went wrong: {message}. Please contact the researcher.") \
    X("no_javascript", "This study needs JavaScript. Please enable it and reload the page.") \
    X("waitroom_title", "Waiting for other players") \
    X("waitroom_looking", "Looking for other players…") \
    X("waitroom_count", "{count} of {needed} players here") \
    X("waitroom_count_one", "{count} of {needed} player here") \
    X("waitroom_time_left", "Time left: {time}") \
    X("waitroom_keep_open", "Please keep this tab open. The game starts as soon as everyone is here.") \
    X("waitroom_leave", "Leave the waiting room") \
    X("partner_you", "Your partner") \
    X("partner_player", "Player {n}") \
    X("partner_reconnecting", "{who} lost their connection. Waiting for them to come back…") \
    X("partner_back", "{who} is back.") \
    X("partner_dropped", "{who} has left the game.") \
    X("partner_ai", "{who} has left; a computer player has taken over.") \
    X("partner_default", "{who} has left; the game goes on without them.") \
    X("matched_countdown", "Matched! The game starts in {seconds}…") \
    X("game_countdown", "The game starts in {seconds}…") \
    X("round_countdown", "Round {round} of {rounds} starts in {seconds}…") \
    X("starting", "Starting…") \
    X("round_over", "Round {round} of {rounds} is over.") \
    X("round_last", "That was the last round.") \
    X("game_load_failed", "The game could not be loaded. Please reload this page.") \
    X("game_end_completed", "The game is over. Thank you!") \
    X("game_end_partner_dropped", "Your partner left, so the game has ended.") \
    X("game_end_excluded", "The game has ended for you.") \
    X("game_end_other", "The game has ended ({reason}).") \
    X("hud_round", "Round {round} of {rounds}") \
    X("hud_score", "Score {score}") \
    X("hud_score_seat", "You are player {n} · Group score {score}") \
    X("hud_time", "Time {time}") \
    X("end_code", "Your completion code:") \
    X("end_copy", "Copy") \
    X("end_copied", "Copied") \
    X("end_submit", "Submit your code and finish") \
    X("end_finish", "Finish") \
    X("end_close_tab", "Thank you. You may close this tab now.") \
    X("quiz_attempts_left", "{count} attempts left.") \
    X("quiz_attempts_left_one", "{count} attempt left.") \
    X("quiz_retry", "Please read this page again; then you can try the questions once more.")

#define TEXTS_ENUM_ITEM(id, key, text) id,
typedef enum { TEXT_LIST(TEXTS_ENUM_ITEM) TEXT_COUNT_ } text_id;

/* The default text for id. */
const char *texts_get(text_id id);
/* The text for id in this experiment: its `texts:` override, else the default. */
const char *texts_for(const experiment *x, text_id id);
/* Its key, for overrides and the docs' table. */
const char *texts_key(text_id id);
/* The end page's message for an outcome and the reason beside it. */
text_id texts_end_message(outcome o, outcome_reason why);

/* Whether key names a text (server's or browser's); its default in *text if so. */
bool texts_lookup(const char *key, const char **text);
/* Whether the browser shows it (it then travels in `welcome`). */
bool texts_is_client(const char *key);
/* Every {name} in value must be a {name} of key's default. False with the first stranger
 * in bad ("{nmae}"). */
bool texts_placeholders_ok(const char *key, const char *value, char *bad, size_t badlen);

#endif
