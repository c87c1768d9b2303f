/*
 * What fotad's two test clients (legacy_client, proto_client) share: dying
 * with a message, a monotonic clock, a TCP connection to the server.
 */
#ifndef TEST_CLIENT_H
#define TEST_CLIENT_H

#include <stdint.h>

/* The program's name, for its messages; each client defines it. */
extern const char client_name[];

/* "<client_name>: <message>\n" on stderr, then exit status 1. */
void client_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Milliseconds on the monotonic clock. */
uint64_t client_now_ms(void);

/* A TCP connection to host (dotted IPv4) and port, with Nagle off so that
 * every answer leaves at once; dies when it cannot connect. */
int client_connect(const char *host, unsigned port);

#endif
