/*
 * The agent tests' world: a device (the agent over the memory-backed flash
 * model, with the bootloader config of test_boot_sim) and a scripted server
 * built on the same proto functions, joined by a link the test can cut.
 */
#ifndef TEST_AGENT_SIM_H
#define TEST_AGENT_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "fota/agent.h"
#include "fota/proto.h"
#include "fota/transport.h"
#include "test_boot_sim.h"

#define SRV_MAX_REPORTS 64
#define SRV_MAX_REQUESTS 256
#define SRV_OUT_SIZE (160u * 1024u)

/* The server. Fields above "per connection" are the script and survive
 * connections; the statistics add up over the whole test. */
struct srv {
    /* script */
    const uint8_t *image;   /* the assigned image, NULL: none */
    uint32_t image_size;
    uint8_t secret[32];
    const char *device_id;
    uint32_t poll_s;        /* in NOTHING */
    uint16_t error_after_hello; /* answer HELLO with this ERROR instead */
    uint32_t chunk;         /* DATA bytes per frame; 0: the HELLO's chunk */
    int no_reported;        /* never answer REPORT */
    const uint8_t *manifest_image; /* OFFER this one's manifest; NULL: image's */
    /* Asked at every ACK: the bytes the device holds durably (flash and
     * progress record); an ACK more than ack_lead beyond it is counted in
     * acks_ahead. */
    uint32_t (*durable)(void *ctx);
    void *durable_ctx;
    uint32_t ack_lead;      /* the device's record_every */
    uint32_t corrupt_data_frame;   /* flip a bit in the N-th DATA frame (1-based) */
    uint32_t skip_data_frame;      /* do not send the N-th DATA frame (a gap) */
    const uint8_t *serve;          /* DATA from these bytes; NULL: image */

    /* per connection */
    int open;
    int closing;            /* close once the queue is sent */
    struct fota_proto_decoder dec;
    uint8_t rx[FOTA_PROTO_PREAUTH_FRAME];
    uint8_t nonce[16];
    int hello_ok;
    uint16_t max_frame;
    uint8_t window;
    int sending;
    uint32_t next, acked;
    uint32_t inflight_end[FOTA_PROTO_WINDOW_MAX];
    uint32_t inflight;
    uint8_t out[SRV_OUT_SIZE]; /* bytes towards the device */
    size_t out_len, out_off;

    /* statistics */
    unsigned connections, hellos, offers, nothings, errors_sent;
    unsigned proto_errors;  /* things the device did wrong */
    unsigned device_errors; /* ERROR frames from the device */
    uint32_t data_frames;
    uint32_t data_bytes;    /* DATA payload bytes sent */
    uint32_t max_inflight;
    uint32_t acks;
    unsigned acks_ahead;    /* ACKs too far ahead of the record: must stay 0 */
    struct fota_proto_hello hello; /* the last one */
    struct fota_proto_report reports[SRV_MAX_REPORTS];
    unsigned n_reports;
    uint32_t requests[SRV_MAX_REQUESTS];
    unsigned n_requests;
};

void srv_init(struct srv *s, const char *device_id, const uint8_t secret[32]);
void srv_assign(struct srv *s, const uint8_t *image, uint32_t size);
/* A report with this event was stored; returns how many. */
unsigned srv_count_reports(const struct srv *s, uint8_t event);
/* The last report, or NULL. */
const struct fota_proto_report *srv_last_report(const struct srv *s);

/* The device. */
struct dev {
    struct boot_sim sim;
    struct fota_agent agent;
    struct fota_agent_config cfg;
    uint8_t *rx, *tx, *scratch;
    uint32_t now;
    uint32_t rng;
    /* link faults: drop the connection when this many bytes in total have
     * gone to the device (0: never); chunking of deliveries and sends */
    uint64_t link_cut_at;
    uint64_t delivered;
    uint32_t max_chunk;
    unsigned stalls;        /* WAITs that ran into their deadline */
    unsigned sessions;
    uint32_t last_idle;     /* the delay of the last IDLE */
};

enum dev_layout { DEV_SMALL, DEV_STM32 };

extern const uint8_t dev_secret[32];

/* Opens the flash (fresh, primary holding v1 from the factory) and fills
 * cfg; window and rx size given. Call dev_boot() next. */
void dev_open(struct dev *d, enum dev_layout layout, uint8_t window, uint32_t rx_size);
void dev_close(struct dev *d);
/* Lets the server check every ACK against what the flash holds. */
void dev_attach(struct dev *d, struct srv *s);
/* The "reset": power back on and init the agent from flash. */
int dev_boot(struct dev *d);
/* The image the factory puts in the primary (v1) and its counter. */
void dev_image(struct dev *d, struct boot_sim_image *img, uint8_t major, uint32_t counter,
               uint32_t payload_size, uint8_t seed);

/* A download the resume sweeps repeat (link cuts, power cuts): the device's
 * layout, window and receive buffer, the server's DATA size, the size of the
 * new image's payload. */
struct dev_download {
    enum dev_layout layout;
    uint8_t window;
    uint32_t rx_size;
    uint32_t chunk;   /* server DATA size; 0: the largest */
    uint32_t payload;
};

/* Makes the download's images, v1 (from the factory) and v2 (offered), once
 * per case: signing is the slow part. Free them with dev_download_free(). */
void dev_download_images(const struct dev_download *dl, struct boot_sim_image *v1,
                         struct boot_sim_image *v2);
void dev_download_free(struct boot_sim_image *v1, struct boot_sim_image *v2);
/* Opens d fresh from the factory with v1 in the primary (record_every in its
 * config, 0: a page), boots it and attaches s, which offers v2. Returns
 * dev_boot()'s result. */
int dev_download_open(struct dev *d, struct srv *s, const struct dev_download *dl,
                      uint32_t record_every, const struct boot_sim_image *v1,
                      const struct boot_sim_image *v2);
/* The DATA payload bytes in one of the server's frames. */
uint32_t dev_download_frame(const struct dev_download *dl);

enum run_end {
    RUN_RESET = 1,  /* the agent asked for a reset */
    RUN_IDLE,       /* a session ended: idle until last_idle from now */
    RUN_POWER_CUT,  /* the flash went off (a cut) */
    RUN_STUCK,      /* the step budget ran out */
};

/* The server as a struct fota_transport, for fota_link: connect() is under
 * way until connect_result() is asked; the first fail_connects connects fail;
 * reads and writes move at most max_chunk bytes (dev's) at a time. */
struct dev_link {
    struct dev *dev;
    struct srv *srv;
    unsigned fail_connects;
    unsigned connects;
};
void dev_link_transport(struct dev_link *l, struct fota_transport *t);

/* Runs the agent against the server until the session ends. */
int dev_run(struct dev *d, struct srv *s, unsigned max_steps);
/* Runs sessions (sleeping through IDLE) until RESET, a power cut, or
 * max_sessions sessions. */
int dev_run_sessions(struct dev *d, struct srv *s, unsigned max_sessions);

#endif
