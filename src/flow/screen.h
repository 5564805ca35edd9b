/*
 * Device screening: the experiment's `require:` (docs/EXPERIMENTS.md "Device
 * requirements") against what a page's hello says about its device (`hello.device`,
 * docs/PROTOCOL.md). The browser only reports facts; this decides. Pure: flow.c says when
 * to screen (docs/DESIGN.md section 5, "Device screening") and records the result.
 */
#ifndef COHORT_SCREEN_H
#define COHORT_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../proto/names.h"
#include "../proto/proto.h"

/* Whether the experiment requires anything at all. */
bool screen_required(const require_spec *r);

/* REASON_NONE when the device meets every requirement, else the first one it misses, in
 * this order: desktop (REASON_NOT_DESKTOP), keyboard (REASON_NO_KEYBOARD), min_window
 * (REASON_SMALL_WINDOW). The window comes last because it is the one thing a participant
 * can change: telling a phone user to enlarge the window would not help them. A hello
 * that says nothing about its device fails the first requirement there is: nothing
 * unproven passes. */
outcome_reason screen_device(const require_spec *r, const device_facts *d);

/* The `events.detail` of a screening: the verdict (`passed` or the reason), the
 * requirement and the facts the page reported, and `attempt` (1 for this participant's
 * first screening). Malloc'd JSON; NULL if memory ran out. */
char *screen_detail(const require_spec *r, const device_facts *d, outcome_reason why,
                    int attempt);

/* The end page's message for a participant screened out for `why`, with its placeholders
 * filled: the required window and theirs (width, height; -1 = the page did not say). */
void screen_message(const experiment *x, outcome_reason why, int width, int height, char *out,
                    size_t cap);

#endif
