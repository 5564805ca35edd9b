/*
 * The researcher's view of a running experiment, and the only HTTP that is not a file:
 * GET /healthz (public: it says nothing about anyone), /api/state (JSON) and /api/metrics
 * (Prometheus text) behind an admin key. The dashboard page web/admin.html polls the API.
 * admin reads what flow gathers (flow_stats and the views) and formats it; it owns the
 * formats, flow owns the numbers.
 */
#ifndef COHORT_ADMIN_H
#define COHORT_ADMIN_H

#include <stdbool.h>

#include "../flow/flow.h"
#include "../net/net.h"

typedef struct admin admin;

/* A key chosen by the researcher: at least ADMIN_KEY_MIN characters (guessing stays out of
 * reach even with the failure limit), printable ASCII without spaces. */
#define ADMIN_KEY_MIN 16
#define ADMIN_KEY_MAX 128
/* 0, or -1 with the reason in err. */
int admin_key_check(const char *key, char *err, size_t errlen);

/* key: the admin key (checked by admin_key_check); NULL or "" = a random one (admin_key). */
admin *admin_new(flow *f, const char *key);
void admin_free(admin *a);
const char *admin_key(const admin *a);
/* The experiment's data folder (DATA/EXPERIMENT): where /api/episodes finds cohort.db and
 * the episode files. Until set, those routes answer 404. */
void admin_set_data_dir(admin *a, const char *dir);
/* Routes /healthz and /api/... of n to this admin. */
void admin_register(admin *a, net *n);
/* An HTTP GET: fills body (malloc'd) and ctype, returns the status (net_http_fn). The
 * API wants the key as "Authorization: Bearer KEY": a key in the query is refused (400),
 * a wrong one is 403, and after 5 wrong ones from an address it may try once every 2 s
 * (429 meanwhile). */
int admin_http(const net_http_request *req, char **body, const char **ctype, loop_time now,
               void *a);
/* Constant-time check of a presented key. */
bool admin_key_ok(const admin *a, const char *presented);

/* GET /api/episodes: every written episode (newest first, at most 5,000): game, episode,
 * scene, env, frames, reason, files. GET /api/episode?game=G&episode=N: one of them for
 * the viewer (web/viewer.html): its first file's sidecar ("meta") and CSV text ("csv").
 * Both read the disk on the loop thread: a query on an index and one file of at most a few
 * MiB, for a researcher's click, not for participants' traffic. */

/* The bodies, for tests and tools (malloc'd). */
char *admin_health_json(admin *a, loop_time now);
char *admin_state_json(admin *a, loop_time now);
char *admin_metrics_text(admin *a, loop_time now);

#endif
