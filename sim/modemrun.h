/*
 * fota-sim run --modem: one simulated device updated through a modem that
 * speaks SIM800 AT commands on a tty (the real SIM800C on a USB serial
 * adapter, or fota-sim800), as the STM32 application does it: the device
 * core's SIM800C driver (fota/modem.h) under the agent (fota/link.h).
 *
 * The device's life is the fleet's (fleet.h): power on through the
 * bootloader core, confirm a trial image, sessions until the server says
 * NOTHING, a reset when an image is pending. It ends when the server has
 * nothing more for it and its primary slot verifies (exit 0), or at the
 * timeout (exit 1).
 */
#ifndef FOTA_SIM_MODEMRUN_H
#define FOTA_SIM_MODEMRUN_H

#include "simdev.h"

struct modemrun_options {
    const char *simdir;   /* <id>.conf and <id>.flash */
    const char *device;   /* the id; NULL: the only device of simdir */
    const char *tty;      /* the modem: 115200 8N1, raw */
    const char *server;   /* HOST:PORT; NULL: the provisioning file's */
    const char *apn;      /* the APN for AT+CSTT */
    unsigned timeout_s;
    struct simdev_agent_options agent; /* what the device announces */
    int verbose;          /* the AT dialogue, a line each way */
};

/* Returns the exit status: 0 when the device is up to date, 1 otherwise
 * (after printing why), 2 for a bad option value. */
int modemrun_run(const struct modemrun_options *o);

#endif
