/*
 * build/cohort-bots: the bot swarm as its own program, so that the server and its tests
 * do not link it. `cohort bots ARGS` execs this beside itself (src/main.c exec_bots);
 * it can also be run directly with the same ARGS.
 */
#include "bots.h"

int main(int argc, char **argv) { return cmd_bots(argc, argv); }
