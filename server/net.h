/*
 * Socket helpers for fotad: HOST:PORT parsing, listening and accepting
 * sockets that are non-blocking and close-on-exec from the start, address
 * formatting. A helper that fails writes one sentence into the caller's err
 * buffer (NET_ERR_LEN bytes) and returns NET_ERR; nothing is printed here.
 */
#ifndef FOTAD_NET_H
#define FOTAD_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_ERR_LEN 256
#define NET_HOST_LEN 256
/* Enough for "[ipv6%scope]:65535". */
#define NET_ADDR_LEN 80

#define NET_OK 0
#define NET_ERR (-1)
#define NET_AGAIN (-2) /* nothing to do now (EAGAIN, a connection aborted before accept) */

/* Connections open across fotad's listeners, and the most allowed: the
 * listener counts a connection in when it accepts it, the module that owns
 * it counts it out when it closes it. */
struct net_conn_count {
    int open;
    int max;
};

/* Splits "HOST:PORT", "[IPV6]:PORT" or ":PORT" (every address) into host
 * (hostlen bytes; "" for every address) and port (0..65535; 0 lets the
 * kernel choose). Returns NET_OK or NET_ERR. */
int net_hostport_parse(char *err, const char *s, char *host, size_t hostlen, uint16_t *port);

/* A TCP socket bound to host:port (host "" = every address, a name is
 * resolved once, numerically preferred), SO_REUSEADDR, listening with
 * backlog, non-blocking, close-on-exec. Returns the fd or NET_ERR. */
int net_listen(char *err, const char *host, uint16_t port, int backlog);

/* Accepts one connection on the listening socket lfd: the new fd is
 * non-blocking, close-on-exec, with TCP_NODELAY (frames are written whole and
 * a device waits for them). peer gets the peer's "ADDR:PORT" (peerlen bytes,
 * NET_ADDR_LEN is enough). Returns the fd, NET_AGAIN when there is nothing to
 * accept now, or NET_ERR (err says why; errno is kept, EMFILE/ENFILE mean
 * out of descriptors). */
int net_accept(char *err, int lfd, char *peer, size_t peerlen);

/* "ADDR:PORT" (or "[ADDR]:PORT" for IPv6) of sa into buf. */
void net_addr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len);

/* The address fd is bound to, formatted as above. Returns NET_OK or NET_ERR. */
int net_local_addr(char *err, int fd, char *buf, size_t len);

/* Non-blocking mode on fd. Returns NET_OK or NET_ERR. */
int net_set_nonblock(char *err, int fd);

#endif
