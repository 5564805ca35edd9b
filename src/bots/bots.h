/*
 * `cohort bots URL -n N [...]`: N protocol-level participants on one thread (bot.c does
 * one participant, swarm.c runs them on wsclient.c's epoll loop and reports).
 *
 * Built as its own program, build/cohort-bots (main.c), which `cohort bots` execs.
 * argv[0] is the program name and is ignored. Returns the process exit code: 0 when no
 * bot saw an error or a desync, 1 otherwise, 2 for a usage error. The last line on stdout
 * is always
 *   bots: participants=N matched=N completed=N errors=N desyncs=N p50_ms=X p99_ms=X max_ms=X
 */
#ifndef COHORT_BOTS_H
#define COHORT_BOTS_H

int cmd_bots(int argc, char **argv);

#endif
