/*
 * What the application and the recovery loader share on a real device:
 * the configuration page (fota/devcfg.h), the SIM800C on USART3 driven by
 * the core's driver (fota/modem.h), the reset.
 */
#ifndef STM32F1_DEVICE_H
#define STM32F1_DEVICE_H

#include <stdint.h>

#include "fota/boot.h"
#include "fota/devcfg.h"
#include "fota/modem.h"

/* The modem driver's buffers: a CIPRXGET's worth of received bytes, and
 * the largest CIPSEND the agent needs. */
#ifndef DEVICE_MODEM_RX_SIZE
#define DEVICE_MODEM_RX_SIZE 1024u
#endif
#ifndef DEVICE_MODEM_TX_SIZE
#define DEVICE_MODEM_TX_SIZE 256u
#endif

struct device_modem {
    struct fota_modem modem;
    struct fota_modem_config cfg;
    struct fota_transport transport;
    uint8_t rx[DEVICE_MODEM_RX_SIZE];
    uint8_t tx[DEVICE_MODEM_TX_SIZE];
};

/* The key images are signed with (`fota pubkey --c` writes its definition,
 * which the build compiles into every image that checks one). */
extern const uint8_t fota_public_key[FOTA_ED25519_PUBLIC_KEY_SIZE];

/* "WHAT ok" or "WHAT <why>" on the console. */
void device_result(const char *what, int err);

/* Reads the configuration page into cfg. Returns 0, or a fota_err after
 * printing why on the console (no page: FOTA_E_MAGIC). */
int device_config_read(struct fota_devcfg *cfg);

/* Starts USART3 and the driver for a connection to cfg's host on port;
 * dm->transport is then usable. Returns 0 or a fota_err. */
int device_modem_start(struct device_modem *dm, const struct fota_devcfg *cfg, uint16_t port);

/* Feeds the driver what USART3 received and runs it at now_ms. */
void device_modem_pump(struct device_modem *dm, uint32_t now_ms);

/* The download agent over the SIM800C, as the application and the recovery
 * loader run it: the device dev->id with its secret, the server from dev;
 * a progress line on the console now and then; the watchdog fed. Ends with
 * a reset when an image is verified and pending; returns only when it
 * cannot start (said on the console). */
void device_agent_run(const struct fota_boot_config *boot, const struct fota_devcfg *dev);

/* Sleeps until the next interrupt (the 1 ms tick at the latest). */
void device_idle(void);

/* A system reset (SCB AIRCR SYSRESETREQ): the bootloader runs next. */
void device_reset(void) __attribute__((noreturn));

#endif
