/*
 * HTTP/1.1 on a connection: one request at a time (a pipelined one waits for the answer
 * before it), static files from the web root and the experiment's pages, GET /healthz and
 * /api/... through net_http_fn, and the upgrade to a WebSocket at /ws. Every response
 * carries the security headers and Cache-Control: no-store. Requests are parsed by
 * request.c; nothing here takes a request body.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net_internal.h"
#include "wsframe.h"

enum {
    FILE_CHUNK = 64 * 1024,     /* a file goes out this much at a time as the socket drains */
};

/*
 * Sent with every response, files and API alike. The page runs only its own scripts (no
 * inline script anywhere) and its own WebAssembly; it talks only to its own origin (the
 * WebSocket included: CSP's 'self' covers ws and wss of the same host); no site may frame
 * it; no address (a participant's id is in the query) leaks through the Referer.
 */
static const char SECURITY_HEADERS[] =
    "Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n";

void net_http_free(net_conn *c)
{
    free(c->req);
    c->req = NULL;
}

static int put_head(net_conn *c, int status, const char *ctype, uint64_t length)
{
    char head[1536];
    int len = snprintf(head, sizeof head,
                       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n"
                       "Cache-Control: no-store\r\n%sConnection: %s\r\n\r\n",
                       status, net_status_text(status), ctype, (unsigned long long)length,
                       SECURITY_HEADERS, c->close_after ? "close" : "keep-alive");
    if (len < 0 || (size_t)len >= sizeof head)
        return -1;
    return net_conn_put(c, head, (size_t)len);
}

static void begin_response(net_conn *c)
{
    c->responding = true;
    c->deadline_ms = net_pass_time(c->n).mono_ms + NET_RESPONSE_STALL_MS;
}

/* A short JSON answer (the API's own, or an error of ours). */
static void respond_body(net_conn *c, int status, const char *ctype, const char *body,
                         size_t len)
{
    begin_response(c);
    bool head = c->req && c->req->head;
    if (put_head(c, status, ctype, len) != 0 || (!head && net_conn_put(c, body, len) != 0))
        net_conn_kill(c); /* out of memory */
}

static void respond_error(net_conn *c, int status)
{
    char body[96];
    int len = snprintf(body, sizeof body, "{\"error\":\"%s\"}", net_status_text(status));
    c->close_after = true; /* after a malformed request nothing else on it can be trusted */
    respond_body(c, status, "application/json", body, (size_t)len);
}

static void respond_dynamic(net_conn *c, const char *path, const char *query)
{
    net *n = c->n;
    net_request *r = c->req;
    /* The admin key travels in a header, never in the address (which proxies log). */
    const char *bearer = "";
    if (strlen(r->h_auth) > 7 && strncasecmp(r->h_auth, "Bearer ", 7) == 0)
        bearer = r->h_auth + 7;
    char client[NET_ADDR_STRLEN];
    net_listen_client(n, c, r->h_xff, client, sizeof client);
    net_http_request req = {path, query, bearer, client};
    char *body = NULL;
    const char *ctype = "application/json";
    int status = n->http ? n->http(&req, &body, &ctype, net_pass_time(n), n->http_ud) : 404;
    if (!net_status_text(status)[0])
        status = 500;
    if (body) {
        respond_body(c, status, ctype, body, strlen(body));
        free(body);
    } else {
        const char *none = status == 404 ? "{\"error\":\"not found\"}" : "{}";
        respond_body(c, status, "application/json", none, strlen(none));
    }
}

/* A file under the web root (or the pages folder at /pages/): true if it is being sent. */
static bool respond_file(net_conn *c, const char *path)
{
    net *n = c->n;
    if (!net_path_servable(path))
        return false;
    const char *root = n->cfg.web_root, *rel = path;
    if (n->cfg.pages_root && strncmp(path, "/pages/", 7) == 0) {
        root = n->cfg.pages_root;
        rel = path + 6;
    }
    if (!root)
        return false;
    char full[1024];
    size_t rl = strlen(rel);
    int len = snprintf(full, sizeof full, "%s%s%s", root, rel,
                       rl && rel[rl - 1] == '/' ? "index.html" : "");
    if (len < 0 || (size_t)len >= sizeof full)
        return false;
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    begin_response(c);
    if (put_head(c, 200, net_mime_type(full), (uint64_t)st.st_size) != 0) {
        close(fd);
        net_conn_kill(c);
        return true;
    }
    if (c->req->head || st.st_size == 0) {
        close(fd);
        return true;
    }
    c->file.fd = fd;
    c->file.left = (uint64_t)st.st_size;
    return true;
}

static bool header_has(const char *value, const char *token)
{
    size_t tl = strlen(token);
    for (const char *s = value; *s;) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        const char *end = s;
        while (*end && *end != ',')
            end++;
        const char *e = end;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - s) == tl && strncasecmp(s, token, tl) == 0)
            return true;
        s = end;
    }
    return false;
}

static void upgrade(net_conn *c, const char *path)
{
    net_request *r = c->req;
    char accept[29];
    if (strcmp(path, "/ws") != 0) { /* WebSockets only at /ws */
        respond_error(c, 404);
        return;
    }
    if (!header_has(r->h_upgrade, "websocket") || !header_has(r->h_connection, "upgrade") ||
        strcmp(r->h_ws_version, "13") != 0 ||
        !ws_accept_key(r->h_ws_key, strlen(r->h_ws_key), accept)) {
        respond_error(c, 400);
        return;
    }
    if (net_listen_upgrade(c->n, c, r->h_xff) != 0) {
        respond_error(c, 403);
        return;
    }
    char head[256];
    int len = snprintf(head, sizeof head,
                       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                       accept);
    if (net_conn_put(c, head, (size_t)len) != 0) {
        net_conn_kill(c);
        return;
    }
    net_conn_to_ws(c);
}

static void handle_request(net_conn *c)
{
    net_request *r = c->req;
    char path[NET_URI_MAX], query[NET_QUERY_MAX];
    if (!r->keep_alive)
        c->close_after = true;
    if (!net_target_split(r->target, r->target_len, path, query)) {
        respond_error(c, r->target_len >= NET_URI_MAX ? 414 : 400);
        return;
    }
    if (r->upgrade) {
        upgrade(c, path);
        return;
    }
    bool dynamic = strcmp(path, "/healthz") == 0 || strcmp(path, "/api") == 0 ||
                   strncmp(path, "/api/", 5) == 0 || strcmp(path, "/ws") == 0;
    if (dynamic || !respond_file(c, path))
        respond_dynamic(c, path, query); /* a missing file: the API's 404 */
}

size_t net_http_input(net_conn *c, uint8_t *data, size_t len)
{
    if (c->close_after)
        return len; /* the last request has been read: the rest is dropped */
    if (c->responding)
        return 0; /* one request at a time: the next waits for this one's answer */
    if (!c->req) {
        c->req = malloc(sizeof *c->req);
        if (!c->req) {
            net_conn_kill(c);
            return len;
        }
        net_request_init(c->req);
    }
    size_t used = net_request_feed(c->req, (const char *)data, len);
    if (c->req->error) {
        respond_error(c, c->req->error);
        return len; /* the rest is not read: the connection closes after the answer */
    }
    if (c->req->complete)
        handle_request(c);
    return used;
}

void net_http_drained(net_conn *c)
{
    net *n = c->n;
    if (c->file.fd >= 0) {
        if (c->file.left > 0) {
            size_t chunk = c->file.left < FILE_CHUNK ? (size_t)c->file.left : FILE_CHUNK;
            /* The scratch buffer is free while output is written (reads are done). */
            ssize_t got = read(c->file.fd, n->scratch, chunk);
            if (got <= 0 || net_conn_put(c, n->scratch, (size_t)got) != 0) {
                net_conn_kill(c); /* the file shrank under us: the length was a promise */
                return;
            }
            c->file.left -= (uint64_t)got;
            return;
        }
        close(c->file.fd);
        c->file.fd = -1;
    }
    if (!c->responding)
        return;
    c->responding = false;
    if (c->close_after) {
        net_conn_kill(c);
        return;
    }
    net_request_init(c->req);
    c->deadline_ms = net_pass_time(n).mono_ms + (int64_t)n->cfg.http_header_timeout_s * 1000;
    net_conn_resume_input(c);
}
