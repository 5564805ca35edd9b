#include "request.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

bool net_query_append(char *query, size_t cap, size_t *len, const char *frag)
{
    size_t flen = strlen(frag), sep = *len ? 1 : 0;
    if (cap == 0 || *len >= cap || flen + sep >= cap - *len)
        return false;
    if (sep)
        query[(*len)++] = '&';
    memcpy(query + *len, frag, flen + 1);
    *len += flen;
    return true;
}

/* ---- the request line and headers ---------------------------------------------------- */

enum { H_UPGRADE, H_CONNECTION, H_WS_KEY, H_WS_VERSION, H_AUTH, H_XFF, H_COUNT };
static const char *const FIELD_NAMES[H_COUNT] = {
    "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "authorization",
    "x-forwarded-for",
};

static net_request *req_of(http_parser *p) { return p->data; }

static void append(char *buf, size_t cap, const char *at, size_t len)
{
    size_t have = strlen(buf);
    if (have + 1 >= cap)
        return;
    if (len > cap - 1 - have)
        len = cap - 1 - have;
    memcpy(buf + have, at, len);
    buf[have + len] = '\0';
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    net_request *r = req_of(p);
    if (len > sizeof r->target - 1 - r->target_len) {
        r->error = 414;
        return 1;
    }
    memcpy(r->target + r->target_len, at, len);
    r->target_len += len;
    r->target[r->target_len] = '\0';
    return 0;
}

static char *field_buf(net_request *r, int f, size_t *cap)
{
    switch (f) {
    case H_UPGRADE: *cap = sizeof r->h_upgrade; return r->h_upgrade;
    case H_CONNECTION: *cap = sizeof r->h_connection; return r->h_connection;
    case H_WS_KEY: *cap = sizeof r->h_ws_key; return r->h_ws_key;
    case H_WS_VERSION: *cap = sizeof r->h_ws_version; return r->h_ws_version;
    case H_AUTH: *cap = sizeof r->h_auth; return r->h_auth;
    default: *cap = sizeof r->h_xff; return r->h_xff;
    }
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    net_request *r = req_of(p);
    if (r->in_value) { /* a new field begins */
        r->in_value = false;
        r->field_len = 0;
    }
    if (r->field_len + len < sizeof r->field_name) {
        memcpy(r->field_name + r->field_len, at, len);
        r->field_len += len;
    } else {
        r->field_len = sizeof r->field_name; /* longer than any we keep */
    }
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    net_request *r = req_of(p);
    if (!r->in_value) {
        r->in_value = true;
        r->field = -1;
        for (int f = 0; f < H_COUNT && r->field_len < sizeof r->field_name; f++)
            if (strlen(FIELD_NAMES[f]) == r->field_len &&
                strncasecmp(FIELD_NAMES[f], r->field_name, r->field_len) == 0)
                r->field = f;
        /* A repeated X-Forwarded-For is one list (RFC 9110 5.3): joined by a comma. */
        if (r->field == H_XFF && r->h_xff[0])
            append(r->h_xff, sizeof r->h_xff, ",", 1);
    }
    if (r->field < 0)
        return 0;
    size_t cap;
    char *buf = field_buf(r, r->field, &cap);
    append(buf, cap, at, len);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    net_request *r = req_of(p);
    if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
        r->error = 405;
        return 1;
    }
    /* Nothing here takes a body: a request that brings one is refused rather than read. */
    if ((p->flags & F_CHUNKED) || (p->content_length > 0 && p->content_length != ULLONG_MAX)) {
        r->error = 400;
        return 1;
    }
    r->head = p->method == HTTP_HEAD;
    r->keep_alive = http_should_keep_alive(p) != 0;
    r->upgrade = p->upgrade != 0;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    req_of(p)->complete = true;
    http_parser_pause(p, 1); /* one request at a time: the rest waits for its answer */
    return 0;
}

static const http_parser_settings SETTINGS = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

void net_request_init(net_request *r)
{
    memset(r, 0, sizeof *r);
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
    r->field = -1;
}

size_t net_request_feed(net_request *r, const char *data, size_t len)
{
    if (r->complete || r->error || len == 0)
        return 0;
    size_t room = NET_HEADERS_MAX - r->seen;
    size_t give = len < room ? len : room;
    size_t used = http_parser_execute(&r->parser, &SETTINGS, data, give);
    r->seen += used;
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (r->complete)
        return used;
    if (r->error)
        return used;
    if (e != HPE_OK && e != HPE_PAUSED) {
        r->error = e == HPE_INVALID_METHOD ? 405 : 400;
        return used;
    }
    if (r->parser.upgrade) { /* the parser stops at the end of an upgrade's headers */
        r->complete = true;
        return used;
    }
    if (r->seen >= NET_HEADERS_MAX)
        r->error = 431;
    return used;
}

/* ---- the target ------------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into out[0..cap) with NUL; plus_space: '+' is ' '. */
static bool decode(const char *s, size_t len, char *out, size_t cap, bool plus_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int a = i + 1 < len ? hexval(s[i + 1]) : -1, b = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (a < 0 || b < 0 || (a == 0 && b == 0))
                return false;
            c = (char)(a << 4 | b);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        } else if (c == '\0') {
            return false;
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

bool net_target_split(const char *target, size_t len, char path[NET_URI_MAX],
                      char query[NET_QUERY_MAX])
{
    query[0] = '\0';
    const char *q = memchr(target, '?', len);
    size_t plen = q ? (size_t)(q - target) : len;
    /* A fragment is never sent by a browser; one that is sent is not part of the path. */
    const char *hash = memchr(target, '#', plen);
    if (hash)
        plen = (size_t)(hash - target);
    if (plen == 0 || target[0] != '/' || !decode(target, plen, path, NET_URI_MAX, false))
        return false;
    if (!q)
        return true;
    size_t qlen = 0;
    const char *p = q + 1, *end = target + len;
    const char *qhash = memchr(p, '#', (size_t)(end - p));
    if (qhash)
        end = qhash;
    for (int i = 0; p < end && i < NET_QUERY_FRAGS; i++) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t flen = (size_t)((amp ? amp : end) - p);
        char frag[NET_QUERY_FRAG_MAX];
        if (flen > 0) {
            /* an argument that does not decode or fit ends the query there */
            if (!decode(p, flen, frag, sizeof frag, true) ||
                !net_query_append(query, NET_QUERY_MAX, &qlen, frag))
                break;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return true;
}

bool net_path_servable(const char *path)
{
    if (path[0] != '/' || strchr(path, '\\'))
        return false;
    for (const char *s = path; *s;) {
        const char *seg = s + 1, *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!slash)
            break;
        s = slash;
    }
    return true;
}

const char *net_mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } TYPES[] = {
        {".html", "text/html"},        {".htm", "text/html"},
        {".js", "text/javascript"},    {".mjs", "text/javascript"},
        {".css", "text/css"},          {".json", "application/json"},
        {".wasm", "application/wasm"}, {".svg", "image/svg+xml"},
        {".png", "image/png"},         {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},       {".gif", "image/gif"},
        {".webp", "image/webp"},       {".ico", "image/x-icon"},
        {".txt", "text/plain"},        {".csv", "text/csv"},
        {".md", "text/markdown"},      {".woff", "font/woff"},
        {".woff2", "font/woff2"},      {".ttf", "font/ttf"},
        {".mp3", "audio/mpeg"},        {".wav", "audio/wav"},
        {".ogg", "audio/ogg"},         {".mp4", "video/mp4"},
        {".webm", "video/webm"},       {".pdf", "application/pdf"},
        {".map", "application/json"},  {".xml", "application/xml"},
    };
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
            if (strcasecmp(dot, TYPES[i].ext) == 0)
                return TYPES[i].type;
    return "application/octet-stream";
}

const char *net_status_text(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
    }
}
