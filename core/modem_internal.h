/*
 * The SIM800C driver's parts, shared by core/modem.c (commands, bring-up,
 * recovery, transport) and core/modem_rx.c (what the modem says). Not a
 * public header.
 */
#ifndef FOTA_MODEM_INTERNAL_H
#define FOTA_MODEM_INTERNAL_H

#include "fota/modem.h"

/* struct fota_modem.phase while AT+CIPSEND is in flight. */
enum fota_modem_send_phase {
    FOTA_MODEM_SEND_PROMPT = 0, /* waiting for "> " */
    FOTA_MODEM_SEND_DATA = 1,   /* writing tx_buf to the UART */
    FOTA_MODEM_SEND_RESULT = 2, /* waiting for DATA ACCEPT or SEND OK */
};

/* The command in flight got its final answer; ok says whether it is the
 * one a bring-up step wants (err: why not). The next command may go. */
void fota_modem_finish(struct fota_modem *m, int ok, int err);

/* The transport's connection ended (open) or failed (opening) for err. */
void fota_modem_end(struct fota_modem *m, int err);

/* The CIPSEND in flight failed (err): its bytes are gone, and so is the
 * connection they were for (AT+CIPCLOSE, if the modem still holds it). */
void fota_modem_send_failed(struct fota_modem *m, int err);

/* The modem restarted or powered down: everything it held is gone, the
 * command in flight will not be answered. */
void fota_modem_lost(struct fota_modem *m, int err);

uint32_t fota_modem_command_timeout(const struct fota_modem *m);
uint32_t fota_modem_connect_timeout(const struct fota_modem *m);

#endif
