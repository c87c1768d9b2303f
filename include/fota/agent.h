/*
 * The device agent: the client side of the fota protocol (docs/protocol.md).
 * It authenticates to the server, downloads an offered image into the
 * secondary slot while the application runs, resumes after a dropped
 * connection or a reset, verifies the image, marks it pending for the
 * bootloader, asks for the reset, and afterwards reports what the bootloader
 * did (installed, reverted, refused) and when the new image confirmed itself.
 *
 * A push-fed state machine: no blocking call, no allocation, no clock of its
 * own. The port owns the connection and drives it:
 *
 *     fota_agent_init(&agent, &cfg);
 *     for (;;) {
 *         switch (fota_agent_step(&agent, now_ms())) {
 *         case FOTA_AGENT_CONNECT:   start opening the connection; when it is
 *                                    open call fota_agent_connected(), when it
 *                                    fails fota_agent_disconnected()
 *         case FOTA_AGENT_SEND:      fota_agent_output(&agent, &p, &n); write
 *                                    k <= n bytes; fota_agent_sent(&agent, k)
 *         case FOTA_AGENT_WAIT:      wait for the connection to open, for
 *                                    bytes (fota_agent_input(); bytes it did
 *                                    not consume are fed again after the next
 *                                    step) or for its end
 *                                    (fota_agent_disconnected()), at most
 *                                    until fota_agent_wake_at()
 *         case FOTA_AGENT_CLOSE:     close the connection (no call back needed)
 *         case FOTA_AGENT_IDLE:      no connection; sleep until
 *                                    fota_agent_wake_at() (the back-off or
 *                                    the poll interval)
 *         case FOTA_AGENT_RESET:     reboot: the bootloader installs the image
 *         }
 *     }
 *
 * Every call is quick except two steps: the one that checks an OFFER (an
 * Ed25519 verification) and the one that verifies the finished download (a
 * pass over the slot and a verification); DATA is written to flash inside
 * fota_agent_input() (an erase per page, a program per frame).
 *
 * Flash: the agent programs the secondary slot and its progress page, reads
 * the primary slot and the bootloader's state, and never writes the primary.
 * A frame that fails any check never causes a flash write. A power cut at any
 * flash operation leaves a state the agent resumes from; an image is marked
 * pending only after the whole secondary slot verified (digest and signature).
 *
 * The progress page (docs/protocol.md, "Device progress log") holds 64-byte
 * CRC-closed records: the digest of the image being downloaded, the bytes of
 * it held durably, and the report bookkeeping. An ACK runs ahead of it by
 * at most record_every bytes (a reset fetches those again). A cut while a
 * full page is erased and rewritten loses it: the download then starts over
 * (a page holds 32 records; see record_every).
 *
 * The code: core/agent.c (sessions and frames), core/agent_download.c,
 * core/agent_store.c (progress log, slot writer), core/agent_report.c.
 */
#ifndef FOTA_AGENT_H
#define FOTA_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "fota/boot.h"
#include "fota/proto.h"

/* The size of one progress record; write_size must divide it. */
#define FOTA_AGENT_RECORD_SIZE 64u
/* The smallest tx buffer: the largest frame the agent sends (a HELLO). */
#define FOTA_AGENT_TX_MIN (FOTA_PROTO_HELLO_MAX_SIZE + FOTA_PROTO_OVERHEAD)
/* The largest flash write unit the agent handles (1, 2 or 4 bytes): a
 * progress record keeps up to 3 bytes of a partial unit. */
#define FOTA_AGENT_WRITE_MAX 4u

/* Defaults for zero fields of struct fota_agent_config. */
#define FOTA_AGENT_ANSWER_TIMEOUT_MS 30000u
#define FOTA_AGENT_BACKOFF_MIN_MS 1000u
#define FOTA_AGENT_BACKOFF_MAX_MS 60000u
#define FOTA_AGENT_POLL_INTERVAL_S 3600u
/* The longest wait the agent states (wrap-safe 32-bit millisecond clock). */
#define FOTA_AGENT_WAIT_MAX_MS 0x7FFFFFFFu

/* STM32F103ZE: page 255, the page the boot layout leaves unused. */
#define FOTA_AGENT_PROGRESS_ADDR_STM32F103ZE 0x0807F800u
/* STM32F103ZG: page 511, its last. */
#define FOTA_AGENT_PROGRESS_ADDR_STM32F103ZG 0x080FF800u

struct fota_agent_config {
    /* flash, layout and public key, as the bootloader has them. boot.buf is
     * not used by the agent (scratch below is). */
    struct fota_boot_config boot;
    /* A whole page of its own for the progress log, page-aligned, outside
     * the bootloader's state pages and both slots. */
    uint32_t progress_addr;

    const char *device_id;  /* NUL-terminated, 1..32 characters 0x21..0x7E */
    const char *model;      /* NUL-terminated, 0..32 characters 0x20..0x7E; may be NULL */
    const uint8_t *secret;  /* FOTA_PROTO_SECRET_SIZE bytes, shared with the server */

    /* Fills len bytes with unpredictable ones (the device nonce, the first
     * report sequence). Returns 0 or a negative fota_err. */
    int (*random)(void *ctx, uint8_t *buf, size_t len);
    void *random_ctx;

    /* Caller-owned buffers, used only by the agent while it lives. */
    uint8_t *rx_buf;        /* one received frame: max_frame bytes */
    uint32_t rx_size;       /* FOTA_PROTO_MIN_FRAME..FOTA_PROTO_MAX_FRAME; announced
                             * to the server as max_frame */
    uint8_t *tx_buf;        /* one frame to send */
    uint32_t tx_size;       /* >= FOTA_AGENT_TX_MIN */
    uint8_t *scratch;       /* flash reads, verification, resume */
    uint32_t scratch_size;  /* >= page_size, a multiple of write_size */

    uint8_t window;         /* DATA frames in flight, 1..FOTA_PROTO_WINDOW_MAX */
    /* Image bytes per DATA frame, FOTA_PROTO_CHUNK_MIN..FOTA_PROTO_DATA_MAX(
     * rx_size); 0: the most rx_size takes. window x chunk is what the link
     * holds in flight: it must cover a round trip of the link, and smaller
     * frames let each acknowledgement come sooner. */
    uint16_t chunk;
    /* Record the progress durably at the latest after this many bytes
     * written; 0: one page. Every DATA frame is acknowledged once written; a
     * reset resumes from the last record. */
    uint32_t record_every;

    uint32_t answer_timeout_ms; /* 0: FOTA_AGENT_ANSWER_TIMEOUT_MS */
    uint32_t connect_timeout_ms; /* for the connection to open; 0: the answer
                                  * timeout. A modem's bring-up takes minutes
                                  * (FOTA_MODEM_OPEN_MAX_MS) */
    uint32_t backoff_min_ms;    /* 0: FOTA_AGENT_BACKOFF_MIN_MS */
    uint32_t backoff_max_ms;    /* 0: FOTA_AGENT_BACKOFF_MAX_MS */
    uint32_t poll_interval_s;   /* when NOTHING says 0; 0: FOTA_AGENT_POLL_INTERVAL_S */
};

/* What the port should do next (fota_agent_step()). */
enum fota_agent_action {
    FOTA_AGENT_CONNECT = 1, /* open a connection to the server */
    FOTA_AGENT_SEND,        /* bytes to send: fota_agent_output() */
    FOTA_AGENT_WAIT,        /* connected: wait for input until wake_at */
    FOTA_AGENT_CLOSE,       /* close the connection */
    FOTA_AGENT_IDLE,        /* not connected: nothing to do until wake_at */
    FOTA_AGENT_RESET,       /* reboot the device (the image is pending) */
};

/* The rest of this header is the agent's state, in the header only so that
 * the caller can own its memory: no field is part of the API. */

/* A report waiting for the server's REPORTED. */
struct fota_agent_report {
    struct fota_proto_report msg;
    uint8_t state; /* 0 none, 1 to send, 2 sent */
};

/* The persistent state, as the newest progress record holds it. */
struct fota_agent_persist {
    uint8_t digest[FOTA_PROTO_DIGEST_SIZE]; /* image held (in part); zero: none */
    uint32_t held;         /* bytes of it written and recorded */
    uint32_t report_seq;   /* the last report sequence number used */
    uint32_t boot_report_seq; /* the sequence of the boot report due */
    uint32_t boot_seq;     /* the boot state's seq before the agent marked pending */
    uint32_t boot_fp;      /* fingerprint of the boot record last taken as an outcome */
    uint8_t tail[FOTA_AGENT_WRITE_MAX]; /* held bytes after the last whole write unit */
    uint8_t phase;         /* where the boot outcome reporting stands */
    uint16_t next_slot;    /* the first free record slot in the page */
};

/* The agent; all fields private (last_error and server_error may be read
 * for logs). */
struct fota_agent {
    const struct fota_agent_config *cfg;
    struct fota_proto_decoder dec;
    struct fota_agent_persist p;

    uint8_t state;
    uint8_t busy;            /* a frame left work for step(): input waits */
    uint8_t connected;
    uint8_t reset_after;     /* RESET once the reports are acknowledged */
    uint32_t now;            /* the clock at the last step */
    uint32_t wake_at;
    uint32_t deadline;       /* answer timeout while connected */
    uint32_t backoff;        /* the next back-off delay */
    uint32_t retry_delay;    /* after this session when it fails */
    uint32_t poll_delay;     /* after this session when the server said so */

    /* The running image (primary slot), read at init. */
    struct fota_version version;
    uint8_t digest[FOTA_PROTO_DIGEST_SIZE];

    uint8_t server_nonce[FOTA_PROTO_NONCE_SIZE];
    uint16_t error_code;     /* ERROR to send before closing; 0: none */
    uint8_t hello_due;
    uint8_t request_due;

    /* 0: boot outcome (INSTALLED, REVERTED, REFUSED, CONFIRMED);
     * 1: this download's (DOWNLOADED, REFUSED, FAILED). */
    struct fota_agent_report reports[2];

    /* The OFFER being checked (in the decoder's buffer). */
    const uint8_t *offer_body;
    uint32_t offer_len;

    /* The image being downloaded (from the accepted OFFER). */
    struct fota_image_header image;
    uint8_t image_digest[FOTA_PROTO_DIGEST_SIZE];
    uint32_t total;          /* its size; 0: no download in progress */
    uint32_t programmed;     /* bytes in flash (a multiple of write_size or total) */
    uint32_t erased_to;      /* slot offset up to which pages are erased */
    uint8_t ack_due;
    uint8_t tail_len;        /* bytes in tail, less than write_size */
    uint8_t tail[FOTA_AGENT_WRITE_MAX];

    uint32_t tx_len;         /* frame in tx_buf */
    uint32_t tx_done;        /* bytes of it sent */

    /* Counters for tests and diagnostics. */
    uint32_t bytes_received; /* DATA bytes taken, duplicates included */
    uint32_t up_to_date;     /* sessions the server ended with NOTHING */
    int last_error;          /* the last error that ended a session, or 0 */
    uint16_t server_error;   /* the code of the last ERROR from the server */
};

/* Checks the config, reads the running image (version and digest from the
 * primary slot; zero when it holds none), and the progress page. Writes
 * nothing. Returns 0, FOTA_E_INVAL for a config that is not usable, or the
 * flash's error. The first step() connects at once. */
int fota_agent_init(struct fota_agent *agent, const struct fota_agent_config *cfg);

/* Runs the state machine at time now_ms (a free-running millisecond clock;
 * wrapping is fine) and says what the port must do next (enum
 * fota_agent_action). Verifying a finished download happens here and takes
 * long (a pass over the slot and a signature check). */
int fota_agent_step(struct fota_agent *agent, uint32_t now_ms);

/* When WAIT or IDLE ends at the latest: step() again at this time. */
uint32_t fota_agent_wake_at(const struct fota_agent *agent);

/* The connection is open (after CONNECT). */
void fota_agent_connected(struct fota_agent *agent);

/* The connection failed, closed or broke; records the download's progress.
 * Harmless when not connected. */
void fota_agent_disconnected(struct fota_agent *agent);

/* Received bytes. Frames are handled as they complete (DATA is written to
 * flash here). *consumed tells how many bytes were taken: fewer than len when
 * a frame left work for step() (an OFFER to check, the end of a download);
 * feed the rest after the next step(). Bytes after a bad frame, or once the
 * session is closing, are consumed and dropped. Returns 0, or FOTA_E_STATE
 * (nothing consumed) when no connection is open. */
int fota_agent_input(struct fota_agent *agent, const uint8_t *data, size_t len,
                     size_t *consumed);

/* The bytes to send after SEND: *data and *len (0 when nothing is pending). */
void fota_agent_output(struct fota_agent *agent, const uint8_t **data, size_t *len);

/* n bytes of the output were written to the connection. */
void fota_agent_sent(struct fota_agent *agent, size_t n);

/* Whether a report is waiting for the server's REPORTED (for a port that
 * wants to know a session ended with everything said). */
int fota_agent_reports_outstanding(const struct fota_agent *agent);

#endif
