/*
 * Helpers shared by the server administration commands (init, device,
 * image, assign, status): opening the store of -d DATADIR, printing its
 * failures, times and optional values for tables and JSON.
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

/* Unix seconds as ISO 8601 UTC ("2024-05-01T12:00:00Z"); "never" for 0. */
void admin_time(char *buf, size_t size, int64_t t);

/* The current time in Unix seconds. */
int64_t admin_now(void);

/* Prints s as a JSON string, or null when s is NULL or "". */
void admin_json_opt(FILE *out, const char *s);

#endif
