/*
 * The form fields of a page fragment, as the browser will collect them (web/scenes.js,
 * collectForm): every input, select and textarea with a name, with the values it can
 * take where the HTML says (radio buttons, checkboxes, options). Internal to src/config/:
 * `cohort check` uses it to hold a quiz's answers against the page they grade.
 *
 * A forgiving scanner, not an HTML parser: it reads tags and attributes (quoted or not),
 * skips comments, decodes the common character references, and ignores disabled fields
 * (the browser sends nothing for them) and buttons.
 */
#ifndef COHORT_CONFIG_PAGE_FIELDS_H
#define COHORT_CONFIG_PAGE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

typedef struct {
    char *name;
    quiz_field_kind kind;  /* a checkbox seen twice under one name becomes QUIZ_FIELD_SET */
    int elements;          /* inputs with this name (a radio group has several) */
    int noptions;          /* radio values, checkbox values, select options; 0 for text */
    char **options;
} page_field;

typedef struct {
    int n;
    page_field *fields;
} page_fields;

/* 0 and the fields of the page file at `path` (out is emptied first); -1 if it cannot be
 * read. Free with page_fields_free. */
int page_fields_read(const char *path, page_fields *out);
/* The same from text in memory (len bytes). */
void page_fields_scan(const char *html, size_t len, page_fields *out);
void page_fields_free(page_fields *pf);

const page_field *page_fields_find(const page_fields *pf, const char *name);
bool page_field_has_option(const page_field *f, const char *value);

#endif
