/*
 * Helpers shared by the host programs (the fota tool, fotad, fota-sim, the
 * tests): whole-file reads, atomic file writes, hex. One implementation, so
 * that a key file, a provisioning file and a stored image are written with
 * the same guarantees.
 *
 * Convention: a helper that can fail returns 0 or a negative host_err and
 * puts one sentence naming the file in msg (msg may be NULL); it prints
 * nothing.
 */
#ifndef FOTA_HOST_H
#define FOTA_HOST_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HOST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HOST_PRINTF(f, a)
#endif

enum host_err {
    HOST_E_IO = -1,      /* the file could not be opened, read or written */
    HOST_E_EXISTS = -2,  /* no_clobber and the path exists */
    HOST_E_NOMEM = -3,   /* out of memory */
    HOST_E_TOO_BIG = -4, /* the file is larger than the caller allows */
};

/* Puts the sentence into msg (when msg is not NULL) and returns err: how the
 * helpers here, the store and the provisioning files report a failure. */
int host_fail(char *msg, size_t msg_size, int err, const char *fmt, ...) HOST_PRINTF(4, 5);

/* Reads the whole regular file at path, at most max bytes, into a malloc'd
 * buffer with one spare byte after the data (a caller may NUL-terminate
 * it); an empty file gives *data != NULL, *len == 0. On HOST_E_TOO_BIG *len
 * is the file's size, for the caller's own sentence; on any failure *data
 * is NULL and what was read is wiped (key files come through here). */
int host_read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *msg,
                   size_t msg_size);

/* Writes len bytes to path so that path is either untouched or complete: the
 * bytes go to a new temporary file in the same directory, are flushed to
 * disk, and the file is renamed over path (then the directory is flushed).
 * mode is the permission of a new file (before the umask; 0600 for
 * secrets). With no_clobber an existing path is never replaced: the last
 * step is link(2), which fails if path exists (HOST_E_EXISTS, and the
 * sentence ends "already exists"). The temporary file never stays behind. */
int host_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                           int no_clobber, char *msg, size_t msg_size);

/* Writes all len bytes to fd, retrying short and interrupted writes.
 * Returns 0 or -1 (errno set). */
int host_write_all(int fd, const void *data, size_t len);

/* Lower-case hex of len bytes into out, which holds 2 * len + 1 chars. */
void host_hex(char *out, const uint8_t *in, size_t len);

/* The value of one hex digit of either case, or -1. */
int host_hex_digit(int c);

/* Decodes the len characters at hex (need not be NUL-terminated) into out.
 * Returns the number of bytes, or -1 when one is not a hex digit, len is
 * odd or the bytes would not fit cap. */
long host_unhex(uint8_t *out, size_t cap, const char *hex, size_t len);

#endif
