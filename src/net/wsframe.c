#include "wsframe.h"

#include <openssl/evp.h>
#include <string.h>

ws_parse_result ws_frame_parse(const uint8_t *buf, size_t len, ws_frame *f, const char **why)
{
    if (len < 2)
        return WS_PARSE_MORE;
    uint8_t b0 = buf[0], b1 = buf[1];
    f->fin = (b0 & 0x80) != 0;
    f->opcode = b0 & 0x0F;
    if (b0 & 0x70) {
        *why = "reserved bits set (no extension was agreed)";
        return WS_PARSE_ERROR;
    }
    bool control = (f->opcode & 0x8) != 0;
    if (f->opcode != WS_OP_CONT && f->opcode != WS_OP_TEXT && f->opcode != WS_OP_BINARY &&
        f->opcode != WS_OP_CLOSE && f->opcode != WS_OP_PING && f->opcode != WS_OP_PONG) {
        *why = "reserved opcode";
        return WS_PARSE_ERROR;
    }
    if (!(b1 & 0x80)) {
        *why = "unmasked frame from a client";
        return WS_PARSE_ERROR;
    }
    uint64_t plen = b1 & 0x7F;
    size_t h = 2;
    if (plen == 126) {
        if (len < 4)
            return WS_PARSE_MORE;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        h = 4;
        if (plen < 126) {
            *why = "length not in its shortest form";
            return WS_PARSE_ERROR;
        }
    } else if (plen == 127) {
        if (len < 10)
            return WS_PARSE_MORE;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = plen << 8 | buf[2 + i];
        h = 10;
        if (plen >> 63) {
            *why = "length's top bit set";
            return WS_PARSE_ERROR;
        }
        if (plen <= 0xFFFF) {
            *why = "length not in its shortest form";
            return WS_PARSE_ERROR;
        }
    }
    if (control && (!f->fin || plen > WS_CONTROL_MAX)) {
        *why = !f->fin ? "fragmented control frame" : "control frame over 125 bytes";
        return WS_PARSE_ERROR;
    }
    if (len < h + 4)
        return WS_PARSE_MORE;
    memcpy(f->mask, buf + h, 4);
    f->header_len = h + 4;
    f->payload_len = plen;
    return WS_PARSE_OK;
}

void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t offset)
{
    size_t i = 0;
    /* Word at a time once aligned to the mask: inputs are 24 bytes, this is most of it. */
    if (offset % 4 == 0 && n >= 8) {
        uint32_t m;
        memcpy(&m, mask, 4);
        uint64_t m2 = (uint64_t)m << 32 | m;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            w ^= m2;
            memcpy(p + i, &w, 8);
        }
    }
    for (; i < n; i++)
        p[i] ^= mask[(offset + i) & 3];
}

size_t ws_frame_header(uint8_t *out, uint8_t opcode, size_t len)
{
    out[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

bool ws_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

bool ws_accept_key(const char *key, size_t len, char out[29])
{
    static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    if (len != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    unsigned char cat[24 + sizeof GUID - 1], digest[EVP_MAX_MD_SIZE];
    memcpy(cat, key, 24);
    memcpy(cat + 24, GUID, sizeof GUID - 1);
    unsigned int dlen = 0;
    if (!EVP_Digest(cat, sizeof cat, digest, &dlen, EVP_sha1(), NULL) || dlen != 20)
        return false;
    return EVP_EncodeBlock((unsigned char *)out, digest, 20) == 28;
}
