/*
 * Socket helpers for fotad (see net.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

static void net_error(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void net_error(char *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(err, NET_ERR_LEN, fmt, ap);
    va_end(ap);
}

int net_hostport_parse(char *err, const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon, *hs = s, *he;
    char *end;
    unsigned long p;

    if (s[0] == '[') {
        /* [v6]:port */
        he = strchr(s, ']');
        if (he == NULL || he[1] != ':') {
            net_error(err, "'%s': expected [IPV6]:PORT", s);
            return NET_ERR;
        }
        hs = s + 1;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            net_error(err, "'%s': expected HOST:PORT", s);
            return NET_ERR;
        }
        if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
            net_error(err, "'%s': an IPv6 address goes in brackets: [ADDR]:PORT", s);
            return NET_ERR;
        }
        he = colon;
    }
    if ((size_t)(he - hs) >= hostlen) {
        net_error(err, "'%s': host name too long", s);
        return NET_ERR;
    }
    errno = 0;
    p = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || p > 65535) {
        net_error(err, "'%s': port must be a number from 0 to 65535", s);
        return NET_ERR;
    }
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    *port = (uint16_t)p;
    return NET_OK;
}

int net_set_nonblock(char *err, int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        net_error(err, "fcntl(O_NONBLOCK): %s", strerror(errno));
        return NET_ERR;
    }
    return NET_OK;
}

int net_listen(char *err, const char *host, uint16_t port, int backlog)
{
    struct addrinfo hints, *res, *ai;
    char portstr[8];
    int fd = -1, rc, one = 1, last_errno = 0;
    const char *what = "socket";

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
    rc = getaddrinfo(host[0] != '\0' ? host : NULL, portstr, &hints, &res);
    if (rc != 0) {
        net_error(err, "%s: cannot resolve: %s", host, gai_strerror(rc));
        return NET_ERR;
    }
    /* The first address that binds wins (for a name with several). */
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            what = "socket";
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            if (listen(fd, backlog) == 0)
                break;
            what = "listen";
        } else {
            what = "bind";
        }
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        net_error(err, "%s %s:%u: %s", what, host[0] != '\0' ? host : "*", (unsigned)port,
                  strerror(last_errno));
        return NET_ERR;
    }
    return fd;
}

int net_accept(char *err, int lfd, char *peer, size_t peerlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    int fd, one = 1;

    for (;;) {
        fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
            errno == EPROTO)
            return NET_AGAIN;
        net_error(err, "accept: %s", strerror(errno));
        return NET_ERR;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    net_addr_format((struct sockaddr *)&ss, sslen, peer, peerlen);
    return fd;
}

void net_addr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, len, "?");
        return;
    }
    if (sa->sa_family == AF_INET6)
        snprintf(buf, len, "[%s]:%s", host, serv);
    else
        snprintf(buf, len, "%s:%s", host, serv);
}

int net_local_addr(char *err, int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
        net_error(err, "getsockname: %s", strerror(errno));
        return NET_ERR;
    }
    net_addr_format((struct sockaddr *)&ss, sslen, buf, len);
    return NET_OK;
}
