/*
 * The fota subcommands. Each one is a const struct tool_command defined in
 * its cmd_*.c file and listed in main.c's table; adding a subcommand is one
 * new file and one line in that table.
 */
#ifndef FOTA_TOOL_COMMANDS_H
#define FOTA_TOOL_COMMANDS_H

#include <stdio.h>

#include "util.h"

/* Options given before the subcommand ("fota -d DATADIR device add ..."). */
struct tool_globals {
    const char *datadir; /* -d/--data-dir, or NULL when not given */
};

struct tool_command {
    const char *name;
    const char *summary; /* one line for "fota --help" */
    const char *usage;   /* full help text, starting with "usage: fota ..." */
    /* argv[0] is the subcommand's name. Returns a TOOL_EXIT_* code. */
    int (*run)(const struct tool_command *cmd, const struct tool_globals *g,
               int argc, char **argv);
};

extern const struct tool_command tool_cmd_keygen;
extern const struct tool_command tool_cmd_pubkey;
extern const struct tool_command tool_cmd_sign;
extern const struct tool_command tool_cmd_verify;
extern const struct tool_command tool_cmd_inspect;
extern const struct tool_command tool_cmd_init;
extern const struct tool_command tool_cmd_device;
extern const struct tool_command tool_cmd_image;
extern const struct tool_command tool_cmd_assign;
extern const struct tool_command tool_cmd_status;
extern const struct tool_command tool_cmd_devcfg;

/* Prints the command's help text to out. */
void tool_usage(const struct tool_command *cmd, FILE *out);

/* "fota CMD: <message>" and the help text on stderr; returns TOOL_EXIT_USAGE. */
int tool_usage_error(const struct tool_command *cmd, const char *fmt, ...) TOOL_PRINTF(2, 3);

#endif
