/* The form fields of a page fragment (page_fields.h). */
#include "config/page_fields.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/file.h"

#define PAGE_MAX_BYTES ((size_t)1 << 20) /* as the loader's limit on pages */
#define ATTR_MAX 4096                     /* an attribute value longer than this is cut */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q)
        abort(); /* `cohort check` on a page of at most 1 MiB: never in practice */
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d)
        abort();
    return d;
}

/* &amp; &lt; &gt; &quot; &apos; &#39; &#NN; &#xNN; (ASCII only) in place; others stay. */
static void decode_refs(char *s)
{
    static const struct {
        const char *ref;
        char ch;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *o = s;
    for (char *p = s; *p;) {
        if (*p == '&') {
            bool done = false;
            for (size_t i = 0; i < sizeof named / sizeof named[0] && !done; i++) {
                size_t n = strlen(named[i].ref);
                if (strncmp(p, named[i].ref, n) == 0) {
                    *o++ = named[i].ch;
                    p += n;
                    done = true;
                }
            }
            if (!done && p[1] == '#') {
                char *end;
                bool hex = p[2] == 'x' || p[2] == 'X';
                long v = strtol(p + (hex ? 3 : 2), &end, hex ? 16 : 10);
                if (*end == ';' && v > 0 && v < 128) {
                    *o++ = (char)v;
                    p = end + 1;
                    done = true;
                }
            }
            if (done)
                continue;
        }
        *o++ = *p++;
    }
    *o = '\0';
}

static char *trimmed_copy(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char *d = xstrndup(s, n);
    decode_refs(d);
    return d;
}

/* ---- one tag ---- */

typedef struct {
    char name[16];      /* lowercase; "/select" for a closing tag */
    char *type, *fname, *value;
    bool has_value, disabled, multiple;
} tag;

static void tag_free(tag *t)
{
    free(t->type);
    free(t->fname);
    free(t->value);
}

/* Reads the tag starting at p (just past '<'); returns where it ends (past '>'). */
static const char *read_tag(const char *p, const char *end, tag *t)
{
    memset(t, 0, sizeof *t);
    size_t n = 0;
    if (p < end && *p == '/')
        t->name[n++] = *p++;
    while (p < end && isalnum((unsigned char)*p) && n + 1 < sizeof t->name)
        t->name[n++] = (char)tolower((unsigned char)*p++);
    t->name[n] = '\0';
    while (p < end && *p != '>') {
        if (isspace((unsigned char)*p) || *p == '/') {
            p++;
            continue;
        }
        const char *an = p;
        while (p < end && !isspace((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
            p++;
        size_t alen = (size_t)(p - an);
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *av = NULL;
        size_t avlen = 0;
        if (p < end && *p == '=') {
            p++;
            while (p < end && isspace((unsigned char)*p))
                p++;
            if (p < end && (*p == '"' || *p == '\'')) {
                char q = *p++;
                av = p;
                while (p < end && *p != q)
                    p++;
                avlen = (size_t)(p - av);
                if (p < end)
                    p++;
            } else {
                av = p;
                while (p < end && !isspace((unsigned char)*p) && *p != '>')
                    p++;
                avlen = (size_t)(p - av);
            }
        }
        if (avlen > ATTR_MAX)
            avlen = ATTR_MAX;
        char **dst = NULL;
        if (alen == 4 && strncasecmp(an, "type", 4) == 0)
            dst = &t->type;
        else if (alen == 4 && strncasecmp(an, "name", 4) == 0)
            dst = &t->fname;
        else if (alen == 5 && strncasecmp(an, "value", 5) == 0)
            dst = &t->value, t->has_value = true;
        else if (alen == 8 && strncasecmp(an, "disabled", 8) == 0)
            t->disabled = true;
        else if (alen == 8 && strncasecmp(an, "multiple", 8) == 0)
            t->multiple = true;
        if (dst && !*dst) {
            /* Attribute values are taken as written (browsers do not trim them). */
            *dst = xstrndup(av ? av : "", avlen);
            decode_refs(*dst);
        }
    }
    return p < end ? p + 1 : end;
}

/* ---- the fields ---- */

static page_field *field_for(page_fields *pf, const char *name, quiz_field_kind kind)
{
    for (int i = 0; i < pf->n; i++)
        if (strcmp(pf->fields[i].name, name) == 0)
            return &pf->fields[i];
    pf->fields = xrealloc(pf->fields, (size_t)(pf->n + 1) * sizeof *pf->fields);
    page_field *f = &pf->fields[pf->n++];
    memset(f, 0, sizeof *f);
    f->name = xstrndup(name, strlen(name));
    f->kind = kind;
    return f;
}

static void add_option(page_field *f, const char *value, size_t len)
{
    f->options = xrealloc(f->options, (size_t)(f->noptions + 1) * sizeof *f->options);
    f->options[f->noptions++] = xstrndup(value, len);
}

static const char *skip_comment(const char *p, const char *end)
{
    const char *close = p + 4 <= end ? strstr(p + 4, "-->") : NULL;
    return close && close < end ? close + 3 : end;
}

void page_fields_scan(const char *html, size_t len, page_fields *out)
{
    memset(out, 0, sizeof *out);
    char *text = xstrndup(html, len); /* NUL-terminated, for strstr */
    const char *p = text, *end = text + strlen(text);
    page_field *select = NULL; /* the select whose options are being read */
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        if (strncmp(p, "<!--", 4) == 0) {
            p = skip_comment(p, end);
            continue;
        }
        tag t;
        const char *after = read_tag(p + 1, end, &t);
        const char *type = t.type ? t.type : "text";
        if (strcmp(t.name, "input") == 0 && t.fname && t.fname[0] && !t.disabled) {
            if (strcasecmp(type, "radio") == 0) {
                page_field *f = field_for(out, t.fname, QUIZ_FIELD_CHOICE);
                f->elements++;
                const char *v = t.has_value ? t.value : "on";
                add_option(f, v, strlen(v));
            } else if (strcasecmp(type, "checkbox") == 0) {
                page_field *f = field_for(out, t.fname, QUIZ_FIELD_CHECKBOX);
                if (++f->elements > 1)
                    f->kind = QUIZ_FIELD_SET; /* collectForm: the checked values, joined */
                const char *v = t.has_value ? t.value : "on";
                add_option(f, v, strlen(v));
            } else if (strcasecmp(type, "button") != 0 && strcasecmp(type, "submit") != 0 &&
                       strcasecmp(type, "reset") != 0 && strcasecmp(type, "file") != 0 &&
                       strcasecmp(type, "image") != 0) {
                field_for(out, t.fname, QUIZ_FIELD_TEXT)->elements++;
            }
        } else if (strcmp(t.name, "textarea") == 0 && t.fname && t.fname[0] && !t.disabled) {
            field_for(out, t.fname, QUIZ_FIELD_TEXT)->elements++;
        } else if (strcmp(t.name, "select") == 0) {
            select = NULL;
            if (t.fname && t.fname[0] && !t.disabled) {
                select = field_for(out, t.fname, t.multiple ? QUIZ_FIELD_SET : QUIZ_FIELD_CHOICE);
                select->elements++;
            }
        } else if (strcmp(t.name, "/select") == 0) {
            select = NULL;
        } else if (strcmp(t.name, "option") == 0 && select && !t.disabled) {
            if (t.has_value) {
                add_option(select, t.value, strlen(t.value));
            } else {
                /* No value: the option's text, trimmed, is what the browser sends. */
                const char *stop = memchr(after, '<', (size_t)(end - after));
                char *label = trimmed_copy(after, (size_t)((stop ? stop : end) - after));
                add_option(select, label, strlen(label));
                free(label);
            }
        }
        tag_free(&t);
        p = after;
    }
    free(text);
}

int page_fields_read(const char *path, page_fields *out)
{
    memset(out, 0, sizeof *out);
    char *buf = NULL;
    size_t len = 0;
    if (file_read_all(path, PAGE_MAX_BYTES, &buf, &len) != FILE_OK)
        return -1;
    page_fields_scan(buf, len, out);
    free(buf);
    return 0;
}

void page_fields_free(page_fields *pf)
{
    for (int i = 0; i < pf->n; i++) {
        for (int k = 0; k < pf->fields[i].noptions; k++)
            free(pf->fields[i].options[k]);
        free(pf->fields[i].options);
        free(pf->fields[i].name);
    }
    free(pf->fields);
    memset(pf, 0, sizeof *pf);
}

const page_field *page_fields_find(const page_fields *pf, const char *name)
{
    for (int i = 0; i < pf->n; i++)
        if (strcmp(pf->fields[i].name, name) == 0)
            return &pf->fields[i];
    return NULL;
}

bool page_field_has_option(const page_field *f, const char *value)
{
    for (int i = 0; i < f->noptions; i++)
        if (strcmp(f->options[i], value) == 0)
            return true;
    return false;
}
