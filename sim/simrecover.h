/*
 * fota-sim device recover: the recovery loader of a device left without a
 * valid application, as the STM32 recovery image runs it: the original
 * loader's protocol (fota/iap.h) from fotad's legacy listener (serving a
 * signed image whole: --legacy-serve image) into the secondary slot,
 * directly over TCP or through a SIM800 modem on a tty; then a reset, and
 * the bootloader core verifies the image and installs it.
 */
#ifndef FOTA_SIM_SIMRECOVER_H
#define FOTA_SIM_SIMRECOVER_H

struct simrecover_options {
    const char *flash;    /* the device file */
    const char *server;   /* HOST:PORT of the legacy listener */
    const char *tty;      /* NULL: TCP from this host; else the modem's tty */
    const char *apn;
    unsigned timeout_s;
    int verbose;
};

/* Returns the exit status: 0 when the device boots an application
 * afterwards, 1 otherwise (printed). */
int simrecover_run(const struct simrecover_options *o);

#endif
