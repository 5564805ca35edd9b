/*
 * cohort: run real-time multiplayer experiments in the browser.
 *
 *   cohort serve FILE [--port N] [--data DIR] [--host ADDR] [--web DIR] [limits...]
 *   cohort check FILE
 *   cohort compare A.csv B.csv
 *   cohort replay A.csv
 *   cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]
 *   cohort bots URL -n N [...]
 *   cohort new-game NAME [--root DIR]
 *   cohort pilot FILE [--browsers N] [--url URL] [...]
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../envs/registry.h"
#include "admin/admin.h"
#include "config/config.h"
#include "flow/flow.h"
#include "net/net.h"
#include "pilot/pilot.h"
#include "agents/eval.h"
#include "store/store.h"
#include "store/store_recover.h"
#include "tools/tools.h"
#include "util/clock.h"
#include "util/log.h"

static net *running;
static flow *running_flow;
static volatile sig_atomic_t stop_signal, signals_seen;

/* The first SIGTERM or SIGINT drains (no one new, running games finish); the second stops
 * at once (running episodes are saved as cut). Both only set flags: the loop acts. */
static void on_signal(int sig)
{
    stop_signal = sig;
    if (++signals_seen == 1 && running_flow)
        flow_request_drain(running_flow);
    else if (running)
        net_stop(running);
}

static void on_drained(void *ctx) { net_stop(ctx); }

/* SIGHUP: read the TLS certificate and key again (a renewed certificate), dropping nobody. */
static void on_hup(int sig)
{
    (void)sig;
    if (running)
        net_reload_tls(running);
}

/* One event loop per core this process may run on (its affinity mask: a server pinned
 * with taskset to one core gets one loop), at most MAX_LOOPS. */
enum { MAX_LOOPS = 64 };
static int cores_available(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n < 1 ? 1 : n > MAX_LOOPS ? MAX_LOOPS : n;
}

/* The admin key from a file: its first line, without the newline. 0, or -1 said on stderr. */
static int read_key_file(const char *path, char *out, size_t len)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "cohort serve: --admin-key-file %s: %s\n", path, strerror(errno));
        return -1;
    }
    bool got = fgets(out, (int)len, fp) != NULL;
    fclose(fp);
    out[got ? strcspn(out, "\r\n") : 0] = '\0';
    if (!got || !out[0]) {
        fprintf(stderr, "cohort serve: --admin-key-file %s is empty\n", path);
        return -1;
    }
    return 0;
}

/* Connection limits (docs/PROTOCOL.md, "Connection limits"). 4,000 open sockets: a study
 * of 2,000 participants at once, each with a WebSocket, room for as many again in page
 * loads and reconnects. 256 per address: a lab of 30 behind one NAT address, each browser
 * opening up to 6 HTTP connections while the page loads, a WebSocket, and a reconnect
 * overlapping the old one (30 x 8 = 240). 5 s for hello: a browser sends it as soon as the
 * socket opens. */
enum {
    DEFAULT_MAX_CONNECTIONS = 4000,
    DEFAULT_MAX_PER_ADDRESS = 256,
    DEFAULT_HELLO_TIMEOUT_S = 5,
    HTTP_HEADER_TIMEOUT_S = 5,
};

static void usage(FILE *to)
{
    fprintf(to,
            "usage:\n"
            "  cohort serve FILE [--port N] [--data DIR] [--host ADDR] [--web DIR]\n"
            "               [--admin-key-file FILE | --admin-key KEY]  16-128 characters; default:\n"
            "                                   COHORT_ADMIN_KEY, else a random key, printed\n"
            "               [--tls-cert FILE --tls-key FILE]  serve https and wss (SIGHUP reloads)\n"
            "               [--drain-s N]   on SIGTERM, running games may finish for N s (300)\n"
            "               [--max-connections N] [--max-per-address N] [--hello-timeout-s N]\n"
            "               [--trusted-proxy ADDR[,ADDR...]]...\n"
            "               [--loops N]     event loops, one per core (default: the cores\n"
            "                                   this process may run on)\n"
            "      defaults: --max-connections %d (lowered to fit the open-file limit),\n"
            "      --max-per-address %d (0 = no cap), --hello-timeout-s %d, no trusted proxy\n"
            "      (X-Forwarded-For ignored); ADDR may be a network, ADDR/PREFIX\n"
            "  cohort check FILE\n"
            "  cohort compare A.csv B.csv\n"
            "  cohort replay A.csv\n"
            "  cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]\n"
            "  cohort bots URL -n N [--fps F] [--duration S] [--ramp S] [--policy random|greedy]\n"
            "  cohort new-game NAME [--root DIR]   a new game in envs/NAME/ (docs/GAMES.md)\n"
            "  cohort pilot FILE [--browsers N] [--url URL] [--out DIR] [...]  (--help: all)\n"
            "  cohort eval ENV --pair SEAT,SEAT [...] [--episodes N] [--steps N] [--seed N]\n"
            "                                   agents and policies without a browser (--help)\n",
            DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_ADDRESS, DEFAULT_HELLO_TIMEOUT_S);
}

/* build/web beside the executable (the client and env modules `make` produced), else
 * the installed share folder. */
static void default_web_root(char *out, size_t len)
{
    char exe[PATH_MAX - 32]; /* room for "/../share/cohort/web" */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(out, len, "build/web");
        return;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, len, "%s/web", exe);
    /* Installed (make install): PREFIX/bin/cohort serves PREFIX/share/cohort/web. */
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/index.html", out);
    if (access(probe, R_OK) != 0)
        snprintf(out, len, "%s/../share/cohort/web", exe);
}

static experiment *load_experiment(const char *path)
{
    experiment *x = calloc(1, sizeof *x);
    char err[1024];
    if (!x)
        return NULL;
    if (config_load(path, config_registry_hooks(), x, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(x);
        return NULL;
    }
    return x;
}

/* A study that seats trained models needs their files and the runtime browsers load them
 * with (docs/AGENTS.md) in the client folder. 0, or -1 with what is missing printed. */
static int check_model_files(const experiment *x, const char *web_root, const char *who)
{
    int bad = 0;
    for (int i = 0; i < x->nscenes; i++) {
        const scene_spec *sc = &x->scenes[i];
        for (int s = 0; sc->kind == SCENE_GAME && s < sc->game.nseats; s++) {
            const seat_spec *seat = &sc->game.seats[s];
            if (seat->kind != SEAT_MODEL)
                continue;
            char path[PATH_MAX + CFG_URL_LEN];
            const char *runtime = seat->model.format == MODEL_ONNX ? "vendor/ort/ort.wasm.min.mjs"
                                                                   : "vendor/tf.fesm.min.js";
            snprintf(path, sizeof path, "%s/%s", web_root, runtime);
            if (access(path, R_OK) != 0 && !bad++)
                fprintf(stderr, "%s: scene %s seats the model %s, but %s is missing: run "
                                "scripts/setup --agents, then make\n", who, sc->id,
                        seat->policy, path);
            snprintf(path, sizeof path, "%s%s", web_root, seat->model.url);
            if (strncmp(seat->model.url, "/models/", 8) == 0 && access(path, R_OK) != 0 && !bad++)
                fprintf(stderr, "%s: scene %s seats the model %s, but %s is missing: run make\n",
                        who, sc->id, seat->policy, path);
        }
    }
    return bad ? -1 : 0;
}

static int cmd_check(int argc, char **argv)
{
    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    experiment *x = load_experiment(argv[0]);
    if (!x)
        return 1;
    if (x->nconditions > 0)
        printf("%s: ok (experiment %s, %d scenes, %d conditions)\n", argv[0], x->id, x->nbase,
               x->nconditions);
    else
        printf("%s: ok (experiment %s, %d scenes)\n", argv[0], x->id, x->nbase);
    char web_root[PATH_MAX];
    default_web_root(web_root, sizeof web_root);
    check_model_files(x, web_root, "cohort check: warning");
    free(x);
    return 0;
}

static int parse_port(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

/* A count for a limit flag: 0 to max. */
static int parse_count(const char *s, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    const char *file = NULL, *data = "data", *host = "127.0.0.1", *web = NULL;
    const char *admin_key_arg = getenv("COHORT_ADMIN_KEY");
    const char *admin_key_file = NULL, *tls_cert = NULL, *tls_key = NULL;
    bool key_on_command_line = false;
    char key_from_file[ADMIN_KEY_MAX + 2];
    int port = 8000, drain_s = 300, max_conns = DEFAULT_MAX_CONNECTIONS;
    int max_per_addr = DEFAULT_MAX_PER_ADDRESS, hello_s = DEFAULT_HELLO_TIMEOUT_S;
    int loops = cores_available();
    net_trusted trusted = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--port") == 0 && has_value) {
            if (parse_port(argv[++i], &port) != 0) {
                fprintf(stderr, "cohort serve: --port takes 0-65535, got %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--drain-s") == 0 && has_value) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end != '\0' || v < 0 || v > 86400) {
                fprintf(stderr, "cohort serve: --drain-s takes 0-86400 seconds, got %s\n", argv[i]);
                return 2;
            }
            drain_s = (int)v;
        } else if (strcmp(a, "--max-connections") == 0 && has_value) {
            if (parse_count(argv[++i], 1000000, &max_conns) != 0 || max_conns == 0) {
                fprintf(stderr, "cohort serve: --max-connections takes 1-1000000, got %s\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--max-per-address") == 0 && has_value) {
            if (parse_count(argv[++i], 1000000, &max_per_addr) != 0) {
                fprintf(stderr, "cohort serve: --max-per-address takes 0-1000000, got %s\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--hello-timeout-s") == 0 && has_value) {
            if (parse_count(argv[++i], 3600, &hello_s) != 0) {
                fprintf(stderr, "cohort serve: --hello-timeout-s takes 0-3600, got %s\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--loops") == 0 && has_value) {
            if (parse_count(argv[++i], MAX_LOOPS, &loops) != 0 || loops == 0) {
                fprintf(stderr, "cohort serve: --loops takes 1-%d, got %s\n", MAX_LOOPS, argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--trusted-proxy") == 0 && has_value) {
            char why[160];
            if (net_trusted_add(&trusted, argv[++i], why, sizeof why) != 0) {
                fprintf(stderr, "cohort serve: --trusted-proxy: %s\n", why);
                return 2;
            }
        } else if (strcmp(a, "--data") == 0 && has_value) {
            data = argv[++i];
        } else if (strcmp(a, "--host") == 0 && has_value) {
            host = argv[++i];
        } else if (strcmp(a, "--web") == 0 && has_value) {
            web = argv[++i];
        } else if (strcmp(a, "--admin-key") == 0 && has_value) {
            admin_key_arg = argv[++i];
            key_on_command_line = true;
        } else if (strcmp(a, "--admin-key-file") == 0 && has_value) {
            admin_key_file = argv[++i];
        } else if (strcmp(a, "--tls-cert") == 0 && has_value) {
            tls_cert = argv[++i];
        } else if (strcmp(a, "--tls-key") == 0 && has_value) {
            tls_key = argv[++i];
        } else if (a[0] != '-' && !file) {
            file = a;
        } else {
            fprintf(stderr, "cohort serve: unexpected argument %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!file) {
        usage(stderr);
        return 2;
    }
    if (!tls_cert != !tls_key) {
        fprintf(stderr, "cohort serve: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (admin_key_file && read_key_file(admin_key_file, key_from_file, sizeof key_from_file) != 0)
        return 2;
    if (admin_key_file)
        admin_key_arg = key_from_file;
    bool key_chosen = admin_key_arg && admin_key_arg[0];
    if (key_chosen) {
        char why[128];
        if (admin_key_check(admin_key_arg, why, sizeof why) != 0) {
            fprintf(stderr, "cohort serve: %s\n", why);
            return 2;
        }
        if (key_on_command_line)
            log_warn("--admin-key shows the key to every user of this machine (ps); prefer "
                     "--admin-key-file or COHORT_ADMIN_KEY");
    }
    experiment *x = load_experiment(file);
    if (!x)
        return 1;

    char web_root[PATH_MAX], pages_root[PATH_MAX + 8], err[512];
    if (web)
        snprintf(web_root, sizeof web_root, "%s", web);
    else
        default_web_root(web_root, sizeof web_root);
    char index[PATH_MAX + 16];
    snprintf(index, sizeof index, "%s/index.html", web_root);
    if (access(index, R_OK) != 0) {
        fprintf(stderr, "cohort serve: no client at %s (run make first)\n", web_root);
        free(x);
        return 1;
    }
    snprintf(pages_root, sizeof pages_root, "%s/pages", x->dir);
    if (check_model_files(x, web_root, "cohort serve") != 0) {
        free(x);
        return 1;
    }

    store *st = store_open(data, x->id, err, sizeof err);
    if (!st) {
        fprintf(stderr, "cohort serve: %s\n", err);
        free(x);
        return 1;
    }
    int rebuilt = store_rebuild_episodes(st, x->id, env_find, err, sizeof err);
    if (rebuilt < 0)
        log_error("rebuilding unwritten episodes: %s", err);
    else if (err[0])
        log_warn("an unwritten episode could not be rebuilt (the last: %s)", err);
    else if (rebuilt > 0)
        log_info("rebuilt %d episode files from the frame log", rebuilt);
    flow *f = flow_new(x, st, flow_net_io(), clock_now(), err, sizeof err);
    if (!f) {
        fprintf(stderr, "cohort serve: %s\n", err);
        store_close(st);
        free(x);
        return 1;
    }
    admin *adm = admin_new(f, admin_key_arg);
    if (!adm) {
        fprintf(stderr, "cohort serve: out of memory\n");
        return 1;
    }
    net_config cfg = {
        .host = host,
        .port = port,
        .web_root = web_root,
        .pages_root = access(pages_root, R_OK) == 0 ? pages_root : NULL,
        .max_message = 64 * 1024,
        .max_send_queue = 4 * 1024 * 1024,
        .max_msgs_per_s = 200,
        .ping_interval_ms = 2000,
        .idle_timeout_ms = 30000,
        .tick_ms = 20,
        .hello_timeout_ms = hello_s * 1000,
        .max_connections = max_conns,
        .max_per_address = max_per_addr,
        .http_header_timeout_s = HTTP_HEADER_TIMEOUT_S,
        .trusted_proxies = &trusted,
        .tls_cert = tls_cert,
        .tls_key = tls_key,
        .loops = loops,
    };
    net_handlers handlers = flow_net_handlers();
    net *n = net_create(&cfg, &handlers, f);
    if (!n) {
        fprintf(stderr, "cohort serve: cannot listen on %s:%d\n", host, port);
        flow_free(f, clock_now());
        store_close(st);
        free(x);
        return 1;
    }
    flow_use_loops(f, n); /* each game on one of the other loops (src/room/games.h) */
    admin_register(adm, n);
    admin_set_data_dir(adm, store_dir(st));
    running = n;
    running_flow = f;
    flow_on_drained(f, (int64_t)drain_s * 1000, on_drained, n);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);

    const char *scheme = tls_cert ? "https" : "http";
    printf("listening on %s://%s:%d\n", scheme, host, net_port(n));
    /* A key the researcher chose is theirs to know: it is never printed (logs are read by
     * more people than the key is for). A generated one must be shown once. */
    if (key_chosen)
        printf("admin page: %s://%s:%d/admin.html (with the admin key you set)\n", scheme, host,
               net_port(n));
    else
        printf("admin page: %s://%s:%d/admin.html#key=%s\n", scheme, host, net_port(n),
               admin_key(adm));
    fflush(stdout);
    log_info("experiment %s from %s, data in %s", x->id, file, store_dir(st));
    int loop = net_run(n);

    if (stop_signal)
        log_info("shutting down: received %s", strsignal(stop_signal));
    else
        log_info("shutting down: %s", loop == 0 ? "stopped" : "the event loop failed");
    running = NULL;
    running_flow = NULL;
    flow_loops_ended(f);            /* the rooms the workers ran are home's to cut */
    net_destroy(n);                 /* closes every connection: the stager hears of each */
    flow_free(f, clock_now());      /* saves running episodes as cut */
    store_close(st);                /* drains the writer: everything is on disk */
    admin_free(adm);
    free(x);
    log_info("stopped");
    return 0;
}

/* `cohort bots ARGS`: the bot swarm is its own program (src/bots), build/cohort-bots,
 * so that the server does not link it. Exec it from beside this executable with ARGS;
 * the pid stays the same, so callers can signal and wait for it as before. Returns only
 * when the exec fails: 127 if the program is missing, 126 otherwise. */
static int exec_bots(int argc, char **argv)
{
    (void)argc;
    char path[PATH_MAX + sizeof "cohort-bots"];
    ssize_t n = readlink("/proc/self/exe", path, PATH_MAX);
    char *slash = NULL;
    if (n > 0 && n < PATH_MAX) {
        path[n] = '\0';
        slash = strrchr(path, '/');
    }
    if (!slash) {
        fprintf(stderr, "cohort bots: cannot find the directory of this executable\n");
        return 127;
    }
    strcpy(slash + 1, "cohort-bots");
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "cohort bots: %s not found (run make)\n", path);
        return 127;
    }
    argv[0] = path; /* argv[1..] are the bots' arguments; argv[argc] is NULL */
    execv(path, argv);
    fprintf(stderr, "cohort bots: cannot run %s: %s\n", path, strerror(errno));
    return 126;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    if (strcmp(cmd, "bots") == 0)
        return exec_bots(argc - 1, argv + 1);
    if (strcmp(cmd, "new-game") == 0)
        return cmd_new_game(argc - 1, argv + 1);
    if (strcmp(cmd, "pilot") == 0)
        return cmd_pilot(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0) {
        char web_root[PATH_MAX];
        default_web_root(web_root, sizeof web_root);
        return cmd_eval(argc - 1, argv + 1, web_root);
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "cohort: unknown command %s\n", cmd);
    usage(stderr);
    return 2;
}
