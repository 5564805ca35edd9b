/*
 * Export benchmark, part 1: a data folder as the server would leave it, written through
 * the store (cohort.db plus one CSV and sidecar per human seat and episode).
 *
 *   build/bench/export_gen DATA FRAMES [EPISODE_FRAMES]
 *
 * DATA/bench/ gets FRAMES frames of cooking/cramped_room in episodes of EPISODE_FRAMES
 * (default 400) frames, two episodes per game of two participants; seat 0 plays the
 * greedy policy, seat 1 a seeded random one, so soups, counters and collisions all occur.
 * Each participant also gets the scene visits, a form, a wait and an outcome.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "store/store.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATA FRAMES [EPISODE_FRAMES]\n", argv[0]);
        return 2;
    }
    uint64_t total = strtoull(argv[2], NULL, 10);
    uint32_t per = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 400;
    const env_def *env = env_find("cooking/cramped_room");
    char err[256];
    store *s = store_open(argv[1], "bench", err, sizeof err);
    if (!env || !s || per == 0) {
        fprintf(stderr, "export_gen: %s\n", s ? "bad arguments" : err);
        return 1;
    }
    void *state = malloc(env->state_size);
    uint32_t rng = 12345;
    int64_t t = 1735689600000;
    uint64_t done = 0;
    for (uint32_t g = 0; done < total; g++) {
        char game[32], a[32], b[32];
        snprintf(game, sizeof game, "g%06u", g);
        snprintf(a, sizeof a, "p%06ua", g);
        snprintf(b, sizeof b, "p%06ub", g);
        const char *who[2] = {a, b};
        for (int k = 0; k < 2; k++) {
            char params[128];
            snprintf(params, sizeof params,
                     "{\"params\":{\"PROLIFIC_PID\":\"%s\"},\"study\":{\"STUDY_ID\":\"bench\"}}",
                     who[k]);
            store_participant(s, who[k], "tok", params, NULL, NULL, t);
            store_scene_visit(s, who[k], 0, "consent", t);
            store_form(s, who[k], "consent", "{\"age\":\"30\",\"consent\":\"yes\"}", t + 1000);
            store_scene_visit(s, who[k], 1, "game", t + 1000);
            store_wait(s, who[k], "game", t + 1000, t + 2000, "matched", game);
        }
        store_seat seats[2] = {{a, true}, {b, true}};
        store_game(s, game, "game", env->name, NULL, seats, 2, t + 2000);
        for (uint32_t ep = 0; ep < 2 && done < total; ep++) {
            uint32_t n = total - done < per ? (uint32_t)(total - done) : per;
            episode_record rec;
            memset(&rec, 0, sizeof rec);
            snprintf(rec.scene, sizeof rec.scene, "game");
            snprintf(rec.game, sizeof rec.game, "%s", game);
            snprintf(rec.env, sizeof rec.env, "%s", env->name);
            rec.episode = ep;
            rec.seed = (uint64_t)g * 2 + ep;
            rec.horizon = n;
            rec.nseats = 2;
            snprintf(rec.seat_names[0], sizeof rec.seat_names[0], "%s", a);
            snprintf(rec.seat_names[1], sizeof rec.seat_names[1], "%s", b);
            rec.seat_is_human[0] = rec.seat_is_human[1] = true;
            rec.ninfo = env->ninfo;
            for (uint32_t i = 0; i < env->ninfo; i++)
                snprintf(rec.info_names[i], sizeof rec.info_names[i], "%s", env->info_names[i]);
            snprintf(rec.end_reason, sizeof rec.end_reason, "truncated");
            rec.t = t + 2000 + (ep + 1) * 15000;
            store_episode_start(s, game, ep, rec.seed, rec.horizon, t + 2000 + ep * 15000);
            rec.rows = calloc(n, sizeof *rec.rows);
            env->reset(state, rec.seed, rec.horizon);
            for (uint32_t f = 0; f < n; f++) {
                int32_t act[2];
                act[0] = env->policy(0, state, 0);
                rng = rng * 1664525u + 1013904223u;
                act[1] = (rng >> 24) % 3 == 0 ? (int32_t)((rng >> 8) % 6) : env->policy(0, state, 1);
                env_step_out out;
                env->step(state, act, &out);
                frame_row *r = &rec.rows[f];
                r->frame = f;
                for (int k = 0; k < 2; k++) {
                    r->actions[k] = (uint8_t)act[k];
                    r->sources[k] = SOURCE_INPUT;
                    r->rewards[k] = out.rewards[k];
                    r->verified[k] = 1;
                    r->focused[k] = 1;
                }
                r->terminated = out.terminated;
                r->truncated = out.truncated;
                memcpy(r->info, out.info, sizeof r->info);
                r->hash = env_hash(state, env->state_size);
                r->t_ms = f * 33;
            }
            rec.nrows = n;
            store_episode(s, &rec);
            done += n;
        }
        for (int k = 0; k < 2; k++)
            store_outcome(s, who[k], "completed", "OK", NULL, t + 40000);
        t += 1000;
        if (g % 64 == 63)
            store_flush(s); /* keep the queue short */
    }
    store_close(s);
    free(state);
    printf("export_gen: %" PRIu64 " frames in %s/bench\n", done, argv[1]);
    return 0;
}
