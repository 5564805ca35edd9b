#include "proto.h"

#include <stdio.h>
#include <string.h>

#include "../util/ident.h"

static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

bool proto_valid_subject(const char *s) { return ident_valid(s, PROTO_SUBJECT_MAX, "."); }

bool proto_valid_token(const char *s)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')) || n >= PROTO_TOKEN_LEN)
            return false;
    return n == PROTO_TOKEN_LEN;
}

static bool valid_scene_id(const char *s) { return ident_valid(s, PROTO_SCENE_MAX, ""); }

/* An object whose values are all strings (or numbers/bools, turned into strings). */
static json_t *string_object(json_t *v, size_t max_fields, const char *what, char *err,
                             size_t errlen)
{
    if (!json_is_object(v)) {
        snprintf(err, errlen, "%s must be an object", what);
        return NULL;
    }
    if (json_object_size(v) > max_fields) {
        snprintf(err, errlen, "%s has more than %zu fields", what, max_fields);
        return NULL;
    }
    json_t *out = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        if (strlen(key) == 0 || strlen(key) > 64) {
            snprintf(err, errlen, "%s has a field name of bad length", what);
            json_decref(out);
            return NULL;
        }
        json_t *s;
        if (json_is_string(val)) {
            if (json_string_length(val) > PROTO_MAX_VALUE) {
                snprintf(err, errlen, "%s.%.64s is longer than %d characters", what, key,
                         PROTO_MAX_VALUE);
                json_decref(out);
                return NULL;
            }
            s = json_copy(val);
        } else if (json_is_boolean(val)) {
            s = json_string(json_is_true(val) ? "true" : "false");
        } else if (json_is_integer(val)) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(val));
            s = json_string(num);
        } else {
            snprintf(err, errlen, "%s.%.64s must be a string", what, key);
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, key, s);
    }
    return out;
}

static int get_scene(json_t *root, client_msg *msg, char *err, size_t errlen)
{
    json_t *scene = json_object_get(root, "scene");
    if (!json_is_string(scene) || !valid_scene_id(json_string_value(scene))) {
        snprintf(err, errlen, "scene must be a scene id");
        return -1;
    }
    snprintf(msg->scene, sizeof msg->scene, "%s", json_string_value(scene));
    return 0;
}

/* hello.device: an object of exactly these fields, each typed and in range; anything else
 * is refused whole, so a half-said device never passes for a known one. */
static int decode_device(json_t *d, device_facts *out, char *err, size_t errlen)
{
    static const char *const fields[] = {"width", "height", "mobile", "pointer", "hover",
                                         "touch_points"};
    const size_t nfields = sizeof fields / sizeof fields[0];
    if (!json_is_object(d) || json_object_size(d) != nfields) {
        snprintf(err, errlen, "device must be an object of width, height, mobile, pointer, "
                              "hover and touch_points");
        return -1;
    }
    for (size_t i = 0; i < nfields; i++)
        if (!json_object_get(d, fields[i])) {
            snprintf(err, errlen, "device.%s is missing", fields[i]);
            return -1;
        }
    const struct {
        const char *name;
        int max;
        int *dst;
    } ints[] = {{"width", PROTO_DEVICE_MAX_PX, &out->width},
                {"height", PROTO_DEVICE_MAX_PX, &out->height},
                {"touch_points", PROTO_DEVICE_MAX_TOUCH, &out->touch_points}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        json_t *v = json_object_get(d, ints[i].name);
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
        if (n < 0 || n > ints[i].max) {
            snprintf(err, errlen, "device.%s must be an integer from 0 to %d", ints[i].name,
                     ints[i].max);
            return -1;
        }
        *ints[i].dst = (int)n;
    }
    json_t *mobile = json_object_get(d, "mobile"), *hover = json_object_get(d, "hover");
    if (!json_is_boolean(mobile) || !json_is_boolean(hover)) {
        snprintf(err, errlen, "device.%s must be true or false",
                 json_is_boolean(mobile) ? "hover" : "mobile");
        return -1;
    }
    out->mobile = json_is_true(mobile);
    out->hover = json_is_true(hover);
    if (!pointer_kind_parse(json_string_value(json_object_get(d, "pointer")), &out->pointer)) {
        snprintf(err, errlen, "device.pointer must be fine, coarse or none");
        return -1;
    }
    out->present = true;
    return 0;
}

static int decode_hello(json_t *root, client_msg *msg, char *err, size_t errlen)
{
    json_t *subject = json_object_get(root, "subject");
    json_t *token = json_object_get(root, "token");
    json_t *params = json_object_get(root, "params");
    if (subject && !json_is_null(subject)) {
        if (!json_is_string(subject) || !proto_valid_subject(json_string_value(subject))) {
            snprintf(err, errlen, "subject must be 1-64 characters of A-Z a-z 0-9 _ . -");
            return -1;
        }
        msg->has_subject = true;
        snprintf(msg->subject, sizeof msg->subject, "%s", json_string_value(subject));
    }
    if (token && !json_is_null(token)) {
        if (!json_is_string(token) || !proto_valid_token(json_string_value(token))) {
            snprintf(err, errlen, "token must be 32 hex characters");
            return -1;
        }
        msg->has_token = true;
        snprintf(msg->token, sizeof msg->token, "%s", json_string_value(token));
    }
    if (params && !json_is_null(params)) {
        msg->params = string_object(params, PROTO_MAX_PARAMS, "params", err, errlen);
        if (!msg->params)
            return -1;
    }
    json_t *missing = json_object_get(root, "missing");
    if (missing && !json_is_null(missing)) {
        size_t i, used = 0;
        json_t *v;
        if (!json_is_array(missing) || json_array_size(missing) > 8) {
            snprintf(err, errlen, "missing must be a list of at most 8 feature names");
            return -1;
        }
        json_array_foreach(missing, i, v)
        {
            const char *name = json_string_value(v);
            size_t n = name ? strlen(name) : 0;
            bool printable = n > 0 && n <= 32;
            for (size_t k = 0; printable && k < n; k++)
                printable = name[k] >= 0x20 && name[k] < 0x7f;
            if (!printable) {
                snprintf(err, errlen, "missing must be a list of feature names");
                return -1;
            }
            int w = snprintf(msg->missing + used, sizeof msg->missing - used, "%s%s",
                             used ? ", " : "", name);
            if (w < 0 || (size_t)w >= sizeof msg->missing - used)
                break;
            used += (size_t)w;
        }
    }
    json_t *device = json_object_get(root, "device");
    if (device && !json_is_null(device) && decode_device(device, &msg->device, err, errlen) != 0)
        return -1;
    return 0;
}

static int decode_advance(json_t *root, client_msg *msg, char *err, size_t errlen)
{
    if (get_scene(root, msg, err, errlen) != 0)
        return -1;
    json_t *form = json_object_get(root, "form");
    if (form && !json_is_null(form)) {
        msg->form = string_object(form, PROTO_MAX_FORM_FIELDS, "form", err, errlen);
        if (!msg->form)
            return -1;
    }
    /* Which quiz attempt this is, so that a doubled click is not graded twice. */
    json_t *attempt = json_object_get(root, "attempt");
    if (attempt && !json_is_null(attempt)) {
        json_int_t a = json_is_integer(attempt) ? json_integer_value(attempt) : 0;
        if (a < 1 || a > PROTO_MAX_ATTEMPT) {
            snprintf(err, errlen, "attempt must be an integer from 1 to %d", PROTO_MAX_ATTEMPT);
            return -1;
        }
        msg->attempt = (int)a;
    }
    return 0;
}

static int decode_leave(json_t *root, client_msg *msg, char *err, size_t errlen) { return 0; }

static int decode_visibility(json_t *root, client_msg *msg, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, "visible");
    if (!json_is_boolean(v)) {
        snprintf(err, errlen, "visible must be true or false");
        return -1;
    }
    msg->visible = json_is_true(v);
    return 0;
}

typedef int (*msg_decoder)(json_t *root, client_msg *msg, char *err, size_t errlen);
#define CLIENT_NAME_ITEM(id, name) [id] = name,
static const char *const CLIENT_NAMES[MSG_COUNT_] = {PROTO_CLIENT_MESSAGES(CLIENT_NAME_ITEM)};
static const msg_decoder CLIENT_DECODERS[MSG_COUNT_] = {
    [MSG_HELLO] = decode_hello,   [MSG_ADVANCE] = decode_advance,
    [MSG_START] = get_scene,      [MSG_LEAVE] = decode_leave,
    [MSG_VISIBILITY] = decode_visibility,
};

int proto_decode(const char *text, size_t len, client_msg *msg, char *err, size_t errlen)
{
    memset(msg, 0, sizeof *msg);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "malformed JSON: %s", jerr.text);
        return -1;
    }
    int rc = -1;
    json_t *type = json_object_get(root, "type");
    if (!json_is_object(root)) {
        snprintf(err, errlen, "a message must be a JSON object");
        goto done;
    }
    if (!json_is_string(type)) {
        snprintf(err, errlen, "a message needs a string field \"type\"");
        goto done;
    }
    const char *t = json_string_value(type);
    for (int i = 0; i < MSG_COUNT_; i++)
        if (strcmp(t, CLIENT_NAMES[i]) == 0) {
            msg->type = (msg_type)i;
            rc = CLIENT_DECODERS[i](root, msg, err, errlen);
            goto done;
        }
    snprintf(err, errlen, "unknown message type \"%.32s\"", t);
done:
    json_decref(root);
    if (rc != 0)
        proto_client_msg_free(msg);
    return rc;
}

void proto_client_msg_free(client_msg *msg)
{
    json_decref(msg->params);
    json_decref(msg->form);
    msg->params = msg->form = NULL;
}

int proto_decode_input(const uint8_t *buf, size_t len, input_msg *out)
{
    if (len != PROTO_INPUT_SIZE || buf[0] != BIN_INPUT)
        return -1;
    out->episode = buf[1];
    out->flags = get_u16(buf + 2);
    out->frame = get_u32(buf + 4);
    out->action = (int32_t)get_u32(buf + 8);
    out->confirmed = get_u32(buf + 12);
    out->hash = get_u64(buf + 16);
    return 0;
}

void proto_encode_input(uint8_t out[PROTO_INPUT_SIZE], const input_msg *in)
{
    out[0] = BIN_INPUT;
    out[1] = in->episode;
    put_u16(out + 2, in->flags);
    put_u32(out + 4, in->frame);
    put_u32(out + 8, (uint32_t)in->action);
    put_u32(out + 12, in->confirmed);
    put_u64(out + 16, in->hash);
}

size_t proto_confirm_size(uint8_t nseats, uint16_t count)
{
    return PROTO_CONFIRM_HEADER + (size_t)count * (nseats + 8u);
}

void proto_confirm_header(uint8_t *out, uint8_t episode, uint8_t nseats, uint32_t first,
                          uint16_t count)
{
    out[0] = BIN_CONFIRM;
    out[1] = episode;
    out[2] = nseats;
    out[3] = 0;
    put_u32(out + 4, first);
    put_u16(out + 8, count);
    put_u16(out + 10, 0);
}

size_t proto_confirm_entry(uint8_t *out, const uint8_t *actions, uint8_t nseats, uint64_t hash)
{
    memcpy(out, actions, nseats);
    put_u64(out + nseats, hash);
    return nseats + 8u;
}

int proto_decode_confirm_header(const uint8_t *buf, size_t len, uint8_t *episode,
                                uint8_t *nseats, uint32_t *first, uint16_t *count)
{
    if (len < PROTO_CONFIRM_HEADER || buf[0] != BIN_CONFIRM)
        return -1;
    *episode = buf[1];
    *nseats = buf[2];
    *first = get_u32(buf + 4);
    *count = get_u16(buf + 8);
    if (*nseats == 0 || len != proto_confirm_size(*nseats, *count))
        return -1;
    return 0;
}

size_t proto_encode_state(uint8_t *out, size_t cap, uint8_t episode, uint32_t frame,
                          const void *state, uint32_t size)
{
    if (cap < PROTO_STATE_HEADER + (size_t)size)
        return 0;
    out[0] = BIN_STATE;
    out[1] = episode;
    put_u16(out + 2, 0);
    put_u32(out + 4, frame);
    put_u32(out + 8, size);
    memcpy(out + PROTO_STATE_HEADER, state, size);
    return PROTO_STATE_HEADER + (size_t)size;
}

/* ---- decoders for clients (bots, tests) ---- */

int proto_decode_confirm_entry(const uint8_t *buf, size_t len, uint16_t i, uint8_t *actions,
                               uint64_t *hash)
{
    uint8_t episode, nseats;
    uint32_t first;
    uint16_t count;
    if (proto_decode_confirm_header(buf, len, &episode, &nseats, &first, &count) != 0 ||
        i >= count)
        return -1;
    const uint8_t *e = buf + PROTO_CONFIRM_HEADER + (size_t)i * (nseats + 8u);
    memcpy(actions, e, nseats);
    *hash = get_u64(e + nseats);
    return 0;
}

int proto_decode_state_header(const uint8_t *buf, size_t len, uint8_t *episode, uint32_t *frame,
                              uint32_t *size)
{
    if (len < PROTO_STATE_HEADER || buf[0] != BIN_STATE)
        return -1;
    uint32_t n = get_u32(buf + 8);
    if (len - PROTO_STATE_HEADER != n)
        return -1;
    *episode = buf[1];
    *frame = get_u32(buf + 4);
    *size = n;
    return 0;
}
