/*
 * Host transport: non-blocking TCP; see fota/posix_tcp.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "fota/posix_tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fota/error.h"

/* Splits "HOST:PORT" / "[IPV6]:PORT" into host and port text. */
static int split(const char *s, char *host, size_t host_size, const char **port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (close == NULL || close[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= host_size)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = colon + 1;
    return 0;
}

static int port_ok(const char *p)
{
    long v = 0;

    if (*p == '\0' || strlen(p) > 5)
        return 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (*p - '0');
    }
    return v >= 1 && v <= 65535;
}

int fota_posix_tcp_resolve(struct fota_posix_tcp_addr *addr, const char *host_port,
                           char *err, size_t err_size)
{
    struct addrinfo hints, *res = NULL;
    char host[FOTA_POSIX_TCP_ADDR_TEXT];
    const char *port;
    int rc;

    memset(addr, 0, sizeof(*addr));
    if (strlen(host_port) >= sizeof(addr->text) ||
        split(host_port, host, sizeof(host), &port) < 0 || !port_ok(port)) {
        snprintf(err, err_size, "'%s' is not HOST:PORT (port 1 to 65535)", host_port);
        return FOTA_E_INVAL;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, err_size, "%s: %s", host_port,
                 rc != 0 ? gai_strerror(rc) : "no address");
        if (res != NULL)
            freeaddrinfo(res);
        return FOTA_E_IO;
    }
    memcpy(&addr->sa, res->ai_addr, res->ai_addrlen);
    addr->sa_len = res->ai_addrlen;
    snprintf(addr->text, sizeof(addr->text), "%s", host_port);
    freeaddrinfo(res);
    return 0;
}

int fota_posix_tcp_connect(int *fd, const struct fota_posix_tcp_addr *addr)
{
    int one = 1;
    int s = socket(addr->sa.ss_family, SOCK_STREAM, 0);
    int flags, saved;

    *fd = -1;
    if (s < 0)
        return FOTA_E_IO;
    flags = fcntl(s, F_GETFL);
    if (flags < 0 || fcntl(s, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(s, F_SETFD, FD_CLOEXEC) < 0)
        goto fail;
    (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(s, (const struct sockaddr *)&addr->sa, addr->sa_len) == 0) {
        *fd = s;
        return 0;
    }
    if (errno == EINPROGRESS || errno == EINTR) {
        *fd = s;
        return FOTA_E_AGAIN;
    }
fail:
    saved = errno;
    close(s);
    errno = saved;
    return FOTA_E_IO;
}

int fota_posix_tcp_connect_result(int fd)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return FOTA_E_IO;
    if (soerr == 0)
        return 0;
    errno = soerr;
    return soerr == EINPROGRESS || soerr == EALREADY ? FOTA_E_AGAIN : FOTA_E_IO;
}

int fota_posix_tcp_read(int fd, uint8_t *buf, size_t len)
{
    ssize_t n;

    if (len > INT_MAX)
        len = INT_MAX;
    do {
        n = recv(fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0)
        return (int)n;
    if (n == 0) {
        errno = 0;
        return FOTA_E_IO;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK ? FOTA_E_AGAIN : FOTA_E_IO;
}

int fota_posix_tcp_write(int fd, const uint8_t *buf, size_t len)
{
    ssize_t n;

    if (len > INT_MAX)
        len = INT_MAX;
    do {
        n = send(fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (int)n;
    return errno == EAGAIN || errno == EWOULDBLOCK ? FOTA_E_AGAIN : FOTA_E_IO;
}

void fota_posix_tcp_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
