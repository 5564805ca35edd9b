/*
 * `cohort pilot FILE [options]` (docs/PILOT.md): many headless browsers through a
 * researcher's own experiment, before anyone is paid.
 *
 * The C front is small on purpose. It loads FILE with the real loader (the same errors
 * as `cohort check`, so a pilot never runs what `cohort serve` would refuse), writes the
 * resolved experiment as JSON for the driver (pilot_plan_json: the scene table after
 * conditions, repeats and exit scenes, quiz answers, game settings, codes; the driver then
 * needs no YAML parser and cannot disagree with the loader), and execs the Node driver
 * shipped with cohort (tools/pilot/pilot.mjs, installed in PREFIX/share/cohort/pilot).
 */
#ifndef COHORT_PILOT_H
#define COHORT_PILOT_H

#include "../config/config.h"

/* The experiment as the pilot's driver reads it: malloc'd JSON text, or NULL. */
char *pilot_plan_json(const experiment *x);

/* argv[0] is "pilot"; returns an exit code (only when it could not exec the driver). */
int cmd_pilot(int argc, char **argv);

#endif
