/*
 * Helpers shared by the server administration commands (init, device,
 * image, assign, status): opening and closing the store of -d DATADIR,
 * printing its failures, times and optional values for tables and JSON,
 * the listings (device list, image list, status) and the commands made of
 * subcommands (device, image).
 */
#ifndef FOTA_TOOL_ADMIN_H
#define FOTA_TOOL_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "commands.h"
#include "store.h"

/* Opens the store in g->datadir into *st (create: make DATADIR if missing,
 * for init). Returns TOOL_EXIT_OK, TOOL_EXIT_USAGE (no -d given: usage
 * printed) or TOOL_EXIT_FAIL (printed). */
int admin_open(const struct tool_command *cmd, const struct tool_globals *g, int create,
               struct store **st);

/* Prints the store's last failure and returns TOOL_EXIT_FAIL. */
int admin_fail(const struct store *st);

/* Closes st at the end of a command. err 0 gives TOOL_EXIT_OK; otherwise the
 * store's last failure is printed first (closing loses it) and the result
 * is TOOL_EXIT_FAIL. */
int admin_close(struct store *st, int err);

/* Unix seconds as ISO 8601 UTC ("2024-05-01T12:00:00Z"); "never" for 0. */
void admin_time(char *buf, size_t size, int64_t t);

/* The current time in Unix seconds. */
int64_t admin_now(void);

/* Prints s as a JSON string, or null when s is NULL or "". */
void admin_json_opt(FILE *out, const char *s);

/* A listing being printed: a table whose heading comes with the first row,
 * or with --json an array of objects. */
struct admin_list {
    int json;
    unsigned count; /* rows so far */
};

/* Starts a row on stdout: in JSON the object's opening brace, after a comma
 * from the second row on. Returns 1 for the first row (a table heads it). */
int admin_list_row(struct admin_list *l);

/* What a listing command lists. */
struct admin_listing {
    /* Walks the store, one row per callback (admin_list_row() first);
     * returns 0 or a store error. */
    int (*each)(struct store *st, struct admin_list *l);
    const char *none; /* an empty table says this ("no devices") */
    const char *add;  /* then how to add one: "device add ID", or NULL */
};

/* A listing command: its options (--json, --help) from argv[first] on, then
 * the rows of what, in "[...]" with --json. Returns a TOOL_EXIT_* code. */
int admin_list_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                   char **argv, int first, const struct admin_listing *what);

/* A subcommand ("device add", "image list"): run(cmd, g, argc, argv, ctx),
 * argv[1] being the subcommand's name. */
struct admin_sub {
    const char *name;
    int (*run)(const struct tool_command *cmd, const struct tool_globals *g, int argc,
               char **argv, const void *ctx);
    const void *ctx;
};

/* The run of a listing subcommand; ctx is its struct admin_listing. */
int admin_list_sub(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                   char **argv, const void *ctx);

/* Runs the subcommand argv[1] names (subs ends with a NULL name), or prints
 * the usage for -h/--help; names lists them for the messages ("add or
 * list"). Returns a TOOL_EXIT_* code. */
int admin_dispatch(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                   char **argv, const struct admin_sub *subs, const char *names);

#endif
