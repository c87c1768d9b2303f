/*
 * fota-sim run: a fleet of simulated devices updated through a real server.
 *
 * One process, one thread, one poll() loop over the devices that run at
 * once. Each device is its flash file (simdev.h), its provisioning file, a
 * device agent (fota/agent.h) and a non-blocking TCP connection
 * (fota/posix_tcp.h). A device's life, as the hardware would live it:
 *
 *   power on -> bootloader (fota_boot_go: boot, install, revert...) ->
 *   the application starts: confirms itself when it runs on trial, starts
 *   the agent -> sessions with the server -> RESET: back to the bootloader
 *   (no valid image at power on: the recovery loader runs the agent)
 *
 * A device is done when a session ends with the server's NOTHING (it runs
 * the image assigned to it) and every report acknowledged, and its primary
 * slot verifies with the bootloader's key. It has failed when it refused
 * the offered image (reported and acknowledged), when its primary does not
 * verify once the server has nothing more for it, or when the timeout
 * passes first.
 *
 * Faults, from a seeded generator: --flaky P cuts the connection at a
 * received or sent frame with probability P, either between two frames or
 * at a random byte inside one; --power-cuts P arms a power cut at a random
 * upcoming flash operation in each boot cycle with probability P (the
 * device then reboots through the bootloader).
 */
#ifndef FOTA_SIM_FLEET_H
#define FOTA_SIM_FLEET_H

#include <stdint.h>

#include "simdev.h"

struct fleet_options {
    const char *simdir;    /* SIMDIR: <id>.conf and <id>.flash per device */
    const char *server;    /* HOST:PORT; NULL: each provisioning file's */
    unsigned parallel;     /* devices running at once; 0: all */
    double flaky;          /* probability of a cut per frame, 0..1 */
    double corrupt;        /* probability per received frame of a bit flipped in
                            * its body or CRC (at most one per connection) */
    double power_cuts;     /* probability of a power cut per boot cycle, 0..1 */
    unsigned timeout_s;    /* devices not done by then fail */
    uint64_t seed;         /* of the fault generator */
    struct simdev_agent_options agent; /* what the devices announce */
    unsigned rate;         /* bytes per second each device receives at most (a
                            * slow link); 0: as fast as the host goes */
    int verbose;           /* a line per boot, cut and session outcome */
};

/* Runs every device in o->simdir until each is done or failed, showing
 * progress, then prints the summary. Returns the exit status: 0 when every
 * device is done, 1 otherwise (or on a setup error, printed). */
int fleet_run(const struct fleet_options *o);

#endif
