/* The network layer on a real socket (src/net): a server on a free port in a thread of
 * its own, and a test client on blocking sockets. What a browser or a hostile client would
 * notice: files and their headers, errors for bad requests, pipelined requests answered in
 * order, WebSocket messages whole (fragments joined, pings answered in between), and the
 * close codes for what RFC 6455 forbids, for a message too big and for text that is not
 * UTF-8; a client that stops reading is cut off without holding anyone else up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "net/net.h"

static char web_root[64];
static net *srv;
static pthread_t srv_thread;
static atomic_int violations, closes, opens;
static int test_loops = 1; /* the whole group runs once with one loop, once with two */
static bool lend_on_open = true;
static char last_violation[64];

/* ---- work for another loop (net_call, net_here_bind), as src/room/games.c does ---------- */

static atomic_int home_binaries, calls_home, worker_ticks, worker_pass_ends;

/* On the worker: a binary starting with 'h' is for home; the rest are echoed right there. */
static bool echo_here(net_conn *c, const uint8_t *msg, size_t len, loop_time now, void *ud)
{
    if (len > 0 && msg[0] == 'h')
        return false;
    net_here_send_binary(c, msg, len);
    return true;
}

static void back_home(net *loop, const void *arg, size_t len, loop_time now)
{
    net_conn *c;
    memcpy(&c, arg, sizeof c);
    atomic_fetch_add(&calls_home, 1);
    net_send_text(c, net_loop_index(loop) == 0 ? "bound" : "not home", 5);
}

static void bind_there(net *loop, const void *arg, size_t len, loop_time now)
{
    net_conn *c;
    assert_int_equal(len, sizeof c);
    memcpy(&c, arg, sizeof c);
    if (net_loop_index(loop) == test_loops - 1)
        net_here_bind(c, echo_here, NULL);
    net_call(loop, 0, back_home, &c, sizeof c);
}

static void move_to_last_loop(net_conn *c)
{
    int last = test_loops - 1;
    if (net_conn_loop(c) != 0 || net_conn_lend(c, last) != 0) {
        net_send_text(c, "not lent", 8);
        return;
    }
    net_call(srv, last, bind_there, &c, sizeof c);
    net_send_text(c, "moved", 5); /* after the loan: it goes out from there */
}

static void count_tick(net *loop, loop_time now, void *ud)
{
    if (net_loop_index(loop) > 0)
        atomic_fetch_add(&worker_ticks, 1);
}

static void count_pass_end(net *loop, loop_time now, void *ud)
{
    if (net_loop_index(loop) > 0)
        atomic_fetch_add(&worker_pass_ends, 1);
}

static void on_text(net_conn *c, const char *msg, size_t len, loop_time now, void *ud)
{
    if (strcmp(msg, "flood") == 0) { /* the server sends far more than the queue holds */
        static char big[60000];
        memset(big, 'x', sizeof big);
        for (int i = 0; i < 100; i++)
            if (net_send_text(c, big, sizeof big) != 0)
                break;
        return;
    }
    if (strcmp(msg, "bye") == 0) { /* the server ends it, with a reason */
        net_close(c, "bye for now");
        return;
    }
    if (strcmp(msg, "admit") == 0) /* the hello deadline no longer applies */
        net_conn_admit(c);
    if (strcmp(msg, "move") == 0) { /* to the last worker, with work for it */
        move_to_last_loop(c);
        return;
    }
    if (strcmp(msg, "where") == 0) {
        char at[16];
        net_send_text(c, at, (size_t)snprintf(at, sizeof at, "loop %d", net_conn_loop(c)));
        return;
    }
    net_send_text(c, msg, len);
}

/* Spread over the loops as a server's games would be: each to the quietest. */
static void on_open(net_conn *c, loop_time now, void *ud)
{
    atomic_fetch_add(&opens, 1);
    if (lend_on_open)
        net_conn_lend(c, NET_LOOP_QUIETEST);
}

static void on_binary(net_conn *c, const uint8_t *msg, size_t len, loop_time now, void *ud)
{
    atomic_fetch_add(&home_binaries, 1);
    net_send_binary(c, msg, len);
}

static void on_violation(net_conn *c, const char *kind, const char *detail, loop_time now,
                         void *ud)
{
    snprintf(last_violation, sizeof last_violation, "%s", kind);
    atomic_fetch_add(&violations, 1);
    if (strcmp(kind, "send_queue_full") != 0) { /* says why, as flow does, before the close */
        char why[80];
        int n = snprintf(why, sizeof why, "why: %s", kind);
        net_send_text(c, why, (size_t)n);
    }
}

static void on_close(net_conn *c, loop_time now, void *ud) { atomic_fetch_add(&closes, 1); }

static int http_fn(const net_http_request *req, char **body, const char **ctype, loop_time now,
                   void *ud)
{
    if (strcmp(req->path, "/healthz") == 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "{\"query\":\"%s\",\"bearer\":\"%s\"}", req->query, req->bearer);
        *body = strdup(buf);
        return 200;
    }
    return 404;
}

static void *run(void *arg)
{
    net_run(arg);
    return NULL;
}

static const net_handlers handlers = {.on_open = on_open, .on_text = on_text,
                                      .on_binary = on_binary, .on_violation = on_violation,
                                      .on_close = on_close};

static void serve(const net_config *cfg)
{
    srv = net_create(cfg, &handlers, NULL);
    assert_non_null(srv);
    net_set_http(srv, http_fn, NULL);
    assert_int_equal(pthread_create(&srv_thread, NULL, run, srv), 0);
}

static void unserve(void)
{
    net_stop(srv);
    pthread_join(srv_thread, NULL);
    net_destroy(srv);
    srv = NULL;
}

static int setup(void **state)
{
    snprintf(web_root, sizeof web_root, "/tmp/cohort-test-net-XXXXXX");
    assert_non_null(mkdtemp(web_root));
    char path[128];
    snprintf(path, sizeof path, "%s/hello.txt", web_root);
    FILE *f = fopen(path, "w");
    fputs("hello, world\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/index.html", web_root);
    f = fopen(path, "w");
    fputs("<p>index</p>", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/big.bin", web_root);
    f = fopen(path, "w");
    for (int i = 0; i < 300000; i++)
        fputc('a' + i % 26, f);
    fclose(f);
    net_config cfg = {
        .host = "127.0.0.1", .port = 0, .web_root = web_root, .max_message = 4096,
        .max_send_queue = 1 << 20, .max_msgs_per_s = 1000, .tick_ms = 10, .loops = test_loops,
    };
    serve(&cfg);
    return 0;
}

static int teardown(void **state)
{
    unserve();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", web_root);
    return system(cmd);
}

/* ---- a client ------------------------------------------------------------------------- */

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)net_port(srv))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void put(int fd, const void *buf, size_t len)
{
    assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Everything until the server closes (or 3 s pass): into buf, NUL-terminated. */
static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = recv(fd, buf + got, cap - 1 - got, 0)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    return got;
}

static void read_exact(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = recv(fd, (char *)buf + got, len - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
}

static int ws_open(void)
{
    int fd = dial();
    const char *req = "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    put(fd, req, strlen(req));
    char head[512];
    size_t got = 0;
    while (got < 4 || memcmp(head + got - 4, "\r\n\r\n", 4) != 0) {
        assert_true(recv(fd, head + got, 1, 0) == 1);
        got++;
        assert_true(got < sizeof head);
    }
    head[got] = '\0';
    assert_non_null(strstr(head, "101 Switching Protocols"));
    /* RFC 6455's own example key and answer */
    assert_non_null(strstr(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    return fd;
}

/* A client frame (masked) into out: its length. */
static size_t frame(uint8_t *out, int fin, int opcode, const void *payload, size_t len, int mask)
{
    size_t h = 0;
    out[h++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    uint8_t m = mask ? 0x80 : 0;
    if (len < 126) {
        out[h++] = (uint8_t)(m | len);
    } else {
        out[h++] = m | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    }
    const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    if (mask) {
        memcpy(out + h, key, 4);
        h += 4;
    }
    for (size_t i = 0; i < len; i++)
        out[h + i] = ((const uint8_t *)payload)[i] ^ (mask ? key[i & 3] : 0);
    return h + len;
}

/* The next server frame, skipping pings: its opcode; the payload into buf. */
static int next_frame(int fd, uint8_t *buf, size_t cap, size_t *len)
{
    for (;;) {
        uint8_t h[2];
        read_exact(fd, h, 2);
        assert_int_equal(h[1] & 0x80, 0); /* servers never mask */
        size_t n = h[1] & 0x7F;
        if (n == 126) {
            uint8_t e[2];
            read_exact(fd, e, 2);
            n = (size_t)e[0] << 8 | e[1];
        } else if (n == 127) {
            uint8_t e[8];
            read_exact(fd, e, 8);
            n = 0;
            for (int i = 0; i < 8; i++)
                n = n << 8 | e[i];
        }
        assert_true(n <= cap);
        read_exact(fd, buf, n);
        *len = n;
        if ((h[0] & 0x0F) != 0x9)
            return h[0] & 0x0F;
    }
}

/* Waits up to 3 s for *counter to reach want. */
static void await_count(atomic_int *counter, int want)
{
    for (int i = 0; i < 300 && atomic_load(counter) < want; i++)
        usleep(10000);
    assert_int_equal(atomic_load(counter), want);
}

static int close_code(const uint8_t *p, size_t len) { return len >= 2 ? p[0] << 8 | p[1] : 0; }

static void send_text_frame(int fd, const char *text)
{
    uint8_t out[256];
    put(fd, out, frame(out, 1, 1, text, strlen(text), 1));
}

static void expect_text(int fd, const char *text)
{
    uint8_t in[256];
    size_t len;
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 1);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(in, text, len);
}


/* ---- HTTP ------------------------------------------------------------------------------ */

static void files_are_served_with_their_type_and_the_security_headers(void **state)
{
    int fd = dial();
    const char *req = "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    put(fd, req, strlen(req));
    char buf[2048];
    read_all(fd, buf, sizeof buf);
    close(fd);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(buf, "Content-Type: text/plain\r\n"));
    assert_non_null(strstr(buf, "Content-Length: 13\r\n"));
    assert_non_null(strstr(buf, "Cache-Control: no-store\r\n"));
    assert_non_null(strstr(buf, "X-Content-Type-Options: nosniff\r\n"));
    assert_non_null(strstr(buf, "frame-ancestors 'none'"));
    assert_non_null(strstr(buf, "\r\n\r\nhello, world\n"));

    fd = dial(); /* / is index.html; HEAD has no body */
    req = "HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    put(fd, req, strlen(req));
    read_all(fd, buf, sizeof buf);
    close(fd);
    assert_non_null(strstr(buf, "Content-Type: text/html\r\nContent-Length: 12\r\n"));
    assert_null(strstr(buf, "<p>"));
}

static void a_large_file_arrives_whole(void **state)
{
    int fd = dial();
    const char *req = "GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    put(fd, req, strlen(req));
    char *buf = malloc(400000);
    size_t got = read_all(fd, buf, 400000);
    close(fd);
    char *body = strstr(buf, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    assert_int_equal(got - (size_t)(body - buf), 300000);
    for (int i = 0; i < 300000; i += 7919)
        assert_int_equal(body[i], 'a' + i % 26);
    free(buf);
}

static void bad_requests_get_an_error_and_nothing_escapes_the_root(void **state)
{
    static const struct {
        const char *req, *want;
    } cases[] = {
        {"GET /../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 404 "},
        {"GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 404 "},
        {"GET /hello.txt%00.html HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 400 "},
        {"POST /api/x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 405 "},
        {"GET /hello.txt HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 400 "},
        {"BREW /pot HTCPCP/1.0\r\n\r\n", "HTTP/1.1 40"},
        {"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         "HTTP/1.1 404 "},
    };
    char buf[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = dial();
        put(fd, cases[i].req, strlen(cases[i].req));
        read_all(fd, buf, sizeof buf); /* each is closed after its answer */
        close(fd);
        if (strncmp(buf, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("%s -> %.40s", cases[i].req, buf);
    }
    /* headers past 8 KiB */
    int fd = dial();
    char big[10000];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Pad: ");
    memset(big + n, 'p', sizeof big - (size_t)n);
    send(fd, big, sizeof big, MSG_NOSIGNAL);
    read_all(fd, buf, sizeof buf);
    close(fd);
    assert_int_equal(strncmp(buf, "HTTP/1.1 431 ", 13), 0);
}

static void pipelined_requests_are_answered_in_order_with_the_query_and_key(void **state)
{
    int fd = dial();
    const char *req = "GET /healthz?a=1&b=x%20y+z HTTP/1.1\r\nHost: t\r\n"
                      "Authorization: Bearer k3y\r\n\r\n"
                      "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /nothing.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    put(fd, req, strlen(req));
    char buf[8192];
    read_all(fd, buf, sizeof buf);
    close(fd);
    char *a = strstr(buf, "{\"query\":\"a=1&b=x y z\",\"bearer\":\"k3y\"}");
    char *b = strstr(buf, "hello, world");
    char *c = strstr(buf, "HTTP/1.1 404 Not Found");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(a < b && b < c);
}

/* ---- WebSocket ------------------------------------------------------------------------- */

static void messages_come_back_whole_with_fragments_joined_and_pings_answered(void **state)
{
    int closed = atomic_load(&closes);
    int fd = ws_open();
    uint8_t out[8192], in[8192];
    size_t len = 0, n = 0;
    /* three messages in one write */
    n += frame(out + n, 1, 1, "one", 3, 1);
    n += frame(out + n, 1, 2, "\x00\x01\x02", 3, 1);
    n += frame(out + n, 1, 1, "three", 5, 1);
    put(fd, out, n);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 1);
    assert_memory_equal(in, "one", 3);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 2);
    assert_memory_equal(in, "\x00\x01\x02", 3);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 1);
    assert_int_equal(len, 5);

    /* a message in three fragments with a ping between, sent a byte at a time */
    n = 0;
    n += frame(out + n, 0, 2, "abc", 3, 1);
    n += frame(out + n, 1, 9, "pi", 2, 1);
    n += frame(out + n, 0, 0, "def", 3, 1);
    n += frame(out + n, 1, 0, "gh", 2, 1);
    for (size_t i = 0; i < n; i++)
        put(fd, out + i, 1);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 0xA); /* the pong first */
    assert_memory_equal(in, "pi", 2);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 2);
    assert_int_equal(len, 8);
    assert_memory_equal(in, "abcdefgh", 8);

    /* our close is answered with the same code, then the server closes */
    n = frame(out, 1, 8, "\x03\xe8", 2, 1);
    put(fd, out, n);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 8);
    assert_int_equal(close_code(in, len), 1000);
    assert_int_equal(recv(fd, in, 1, 0), 0);
    close(fd);
    /* with several loops home hears of the close a moment after the client sees it: the
     * next test counts closes, and must not count this one */
    await_count(&closes, closed + 1);
}

static void forbidden_frames_close_with_their_code(void **state)
{
    static const struct {
        int fin, opcode, mask;
        size_t len;
        const char *payload;
        int code;
        const char *kind;
    } cases[] = {
        {1, 1, 0, 2, "hi", 1002, "protocol"},              /* unmasked */
        {1, 3, 1, 2, "hi", 1002, "protocol"},              /* reserved opcode */
        {0, 9, 1, 2, "hi", 1002, "protocol"},              /* fragmented ping */
        {1, 0, 1, 2, "hi", 1002, "protocol"},              /* continuation of nothing */
        {1, 1, 1, 4, "\xff\xfe\xfd\xfc", 1007, "bad_utf8"}, /* text that is not UTF-8 */
        {1, 2, 1, 5000, NULL, 1009, "message_too_big"},    /* over max_message (4096) */
    };
    static uint8_t zeros[5000];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int closed = atomic_load(&closes);
        int fd = ws_open();
        int before = atomic_load(&violations);
        uint8_t out[6000], in[256];
        size_t len = 0;
        size_t n = frame(out, cases[i].fin, cases[i].opcode, cases[i].payload ? cases[i].payload
                                                                                : (const char *)zeros,
                         cases[i].len, cases[i].mask);
        put(fd, out, n);
        char why[80];
        snprintf(why, sizeof why, "why: %s", cases[i].kind);
        expect_text(fd, why); /* what the handler sent goes out before the close */
        assert_int_equal(next_frame(fd, in, sizeof in, &len), 8);
        assert_int_equal(close_code(in, len), cases[i].code);
        /* with several loops the handler hears of it on home, a moment after */
        await_count(&violations, before + 1);
        assert_string_equal(last_violation, cases[i].kind);
        assert_int_equal(recv(fd, in, 1, 0), 0); /* then the end */
        close(fd);
        /* the server's on_close comes once it reads our end (on home, a moment later with
         * several loops): waited for, so that the next test counts only its own */
        await_count(&closes, closed + 1);
    }
}

static void a_client_that_stops_reading_is_cut_off(void **state)
{
    int fd = ws_open();
    int slow = fd;
    int rcv = 4096;
    setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    int before = atomic_load(&closes);
    uint8_t out[64];
    size_t n = frame(out, 1, 1, "flood", 5, 1);
    put(slow, out, n);
    /* meanwhile another connection is answered at once */
    int other = ws_open();
    n = frame(out, 1, 1, "ok", 2, 1);
    put(other, out, n);
    uint8_t in[64];
    size_t len;
    assert_int_equal(next_frame(other, in, sizeof in, &len), 1);
    for (int i = 0; i < 300 && atomic_load(&closes) == before; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&closes), before + 1);
    assert_string_equal(last_violation, "send_queue_full");
    close(slow);
    close(other);
}

/* Megabytes at once, and the connection ends before the rest is read (cut off by the
 * server, or reset by the client): the server must not touch it after it closed it (ASan
 * would say), and goes on answering others. Whether a socket is still on the ready list
 * when it dies depends on how much the kernel had queued: this test does not force that
 * case (bury() takes such a socket off the list). */
static void a_client_that_sends_megabytes_and_hangs_up_leaves_the_server_well(void **state)
{
    for (int round = 0; round < 5; round++) {
        int fd = ws_open();
        size_t n = 0, cap = 2 << 20;
        uint8_t *out = malloc(cap);
        /* first what gets it cut off at the end of the pass (the server's answer would
         * overflow its queue), then more than one pass reads */
        if (round % 2 == 0)
            n += frame(out, 1, 1, "flood", 5, 1);
        while (n + 16 < cap)
            n += frame(out + n, 1, 2, "0123456789", 10, 1);
        send(fd, out, n, MSG_NOSIGNAL);
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd); /* a reset, with most of it unread */
        free(out);
    }
    int fd = ws_open();
    uint8_t out[64], in[64];
    size_t len, n = frame(out, 1, 1, "still here", 10, 1);
    put(fd, out, n);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 1);
    assert_memory_equal(in, "still here", 10);
    close(fd);
}

/* ---- several loops ---------------------------------------------------------------------- */

/* With three loops, connections are spread over all of them (each lent once upgraded), and
 * on each: messages reach the handlers in order, the handler's close arrives with its
 * reason, a connection not admitted in time is closed while an admitted one is not, and a
 * closed connection's place under the per-address cap comes back. */
static void on_three_loops_every_connection_behaves_as_on_one(void **state)
{
    net_config cfg = {
        .host = "127.0.0.1", .web_root = web_root, .max_message = 4096,
        .max_send_queue = 1 << 20, .max_msgs_per_s = 1000, .tick_ms = 10, .loops = 3,
        .max_per_address = 6, .hello_timeout_ms = 400,
    };
    atomic_store(&opens, 0);
    atomic_store(&closes, 0);
    serve(&cfg);
    int fds[6];
    for (int i = 0; i < 6; i++) {
        fds[i] = ws_open();
        if (i % 2 == 0)
            send_text_frame(fds[i], "admit");
    }
    /* a seventh from the same address is over the cap: closed at once */
    int over = dial();
    char buf[64];
    assert_true(recv(over, buf, sizeof buf, 0) <= 0); /* an end or a reset, no bytes */
    close(over);
    for (int i = 0; i < 6; i += 2)
        expect_text(fds[i], "admit");
    for (int round = 0; round < 20; round++) /* in order, many passes */
        for (int i = 0; i < 6; i += 2) {
            char msg[32];
            snprintf(msg, sizeof msg, "m%d-%d", i, round);
            send_text_frame(fds[i], msg);
            expect_text(fds[i], msg);
        }
    /* the three never admitted are closed with 1008 at the hello deadline */
    for (int i = 1; i < 6; i += 2) {
        uint8_t in[256];
        size_t len;
        assert_int_equal(next_frame(fds[i], in, sizeof in, &len), 8);
        assert_int_equal(close_code(in, len), 1008);
        close(fds[i]);
    }
    await_count(&closes, 3);
    /* the places came back: three more open, and the handler's own close has its reason */
    for (int i = 1; i < 6; i += 2)
        fds[i] = ws_open();
    send_text_frame(fds[1], "bye");
    uint8_t in[256];
    size_t len;
    assert_int_equal(next_frame(fds[1], in, sizeof in, &len), 8);
    assert_int_equal(close_code(in, len), 1000);
    assert_int_equal(len, 2 + strlen("bye for now"));
    assert_memory_equal(in + 2, "bye for now", len - 2);
    assert_int_equal(recv(fds[1], in, 1, 0), 0);
    close(fds[1]);
    await_count(&closes, 4);
    send_text_frame(fds[0], "still");
    expect_text(fds[0], "still");
    /* the rest are open when the server stops: each one's on_close runs, once */
    assert_int_equal(atomic_load(&opens), 9);
    unserve();
    assert_int_equal(atomic_load(&closes), 9);
    for (int i = 0; i < 6; i++)
        if (i != 1)
            close(fds[i]);
}

/* Connections open and close in every order against lends still in flight: a client that
 * hangs up right after the upgrade, one that sends and hangs up, one reset mid-message
 * (its bytes and its reset come in one event, which no second edge follows). Every open is
 * matched by one close, soon (no ping timeout here to end a connection the loop lost
 * track of); ASan checks nothing is touched after it is freed. */
static void come_and_go(int loops)
{
    net_config cfg = {
        .host = "127.0.0.1", .web_root = web_root, .max_message = 4096,
        .max_send_queue = 1 << 20, .max_msgs_per_s = 1000, .tick_ms = 10, .loops = loops,
    };
    atomic_store(&opens, 0);
    atomic_store(&closes, 0);
    serve(&cfg);
    for (int i = 0; i < 60; i++) {
        int fd = ws_open();
        if (i % 3 == 1)
            send_text_frame(fd, "hello");
        if (i % 3 == 2) {
            uint8_t out[64];
            size_t n = frame(out, 1, 1, "cut short", 9, 1);
            put(fd, out, n - 3);
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fd);
    }
    await_count(&closes, 60);
    assert_int_equal(atomic_load(&opens), 60);
    int fd = ws_open();
    send_text_frame(fd, "alive");
    expect_text(fd, "alive");
    unserve();
    assert_int_equal(atomic_load(&closes), 61);
    close(fd);
}

/* A connection lent from home with work posted after it: the work finds it there, binds
 * its binary messages to a handler on that loop (which answers some itself and passes the
 * rest to home), and calls home back; what home sent after the loan arrives after it, in
 * order; the worker's tick and pass-end hooks run. */
static void work_posted_after_a_loan_finds_the_connection_there(void **state)
{
    net_config cfg = {
        .host = "127.0.0.1", .web_root = web_root, .max_message = 4096,
        .max_send_queue = 1 << 20, .max_msgs_per_s = 1000, .tick_ms = 10, .loops = 3,
    };
    test_loops = 3;
    lend_on_open = false;
    atomic_store(&home_binaries, 0);
    atomic_store(&calls_home, 0);
    atomic_store(&worker_ticks, 0);
    atomic_store(&worker_pass_ends, 0);
    srv = net_create(&cfg, &handlers, NULL);
    assert_non_null(srv);
    net_loop_hooks hooks = {.tick = count_tick, .pass_end = count_pass_end};
    net_set_loop_hooks(srv, &hooks, NULL);
    assert_int_equal(net_workers(srv), 2);
    assert_int_equal(pthread_create(&srv_thread, NULL, run, srv), 0);

    int fd = ws_open();
    send_text_frame(fd, "where");
    expect_text(fd, "loop 0"); /* stays on home until someone lends it */
    send_text_frame(fd, "move");
    expect_text(fd, "moved");
    expect_text(fd, "bound");
    send_text_frame(fd, "where");
    expect_text(fd, "loop 2");
    uint8_t out[64], in[64];
    size_t len;
    for (int i = 0; i < 20; i++) { /* answered on the worker: home never sees them */
        size_t n = frame(out, 1, 2, "abc", 3, 1);
        put(fd, out, n);
        assert_int_equal(next_frame(fd, in, sizeof in, &len), 2);
        assert_int_equal(len, 3);
        assert_memory_equal(in, "abc", 3);
    }
    assert_int_equal(atomic_load(&home_binaries), 0);
    size_t n = frame(out, 1, 2, "home", 4, 1); /* the bound handler passes it on */
    put(fd, out, n);
    assert_int_equal(next_frame(fd, in, sizeof in, &len), 2);
    assert_memory_equal(in, "home", 4);
    assert_int_equal(atomic_load(&home_binaries), 1);
    send_text_frame(fd, "move"); /* once lent, not again */
    expect_text(fd, "not lent");
    assert_int_equal(atomic_load(&calls_home), 1);
    for (int i = 0; i < 300 && atomic_load(&worker_ticks) == 0; i++) /* every 10 ms */
        usleep(10000);
    assert_true(atomic_load(&worker_ticks) > 0);
    assert_true(atomic_load(&worker_pass_ends) > 0); /* the echoes above were passes */
    unserve();
    close(fd);
    lend_on_open = true;
    test_loops = 2;
}

/* What home may hear in the very pass it lends a connection: the upgrade, a message and
 * the hang-up in one write, the loan made in on_open. Whether the hang-up is read in that
 * pass or the next is the kernel's timing (here, a few in a hundred are): either way each
 * is closed once, never touched after it is freed (ASan), and one after them is served. */
static void connections_that_hang_up_as_they_are_lent_are_closed_once(void **state)
{
    net_config cfg = {
        .host = "127.0.0.1", .web_root = web_root, .max_message = 4096,
        .max_send_queue = 1 << 20, .max_msgs_per_s = 1000, .tick_ms = 10, .loops = 2,
    };
    atomic_store(&opens, 0);
    atomic_store(&closes, 0);
    serve(&cfg);
    const char *req = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    for (int i = 0; i < 100; i++) {
        uint8_t out[512];
        size_t n = strlen(req);
        memcpy(out, req, n);
        n += frame(out + n, 1, 1, "then gone", 9, 1);
        int fd = dial();
        put(fd, out, n);
        close(fd);
    }
    await_count(&closes, 100);
    assert_int_equal(atomic_load(&opens), 100);
    int fd = ws_open();
    send_text_frame(fd, "alive");
    expect_text(fd, "alive");
    unserve();
    assert_int_equal(atomic_load(&closes), 101);
    close(fd);
}

static void connections_that_come_and_go_at_once_are_each_closed_once(void **state)
{
    come_and_go(1);
    come_and_go(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_are_served_with_their_type_and_the_security_headers),
        cmocka_unit_test(a_large_file_arrives_whole),
        cmocka_unit_test(bad_requests_get_an_error_and_nothing_escapes_the_root),
        cmocka_unit_test(pipelined_requests_are_answered_in_order_with_the_query_and_key),
        cmocka_unit_test(messages_come_back_whole_with_fragments_joined_and_pings_answered),
        cmocka_unit_test(forbidden_frames_close_with_their_code),
        cmocka_unit_test(a_client_that_stops_reading_is_cut_off),
        cmocka_unit_test(a_client_that_sends_megabytes_and_hangs_up_leaves_the_server_well),
    };
    const struct CMUnitTest loops[] = {
        cmocka_unit_test(on_three_loops_every_connection_behaves_as_on_one),
        cmocka_unit_test(connections_that_come_and_go_at_once_are_each_closed_once),
        cmocka_unit_test(connections_that_hang_up_as_they_are_lent_are_closed_once),
        cmocka_unit_test(work_posted_after_a_loan_finds_the_connection_there),
    };
    int failed = cmocka_run_group_tests_name("one loop", tests, setup, teardown);
    test_loops = 2;
    failed += cmocka_run_group_tests_name("two loops", tests, setup, teardown);
    failed += cmocka_run_group_tests_name("several loops", loops, NULL, NULL);
    return failed;
}
