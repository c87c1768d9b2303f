/*
 * Host transport: non-blocking TCP for a port that drives the device agent
 * (fota/agent.h) from an event loop, as fota-sim does for many devices in
 * one thread. No call blocks except fota_posix_tcp_resolve() (name lookup).
 *
 * The agent's actions map onto these calls:
 *
 *     CONNECT  fota_posix_tcp_connect(); 0: fota_agent_connected(); AGAIN:
 *              wait until the socket is writable, then
 *              fota_posix_tcp_connect_result(); an error:
 *              fota_agent_disconnected()
 *     SEND     fota_posix_tcp_write() what fota_agent_output() gives, then
 *              fota_agent_sent() with the count; AGAIN: wait until writable
 *     WAIT     wait until readable (or wake_at); fota_posix_tcp_read() into
 *              a buffer and hand it to fota_agent_input(); FOTA_E_IO (the
 *              peer closed or the connection broke): close it and call
 *              fota_agent_disconnected()
 *     CLOSE    fota_posix_tcp_close()
 *
 * Conventions: a count (>= 1) or 0 on success; FOTA_E_AGAIN when the call
 * would block; FOTA_E_IO when the connection failed or ended, with errno
 * telling why (0 after an orderly close by the peer). Sockets are
 * close-on-exec and never raise SIGPIPE.
 */
#ifndef FOTA_POSIX_TCP_H
#define FOTA_POSIX_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "[ipv6]:65535" and its NUL, and room for a host name. */
#define FOTA_POSIX_TCP_ADDR_TEXT 272u

/* A resolved server address. */
struct fota_posix_tcp_addr {
    struct sockaddr_storage sa;
    socklen_t sa_len;
    char text[FOTA_POSIX_TCP_ADDR_TEXT]; /* as given: "HOST:PORT" */
};

/* Resolves "HOST:PORT" ("[IPV6]:PORT" for an IPv6 address; HOST a name or a
 * numeric address, PORT 1..65535) to its first address. Returns 0, or
 * FOTA_E_INVAL (malformed) / FOTA_E_IO (the name does not resolve) with a
 * sentence in err (err_size bytes). */
int fota_posix_tcp_resolve(struct fota_posix_tcp_addr *addr, const char *host_port,
                           char *err, size_t err_size);

/* Starts a connection to addr on a new non-blocking socket, put in *fd.
 * Returns 0 when connected at once, FOTA_E_AGAIN while in progress, or
 * FOTA_E_IO (errno says why; *fd is -1). TCP_NODELAY is set: the agent
 * writes whole frames and waits for answers. */
int fota_posix_tcp_connect(int *fd, const struct fota_posix_tcp_addr *addr);

/* The outcome of a connection in progress, once its socket is writable (or
 * reported an error): 0 connected, FOTA_E_AGAIN still in progress, FOTA_E_IO
 * refused or failed (errno says why). */
int fota_posix_tcp_connect_result(int fd);

/* Reads at most len bytes (len is capped at INT_MAX). Returns the count,
 * FOTA_E_AGAIN when nothing is there now, or FOTA_E_IO: the peer closed
 * (errno 0) or the connection broke. */
int fota_posix_tcp_read(int fd, uint8_t *buf, size_t len);

/* Writes at most len bytes (capped at INT_MAX). Returns the count, which
 * may be less than len, FOTA_E_AGAIN when the socket buffer is full, or
 * FOTA_E_IO when the connection broke. */
int fota_posix_tcp_write(int fd, const uint8_t *buf, size_t len);

/* Closes fd (-1 is fine). */
void fota_posix_tcp_close(int fd);

#endif
