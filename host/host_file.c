/*
 * Whole-file reads and atomic file writes for the host programs (see host.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

int host_fail(char *msg, size_t msg_size, int err, const char *fmt, ...)
{
    va_list ap;

    if (msg != NULL && msg_size > 0) {
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* ---- reading ---- */

/* A key file read halfway must not linger in freed memory. */
static void wipe_free(uint8_t *p, size_t len)
{
    volatile uint8_t *v = p;

    while (len-- > 0)
        *v++ = 0;
    free(p);
}

/* Reads exactly size bytes into buf: the file must not shrink meanwhile. */
static int read_all(int fd, const char *path, uint8_t *buf, size_t size, char *msg,
                    size_t msg_size)
{
    size_t got = 0;

    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return host_fail(msg, msg_size, HOST_E_IO, "%s: read error at byte %zu: %s", path, got,
                             strerror(errno));
        if (n == 0)
            return host_fail(msg, msg_size, HOST_E_IO,
                             "%s: file shrank while reading (at byte %zu)", path, got);
        got += (size_t)n;
    }
    return 0;
}

/* Reads the open file fd (a regular file of size bytes) into a new buffer. */
static int read_into(int fd, const char *path, size_t size, uint8_t **data, char *msg,
                     size_t msg_size)
{
    /* One spare byte: the buffer is never zero-sized and can take a NUL. */
    uint8_t *buf = malloc(size + 1);
    int err;

    if (buf == NULL)
        return host_fail(msg, msg_size, HOST_E_NOMEM, "%s: out of memory", path);
    err = read_all(fd, path, buf, size, msg, msg_size);
    if (err != 0) {
        wipe_free(buf, size + 1);
        return err;
    }
    *data = buf;
    return 0;
}

int host_read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *msg,
                   size_t msg_size)
{
    struct stat st;
    int err, fd = open(path, O_RDONLY | O_CLOEXEC);

    *data = NULL;
    *len = 0;
    if (fd < 0)
        return host_fail(msg, msg_size, HOST_E_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err = host_fail(msg, msg_size, HOST_E_IO, "%s: not a regular file", path);
    } else if ((uintmax_t)st.st_size > max) {
        *len = (uintmax_t)st.st_size > SIZE_MAX ? SIZE_MAX : (size_t)st.st_size;
        err = host_fail(msg, msg_size, HOST_E_TOO_BIG, "%s: too large (%jd bytes, at most %zu)",
                        path, (intmax_t)st.st_size, max);
    } else {
        err = read_into(fd, path, (size_t)st.st_size, data, msg, msg_size);
        if (err == 0)
            *len = (size_t)st.st_size;
    }
    close(fd);
    return err;
}

/* ---- writing ---- */

/* Room a temporary name takes beyond its path: ".", ".tmp", a pid, ".", a
 * counter and the NUL. */
#define TEMP_EXTRA 48

int host_write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Makes the rename durable; a failure here is not worth an error. */
static void sync_dir(const char *dir)
{
    int fd = open(dir[0] ? dir : ".", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Creates a new temporary file "<dir>.<base>.tmp<pid>.<n>" beside path
 * (dir: path's directory with its slash, or ""): hidden, and on the same
 * file system, so that the final rename or link is atomic. */
static int temp_create(const char *path, const char *dir, unsigned mode, char *tmp)
{
    const char *base = path + strlen(dir);
    unsigned n;

    for (n = 0; n < 100; n++) {
        int fd;

        snprintf(tmp, strlen(path) + TEMP_EXTRA, "%s.%s.tmp%ld.%u", dir, base, (long)getpid(), n);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* Writes the temporary file tmp completely and to disk; removes it when
 * that fails. */
static int temp_write(const char *path, const char *dir, char *tmp, unsigned mode,
                      const void *data, size_t len, char *msg, size_t msg_size)
{
    int fd = temp_create(path, dir, mode, tmp);

    if (fd < 0)
        return host_fail(msg, msg_size, HOST_E_IO, "%s: cannot create a temporary file in %s: %s",
                         path, dir[0] ? dir : "the current directory", strerror(errno));
    if (host_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;

        close(fd);
        unlink(tmp);
        return host_fail(msg, msg_size, HOST_E_IO, "%s: write error: %s", path, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;

        unlink(tmp);
        return host_fail(msg, msg_size, HOST_E_IO, "%s: write error: %s", path, strerror(e));
    }
    return 0;
}

/* Puts the complete temporary file at path: rename(2), or with no_clobber
 * link(2), which never replaces (a file created meanwhile is kept). The
 * temporary name is gone afterwards either way. */
static int temp_publish(const char *tmp, const char *path, int no_clobber, char *msg,
                        size_t msg_size)
{
    int e, err = 0;

    if (no_clobber ? link(tmp, path) == 0 : rename(tmp, path) == 0) {
        if (no_clobber)
            unlink(tmp);
        return 0;
    }
    e = errno;
    if (!no_clobber)
        err = host_fail(msg, msg_size, HOST_E_IO, "%s: cannot replace: %s", path, strerror(e));
    else if (e == EEXIST)
        err = host_fail(msg, msg_size, HOST_E_EXISTS, "%s: already exists", path);
    else
        err = host_fail(msg, msg_size, HOST_E_IO, "%s: cannot create: %s", path, strerror(e));
    unlink(tmp);
    return err;
}

int host_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                           int no_clobber, char *msg, size_t msg_size)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    char *dir = malloc(dir_len + 1), *tmp = malloc(strlen(path) + TEMP_EXTRA);
    int err;

    if (dir == NULL || tmp == NULL) {
        err = host_fail(msg, msg_size, HOST_E_NOMEM, "%s: out of memory", path);
        goto out;
    }
    memcpy(dir, path, dir_len);
    dir[dir_len] = '\0';
    if (no_clobber && access(path, F_OK) == 0) {
        err = host_fail(msg, msg_size, HOST_E_EXISTS, "%s: already exists", path);
        goto out;
    }
    err = temp_write(path, dir, tmp, mode, data, len, msg, msg_size);
    if (err == 0)
        err = temp_publish(tmp, path, no_clobber, msg, msg_size);
    if (err == 0)
        sync_dir(dir);
out:
    free(dir);
    free(tmp);
    return err;
}
