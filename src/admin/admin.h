/*
 * The researcher's view of a running experiment: GET /api/state (JSON) and /metrics
 * (Prometheus text) behind an admin key, and the dashboard page web/admin.html that
 * polls the API. /healthz stays public: it says nothing about anyone.
 */
#ifndef COHORT_ADMIN_H
#define COHORT_ADMIN_H

#include <stdbool.h>

#include "../flow/flow.h"

typedef struct admin admin;

/* key: the admin key; NULL or "" = a random one (see admin_key). */
admin *admin_new(flow *f, const char *key);
void admin_free(admin *a);
const char *admin_key(const admin *a);
/* An HTTP GET routed here: fills body/ctype, returns the status. */
int admin_http(admin *a, const char *path, const char *query, char **body, const char **ctype);
/* Constant-time check of a presented key. */
bool admin_key_ok(const admin *a, const char *presented);

#endif
