#include "texts/texts_fill.h"

#include <stdbool.h>
#include <string.h>

/* Appends n bytes of s at *o if they fit whole; false (and the text ends there) if not.
 * Pieces are whole values or one UTF-8 character, so a cut never splits a character. */
static bool put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    if (*o + n + 1 > cap)
        return false;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
    return true;
}

void texts_fill(const char *text, const text_value *values, int n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    for (const char *s = text; *s;) {
        int hit = -1;
        size_t len = 0;
        if (*s == '{')
            for (int i = 0; i < n && hit < 0; i++) {
                len = strlen(values[i].name);
                if (strncmp(s + 1, values[i].name, len) == 0 && s[1 + len] == '}')
                    hit = i;
            }
        if (hit >= 0) {
            if (!put(out, cap, &o, values[hit].value, strlen(values[hit].value)))
                return;
            s += len + 2;
            continue;
        }
        size_t ch = 1; /* one UTF-8 character */
        while ((s[ch] & 0xC0) == 0x80)
            ch++;
        if (!put(out, cap, &o, s, ch))
            return;
        s += ch;
    }
}
