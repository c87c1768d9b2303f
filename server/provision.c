/*
 * Provisioning files: format, parse, read, write (see provision.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "provision.h"
#include "store_int.h"

void provision_wipe(struct provision *p)
{
    sodium_memzero(p, sizeof(*p));
}

int provision_format(const struct provision *p, char *buf, size_t size, char *msg,
                     size_t msg_size)
{
    char secret[2 * STORE_SECRET_SIZE + 1], pub[2 * STORE_KEY_SIZE + 1];
    int n;

    if (store_id_check(p->id) != 0)
        return host_fail(msg, msg_size, STORE_E_INVAL, "bad device id '%s'", p->id);
    if (store_server_check(p->server) != 0)
        return host_fail(msg, msg_size, STORE_E_INVAL, "device %s: %s", p->id,
                         p->server[0] ? "bad server address (HOST:PORT expected)"
                                      : "no server address");
    if (!p->has_public_key)
        return host_fail(msg, msg_size, STORE_E_INVAL, "device %s: no public key", p->id);
    host_hex(secret, p->secret, STORE_SECRET_SIZE);
    host_hex(pub, p->public_key, STORE_KEY_SIZE);
    n = snprintf(buf, size,
                 "# fota provisioning file for device %s\n"
                 "# Keep it secret: it holds the device's key.\n"
                 "id = %s\n"
                 "secret = %s\n"
                 "server = %s\n"
                 "public_key = %s\n",
                 p->id, p->id, secret, p->server, pub);
    sodium_memzero(secret, sizeof(secret));
    if (n < 0 || (size_t)n >= size)
        return host_fail(msg, msg_size, STORE_E_INVAL, "device %s: provisioning text too long",
                         p->id);
    return n;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

enum { KEY_ID, KEY_SECRET, KEY_SERVER, KEY_PUBLIC, KEY_COUNT };
static const char *const key_names[KEY_COUNT] = {"id", "secret", "server", "public_key"};

/* Checks and stores one known key's value. */
static int provision_value(struct provision *p, int key, const char *value, unsigned line,
                           char *msg, size_t msg_size)
{
    switch (key) {
    case KEY_ID:
        if (store_id_check(value) != 0)
            return host_fail(msg, msg_size, STORE_E_INVAL, "line %u: bad id '%s': 1 to %d "
                             "printable characters without spaces", line, value, STORE_ID_MAX);
        snprintf(p->id, sizeof(p->id), "%s", value);
        return 0;
    case KEY_SECRET:
        if (host_unhex(p->secret, STORE_SECRET_SIZE, value, strlen(value)) !=
            STORE_SECRET_SIZE)
            return host_fail(msg, msg_size, STORE_E_INVAL, "line %u: secret must be %d hex digits",
                             line, 2 * STORE_SECRET_SIZE);
        return 0;
    case KEY_SERVER:
        if (store_server_check(value) != 0)
            return host_fail(msg, msg_size, STORE_E_INVAL, "line %u: bad server '%s': HOST:PORT "
                             "expected", line, value);
        snprintf(p->server, sizeof(p->server), "%s", value);
        return 0;
    default:
        if (host_unhex(p->public_key, STORE_KEY_SIZE, value, strlen(value)) != STORE_KEY_SIZE)
            return host_fail(msg, msg_size, STORE_E_INVAL, "line %u: public_key must be %d hex "
                             "digits", line, 2 * STORE_KEY_SIZE);
        p->has_public_key = 1;
        return 0;
    }
}

int provision_parse(struct provision *p, const char *text, size_t len, char *msg,
                    size_t msg_size)
{
    char line_buf[1024];
    int seen[KEY_COUNT] = {0};
    unsigned line = 0;
    size_t at = 0;
    int k, err;

    memset(p, 0, sizeof(*p));
    if (memchr(text, '\0', len) != NULL)
        return host_fail(msg, msg_size, STORE_E_INVAL, "not a text file (NUL byte)");
    while (at < len) {
        const char *start = text + at, *nl = memchr(start, '\n', len - at);
        size_t n = nl ? (size_t)(nl - start) : len - at;
        char *key, *eq, *value, *end;

        at += n + (nl != NULL);
        line++;
        if (n >= sizeof(line_buf))
            return host_fail(msg, msg_size, STORE_E_INVAL, "line %u: too long", line);
        memcpy(line_buf, start, n);
        line_buf[n] = '\0';
        if (n > 0 && line_buf[n - 1] == '\r')
            line_buf[--n] = '\0';
        for (key = line_buf; is_blank(*key); key++)
            ;
        if (*key == '\0' || *key == '#')
            continue;
        eq = strchr(key, '=');
        if (eq == NULL)
            return host_fail(msg, msg_size, STORE_E_INVAL, "line %u: expected 'key = value'", line);
        for (end = eq; end > key && is_blank(end[-1]); end--)
            ;
        *end = '\0';
        for (value = eq + 1; is_blank(*value); value++)
            ;
        for (end = value + strlen(value); end > value && is_blank(end[-1]); end--)
            ;
        *end = '\0';
        for (k = 0; k < KEY_COUNT; k++)
            if (strcmp(key, key_names[k]) == 0)
                break;
        if (k == KEY_COUNT)
            continue; /* a key of a later version */
        if (seen[k]++)
            return host_fail(msg, msg_size, STORE_E_INVAL, "line %u: %s given twice", line,
                             key_names[k]);
        err = provision_value(p, k, value, line, msg, msg_size);
        if (err != 0) {
            sodium_memzero(line_buf, sizeof(line_buf));
            provision_wipe(p);
            return err;
        }
    }
    sodium_memzero(line_buf, sizeof(line_buf));
    for (k = 0; k < KEY_COUNT; k++)
        if (!seen[k]) {
            provision_wipe(p);
            return host_fail(msg, msg_size, STORE_E_INVAL, "no %s line", key_names[k]);
        }
    return 0;
}

int provision_read(const char *path, struct provision *p, char *msg, size_t msg_size)
{
    char buf[PROVISION_FILE_MAX + 1];
    size_t len = 0;
    int fd = open(path, O_RDONLY), err;
    char why[STORE_MSG_SIZE];

    memset(p, 0, sizeof(*p));
    if (fd < 0)
        return host_fail(msg, msg_size, STORE_E_IO, "%s: cannot open: %s", path, strerror(errno));
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            close(fd);
            return host_fail(msg, msg_size, STORE_E_IO, "%s: read error: %s", path, strerror(err));
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof(buf)) {
            close(fd);
            sodium_memzero(buf, sizeof(buf));
            return host_fail(msg, msg_size, STORE_E_INVAL, "%s: too large for a provisioning "
                             "file (more than %d bytes)", path, PROVISION_FILE_MAX);
        }
    }
    close(fd);
    err = provision_parse(p, buf, len, why, sizeof(why));
    sodium_memzero(buf, sizeof(buf));
    if (err != 0)
        return host_fail(msg, msg_size, err, "%s: %s", path, why);
    return 0;
}

int provision_write(const char *path, const struct provision *p, int no_clobber, char *msg,
                    size_t msg_size)
{
    char buf[PROVISION_FILE_MAX];
    char why[STORE_MSG_SIZE];
    int n = provision_format(p, buf, sizeof(buf), why, sizeof(why)), err;

    if (n < 0)
        return host_fail(msg, msg_size, n, "%s: %s", path, why);
    err = store_file_write_atomic(path, buf, (size_t)n, 0600, no_clobber, msg, msg_size);
    sodium_memzero(buf, sizeof(buf));
    return err;
}
