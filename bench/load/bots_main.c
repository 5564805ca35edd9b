/*
 * Stand-in for `cohort bots` until main.c dispatches to cmd_bots: the load scripts build
 * it (build/bench/cohort-bots) only when `build/cohort bots --help` does not work.
 */
#include "bots/bots.h"

int main(int argc, char **argv)
{
    return cmd_bots(argc, argv); /* argv[0] plays "bots" */
}
