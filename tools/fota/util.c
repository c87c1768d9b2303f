/*
 * Helpers shared by the fota subcommands (see util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "util.h"

void tool_error(const char *fmt, ...)
{
    va_list ap;

    fputs("fota: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int tool_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    struct stat st;
    uint8_t *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY);

    *data = NULL;
    *len = 0;
    if (fd < 0) {
        tool_error("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        tool_error("%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if ((uintmax_t)st.st_size > max) {
        tool_error("%s: too large (%jd bytes, at most %zu)", path, (intmax_t)st.st_size, max);
        close(fd);
        return -1;
    }
    /* One spare byte so the buffer is never zero-sized. */
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        tool_error("%s: out of memory", path);
        close(fd);
        return -1;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                tool_error("%s: read error at byte %zu: %s", path, got, strerror(errno));
            else
                tool_error("%s: file shrank while reading (at byte %zu)", path, got);
            tool_free_secret(buf, (size_t)st.st_size + 1);
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
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
    int fd = open(dir, O_RDONLY);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Creates a new temporary file next to path: "<dir>/.<base>.tmp<pid>.<n>". */
static int temp_create(const char *path, unsigned mode, char *tmp, size_t tmp_size,
                       char *dir, size_t dir_size)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    unsigned n;

    if (dir_len + 1 > dir_size)
        return -1;
    memcpy(dir, path, dir_len);
    dir[dir_len] = '\0';
    for (n = 0; n < 100; n++) {
        int fd;
        int w = snprintf(tmp, tmp_size, "%s.%s.tmp%ld.%u", dir, base, (long)getpid(), n);

        if (w < 0 || (size_t)w >= tmp_size)
            return -1;
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int tool_write_file_atomic(const char *path, const void *data, size_t len,
                           unsigned mode, int no_clobber)
{
    char tmp[4096 + 64];
    char dir[4096];
    int fd;

    if (no_clobber && access(path, F_OK) == 0) {
        tool_error("%s: already exists (use --force to replace it)", path);
        return -1;
    }
    fd = temp_create(path, mode, tmp, sizeof(tmp), dir, sizeof(dir));
    if (fd < 0) {
        tool_error("%s: cannot create a temporary file in %s: %s", path,
                   dir[0] ? dir : "the current directory", strerror(errno));
        return -1;
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        tool_error("%s: write error: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) != 0) {
        tool_error("%s: write error: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (no_clobber) {
        /* link() refuses to replace: a file created meanwhile is kept. */
        if (link(tmp, path) != 0) {
            if (errno == EEXIST)
                tool_error("%s: already exists (use --force to replace it)", path);
            else
                tool_error("%s: cannot create: %s", path, strerror(errno));
            unlink(tmp);
            return -1;
        }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        tool_error("%s: cannot replace: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    sync_dir(dir[0] ? dir : ".");
    return 0;
}

void tool_hex(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int tool_parse_u32(const char *s, uint32_t *v)
{
    unsigned base = 10;
    uint64_t acc = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        unsigned d;

        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return -1;
        acc = acc * base + d;
        if (acc > UINT32_MAX)
            return -1;
    }
    *v = (uint32_t)acc;
    return 0;
}

void tool_free_secret(void *p, size_t len)
{
    if (p == NULL)
        return;
    sodium_memzero(p, len);
    free(p);
}

void tool_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}
