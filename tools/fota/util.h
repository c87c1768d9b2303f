/*
 * Small helpers shared by the fota subcommands: error reporting, whole-file
 * reads and atomic file writes (host.h's, reported the tool's way), number
 * parsing. Hex is host.h's host_hex().
 *
 * Convention: helpers that can fail print one line on stderr that names the
 * file (and offset where meaningful) and return -1; callers only propagate.
 */
#ifndef FOTA_TOOL_UTIL_H
#define FOTA_TOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"

#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAIL 1  /* the operation failed (bad file, bad image, I/O) */
#define TOOL_EXIT_USAGE 2 /* the command line is wrong */

/* Largest file any subcommand reads into memory. */
#define TOOL_MAX_FILE_SIZE (256u * 1024u * 1024u)

#if defined(__GNUC__)
#define TOOL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TOOL_PRINTF(f, a)
#endif

/* "fota: <message>\n" on stderr. */
void tool_error(const char *fmt, ...) TOOL_PRINTF(1, 2);

/* host_read_file() with its failure printed: the whole file (at most max
 * bytes) in a malloc'd buffer with a spare byte, which the caller frees with
 * free() (or tool_free_secret() for key material). Returns 0 or -1. */
int tool_read_file(const char *path, size_t max, uint8_t **data, size_t *len);

/* host_write_file_atomic() with its failure printed: path is either
 * untouched or complete; mode is a new file's permission (0600 for
 * secrets); with no_clobber an existing path is kept, and the message says
 * to use --force. Returns 0 or -1. */
int tool_write_file_atomic(const char *path, const void *data, size_t len,
                           unsigned mode, int no_clobber);

/* Parses a whole string as an unsigned number: decimal, or hex with 0x.
 * Returns 0 or -1 (nothing printed). */
int tool_parse_u32(const char *s, uint32_t *v);

/* Wipes and frees a buffer that held key material (NULL is fine). */
void tool_free_secret(void *p, size_t len);

/* Prints s as a JSON string literal (with quotes) to out. */
void tool_json_string(FILE *out, const char *s);

#endif
