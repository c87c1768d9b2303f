/*
 * Small helpers shared by the fota subcommands: error reporting, whole-file
 * reads, atomic file writes, hex, number parsing.
 *
 * Convention: helpers that can fail print one line on stderr that names the
 * file (and offset where meaningful) and return -1; callers only propagate.
 */
#ifndef FOTA_TOOL_UTIL_H
#define FOTA_TOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* Reads the whole file (at most max bytes) into a malloc'd buffer that the
 * caller frees with free() (or tool_free_secret() for key material). An empty
 * file is returned as *data != NULL, *len == 0. Returns 0 or -1 (printed). */
int tool_read_file(const char *path, size_t max, uint8_t **data, size_t *len);

/* Writes len bytes to path so that path is either untouched or complete: the
 * bytes go to a temporary file in the same directory, are flushed to disk,
 * and the file is renamed over path. mode is the permission of a new file
 * (before the umask; 0600 for secrets). With no_clobber, an existing path is
 * never replaced (the final step is link(2), which fails if path exists).
 * Returns 0 or -1 (printed, temporary file removed). */
int tool_write_file_atomic(const char *path, const void *data, size_t len,
                           unsigned mode, int no_clobber);

/* Lower-case hex of len bytes into out, which holds 2 * len + 1 chars. */
void tool_hex(char *out, const uint8_t *in, size_t len);

/* Parses a whole string as an unsigned number: decimal, or hex with 0x.
 * Returns 0 or -1 (nothing printed). */
int tool_parse_u32(const char *s, uint32_t *v);

/* Wipes and frees a buffer that held key material (NULL is fine). */
void tool_free_secret(void *p, size_t len);

/* Prints s as a JSON string literal (with quotes) to out. */
void tool_json_string(FILE *out, const char *s);

#endif
