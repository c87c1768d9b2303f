/*
 * The device's main loop in one call: drives the agent (fota/agent.h) over
 * a transport (fota/transport.h). The STM32 application, the recovery
 * loader and fota-sim's modem mode share it:
 *
 *     fota_link_init(&link, &agent, &transport, buf, sizeof buf);
 *     for (;;) {
 *         feed the modem its UART bytes, run it (fota/modem.h);
 *         if (fota_link_poll(&link, now_ms()) == FOTA_LINK_RESET)
 *             reboot;
 *         sleep until an interrupt or fota_link_wake_at(&link)
 *     }
 *
 * Received bytes the agent did not take yet wait in buf (caller-owned).
 */
#ifndef FOTA_LINK_H
#define FOTA_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "fota/agent.h"
#include "fota/transport.h"

/* fota_link_poll(): the agent asks for a reboot (an image is pending). */
#define FOTA_LINK_RESET 1

struct fota_link {
    struct fota_agent *agent;
    const struct fota_transport *transport;
    uint8_t *buf;
    uint32_t size;
    uint32_t pos;        /* the next byte of buf for the agent */
    uint32_t len;        /* bytes in buf */
    uint8_t state;       /* closed, connecting, open */
    uint32_t wake_at;
    /* Counters for logs and tests. */
    uint32_t connects;   /* connections opened */
    uint32_t failures;   /* connections that failed or broke */
};

void fota_link_init(struct fota_link *link, struct fota_agent *agent,
                    const struct fota_transport *transport, uint8_t *buf, uint32_t size);

/* Runs the agent and the transport at now_ms until both wait. Returns 0,
 * or FOTA_LINK_RESET when the device must reboot now. */
int fota_link_poll(struct fota_link *link, uint32_t now_ms);

/* The latest time to poll again when nothing arrives before. */
uint32_t fota_link_wake_at(const struct fota_link *link);

#endif
