/*
 * A byte-stream connection to the server, the way a device port provides
 * one: the SIM800C's TCP connection on the STM32 (fota/modem.h), or any
 * other byte stream. Non-blocking: no call waits for the network. fota_link
 * (fota/link.h) drives the agent over one.
 *
 * The transport knows its server (the port configured it); the agent does
 * not. Conventions: a count (>= 1) or 0 on success, FOTA_E_AGAIN when the
 * call would wait, another negative fota_err when the connection failed or
 * ended.
 */
#ifndef FOTA_TRANSPORT_H
#define FOTA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct fota_transport {
    void *ctx;
    /* Starts opening the connection. 0: open at once; FOTA_E_AGAIN: under
     * way (ask connect_result later); other: failed, nothing to close. */
    int (*connect)(void *ctx);
    /* The connection being opened: 0 open, FOTA_E_AGAIN still opening,
     * other: failed (closed already). */
    int (*connect_result)(void *ctx);
    /* Received bytes: the count (1..len), FOTA_E_AGAIN when none are there
     * now, FOTA_E_IO once the peer closed or the link broke (after every
     * byte received before it was read). */
    int (*read)(void *ctx, uint8_t *buf, size_t len);
    /* Takes bytes to send: the count (1..len, maybe fewer than len),
     * FOTA_E_AGAIN when it cannot take any now, FOTA_E_IO when the
     * connection is gone. */
    int (*write)(void *ctx, const uint8_t *buf, size_t len);
    /* Ends the connection (at once, or in the background); harmless when
     * none is open. */
    void (*close)(void *ctx);
};

#endif
