/*
 * Every JSON control message the server sends (docs/PROTOCOL.md, "server to client"),
 * one builder each. Nothing outside proto/ writes a message's JSON.
 *
 * Ownership, the one rule: a builder returns a malloc'd, NUL-terminated JSON text that
 * its caller owns and frees; functions that send a text never take it. So a broadcast is
 * built once, sent to every seat, freed once. A builder returns NULL only when memory runs
 * out; sending NULL is a no-op everywhere.
 */
#ifndef COHORT_MESSAGES_H
#define COHORT_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "names.h"

/* The message types, once. A test checks this list against docs/PROTOCOL.md, against what
 * web/app.js handles and against the builders the server calls. */
#define PROTO_SERVER_MESSAGES(X)                                                           \
    X(welcome) X(scene) X(waiting) X(matched) X(game_start) X(countdown) X(episode_start)  \
    X(episode_end) X(game_end) X(partner) X(lag) X(replaced) X(error) X(quiz_result)

/* The experiment's words for the browser: its `texts:` overrides of the page's texts, its
 * language and writing direction ("" when the experiment does not say). */
typedef struct {
    int ntexts;
    const char *const *keys;
    const char *const *values;
    const char *lang;
    const char *dir;
} welcome_words;
char *proto_msg_welcome(const char *subject, const char *token, const char *experiment,
                        bool resumed, const welcome_words *words);

/* `scene`, one builder per kind. */
char *proto_msg_scene_page(int index, const char *id, const char *html, bool form);
char *proto_msg_scene_game(int index, const char *id, const char *html, int waitroom_timeout_s,
                           int players);
/* bonus: the sentence about the participant's bonus and its amount ("1.02"), both "" or
 * NULL when the end page does not show one (bonus.show). */
char *proto_msg_scene_end(int index, outcome o, const char *code, const char *redirect,
                          const char *message, const char *bonus, const char *bonus_amount);
/* The page a newcomer sees while the study takes nobody new: kind "end", no outcome and
 * no code (they have done nothing yet), just the message. */
char *proto_msg_scene_closed(const char *message);

char *proto_msg_waiting(const char *scene, int count, int needed, int64_t remaining_ms);
char *proto_msg_matched(const char *game, int seat, int countdown_ms);

/* A graded attempt at the page scene's quiz (never its answers). attempt: the attempts
 * made at it so far; wrong: the names of the fields judged wrong (none when the quiz
 * hides them); retry_from: the scene the participant is sent back to, "" if none. */
typedef struct {
    const char *scene;
    bool passed;
    int attempt, attempts_left;
    const char *feedback;
    int nwrong;
    const char *const *wrong;
    const char *retry_from;
} quiz_result_info;
char *proto_msg_quiz_result(const quiz_result_info *r);

/* A model seat, for the page that runs it (docs/AGENTS.md). */
typedef struct {
    int seat;
    const char *url;     /* the model file: model.json or .onnx */
    const char *format;  /* "tfjs" | "onnx" */
    const char *obs;     /* the env observation it reads */
    int nactions;
    const int8_t *actions; /* model output i -> env action */
    const char *pick;    /* "argmax" | "sample" */
} game_model_info;

/* What a seat needs to run the game: everything but `seat` is the same for every seat. */
typedef struct {
    const char *game;
    int seat;
    int nseats;
    const char *const *seat_labels; /* nseats of "human" or "ai:NAME" */
    const char *env;
    /* The step clock: fps (frames a second) or step_ms (ms a step), the other 0; each
     * goes out as null when 0. */
    int fps, step_ms;
    const char *input;              /* "held" or "press"; NULL = "held" */
    int input_delay, confirm_window, prediction_limit, episodes, max_steps;
    int nkeys;
    const char *const *key_names;   /* nkeys */
    const int *key_actions;         /* nkeys */
    int default_action;
    int episode;
    int nmodels;
    const game_model_info *models; /* nmodels */
    int model_host;                /* the seat whose page runs them */
    uint64_t seed;                 /* the game's: a sampling model's draws derive from it */
} game_start_info;
char *proto_msg_game_start(const game_start_info *g);

char *proto_msg_countdown(int episode, int ms);
char *proto_msg_episode_start(int episode, uint64_t seed);
char *proto_msg_episode_end(int episode, uint32_t frames, episode_end reason);
char *proto_msg_game_end(game_end reason);
char *proto_msg_partner(int seat, partner_status status);
/* lead: the newest input frame of the leading seat. */
char *proto_msg_lag(int64_t lead);
char *proto_msg_replaced(void);
char *proto_msg_error(const char *code, const char *message);

#endif
