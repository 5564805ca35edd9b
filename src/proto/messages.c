#include "messages.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* Takes the object (json_pack's result, possibly NULL) and returns its compact text. */
static char *dump(json_t *msg)
{
    if (!msg)
        return NULL;
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    return text;
}

char *proto_msg_welcome(const char *subject, const char *token, const char *experiment,
                        bool resumed, const welcome_words *words)
{
    json_t *texts = json_object();
    for (int i = 0; texts && words && i < words->ntexts; i++)
        json_object_set_new(texts, words->keys[i], json_string(words->values[i]));
    return dump(json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:s, s:s}", "type", "welcome", "subject",
                          subject, "token", token, "experiment", experiment, "resumed", resumed,
                          "texts", texts, "lang", words && words->lang ? words->lang : "",
                          "dir", words && words->dir ? words->dir : ""));
}

char *proto_msg_scene_page(int index, const char *id, const char *html, bool form)
{
    return dump(json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "type", "scene", "index", index,
                          "id", id, "kind", "page", "html", html ? html : "", "form", form));
}

char *proto_msg_scene_game(int index, const char *id, const char *html, int waitroom_timeout_s,
                           int players)
{
    return dump(json_pack("{s:s, s:i, s:s, s:s, s:s, s:b, s:i, s:i}", "type", "scene", "index",
                          index, "id", id, "kind", "game", "html", html ? html : "", "form", 0,
                          "waitroom_timeout_s", waitroom_timeout_s, "players", players));
}

char *proto_msg_scene_end(int index, outcome o, const char *code, const char *redirect,
                          const char *message, const char *bonus, const char *bonus_amount)
{
    return dump(json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "type",
                          "scene", "index", index, "id", "end", "kind", "end", "outcome",
                          outcome_name(o), "code", code, "redirect", redirect, "message",
                          message, "form", 0, "bonus", bonus ? bonus : "", "bonus_amount",
                          bonus_amount ? bonus_amount : ""));
}

char *proto_msg_scene_closed(const char *message)
{
    return dump(json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "type", "scene",
                          "index", -1, "id", "closed", "kind", "end", "outcome", "", "code", "",
                          "redirect", "", "message", message, "form", 0));
}

char *proto_msg_waiting(const char *scene, int count, int needed, int64_t remaining_ms)
{
    return dump(json_pack("{s:s, s:s, s:i, s:i, s:I}", "type", "waiting", "scene", scene,
                          "count", count, "needed", needed, "remaining_ms",
                          (json_int_t)remaining_ms));
}

char *proto_msg_quiz_result(const quiz_result_info *r)
{
    json_t *wrong = json_array();
    for (int i = 0; wrong && i < r->nwrong; i++)
        json_array_append_new(wrong, json_string(r->wrong[i]));
    return dump(json_pack("{s:s, s:s, s:b, s:i, s:i, s:s, s:o, s:s}", "type", "quiz_result",
                          "scene", r->scene, "passed", r->passed, "attempt", r->attempt,
                          "attempts_left", r->attempts_left, "feedback",
                          r->feedback ? r->feedback : "", "wrong", wrong, "retry_from",
                          r->retry_from ? r->retry_from : ""));
}

char *proto_msg_matched(const char *game, int seat, int countdown_ms)
{
    return dump(json_pack("{s:s, s:s, s:i, s:i}", "type", "matched", "game", game, "seat", seat,
                          "countdown_ms", countdown_ms));
}

char *proto_msg_game_start(const game_start_info *g)
{
    json_t *seats = json_array(), *keys = json_object(), *models = json_array();
    for (int i = 0; seats && i < g->nseats; i++)
        json_array_append_new(seats, json_string(g->seat_labels[i]));
    for (int i = 0; keys && i < g->nkeys; i++)
        json_object_set_new(keys, g->key_names[i], json_integer(g->key_actions[i]));
    for (int i = 0; models && i < g->nmodels; i++) {
        const game_model_info *m = &g->models[i];
        json_t *actions = json_array();
        for (int a = 0; actions && a < m->nactions; a++)
            json_array_append_new(actions, json_integer(m->actions[a]));
        json_array_append_new(models, json_pack("{s:i, s:s, s:s, s:s, s:o, s:s}", "seat", m->seat,
                                                "url", m->url, "format", m->format, "obs", m->obs,
                                                "actions", actions, "pick", m->pick));
    }
    char seed[24]; /* a decimal string: a u64 does not survive JavaScript's doubles */
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)g->seed);
    return dump(json_pack("{s:s, s:s, s:i, s:o, s:s, s:o, s:o, s:s, s:i, s:i, s:i, s:i, s:i, "
                          "s:o, s:i, s:i, s:o, s:i, s:s}",
                          "type", "game_start", "game", g->game, "seat", g->seat, "seats", seats,
                          "env", g->env, "fps", g->fps > 0 ? json_integer(g->fps) : json_null(),
                          "step_ms", g->step_ms > 0 ? json_integer(g->step_ms) : json_null(),
                          "input", g->input ? g->input : "held", "input_delay", g->input_delay,
                          "confirm_window", g->confirm_window, "prediction_limit",
                          g->prediction_limit, "episodes", g->episodes, "max_steps", g->max_steps,
                          "keys", keys, "default_action", g->default_action, "episode",
                          g->episode, "models", models, "model_host", g->model_host, "seed", seed));
}

char *proto_msg_countdown(int episode, int ms)
{
    return dump(json_pack("{s:s, s:i, s:i}", "type", "countdown", "episode", episode, "ms", ms));
}

char *proto_msg_episode_start(int episode, uint64_t seed)
{
    /* A decimal string: a u64 does not survive JavaScript's doubles. */
    char digits[24];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)seed);
    return dump(json_pack("{s:s, s:i, s:s, s:i}", "type", "episode_start", "episode", episode,
                          "seed", digits, "frame", 0));
}

char *proto_msg_episode_end(int episode, uint32_t frames, episode_end reason)
{
    return dump(json_pack("{s:s, s:i, s:I, s:s}", "type", "episode_end", "episode", episode,
                          "frames", (json_int_t)frames, "reason", episode_end_name(reason)));
}

char *proto_msg_game_end(game_end reason)
{
    return dump(json_pack("{s:s, s:s}", "type", "game_end", "reason", game_end_name(reason)));
}

char *proto_msg_partner(int seat, partner_status status)
{
    return dump(json_pack("{s:s, s:i, s:s}", "type", "partner", "seat", seat, "status",
                          partner_status_name(status)));
}

char *proto_msg_lag(int64_t lead)
{
    return dump(json_pack("{s:s, s:I}", "type", "lag", "lead", (json_int_t)lead));
}

char *proto_msg_replaced(void) { return dump(json_pack("{s:s}", "type", "replaced")); }

char *proto_msg_error(const char *code, const char *message)
{
    return dump(json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", message));
}
