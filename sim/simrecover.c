/*
 * fota-sim device recover (simrecover.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fota/error.h"
#include "fota/iap.h"
#include "fota/posix_tcp.h"
#include "simdev.h"
#include "simmodem.h"
#include "simrecover.h"

#define RECOVER_TICK_MS 100

struct recover {
    const struct simrecover_options *o;
    struct simdev dev;
    struct fota_iap_config cfg;
    struct fota_iap iap;
    uint8_t chunk[FOTA_IAP_CHUNK];
    struct fota_posix_tcp_addr addr;
    struct fota_posix_tcp_transport tcp;
    struct fota_transport tcp_ops;
    struct simmodem modem;
    struct timespec t0;
};

static uint32_t recover_ms(const struct recover *r)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((t.tv_sec - r->t0.tv_sec) * 1000 + (t.tv_nsec - r->t0.tv_nsec) / 1000000);
}

/* Waits for the socket (or the clock) when on TCP; runs the modem else. */
static int recover_wait(struct recover *r, uint32_t now)
{
    int32_t wait = (int32_t)(fota_iap_wake_at(&r->iap) - now);
    struct pollfd pfd = {.fd = r->tcp.fd, .events = POLLIN};

    if (r->o->tty != NULL)
        return simmodem_run(&r->modem, now, fota_iap_wake_at(&r->iap));
    wait = wait < 0 ? 0 : wait > RECOVER_TICK_MS ? RECOVER_TICK_MS : wait;
    (void)poll(&pfd, r->tcp.fd >= 0 ? 1 : 0, (int)wait);
    return 0;
}

/* Runs the download until the image is in the secondary slot. */
static int recover_download(struct recover *r, const struct fota_transport *t)
{
    uint32_t shown = 0;

    for (;;) {
        uint32_t now = recover_ms(r);
        int rc = fota_iap_poll(&r->iap, t, now);

        if (rc == FOTA_IAP_DONE) {
            printf("recovery: %u bytes written to the secondary slot in %.1f s\n",
                   (unsigned)r->iap.written, now / 1000.0);
            return 0;
        }
        if (rc < 0) {
            fprintf(stderr, "fota-sim: recovery: writing the slot failed: %s\n",
                    fota_strerror(rc));
            return -1;
        }
        if (now / 1000u >= r->o->timeout_s) {
            fprintf(stderr, "fota-sim: recovery: no image after %u s (%u bytes written)\n",
                    r->o->timeout_s, (unsigned)r->iap.written);
            return -1;
        }
        if (r->o->verbose && r->iap.size != 0 && r->iap.written >= shown + 16384u) {
            shown = r->iap.written;
            printf("recovery: %u of %u bytes\n", (unsigned)shown, (unsigned)r->iap.size);
        }
        if (recover_wait(r, now) < 0)
            return -1;
    }
}

/* The transport: TCP to the server, or the modem on the tty. */
static const struct fota_transport *recover_transport(struct recover *r)
{
    char err[320];

    if (r->o->tty != NULL) {
        if (simmodem_open(&r->modem, r->o->tty, r->o->server, r->o->apn, r->o->verbose) < 0 ||
            simmodem_start(&r->modem) < 0)
            return NULL;
        return &r->modem.transport;
    }
    if (fota_posix_tcp_resolve(&r->addr, r->o->server, err, sizeof(err)) < 0) {
        fprintf(stderr, "fota-sim: --server: %s\n", err);
        return NULL;
    }
    fota_posix_tcp_transport_init(&r->tcp, &r->addr, &r->tcp_ops);
    return &r->tcp_ops;
}

int simrecover_run(const struct simrecover_options *o)
{
    struct recover *r = calloc(1, sizeof(*r));
    const struct fota_transport *t;
    int rc = 1;

    if (r == NULL) {
        fprintf(stderr, "fota-sim: out of memory\n");
        return 1;
    }
    r->o = o;
    r->modem.tty = r->tcp.fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    if (simdev_open(&r->dev, o->flash) == 0) {
        const struct fota_boot_layout *l = &r->dev.boot.layout;

        r->cfg = (struct fota_iap_config){
            .flash = &r->dev.flash.flash,
            .slot_addr = l->secondary_addr,
            .slot_size = l->secondary_pages * r->dev.flash.flash.page_size,
            .chunk_buf = r->chunk,
        };
        t = recover_transport(r);
        if (t != NULL && fota_iap_init(&r->iap, &r->cfg) == 0 && recover_download(r, t) == 0)
            rc = simdev_reset(&r->dev) == 0 ? 0 : 1;
        if (t != NULL)
            t->close(t->ctx);
        simmodem_close(&r->modem);
        simdev_close(&r->dev);
    }
    free(r);
    return rc;
}
