/*
 * volley policy "tracker": predicts where the falling ball will come down to slime
 * height (ball-only flight: gravity, walls, net), runs there and stands a little behind
 * that spot (on its own baseline side), so the ball bounces off the slime towards the
 * net; it jumps when the ball drops close above it. While the ball is on the other side
 * it waits in the middle of its own half.
 */
#include "volley.h"

#define ONE VOLLEY_ONE
#define BEHIND 18    /* units behind the ball */
#define DEADBAND 5   /* units */

int32_t volley_policy(uint32_t policy_index, const void *state, uint32_t seat)
{
    (void)policy_index;
    if (seat > 1)
        return VOLLEY_STAY;
    volley_state s = *(const volley_state *)state;
    volley_sanitize(&s);
    if (s.done || s.t >= s.horizon)
        return VOLLEY_STAY;
    const volley_body *me = &s.slime[seat];
    int toward_net = seat == 0 ? 1 : -1;
    int32_t net = VOLLEY_NET_X * ONE;
    int32_t home = (seat == 0 ? VOLLEY_W / 4 : VOLLEY_W * 3 / 4) * ONE;
    int32_t target = home;
    int jump = 0;

    volley_body b = s.ball;
    int32_t hit_y = (VOLLEY_SLIME_R + VOLLEY_BALL_R) * ONE;
    if (s.serve_wait == 0) {
        /* fly the ball forward until it comes down to slime height */
        for (int i = 0; i < 1200; i++) {
            if (b.vy < 0 && b.y <= hit_y)
                break;
            if (volley_ball_tick(&b))
                break;
        }
    }
    int mine = seat == 0 ? b.x < net : b.x >= net;
    if (mine)
        target = b.x - toward_net * BEHIND * ONE;

    const volley_body *ball = &s.ball;
    int32_t dx = ball->x - me->x, dy = ball->y - me->y;
    int ball_mine = seat == 0 ? ball->x < net : ball->x >= net;
    if (s.serve_wait == 0 && ball_mine && ball->vy < 0 && dx > -60 * ONE && dx < 60 * ONE &&
        dy > 90 * ONE && dy < 200 * ONE)
        jump = 1;

    int32_t d = target - me->x;
    int move = d > DEADBAND * ONE ? 1 : d < -DEADBAND * ONE ? -1 : 0;
    if (jump)
        return move > 0 ? VOLLEY_JUMP_RIGHT : move < 0 ? VOLLEY_JUMP_LEFT : VOLLEY_JUMP;
    return move > 0 ? VOLLEY_RIGHT : move < 0 ? VOLLEY_LEFT : VOLLEY_STAY;
}
