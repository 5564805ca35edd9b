/*
 * cohort: run real-time multiplayer experiments in the browser.
 *
 *   cohort serve FILE [--port N] [--data DIR] [--host ADDR] [--web DIR]
 *   cohort check FILE
 *   cohort compare A.csv B.csv
 *   cohort replay A.csv
 *   cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]
 *   cohort bots URL -n N [...]
 */
#include <errno.h>
#include <limits.h>
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
#include "store/store.h"
#include "store/store_recover.h"
#include "tools/tools.h"
#include "util/clock.h"
#include "util/log.h"

static net *running;
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
    if (running)
        net_stop(running);
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage:\n"
            "  cohort serve FILE [--port N] [--data DIR] [--host ADDR] [--web DIR] [--admin-key KEY]\n"
            "  cohort check FILE\n"
            "  cohort compare A.csv B.csv\n"
            "  cohort replay A.csv\n"
            "  cohort export DATA/EXPERIMENT [--out DIR] [--format overcooked]\n"
            "  cohort bots URL -n N [--fps F] [--duration S] [--ramp S] [--policy random|greedy]\n");
}

/* build/web beside the executable: the client and env modules `make` produced. */
static void default_web_root(char *out, size_t len)
{
    char exe[PATH_MAX - 8];
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

static int cmd_check(int argc, char **argv)
{
    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    experiment *x = load_experiment(argv[0]);
    if (!x)
        return 1;
    printf("%s: ok (experiment %s, %d scenes)\n", argv[0], x->id, x->nscenes);
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

static int cmd_serve(int argc, char **argv)
{
    const char *file = NULL, *data = "data", *host = "127.0.0.1", *web = NULL;
    const char *admin_key_arg = getenv("COHORT_ADMIN_KEY");
    int port = 8000;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--port") == 0 && has_value) {
            if (parse_port(argv[++i], &port) != 0) {
                fprintf(stderr, "cohort serve: --port takes 0-65535, got %s\n", argv[i]);
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
    admin_register(adm, n);
    running = n;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    printf("listening on http://%s:%d\n", host, net_port(n));
    printf("admin page: http://%s:%d/admin.html#key=%s\n", host, net_port(n), admin_key(adm));
    fflush(stdout);
    log_info("experiment %s from %s, data in %s", x->id, file, store_dir(st));
    int loop = net_run(n);

    if (stop_signal)
        log_info("shutting down: received %s", strsignal(stop_signal));
    else
        log_info("shutting down: %s", loop == 0 ? "stopped" : "the event loop failed");
    running = NULL;
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
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "cohort: unknown command %s\n", cmd);
    usage(stderr);
    return 2;
}
