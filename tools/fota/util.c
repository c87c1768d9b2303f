/*
 * Helpers shared by the fota subcommands (see util.h).
 */
#include <stdarg.h>
#include <stdlib.h>

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

/* Room for the sentence a host helper leaves: a path and a reason. */
#define TOOL_MSG_SIZE (4096 + 256)

int tool_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    char msg[TOOL_MSG_SIZE];

    if (host_read_file(path, max, data, len, msg, sizeof(msg)) != 0) {
        tool_error("%s", msg);
        *len = 0;
        return -1;
    }
    return 0;
}

int tool_write_file_atomic(const char *path, const void *data, size_t len,
                           unsigned mode, int no_clobber)
{
    char msg[TOOL_MSG_SIZE];
    int err = host_write_file_atomic(path, data, len, mode, no_clobber, msg, sizeof(msg));

    if (err == 0)
        return 0;
    /* no_clobber comes from the lack of --force: say how to replace it. */
    tool_error(err == HOST_E_EXISTS ? "%s (use --force to replace it)" : "%s", msg);
    return -1;
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
