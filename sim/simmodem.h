/*
 * fota-sim's modem: the device core's SIM800C driver (fota/modem.h) on a
 * tty, the way the STM32 port runs it on USART3: bytes from the tty are fed
 * to the driver, its writes go to the tty. For `run --modem` and `device
 * recover --modem`.
 */
#ifndef FOTA_SIM_SIMMODEM_H
#define FOTA_SIM_SIMMODEM_H

#include <stdint.h>

#include "fota/modem.h"
#include "fota/transport.h"

#define SIMMODEM_HOST_MAX 255

struct simmodem {
    const char *path;
    int tty;
    int verbose;               /* show the AT dialogue on stdout */
    char host[SIMMODEM_HOST_MAX + 1];
    uint16_t port;
    struct fota_modem modem;
    struct fota_modem_config cfg;
    struct fota_transport transport; /* over the modem, after simmodem_start() */
    uint8_t rx[1536];
    uint8_t tx[512];
    uint32_t key_presses;      /* PWRKEY presses the driver asked for */
};

/* "HOST:PORT" into host (size bytes) and *port; -1 after printing why. */
int simmodem_server_split(const char *text, char *host, size_t size, uint16_t *port);

/* Opens the tty (115200 8N1, raw) for a connection to server "HOST:PORT"
 * through APN apn. Returns 0 or -1 after printing why. */
int simmodem_open(struct simmodem *m, const char *tty, const char *server, const char *apn,
                  int verbose);

/* A new driver, as after the MCU's reset (the modem keeps its own state);
 * m->transport is then usable. Returns 0 or a fota_err. */
int simmodem_start(struct simmodem *m);

/* Runs the driver at now_ms, then waits for the tty until the earlier of
 * wake_at and the driver's own wake time (at most 100 ms) and feeds it what
 * came. Returns 0, or -1 when the tty is gone (printed). */
int simmodem_run(struct simmodem *m, uint32_t now_ms, uint32_t wake_at);

/* Runs the driver until it has sent what it took (fota_modem_idle), as the
 * device does before a reset, for at most limit_ms; now_ms() is the clock.
 * Returns 0, or -1 when the tty is gone. */
int simmodem_drain(struct simmodem *m, uint32_t (*now_ms)(void *ctx), void *ctx,
                   uint32_t limit_ms);

void simmodem_close(struct simmodem *m);

#endif
