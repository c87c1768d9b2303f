/*
 * The recovery download: the client side of the original loader's protocol
 * (docs/protocol.md, "Legacy listener"), as the seed's IAP loader speaks it,
 * writing what it receives into a slot:
 *
 *   server: "0;<size>"                           device: "0"
 *   server: "<n>;" + bytes [(n-1)*1024, n*1024)  device: "<n>"   n = 1, 2, ...
 *
 * The recovery loader uses it when no valid application is left: it fetches
 * a whole signed image (fotad --legacy-serve image) into the secondary slot;
 * the bootloader core then verifies it and installs it like any other
 * (FOTA_BOOT_ACTION_RECOVERED). The protocol carries no check of its own:
 * the signature is the check.
 *
 * The size line has no terminator: the first one ends when no byte follows
 * for FOTA_IAP_QUIET_MS (the server sends nothing more before the answer);
 * once the size is known, a line sent again ends with its digits (chunk 1
 * may follow at once). A message sent again because an answer was lost or
 * late is answered again and not written twice, the last chunk's too. Push-fed like the agent, with the same transport
 * (fota/transport.h); fota_iap_poll() drives a whole download over one.
 */
#ifndef FOTA_IAP_H
#define FOTA_IAP_H

#include <stddef.h>
#include <stdint.h>

#include "fota/flash.h"
#include "fota/transport.h"

#define FOTA_IAP_CHUNK 1024u
/* A size line is complete after this long without another byte. */
#define FOTA_IAP_QUIET_MS 200u
/* Without a message for this long the connection is given up and opened
 * again. */
#define FOTA_IAP_TIMEOUT_MS 30000u
/* The wait before opening a connection again. */
#define FOTA_IAP_RETRY_MS 5000u
/* fota_iap_step()/fota_iap_poll(): the whole image is in the slot. */
#define FOTA_IAP_DONE 1

struct fota_iap_config {
    const struct fota_flash *flash;
    uint32_t slot_addr;     /* page-aligned */
    uint32_t slot_size;     /* bytes; a multiple of the page size */
    uint8_t *chunk_buf;     /* FOTA_IAP_CHUNK bytes, caller-owned */
};

/* The download's state; fields private (written, size and chunk may be read
 * for progress). */
struct fota_iap {
    const struct fota_iap_config *cfg;
    uint8_t state;
    uint8_t conn;           /* transport: closed, opening, open */
    uint8_t head_len;
    char head[12];          /* digits of a message's number, or of the size */
    uint32_t size;          /* of the image, from the size line; 0 not yet */
    uint32_t chunk;         /* the chunk being received (1-based) */
    uint32_t chunk_len;     /* its length */
    uint32_t have;          /* bytes of it received */
    uint8_t skip;           /* it is a copy of the last one: drop it */
    uint32_t written;       /* bytes of the image in flash */
    uint8_t complete;       /* every chunk is written */
    uint32_t erased_to;     /* slot offset up to which pages are erased */
    char answer[12];
    uint8_t answer_len, answer_sent;
    uint32_t now, last_rx, retry_at;
};

/* Checks the config; FOTA_E_INVAL when unusable. */
int fota_iap_init(struct fota_iap *iap, const struct fota_iap_config *cfg);

/* A new connection: the server starts again from the size line. */
void fota_iap_restart(struct fota_iap *iap);

/* Received bytes at now_ms. Returns 0, FOTA_E_PROTO when the stream is not
 * the protocol (the caller closes and starts again), FOTA_E_TOO_BIG for an
 * image larger than the slot, or the flash's error. */
int fota_iap_input(struct fota_iap *iap, const uint8_t *data, size_t len, uint32_t now_ms);

/* Ends a size line after the quiet time. Returns FOTA_IAP_DONE once every
 * chunk is written and answered, else 0 (or an error as input() does). */
int fota_iap_step(struct fota_iap *iap, uint32_t now_ms);

/* The answer to send (*len 0: none), and how much of it went out. */
void fota_iap_output(const struct fota_iap *iap, const uint8_t **data, size_t *len);
void fota_iap_sent(struct fota_iap *iap, size_t n);

/* The whole download over a transport: connects, retries after
 * FOTA_IAP_RETRY_MS when it fails or breaks, feeds and answers. Returns
 * FOTA_IAP_DONE when the image is in the slot, else 0; a flash error is
 * returned as it is (the caller may retry from the start). */
int fota_iap_poll(struct fota_iap *iap, const struct fota_transport *t, uint32_t now_ms);

/* Poll again at this time at the latest. */
uint32_t fota_iap_wake_at(const struct fota_iap *iap);

#endif
