/*
 * SIM800C driver: a TCP connection through the modem's AT commands (SIM800
 * Series AT Command Manual), offered as a struct fota_transport.
 *
 * Non-blocking and push-fed, like the agent: the port hands it the bytes
 * its UART received and a millisecond clock, and gives it a function that
 * queues bytes for the UART. No allocation; buffers come from the caller.
 *
 *     fota_modem_init(&modem, &cfg);
 *     fota_modem_transport(&modem, &transport);
 *     for (;;) {
 *         fota_modem_input(&modem, bytes the UART received, n);
 *         fota_modem_step(&modem, now_ms());
 *         ... fota_link_poll() over the transport ...
 *         sleep until a UART byte or fota_modem_wake_at(&modem)
 *     }
 *
 * Data is received in manual mode (AT+CIPRXGET=1): the modem keeps what
 * the server sent until the driver asks for at most what its buffer holds,
 * so the MCU's UART receive buffer never overflows.
 *
 * read() hands out bytes only while the modem is quiet: while a command is
 * in flight (an AT+CIPRXGET=2 whose payload is still arriving, an
 * AT+CIPSEND waiting for its result, any other) it says FOTA_E_AGAIN. The
 * reason is the port: whoever reads may write flash before the next read
 * (fota_link feeds the agent, which writes DATA there), and on the STM32 a
 * page erase stalls the CPU for 20-40 ms while the USART holds one byte:
 * anything the modem sent meanwhile would be lost. So commands and
 * hand-outs take turns: a CIPRXGET=2 that brought bytes is not followed by
 * the next one until read() had them, and none is issued while rx_buf is
 * full. An unsolicited line that arrives during an erase may still be lost;
 * that is recovered from: a lost +CIPRXGET: 1 by the poll every
 * rx_poll_ms, a lost CLOSED or +PDP: DEACT by the next send on that
 * connection, which fails (ERROR, SEND FAIL) and ends it.
 *
 * Sends use quick send mode where the modem has it (AT+CIPQSEND=1): the
 * modem answers DATA ACCEPT:<n> once it took the bytes, instead of SEND OK
 * a network round trip later. Either answer is success in either mode.
 *
 * What it does, in order (docs/porting.md, "SIM800C driver", has the
 * timeouts and the recovery):
 *
 *   bring-up    AT (until OK), ATE0, AT+CPIN?, AT+CSQ, AT+CREG?, AT+CGATT?;
 *               from the first step(), and again after the modem restarted
 *   each connect  AT+CIPSHUT, AT+CIPMUX=0, AT+CIPRXGET=1, AT+CIPQSEND=1,
 *               AT+CSTT, AT+CIICR, AT+CIFSR, AT+CIPSTART (the manual allows
 *               CIPSTART only in IP INITIAL or IP STATUS: after a connection
 *               the modem is in IP CLOSE, so every connect activates the
 *               bearer again)
 *   connected   AT+CIPSEND=n, AT+CIPRXGET=2,n, AT+CIPCLOSE
 *
 * One command is in flight at a time. Unsolicited lines (CLOSED, +PDP:
 * DEACT, +CIPRXGET: 1, RDY, power-down notices, RING, anything unknown) are
 * taken between any two lines of a response.
 *
 * The code: core/modem.c (commands, bring-up, transport) and
 * core/modem_rx.c (lines, unsolicited codes, responses).
 */
#ifndef FOTA_MODEM_H
#define FOTA_MODEM_H

#include <stddef.h>
#include <stdint.h>

#include "fota/transport.h"

/* Defaults for zero fields of struct fota_modem_config. */
#define FOTA_MODEM_COMMAND_TIMEOUT_MS 5000u
/* CIPSTART issued in IP STATUS (the bearer is up already); the manual's
 * 160 s is for a CIPSTART that also has to activate it from IP INITIAL. */
#define FOTA_MODEM_CONNECT_TIMEOUT_MS 75000u
/* SIM800C PWRKEY: low for at least 1 s turns the modem on (or off); the
 * serial port answers about 3 s after. */
#define FOTA_MODEM_POWER_PRESS_MS 1200u
#define FOTA_MODEM_POWER_WAIT_MS 3000u
/* How often to ask for data while connected without a +CIPRXGET: 1 (the
 * modem sends that only once until the data is read: one lost line must not
 * stall the connection). */
#define FOTA_MODEM_RX_POLL_MS 2000u

/* Fixed by the manual. */
#define FOTA_MODEM_SHUT_TIMEOUT_MS 65000u  /* AT+CIPSHUT max response time */
#define FOTA_MODEM_CIICR_TIMEOUT_MS 85000u /* AT+CIICR max response time */
#define FOTA_MODEM_CHUNK_MAX 1460u         /* CIPSEND and CIPRXGET=2 at most */

/* The longest a connect() can take, from a just-powered modem that answers
 * AT to CONNECT OK, when every step uses all its tries, each failed try
 * waiting its whole timeout, with the default timeouts (tries x timeout +
 * (tries - 1) x delay, docs/porting.md has the table):
 *   AT 5 x 1 s; ATE0 3 x 5 s + 2 s; AT+CPIN? 10 x 5 s + 9 s;
 *   AT+CSQ 3 x 5 s + 2 s; AT+CREG? 60 x 5 s + 118 s; AT+CGATT? 30 x 5 s
 *   + 58 s (724 s in all); AT+CIPSHUT 3 x 65 s + 2 s; AT+CIPMUX,
 *   AT+CIPRXGET, AT+CIPQSEND, AT+CSTT, AT+CIFSR 3 x 5 s + 2 s each;
 *   AT+CIICR 3 x 85 s + 2 s; AT+CIPSTART 75 s (614 s in all).
 * 1338 s, rounded up to 23 minutes. A caller's own deadline for a connect
 * should be no shorter. (ALREADY CONNECT, which repeats CIPSHUT..CIPSTART,
 * cannot come from a just-powered modem; from one that is up, registered
 * and attached, two rounds of 614 s fit as well.) */
#define FOTA_MODEM_OPEN_MAX_MS 1380000u

/* Each AT probe waits this long; after FOTA_MODEM_AT_TRIES without an OK
 * the power key is pressed (the modem may be off, or hung). */
#define FOTA_MODEM_AT_TIMEOUT_MS 1000u
#define FOTA_MODEM_AT_TRIES 5u
/* Commands in a row without a single line back: the modem is hung. */
#define FOTA_MODEM_SILENT_MAX 3u
/* Power-key presses in a row without an answer before the driver waits for
 * the next connect (a modem that does not come back is not pressed forever). */
#define FOTA_MODEM_POWER_MAX 2u

/* Buffers inside struct fota_modem. A longer received line is dropped. */
#define FOTA_MODEM_LINE_MAX 128u
/* The longest command line: AT+CSTT="apn","user","password" must fit, so
 * apn, user and password together are at most 142 characters, the host at
 * most 130. */
#define FOTA_MODEM_CMD_MAX 160u

struct fota_modem_ops {
    void *ctx;
    /* Queues up to len bytes for the modem's UART; returns how many it took
     * (0..len). Never blocks. */
    size_t (*uart_write)(void *ctx, const uint8_t *data, size_t len);
    /* Drives the PWRKEY line: 1 pulls it low (pressed), 0 releases it. May
     * be NULL when the port cannot reset the modem. */
    void (*power_key)(void *ctx, int pressed);
};

struct fota_modem_config {
    struct fota_modem_ops ops;
    const char *apn;        /* NUL-terminated; "" for none */
    const char *user;       /* NUL-terminated; may be "" */
    const char *password;   /* NUL-terminated; may be "" */
    const char *host;       /* the server: a name or a dotted IPv4 address */
    uint16_t port;
    /* Caller-owned buffers. */
    uint8_t *rx_buf;        /* received TCP bytes not yet read */
    uint32_t rx_size;
    uint8_t *tx_buf;        /* the bytes of one AT+CIPSEND */
    uint32_t tx_size;
    /* Timeouts; 0 picks the driver's default. */
    uint32_t command_timeout_ms;
    uint32_t connect_timeout_ms; /* CONNECT OK after CIPSTART, the send's result */
    uint32_t power_press_ms;     /* 0: FOTA_MODEM_POWER_PRESS_MS */
    uint32_t power_wait_ms;      /* after the release, before AT; 0: FOTA_MODEM_POWER_WAIT_MS */
    uint32_t rx_poll_ms;         /* 0: FOTA_MODEM_RX_POLL_MS */
};

/* The rest of this header is the driver's state, in the header only so that
 * the caller can own its memory. No field is part of the API but the
 * read-only diagnostics at the end. */

/* What a struct fota_modem runs: the bring-up in order, then the commands
 * of a connection (struct fota_modem.step and .cmd). */
enum fota_modem_step {
    FOTA_MODEM_ST_NONE = 0,  /* nothing to bring up */
    FOTA_MODEM_ST_PRESS,     /* PWRKEY held low */
    FOTA_MODEM_ST_BOOT,      /* PWRKEY released: the modem starts */
    FOTA_MODEM_ST_AT,
    FOTA_MODEM_ST_ATE0,
    FOTA_MODEM_ST_CPIN,
    FOTA_MODEM_ST_CSQ,
    FOTA_MODEM_ST_CREG,
    FOTA_MODEM_ST_CGATT,     /* last of the modem's bring-up */
    FOTA_MODEM_ST_CIPSHUT,   /* first of a connect's */
    FOTA_MODEM_ST_CIPMUX,
    FOTA_MODEM_ST_CIPRXGET,
    FOTA_MODEM_ST_CIPQSEND,  /* best effort: ERROR goes on in normal mode */
    FOTA_MODEM_ST_CSTT,
    FOTA_MODEM_ST_CIICR,
    FOTA_MODEM_ST_CIFSR,
    FOTA_MODEM_ST_CIPSTART,
    FOTA_MODEM_ST_CIPCLOSE,  /* the connection's commands */
    FOTA_MODEM_ST_CIPSEND,
    FOTA_MODEM_ST_READ,      /* AT+CIPRXGET=2,n */
};

/* The transport's connection (struct fota_modem.conn). */
enum fota_modem_conn {
    FOTA_MODEM_CONN_IDLE = 0, /* none: read and write say FOTA_E_IO */
    FOTA_MODEM_CONN_OPENING,  /* connect() called, not open yet */
    FOTA_MODEM_CONN_OPEN,
    FOTA_MODEM_CONN_ENDED,    /* was open; the peer or the bearer ended it */
    FOTA_MODEM_CONN_FAILED,   /* did not open: conn_err says why */
};

struct fota_modem {
    const struct fota_modem_config *cfg;
    uint32_t now;           /* the clock at the last step */
    uint32_t next_at;       /* no command in flight: the next one is due then */
    uint32_t deadline;      /* the command in flight times out then */
    uint32_t rx_poll_at;    /* connected: ask for data then at the latest */
    uint32_t value;         /* bring-up: the OK will be good news; CIPRXGET=2: n */

    uint8_t step;           /* enum fota_modem_step: the bring-up's next */
    uint8_t cmd;            /* enum fota_modem_step: in flight; 0 none */
    uint8_t phase;          /* CIPSEND: 0 before the prompt, 1 data, 2 result */
    uint8_t modem_up;       /* the bring-up passed AT+CGATT? */
    uint8_t bearer_up;      /* IP STATUS: CIPSTART may come next */
    uint8_t conn;           /* enum fota_modem_conn */
    uint8_t tcp;            /* the modem may hold a connection: close it */
    uint8_t close_due;      /* AT+CIPCLOSE when the modem is free */
    uint8_t rx_due;         /* the modem has data we did not read */
    uint8_t rx_turn;        /* a CIPRXGET=2 ended: read() comes before the next */
    uint8_t power_due;      /* the modem powered down: press the key first */
    uint8_t tries;          /* of the step in flight */
    uint8_t silent;         /* commands in a row without any line back */
    uint8_t presses;        /* power-key presses in a row without an answer */
    uint8_t line_drop;      /* the line being received is too long */
    uint8_t again;          /* this connect met ALREADY CONNECT once */
    uint8_t started;        /* step() ran once */
    int8_t conn_err;        /* why conn is ENDED or FAILED */

    uint16_t line_len;
    uint16_t out_len;       /* command bytes in out ... */
    uint16_t out_done;      /* ... of which the UART took these */
    uint16_t raw_left;      /* CIPRXGET=2 payload bytes still to come */
    char line[FOTA_MODEM_LINE_MAX];
    uint8_t out[FOTA_MODEM_CMD_MAX];

    uint32_t rx_head;       /* rx_buf is a ring: rx_len bytes from rx_head */
    uint32_t rx_len;
    uint32_t tx_len;        /* bytes in tx_buf for the next CIPSEND */
    uint32_t tx_done;       /* of them written after the prompt */

    /* Read-only diagnostics. */
    int last_error;         /* what ended the last connect or connection, or 0 */
    uint8_t failed_step;    /* enum fota_modem_step that failed last, or 0 */
    uint8_t rssi;           /* +CSQ: 0..31, 99 unknown */
    uint32_t power_resets;  /* power-key presses */
    uint32_t timeouts;      /* commands that got no answer in time */
    uint32_t urcs;          /* unsolicited lines seen, unknown ones included */
    uint32_t connects;      /* connections opened */
    uint32_t bytes_in;      /* TCP bytes received through CIPRXGET=2 */
    uint32_t bytes_out;     /* TCP bytes the modem took (DATA ACCEPT, SEND OK) */
};

/* Checks the config (FOTA_E_INVAL when unusable: no uart_write, no buffer,
 * no host or port, a text with '"' or a control character, or the commands
 * longer than FOTA_MODEM_CMD_MAX) and starts from a modem in an unknown
 * state: the first step() begins the bring-up. cfg must outlive the driver. */
int fota_modem_init(struct fota_modem *modem, const struct fota_modem_config *cfg);

/* Bytes the UART received from the modem. Any split is fine. */
void fota_modem_input(struct fota_modem *modem, const uint8_t *data, size_t len);

/* Runs the state machine at now_ms (free-running, wrapping is fine). */
void fota_modem_step(struct fota_modem *modem, uint32_t now_ms);

/* Step again at this time at the latest (when no UART byte arrives). */
uint32_t fota_modem_wake_at(const struct fota_modem *modem);

/* Fills *t with the transport ops over this modem:
 *   connect        FOTA_E_AGAIN: a bring-up, if needed, then CIPSTART;
 *   connect_result FOTA_E_AGAIN, 0 once CONNECT OK, or why it failed
 *                  (FOTA_E_TIMEOUT: no answer; FOTA_E_IO: refused, CONNECT
 *                  FAIL, the bearer or the modem lost);
 *   read           from rx_buf; FOTA_E_AGAIN when empty or while a command
 *                  is in flight (see above); FOTA_E_IO once the connection
 *                  ended and rx_buf is drained;
 *   write          copies up to min(tx_size, FOTA_MODEM_CHUNK_MAX) bytes
 *                  into tx_buf for the next CIPSEND; FOTA_E_AGAIN while the
 *                  previous one is not answered (DATA ACCEPT or SEND OK);
 *                  FOTA_E_IO when the connection is gone (SEND FAIL
 *                  included);
 *   close          sends what write() took, unless the connection is gone
 *                  already, then AT+CIPCLOSE; in the background, harmless
 *                  any time. A connect() right after waits for that send
 *                  (its CIPSHUT closes instead). */
void fota_modem_transport(struct fota_modem *modem, struct fota_transport *t);

/* 1 when no command is in flight and none is due for the connection: the
 * bytes write() took are sent (DATA ACCEPT or SEND OK, or failed) and a
 * close() is done. A caller about to reset the MCU (the recovery loader
 * after its last answer) steps the driver until this says 1, bounded by its
 * own deadline (a send may take connect_timeout_ms, a close
 * command_timeout_ms). A bring-up or a data poll still to come does not
 * count. */
int fota_modem_idle(const struct fota_modem *modem);

#endif
