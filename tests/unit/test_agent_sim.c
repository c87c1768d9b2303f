#include "test_agent_sim.h"

#include <stdlib.h>
#include <string.h>

#include "fota/error.h"

#define SMALL_BASE 0x08000000u
#define SMALL_PAGE 256u

/* ---- the scripted server ---- */

static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

void srv_init(struct srv *s, const char *device_id, const uint8_t secret[32])
{
    memset(s, 0, sizeof(*s));
    s->device_id = device_id;
    memcpy(s->secret, secret, 32);
    s->poll_s = 600;
}

void srv_assign(struct srv *s, const uint8_t *image, uint32_t size)
{
    s->image = image;
    s->image_size = size;
}

unsigned srv_count_reports(const struct srv *s, uint8_t event)
{
    unsigned n = 0;

    for (unsigned i = 0; i < s->n_reports; i++)
        n += s->reports[i].event == event;
    return n;
}

const struct fota_proto_report *srv_last_report(const struct srv *s)
{
    return s->n_reports ? &s->reports[s->n_reports - 1] : NULL;
}

static const uint8_t *image_digest(const struct srv *s)
{
    return s->image + s->image_size - FOTA_IMAGE_TRAILER_SIZE;
}

/* Appends a frame encoded by fn's result (already written at the end of
 * the queue): the encoders write straight into the queue. */
static uint8_t *out_room(struct srv *s, size_t *room)
{
    if (s->out_off == s->out_len)
        s->out_off = s->out_len = 0;
    if (s->out_off > 0 && SRV_OUT_SIZE - s->out_len < 70000) {
        memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
        s->out_len -= s->out_off;
        s->out_off = 0;
    }
    *room = SRV_OUT_SIZE - s->out_len;
    return s->out + s->out_len;
}

static void out_commit(struct srv *s, int n)
{
    if (n < 0)
        abort();
    s->out_len += (size_t)n;
}

static void srv_error(struct srv *s, uint16_t code)
{
    size_t room;
    uint8_t *p = out_room(s, &room);

    out_commit(s, fota_proto_error_encode(p, room, code, "test server", 11));
    s->errors_sent++;
    s->closing = 1;
    s->sending = 0;
}

static void srv_connect(struct srv *s, uint32_t seed)
{
    size_t room;
    uint8_t *p;

    s->open = 1;
    s->closing = 0;
    s->hello_ok = 0;
    s->sending = 0;
    s->inflight = 0;
    s->out_len = s->out_off = 0;
    fota_proto_decoder_init(&s->dec, s->rx, sizeof(s->rx));
    for (int i = 0; i < 16; i++)
        s->nonce[i] = (uint8_t)xorshift(&seed);
    p = out_room(s, &room);
    out_commit(s, fota_proto_challenge_encode(p, room, s->nonce));
    s->connections++;
}

static void srv_disconnect(struct srv *s)
{
    s->open = 0;
    s->closing = 0;
    s->sending = 0;
    s->out_len = s->out_off = 0;
}

static void srv_hello(struct srv *s, const struct fota_proto_frame *f)
{
    static uint8_t manifest[FOTA_IMAGE_MAX_HEADER_SIZE + FOTA_IMAGE_TRAILER_SIZE];
    struct fota_proto_hello *h = &s->hello;
    size_t room;
    uint8_t *p;

    if (s->hello_ok || fota_proto_hello_parse(h, f->body, f->len) < 0) {
        s->proto_errors++;
        srv_error(s, FOTA_PROTO_E_PROTO);
        return;
    }
    s->hellos++;
    if (strcmp(h->id, s->device_id) != 0) {
        srv_error(s, FOTA_PROTO_E_UNKNOWN_DEVICE);
        return;
    }
    if (fota_proto_hello_check(s->secret, s->nonce, f->body, f->len) < 0) {
        s->proto_errors++;
        srv_error(s, FOTA_PROTO_E_AUTH);
        return;
    }
    s->hello_ok = 1;
    s->max_frame = h->max_frame;
    s->window = h->window;
    if (s->error_after_hello) {
        srv_error(s, s->error_after_hello);
        return;
    }
    p = out_room(s, &room);
    if (s->image != NULL && memcmp(h->digest, image_digest(s), 32) != 0) {
        const uint8_t *m = s->manifest_image ? s->manifest_image : s->image;
        uint16_t hs = (uint16_t)(m[6] | m[7] << 8);
        uint32_t offset = memcmp(h->held_digest, image_digest(s), 32) == 0 ? h->held_bytes : 0;

        memcpy(manifest, m, hs);
        memcpy(manifest + hs, m + s->image_size - FOTA_IMAGE_TRAILER_SIZE,
               FOTA_IMAGE_TRAILER_SIZE);
        if (offset > s->image_size)
            offset = 0;
        out_commit(s, fota_proto_offer_encode(p, room, offset, manifest,
                                              hs + FOTA_IMAGE_TRAILER_SIZE));
        s->offers++;
    } else {
        out_commit(s, fota_proto_nothing_encode(p, room, s->poll_s));
        s->nothings++;
    }
}

static void srv_frame(struct srv *s, const struct fota_proto_frame *f)
{
    struct fota_proto_request rq;
    struct fota_proto_report rp;
    uint32_t v;
    size_t room;
    uint8_t *p;

    if (f->type == FOTA_PROTO_HELLO) {
        srv_hello(s, f);
        return;
    }
    if (!s->hello_ok) {
        s->proto_errors++;
        srv_error(s, FOTA_PROTO_E_PROTO);
        return;
    }
    switch (f->type) {
    case FOTA_PROTO_ERROR:
        s->device_errors++;
        s->closing = 1;
        s->sending = 0;
        return;
    case FOTA_PROTO_REPORT:
        if (fota_proto_report_parse(&rp, f->body, f->len) < 0)
            break;
        if (s->n_reports < SRV_MAX_REPORTS)
            s->reports[s->n_reports++] = rp;
        if (!s->no_reported) {
            p = out_room(s, &room);
            out_commit(s, fota_proto_reported_encode(p, room, rp.sequence));
        }
        return;
    case FOTA_PROTO_REQUEST:
        if (fota_proto_request_parse(&rq, f->body, f->len) < 0)
            break;
        if (s->image == NULL || memcmp(rq.digest, image_digest(s), 32) != 0) {
            srv_error(s, FOTA_PROTO_E_NOT_ASSIGNED);
            return;
        }
        if (rq.offset > s->image_size)
            break;
        if (s->n_requests < SRV_MAX_REQUESTS)
            s->requests[s->n_requests++] = rq.offset;
        s->next = s->acked = rq.offset;
        s->inflight = 0;
        s->sending = 1;
        return;
    case FOTA_PROTO_ACK:
        if (fota_proto_ack_parse(&v, f->body, f->len) < 0 || v < s->acked || v > s->next)
            break;
        s->acks++;
        if (s->durable != NULL && v > s->durable(s->durable_ctx) + s->ack_lead)
            s->acks_ahead++;
        s->acked = v;
        while (s->inflight > 0 && s->inflight_end[0] <= v) {
            memmove(s->inflight_end, s->inflight_end + 1,
                    (s->inflight - 1) * sizeof(s->inflight_end[0]));
            s->inflight--;
        }
        if (v == s->image_size)
            s->sending = 0;
        return;
    default:
        break;
    }
    s->proto_errors++;
    srv_error(s, FOTA_PROTO_E_PROTO);
}

static void srv_receive(struct srv *s, const uint8_t *data, size_t len)
{
    size_t off = 0;

    while (off < len && s->open && !s->closing) {
        struct fota_proto_frame f;
        size_t used;
        int r = fota_proto_decoder_feed(&s->dec, data + off, len - off, &used);

        off += used;
        if (r < 0) {
            s->proto_errors++;
            srv_error(s, fota_proto_error_code(r));
            return;
        }
        if (r == FOTA_PROTO_NEED_MORE)
            return;
        fota_proto_decoder_frame(&s->dec, &f);
        srv_frame(s, &f);
    }
}

static void srv_pump(struct srv *s)
{
    while (s->open && s->sending && !s->closing && s->inflight < s->window &&
           s->next < s->image_size) {
        uint32_t n = s->chunk ? s->chunk : s->hello.chunk;
        size_t room;
        uint8_t *p = out_room(s, &room);

        if (n > s->image_size - s->next)
            n = s->image_size - s->next;
        const uint8_t *src = s->serve ? s->serve : s->image;
        int len = fota_proto_data_encode(p, room, s->next, src + s->next, n);

        s->data_frames++;
        if (s->corrupt_data_frame && s->data_frames == s->corrupt_data_frame)
            p[len / 2] ^= 0x10;
        if (s->skip_data_frame && s->data_frames == s->skip_data_frame)
            len = 0; /* lost on the way, counted as in flight */
        else
            out_commit(s, len);
        s->next += n;
        s->data_bytes += n;
        s->inflight_end[s->inflight++] = s->next;
        if (s->inflight > s->max_inflight)
            s->max_inflight = s->inflight;
    }
}

/* ---- the device ---- */

static int dev_random(void *ctx, uint8_t *buf, size_t len)
{
    struct dev *d = ctx;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)xorshift(&d->rng);
    return 0;
}

const uint8_t dev_secret[32] = "0123456789abcdef0123456789abcde";

static void *xmalloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL)
        abort();
    return p;
}

void dev_open(struct dev *d, enum dev_layout layout, uint8_t window, uint32_t rx_size)
{
    int small = layout == DEV_SMALL;
    const struct fota_posix_flash_geometry *geo =
        small ? &boot_sim_small_geometry : &fota_posix_flash_stm32f103ze;
    uint32_t page = geo->page_size;

    memset(d, 0, sizeof(*d));
    boot_sim_open(&d->sim, geo, small ? &boot_sim_small_layout : &fota_boot_layout_stm32f103ze,
                  page);
    d->rx = xmalloc(rx_size);
    d->tx = xmalloc(FOTA_AGENT_TX_MIN);
    d->scratch = xmalloc(page);
    d->rng = 0xC0FFEEu;
    d->now = 1000;
    d->cfg.boot = d->sim.cfg;
    d->cfg.progress_addr = small ? SMALL_BASE + 21u * SMALL_PAGE
                                 : FOTA_AGENT_PROGRESS_ADDR_STM32F103ZE;
    d->cfg.device_id = "dev-0001";
    d->cfg.model = "STM32F103ZE+SIM800C";
    d->cfg.secret = dev_secret;
    d->cfg.random = dev_random;
    d->cfg.random_ctx = d;
    d->cfg.rx_buf = d->rx;
    d->cfg.rx_size = rx_size;
    d->cfg.tx_buf = d->tx;
    d->cfg.tx_size = FOTA_AGENT_TX_MIN;
    d->cfg.scratch = d->scratch;
    d->cfg.scratch_size = page;
    d->cfg.window = window;
}

static int no_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0, len);
    return 0;
}

/* What a reset would find: the held count of a fresh agent on this flash. */
static uint32_t dev_durable(void *ctx)
{
    struct dev *d = ctx;
    struct fota_agent_config cfg = d->cfg;
    static struct fota_agent probe;

    cfg.random = no_random;
    if (fota_agent_init(&probe, &cfg) != 0)
        abort();
    return probe.p.held;
}

void dev_attach(struct dev *d, struct srv *s)
{
    s->durable = dev_durable;
    s->durable_ctx = d;
    s->ack_lead = d->cfg.record_every ? d->cfg.record_every : d->cfg.boot.flash->page_size;
}

void dev_close(struct dev *d)
{
    boot_sim_close(&d->sim);
    free(d->rx);
    free(d->tx);
    free(d->scratch);
}

int dev_boot(struct dev *d)
{
    fota_posix_flash_power_on(&d->sim.flash);
    d->cfg.boot = d->sim.cfg;
    return fota_agent_init(&d->agent, &d->cfg);
}

void dev_image(struct dev *d, struct boot_sim_image *img, uint8_t major, uint32_t counter,
               uint32_t payload_size, uint8_t seed)
{
    uint16_t hs = d->sim.flash.flash.page_size == SMALL_PAGE ? BOOT_SIM_SMALL_HEADER : 512;

    boot_sim_image_make(&d->sim, img, major, counter, payload_size, hs, seed);
}

/* ---- the download the resume sweeps repeat ---- */

void dev_download_images(const struct dev_download *dl, struct boot_sim_image *v1,
                         struct boot_sim_image *v2)
{
    struct dev d;

    dev_open(&d, dl->layout, dl->window, dl->rx_size);
    dev_image(&d, v1, 1, 1, 300, 1);
    dev_image(&d, v2, 2, 2, dl->payload, 2);
    dev_close(&d);
}

void dev_download_free(struct boot_sim_image *v1, struct boot_sim_image *v2)
{
    boot_sim_image_free(v1);
    boot_sim_image_free(v2);
}

int dev_download_open(struct dev *d, struct srv *s, const struct dev_download *dl,
                      uint32_t record_every, const struct boot_sim_image *v1,
                      const struct boot_sim_image *v2)
{
    int err;

    dev_open(d, dl->layout, dl->window, dl->rx_size);
    d->cfg.record_every = record_every;
    boot_sim_factory(&d->sim, d->sim.cfg.layout.primary_addr, d->sim.cfg.layout.primary_pages,
                     v1);
    err = dev_boot(d);
    srv_init(s, "dev-0001", dev_secret);
    srv_assign(s, v2->bytes, v2->size);
    s->chunk = dl->chunk;
    dev_attach(d, s);
    return err;
}

uint32_t dev_download_frame(const struct dev_download *dl)
{
    return dl->chunk ? dl->chunk
                     : dl->rx_size - FOTA_PROTO_OVERHEAD - FOTA_PROTO_DATA_HEAD_SIZE;
}

static uint32_t chunk_of(struct dev *d, size_t avail)
{
    uint32_t n = d->max_chunk ? 1 + xorshift(&d->rng) % d->max_chunk : (uint32_t)avail;

    return n < avail ? n : (uint32_t)avail;
}

/* Delivers some of the server's queue to the device; the link may drop. */
static void deliver(struct dev *d, struct srv *s)
{
    size_t avail = s->out_len - s->out_off;
    uint32_t n = chunk_of(d, avail);
    size_t used;

    if (d->link_cut_at) {
        if (d->delivered >= d->link_cut_at) {
            d->link_cut_at = 0;
            srv_disconnect(s);
            fota_agent_disconnected(&d->agent);
            return;
        }
        if (d->delivered + n > d->link_cut_at)
            n = (uint32_t)(d->link_cut_at - d->delivered);
    }
    fota_agent_input(&d->agent, s->out + s->out_off, n, &used);
    s->out_off += used;
    d->delivered += used;
}

/* ---- the server as a transport (fota_link) ---- */

static int link_connect(void *ctx)
{
    struct dev_link *l = ctx;

    if (l->fail_connects > 0) {
        l->fail_connects--;
        return FOTA_E_IO;
    }
    l->connects++;
    l->dev->sessions++;
    srv_connect(l->srv, l->dev->sessions * 7919u + l->dev->rng);
    return FOTA_E_AGAIN;
}

static int link_connect_result(void *ctx)
{
    (void)ctx;
    return 0;
}

static int link_read(void *ctx, uint8_t *buf, size_t len)
{
    struct dev_link *l = ctx;
    struct srv *s = l->srv;
    uint32_t n;

    srv_pump(s);
    if (s->out_len == s->out_off)
        return s->closing || !s->open ? FOTA_E_IO : FOTA_E_AGAIN;
    n = chunk_of(l->dev, s->out_len - s->out_off);
    if (n > len)
        n = (uint32_t)len;
    memcpy(buf, s->out + s->out_off, n);
    s->out_off += n;
    return (int)n;
}

static int link_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct dev_link *l = ctx;
    uint32_t n = chunk_of(l->dev, len);

    if (!l->srv->open)
        return FOTA_E_IO;
    srv_receive(l->srv, buf, n);
    return (int)n;
}

static void link_close(void *ctx)
{
    struct dev_link *l = ctx;

    srv_disconnect(l->srv);
}

void dev_link_transport(struct dev_link *l, struct fota_transport *t)
{
    *t = (struct fota_transport){l, link_connect, link_connect_result, link_read, link_write,
                                 link_close};
}

int dev_run(struct dev *d, struct srv *s, unsigned max_steps)
{
    for (unsigned i = 0; i < max_steps; i++) {
        const uint8_t *p;
        size_t n;
        int act;

        if (d->sim.flash.off)
            return RUN_POWER_CUT;
        act = fota_agent_step(&d->agent, d->now);
        if (d->sim.flash.off)
            return RUN_POWER_CUT;
        switch (act) {
        case FOTA_AGENT_CONNECT:
            d->sessions++;
            srv_connect(s, d->sessions * 7919u + d->rng);
            fota_agent_connected(&d->agent);
            break;
        case FOTA_AGENT_SEND:
            fota_agent_output(&d->agent, &p, &n);
            if (n == 0)
                abort();
            n = chunk_of(d, n);
            srv_receive(s, p, n);
            fota_agent_sent(&d->agent, n);
            break;
        case FOTA_AGENT_WAIT:
            srv_pump(s);
            if (s->out_len > s->out_off) {
                deliver(d, s);
            } else if (s->closing || !s->open) {
                srv_disconnect(s);
                fota_agent_disconnected(&d->agent);
            } else {
                d->stalls++;
                d->now = fota_agent_wake_at(&d->agent);
            }
            break;
        case FOTA_AGENT_CLOSE:
            srv_disconnect(s);
            break;
        case FOTA_AGENT_IDLE:
            d->last_idle = fota_agent_wake_at(&d->agent) - d->now;
            return RUN_IDLE;
        case FOTA_AGENT_RESET:
            srv_disconnect(s);
            return RUN_RESET;
        default:
            abort();
        }
    }
    return RUN_STUCK;
}

int dev_run_sessions(struct dev *d, struct srv *s, unsigned max_sessions)
{
    for (unsigned i = 0; i < max_sessions; i++) {
        int r = dev_run(d, s, 200000);

        if (r != RUN_IDLE)
            return r;
        d->now += d->last_idle;
    }
    return RUN_IDLE;
}
