/*
 * The bot swarm: N bots (bot.c) on one epoll loop (wsclient.c), one thread.
 *
 * The bots' wake-ups (page think times, game ticks, joins) live in a binary heap; the loop
 * sleeps in epoll until the earliest one, runs every bot that is due, and goes back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../util/clock.h"
#include "bot.h"
#include "bots.h"
#include "wsclient.h"

#define MAX_BOTS 20000
#define STOP_GRACE_US 3000000 /* after the run: time for every closing handshake */
#define LOOP_MAX_WAIT_US 100000 /* the loop looks at deadlines and progress this often */
#define CHECK_US 50000          /* "has every bot finished?" costs O(N): not every pass */

typedef struct swarm swarm;

typedef struct {
    swarm *sw;
    bot *b;
    wsconn *ws;
    int index;
    int64_t wake_at; /* -1: not in the heap */
    int heap_pos;
} conn;

struct swarm {
    wsloop *loop;
    bot_config cfg;
    swarm_stats st;
    conn *conns;
    int n;
    int *heap; /* conn indices, min-heap on wake_at */
    int heap_n;
    struct sockaddr_in addr;
    char host[80];
    char path[128];
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- the wake-up heap ------------------------------------------------------------- */

static void heap_swap(swarm *sw, int i, int j)
{
    int a = sw->heap[i], b = sw->heap[j];
    sw->heap[i] = b;
    sw->heap[j] = a;
    sw->conns[b].heap_pos = i;
    sw->conns[a].heap_pos = j;
}

static int64_t heap_key(const swarm *sw, int i) { return sw->conns[sw->heap[i]].wake_at; }

static void heap_up(swarm *sw, int i)
{
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (heap_key(sw, parent) <= heap_key(sw, i))
            break;
        heap_swap(sw, i, parent);
        i = parent;
    }
}

static void heap_down(swarm *sw, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < sw->heap_n && heap_key(sw, l) < heap_key(sw, m))
            m = l;
        if (r < sw->heap_n && heap_key(sw, r) < heap_key(sw, m))
            m = r;
        if (m == i)
            return;
        heap_swap(sw, i, m);
        i = m;
    }
}

static void heap_remove(swarm *sw, conn *c)
{
    int i = c->heap_pos;
    if (i < 0)
        return;
    int last = sw->heap_n - 1;
    if (i != last)
        heap_swap(sw, i, last);
    sw->heap_n--;
    c->heap_pos = -1;
    if (i < sw->heap_n) {
        heap_up(sw, i);
        heap_down(sw, i);
    }
}

static void io_wake(void *ctx, int64_t at)
{
    conn *c = ctx;
    swarm *sw = c->sw;
    if (at < 0) {
        heap_remove(sw, c);
        c->wake_at = -1;
        return;
    }
    if (c->heap_pos < 0) {
        c->wake_at = at;
        c->heap_pos = sw->heap_n;
        sw->heap[sw->heap_n++] = c->index;
        heap_up(sw, c->heap_pos);
    } else if (at != c->wake_at) {
        c->wake_at = at;
        heap_up(sw, c->heap_pos);
        heap_down(sw, c->heap_pos);
    }
}

/* Runs every bot whose wake-up is due. Each is popped before it runs and can only re-arm
 * itself later than now, so this ends. */
static void run_due(swarm *sw, int64_t now)
{
    while (sw->heap_n > 0 && heap_key(sw, 0) <= now) {
        conn *c = &sw->conns[sw->heap[0]];
        heap_remove(sw, c);
        c->wake_at = -1;
        bot_on_timer(c->b, now);
    }
}

/* ---- connections ------------------------------------------------------------------ */

static void io_connect(void *ctx)
{
    conn *c = ctx;
    swarm *sw = c->sw;
    if (wsconn_connect(c->ws, &sw->addr, sw->host, sw->path) != 0)
        bot_on_connect_failed(c->b, "socket", clock_mono_us());
}

static void io_send(void *ctx, bool binary, const void *buf, size_t len)
{
    conn *c = ctx;
    if (wsconn_send(c->ws, binary, buf, len) == -2)
        tally_add(&c->sw->st.errors, "send_backlog"); /* the server stopped reading */
}

static void io_close(void *ctx)
{
    conn *c = ctx;
    wsconn_close(c->ws);
}

static const bot_io IO = {
    .connect = io_connect,
    .send = io_send,
    .close = io_close,
    .wake = io_wake,
};

static void ws_open(void *ud)
{
    conn *c = ud;
    bot_on_open(c->b, clock_mono_us());
}

static void ws_message(void *ud, bool binary, const uint8_t *data, size_t len)
{
    conn *c = ud;
    if (binary)
        bot_on_binary(c->b, data, len, clock_mono_us());
    else
        bot_on_text(c->b, (const char *)data, len, clock_mono_us());
}

static void ws_closed(void *ud, bool never_opened, const char *why)
{
    conn *c = ud;
    if (never_opened)
        bot_on_connect_failed(c->b, why, clock_mono_us());
    else
        bot_on_closed(c->b, clock_mono_us());
}

static const ws_callbacks WS = {.on_open = ws_open, .on_message = ws_message, .on_closed = ws_closed};

/* ---- command line ----------------------------------------------------------------- */

static void usage(FILE *to)
{
    fprintf(to,
            "usage: cohort bots URL -n N [--fps F] [--duration S] [--ramp S]\n"
            "                   [--policy random|greedy] [--think MS] [--seed X]\n"
            "                   [--loop] [--churn P] [--rejoin MS] [--progress S]\n"
            "                   [--run ID] [--echo]\n"
            "  URL          http://127.0.0.1:PORT (the server) or ws://127.0.0.1:PORT/PATH;\n"
            "               loopback addresses only\n"
            "  -n N         participants at a time (1..%d)\n"
            "  --fps F      ticks per second (default: the game's clock, its fps or\n"
            "               step_ms)\n"
            "  --duration S cap on the whole run, seconds (default 600); unfinished bots are\n"
            "               reported as not completed\n"
            "  --ramp S     spread the connects over S seconds (default 0)\n"
            "  --policy P   random (uniform, seeded) or greedy (the env's scripted policy)\n"
            "  --think MS   mean pause before advance/start (default 300)\n"
            "  --loop       after finishing, join again as a new participant (soak)\n"
            "  --churn P    probability a participant leaves early: page, waiting room or\n"
            "               mid-game (default 0)\n"
            "  --rejoin MS  --loop: mean pause before joining again (default 500)\n"
            "  --progress S a status line on stderr every S seconds\n"
            "  --run ID     subjects are bot-ID-INDEX (default: from the pid and time)\n"
            "  --echo       echo mode: timed 24-byte messages at --fps to an echo server\n",
            MAX_BOTS);
}

/* "127.0.0.1" and "localhost" are accepted; everything else is refused. */
static int parse_url(const char *url, swarm *sw)
{
    const char *p = url;
    bool ws = false;
    if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    } else if (strncmp(p, "ws://", 5) == 0) {
        p += 5;
        ws = true;
    } else {
        return -1;
    }
    const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
    if (!colon || (slash && slash < colon))
        return -1;
    char host[64];
    size_t hl = (size_t)(colon - p);
    if (hl == 0 || hl >= sizeof host)
        return -1;
    memcpy(host, p, hl);
    host[hl] = '\0';
    if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0)
        return -2;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || port <= 0 || port > 65535 || (*end != '\0' && *end != '/'))
        return -1;
    memset(&sw->addr, 0, sizeof sw->addr);
    sw->addr.sin_family = AF_INET;
    sw->addr.sin_port = htons((uint16_t)port);
    sw->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(sw->host, sizeof sw->host, "127.0.0.1:%ld", port);
    if (ws && *end == '/' && end[1])
        snprintf(sw->path, sizeof sw->path, "%s", end);
    else
        snprintf(sw->path, sizeof sw->path, "/ws");
    return 0;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static double ms(int64_t us) { return (double)us / 1000.0; }

static void print_tally(FILE *to, const char *label, const tally *t)
{
    fprintf(to, "  %s:", label);
    if (t->n == 0)
        fprintf(to, " none");
    for (int i = 0; i < t->n; i++)
        fprintf(to, " %s=%llu", t->items[i].kind, (unsigned long long)t->items[i].count);
    fprintf(to, "\n");
}

static void progress(const swarm *sw, double t)
{
    const swarm_stats *s = &sw->st;
    fprintf(stderr,
            "bots: t=%.0fs connected=%d waiting=%d playing=%d matched=%llu completed=%llu "
            "errors=%llu desyncs=%llu p99_ms=%.2f\n",
            t, s->now_connected, s->now_waiting, s->now_playing,
            (unsigned long long)s->matched, (unsigned long long)s->completed,
            (unsigned long long)tally_total(&s->errors), (unsigned long long)s->desyncs,
            ms(latency_quantile(s->lat, 0.99)));
}

int cmd_bots(int argc, char **argv)
{
    const char *url = NULL;
    double n = 0, fps = 0, duration = 600, ramp = 0, think = 300, churn = 0, rejoin = 500,
           every = 0, seed = -1;
    swarm *sw = calloc(1, sizeof *sw);
    if (!sw)
        return 1;
    sw->cfg.policy = POLICY_RANDOM;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if ((strcmp(a, "-n") == 0 || strcmp(a, "--n") == 0) && v)
            ok = parse_double(argv[++i], 1, MAX_BOTS, &n) && n == (int)n;
        else if (strcmp(a, "--fps") == 0 && v)
            ok = parse_double(argv[++i], 1, 240, &fps);
        else if (strcmp(a, "--duration") == 0 && v)
            ok = parse_double(argv[++i], 0.1, 86400, &duration);
        else if (strcmp(a, "--ramp") == 0 && v)
            ok = parse_double(argv[++i], 0, 3600, &ramp);
        else if (strcmp(a, "--think") == 0 && v)
            ok = parse_double(argv[++i], 0, 86400000, &think);
        else if (strcmp(a, "--churn") == 0 && v)
            ok = parse_double(argv[++i], 0, 1, &churn);
        else if (strcmp(a, "--rejoin") == 0 && v)
            ok = parse_double(argv[++i], 0, 3600000, &rejoin);
        else if (strcmp(a, "--progress") == 0 && v)
            ok = parse_double(argv[++i], 0.1, 3600, &every);
        else if (strcmp(a, "--seed") == 0 && v)
            ok = parse_double(argv[++i], 0, 9007199254740992.0, &seed);
        else if (strcmp(a, "--run") == 0 && v) {
            snprintf(sw->cfg.run_id, sizeof sw->cfg.run_id, "%s", argv[++i]);
            for (const char *s = sw->cfg.run_id; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
                    ok = false;
        } else if (strcmp(a, "--policy") == 0 && v) {
            i++;
            if (strcmp(v, "random") == 0)
                sw->cfg.policy = POLICY_RANDOM;
            else if (strcmp(v, "greedy") == 0)
                sw->cfg.policy = POLICY_GREEDY;
            else
                ok = false;
        } else if (strcmp(a, "--loop") == 0)
            sw->cfg.loop = true;
        else if (strcmp(a, "--echo") == 0)
            sw->cfg.echo = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(sw);
            return 0;
        } else if (a[0] != '-' && !url)
            url = a;
        else
            ok = false;
        if (!ok) {
            fprintf(stderr, "cohort bots: bad argument %s%s%s\n", a, v ? " " : "", v ? v : "");
            usage(stderr);
            free(sw);
            return 2;
        }
    }
    if (!url || n < 1) {
        usage(stderr);
        free(sw);
        return 2;
    }
    int rc = parse_url(url, sw);
    if (rc != 0) {
        fprintf(stderr, rc == -2 ? "cohort bots: %s: only loopback servers (127.0.0.1, localhost)\n"
                                 : "cohort bots: %s: expected http://127.0.0.1:PORT or ws://127.0.0.1:PORT/PATH\n",
                url);
        free(sw);
        return 2;
    }
    if (!sw->cfg.run_id[0])
        snprintf(sw->cfg.run_id, sizeof sw->cfg.run_id, "%x%x", (unsigned)getpid() & 0xffff,
                 (unsigned)time(NULL) & 0xffff);
    sw->cfg.fps = (int)fps;
    sw->cfg.think_ms = (int)think;
    sw->cfg.churn = churn;
    sw->cfg.rejoin_ms = (int)rejoin;
    sw->cfg.seed = seed >= 0 ? (uint64_t)seed : (uint64_t)clock_mono_us() ^ (uint64_t)getpid();
    sw->n = (int)n;

    /* Each bot is a socket: make room for them (up to the hard limit). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)sw->n + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)sw->n + 256 ? rl.rlim_max : (rlim_t)sw->n + 256;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)sw->n + 32)
        fprintf(stderr, "cohort bots: warning: open files limited to %llu for %d bots\n",
                (unsigned long long)rl.rlim_cur, sw->n);

    sw->st.lat = latency_new();
    sw->conns = calloc((size_t)sw->n, sizeof(conn));
    sw->heap = calloc((size_t)sw->n, sizeof(int));
    if (!sw->st.lat || !sw->conns || !sw->heap) {
        fprintf(stderr, "cohort bots: out of memory\n");
        return 1;
    }

    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    sw->loop = wsloop_new();
    if (!sw->loop) {
        fprintf(stderr, "cohort bots: cannot create the event loop\n");
        return 1;
    }

    int64_t t0 = clock_mono_us();
    for (int i = 0; i < sw->n; i++) {
        conn *c = &sw->conns[i];
        c->sw = sw;
        c->index = i;
        c->wake_at = -1;
        c->heap_pos = -1;
        c->b = bot_new(&sw->cfg, i, &IO, c, &sw->st);
        c->ws = wsconn_new(sw->loop, &WS, c);
        if (!c->b || !c->ws) {
            fprintf(stderr, "cohort bots: out of memory\n");
            return 1;
        }
    }
    for (int i = 0; i < sw->n; i++)
        bot_schedule_join(sw->conns[i].b, t0 + (int64_t)(ramp * 1e6 * i / sw->n));

    int64_t deadline = t0 + (int64_t)(duration * 1e6);
    int64_t next_progress = every > 0 ? t0 + (int64_t)(every * 1e6) : -1;
    uint64_t unfinished = 0;
    bool stopped = false;
    int64_t stop_at = 0, next_check = 0;
    for (;;) {
        int64_t now = clock_mono_us();
        run_due(sw, now);
        int64_t until = now + LOOP_MAX_WAIT_US;
        if (sw->heap_n > 0 && heap_key(sw, 0) < until)
            until = heap_key(sw, 0);
        if (wsloop_poll(sw->loop, until) < 0) {
            /* Report what was reached, and count the failure: the run must not pass. */
            fprintf(stderr, "cohort bots: event loop failed: %s\n", strerror(errno));
            tally_add(&sw->st.errors, "event_loop");
            if (!stopped) {
                stop_at = clock_mono_us();
                for (int i = 0; i < sw->n; i++)
                    unfinished += bot_stop(sw->conns[i].b);
            }
            break;
        }
        now = clock_mono_us();
        if (next_progress >= 0 && now >= next_progress) {
            progress(sw, (double)(now - t0) / 1e6);
            next_progress += (int64_t)(every * 1e6);
        }
        if (now < next_check)
            continue;
        next_check = now + CHECK_US;
        if (!stopped) {
            bool all_idle = !sw->cfg.loop && !sw->cfg.echo;
            for (int i = 0; all_idle && i < sw->n; i++)
                all_idle = bot_idle(sw->conns[i].b);
            if (all_idle || now >= deadline || interrupted) {
                stopped = true;
                stop_at = now;
                for (int i = 0; i < sw->n; i++)
                    unfinished += bot_stop(sw->conns[i].b);
            }
        }
        if (stopped) {
            bool open = false;
            for (int i = 0; !open && i < sw->n; i++)
                open = wsconn_busy(sw->conns[i].ws);
            if (!open || now - stop_at > STOP_GRACE_US)
                break;
        }
    }
    double secs = (double)(stop_at - t0) / 1e6;
    ws_stats ws = wsloop_stats(sw->loop);

    const swarm_stats *s = &sw->st;
    uint64_t errors = tally_total(&s->errors);
    printf("bots: run %s, %s%s, %d bots%s, policy %s, %.1f s\n", sw->cfg.run_id, url,
           sw->cfg.echo ? " (echo)" : "", sw->n, sw->cfg.loop ? " (loop)" : "",
           sw->cfg.policy == POLICY_GREEDY ? "greedy" : "random", secs);
    if (sw->cfg.echo) {
        printf("  echo: sent %llu, received %llu\n", (unsigned long long)s->echo_sent,
               (unsigned long long)s->echo_received);
    } else {
        printf("  participants %llu, matched %llu, completed %llu, left on purpose %llu, "
               "unfinished %llu\n",
               (unsigned long long)s->participants, (unsigned long long)s->matched,
               (unsigned long long)s->completed, (unsigned long long)s->left,
               (unsigned long long)unfinished);
        print_tally(stdout, "outcomes", &s->outcomes);
    }
    print_tally(stdout, "errors", &s->errors);
    printf("  latency (%s, %llu samples): p50 %.2f ms, p95 %.2f, p99 %.2f, max %.2f, mean %.2f\n",
           sw->cfg.echo ? "round trip" : "INPUT sent -> its CONFIRM received",
           (unsigned long long)latency_count(s->lat), ms(latency_quantile(s->lat, 0.50)),
           ms(latency_quantile(s->lat, 0.95)), ms(latency_quantile(s->lat, 0.99)),
           ms(latency_max(s->lat)), latency_mean(s->lat) / 1000.0);
    if (!sw->cfg.echo) {
        printf("  confirmed frames %llu: %.0f/s over the run, %.1f/s per bot per episode "
               "(%llu episodes, %llu played to the end)\n",
               (unsigned long long)s->confirmed_frames,
               secs > 0 ? (double)s->confirmed_frames / secs : 0.0,
               s->episode_fps_n ? s->episode_fps_sum / (double)s->episode_fps_n : 0.0,
               (unsigned long long)s->episodes, (unsigned long long)s->episodes_full);
        printf("  inputs sent %llu, own inputs defaulted %llu, lag hints %llu (%llu frames "
               "skipped), stalls %llu, desyncs %llu, resyncs %llu, connect failures %llu\n",
               (unsigned long long)s->inputs_sent, (unsigned long long)s->own_defaulted,
               (unsigned long long)s->lag_hints, (unsigned long long)s->frames_skipped,
               (unsigned long long)s->stalls, (unsigned long long)s->desyncs,
               (unsigned long long)s->resyncs, (unsigned long long)s->connect_failures);
    }
    printf("  websocket: %llu messages out, %llu in (%.0f/s each way), %llu KiB out, %llu KiB in, "
           "%llu pings answered\n",
           (unsigned long long)ws.frames_out, (unsigned long long)ws.frames_in,
           secs > 0 ? (double)ws.frames_in / secs : 0.0, (unsigned long long)(ws.bytes_out / 1024),
           (unsigned long long)(ws.bytes_in / 1024), (unsigned long long)ws.pings);
    printf("bots: participants=%llu matched=%llu completed=%llu errors=%llu desyncs=%llu "
           "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
           (unsigned long long)(sw->cfg.echo ? s->connects : s->participants),
           (unsigned long long)s->matched, (unsigned long long)s->completed,
           (unsigned long long)errors, (unsigned long long)s->desyncs,
           ms(latency_quantile(s->lat, 0.50)), ms(latency_quantile(s->lat, 0.99)),
           ms(latency_max(s->lat)));
    fflush(stdout);

    int exit_code = errors == 0 && s->desyncs == 0 ? 0 : 1;
    for (int i = 0; i < sw->n; i++) {
        wsconn_free(sw->conns[i].ws);
        bot_free(sw->conns[i].b);
    }
    wsloop_free(sw->loop);
    latency_free(sw->st.lat);
    free(sw->conns);
    free(sw->heap);
    free(sw);
    return exit_code;
}
