#include "request.h"

#include <string.h>

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
