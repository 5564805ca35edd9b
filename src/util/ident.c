#include "ident.h"

#include <string.h>

bool ident_valid(const char *s, size_t max, const char *extra)
{
    if (!s || !s[0] || s[0] == '.')
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || (extra[0] && strchr(extra, c));
        if (!ok || n >= max)
            return false;
    }
    return true;
}
