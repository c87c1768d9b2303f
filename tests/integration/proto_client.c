/*
 * proto_client: fotad's test client, speaking the fota protocol with the
 * device core's own codec (fota/proto.h), well or badly on purpose.
 *
 *   proto_client setup DATADIR PAYLOAD OUTDIR [DEVICES]
 *       Makes a data directory for tests: a signing key (its public half in
 *       the store), two images signed from PAYLOAD (2.0.0 assigned to group
 *       "fleet", 3.0.0 stored but assigned to nobody) written to
 *       OUTDIR/assigned.img and OUTDIR/other.img, devices dev-1 .. dev-N of
 *       group "fleet" (N = DEVICES, default 4) and dev-idle with nothing
 *       assigned. Every device's secret is test_secret(id) below. Prints
 *       "assigned=<hex digest> other=<hex digest>".
 *
 *   proto_client run -p PORT [options] SCENARIO
 *       --id ID             the device (default dev-1)
 *       --image FILE        the assigned image, to check what arrives
 *       --other FILE        an image not assigned (notassigned)
 *       --max-frame N       HELLO max_frame (default 1038: 1 KiB per DATA)
 *       --window N          HELLO window (default 4)
 *       --chunk N           HELLO chunk (default: the most max_frame takes)
 *       --state FILE        bytes held so far: announced in HELLO, extended
 *                           with each acknowledged frame (resume tests)
 *       --cut-after N       close abruptly once N more bytes have arrived
 *       --stall-after N     after N bytes, acknowledge them, print
 *                           "stalled: acknowledged <offset>", then say nothing
 *                           more until the server closes
 *       --timeout S         every wait (default 20)
 *     Scenarios with a good device:
 *       update     HELLO, OFFER, REQUEST, DATA/ACK to the end, checks the
 *                  bytes, REPORT DOWNLOADED, REPORTED. Prints
 *                  "update: from <offset> received <n> new <m> again <k>"
 *       nothing    HELLO stating the assigned image runs: expects NOTHING
 *       report     HELLO, REPORT sent twice: expects REPORTED twice
 *       full       expects the connection closed at once (max_conns)
 *     Misbehaving devices, each expecting ERROR <code> then the close:
 *       garbage (BAD_FRAME), badversion (VERSION), oversize (TOO_BIG),
 *       badcrc (BAD_CRC), silent (TIMEOUT), unknown (UNKNOWN_DEVICE),
 *       wrongsecret (AUTH), replay (AUTH: a HELLO recorded on one
 *       connection sent on a second), notassigned (NOT_ASSIGNED), early
 *       (PROTO: REQUEST before HELLO), ackbeyond (PROTO), hellotwice (PROTO),
 *       reportflood (PROTO: 16 REPORTs answered, the 17th refused)
 *
 *   proto_client progress DATADIR ID   prints "<offset> <total>" stored for ID
 *   proto_client check DATADIR         the store's integrity check
 *
 * Exit status: 0 as expected, 1 otherwise (the reason on stderr), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"
#include "fota/image.h"
#include "fota/proto.h"
#include "fota/sha256.h"

#include "host.h"
#include "store.h"
#include "test_client.h"

#define MAX_IMAGE (1024u * 1024u)

const char client_name[] = "proto_client";

/* Every test device's secret: SHA-256("fota-test-secret:" || id). */
static void test_secret(uint8_t secret[32], const char *id)
{
    struct fota_sha256 h;

    fota_sha256_init(&h);
    fota_sha256_update(&h, "fota-test-secret:", 17);
    fota_sha256_update(&h, id, strlen(id));
    fota_sha256_final(&h, secret);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(MAX_IMAGE + 1);
    size_t n;

    if (f == NULL || buf == NULL)
        client_die("%s: cannot open", path);
    n = fread(buf, 1, MAX_IMAGE + 1, f);
    fclose(f);
    if (n > MAX_IMAGE)
        client_die("%s: too large", path);
    *len = n;
    return buf;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        client_die("%s: cannot write", path);
}

/* ---- setup ---------------------------------------------------------------- */

/* Signs payload as version major.0.0 with sk (its public half pk). */
static uint8_t *sign_image(const uint8_t *payload, size_t plen, uint8_t major,
                           const uint8_t sk[64], const uint8_t pk[32], size_t *out_len)
{
    struct fota_image_header h;
    uint8_t kid[32], *img, *msg;
    size_t hs = 512, total = hs + plen + FOTA_IMAGE_TRAILER_SIZE;

    memset(&h, 0, sizeof(h));
    h.format_version = FOTA_IMAGE_FORMAT_VERSION;
    h.header_size = (uint16_t)hs;
    h.version.major = major;
    h.security_counter = 1;
    h.payload_size = (uint32_t)plen;
    h.load_address = 0x08005200u;
    h.has_key_id = 1;
    fota_sha256(kid, pk, 32);
    memcpy(h.key_id, kid, FOTA_IMAGE_KEY_ID_SIZE);
    img = malloc(total);
    msg = malloc(hs + 32);
    if (img == NULL || msg == NULL)
        client_die("out of memory");
    if (fota_image_header_write(&h, img, hs) != (int)hs)
        client_die("header write");
    memcpy(img + hs, payload, plen);
    fota_sha256(img + hs + plen, img, hs + plen);
    memcpy(msg, img, hs);
    memcpy(msg + hs, img + hs + plen, 32);
    crypto_sign_ed25519_detached(img + hs + plen + 32, NULL, msg, hs + 32, sk);
    free(msg);
    *out_len = total;
    return img;
}

static int cmd_setup(int argc, char **argv)
{
    struct store_config scfg = {0, 1};
    struct store_image a, b;
    struct store *st;
    uint8_t seed[32], pk[32], sk[64], secret[32], *payload, *ia, *ib;
    size_t plen, alen, blen;
    char msg[STORE_MSG_SIZE], path[4096], id[32], ha[65], hb[65];
    long n = 4, i;

    if (argc < 4)
        client_die("usage: proto_client setup DATADIR PAYLOAD OUTDIR [DEVICES]");
    if (argc > 4)
        n = strtol(argv[4], NULL, 10);
    if (store_open(&st, argv[1], &scfg, msg, sizeof(msg)) != 0)
        client_die("store: %s", msg);
    memset(seed, 0x42, sizeof(seed));
    crypto_sign_ed25519_seed_keypair(pk, sk, seed);
    if (store_set_public_key(st, pk) != 0)
        client_die("store: %s", store_errmsg(st));
    payload = read_file(argv[2], &plen);
    ia = sign_image(payload, plen, 2, sk, pk, &alen);
    ib = sign_image(payload, plen, 3, sk, pk, &blen);
    snprintf(path, sizeof(path), "%s/assigned.img", argv[3]);
    write_file(path, ia, alen);
    snprintf(path, sizeof(path), "%s/other.img", argv[3]);
    write_file(path, ib, blen);
    if (store_image_add(st, ia, alen, 0, 1, &a) < 0 || store_image_add(st, ib, blen, 0, 1, &b) < 0)
        client_die("store: %s", store_errmsg(st));
    for (i = 1; i <= n; i++) {
        snprintf(id, sizeof(id), "dev-%ld", i);
        test_secret(secret, id);
        if (store_device_add(st, id, "fleet", secret, 1, NULL) != 0)
            client_die("store: %s", store_errmsg(st));
    }
    test_secret(secret, "dev-idle");
    if (store_device_add(st, "dev-idle", NULL, secret, 1, NULL) != 0)
        client_die("store: %s", store_errmsg(st));
    if (store_assign_group(st, "fleet", a.digest, 1) < 0)
        client_die("store: %s", store_errmsg(st));
    store_close(st);
    host_hex(ha, a.digest, 32);
    host_hex(hb, b.digest, 32);
    printf("assigned=%s other=%s\n", ha, hb);
    free(payload);
    free(ia);
    free(ib);
    return 0;
}

/* ---- a connection ------------------------------------------------------------ */

struct conn {
    int fd;
    int timeout_ms;
    struct fota_proto_decoder dec;
    uint8_t buf[FOTA_PROTO_MAX_FRAME];
    uint8_t in[8192];
    size_t in_off, in_len;
};

static void conn_open(struct conn *c, unsigned port, int timeout_ms)
{
    c->fd = client_connect("127.0.0.1", port);
    c->timeout_ms = timeout_ms;
    c->in_off = c->in_len = 0;
    fota_proto_decoder_init(&c->dec, c->buf, sizeof(c->buf));
}

static void conn_send(struct conn *c, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(c->fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            client_die("write: %s", strerror(errno));
        data += n;
        len -= (size_t)n;
    }
}

/* The next frame (0), or -1 at EOF. Dies on a timeout or a bad frame. */
static int conn_recv(struct conn *c, struct fota_proto_frame *f)
{
    uint64_t deadline = client_now_ms() + (uint64_t)c->timeout_ms;

    for (;;) {
        while (c->in_off < c->in_len) {
            size_t used;
            int rc = fota_proto_decoder_feed(&c->dec, c->in + c->in_off, c->in_len - c->in_off,
                                             &used);

            c->in_off += used;
            if (rc == FOTA_PROTO_FRAME_READY) {
                fota_proto_decoder_frame(&c->dec, f);
                return 0;
            }
            if (rc < 0)
                client_die("bad frame from the server: %s", fota_strerror(rc));
        }
        {
            struct pollfd p = {c->fd, POLLIN, 0};
            uint64_t now = client_now_ms();
            ssize_t n;

            if (now >= deadline || poll(&p, 1, (int)(deadline - now)) == 0)
                client_die("timed out waiting for a frame");
            n = read(c->fd, c->in, sizeof(c->in));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == ECONNRESET)
                return -1;
            if (n < 0)
                client_die("read: %s", strerror(errno));
            if (n == 0)
                return -1;
            c->in_off = 0;
            c->in_len = (size_t)n;
        }
    }
}

static void expect_type(struct conn *c, struct fota_proto_frame *f, uint8_t type)
{
    if (conn_recv(c, f) != 0)
        client_die("closed while waiting for %s", fota_proto_type_name(type));
    if (f->type == FOTA_PROTO_ERROR) {
        struct fota_proto_error_msg e;

        if (fota_proto_error_parse(&e, f->body, f->len) == 0)
            client_die("expected %s, got ERROR %s: %.*s", fota_proto_type_name(type),
                fota_proto_error_name(e.code), (int)e.text_len, e.text);
    }
    if (f->type != type)
        client_die("expected %s, got %s", fota_proto_type_name(type), fota_proto_type_name(f->type));
}

/* Expects ERROR code, then the server's close. */
static void expect_error(struct conn *c, uint16_t code)
{
    struct fota_proto_frame f;
    struct fota_proto_error_msg e;

    /* The CHALLENGE comes first when the client spoke before reading it. */
    do
        if (conn_recv(c, &f) != 0)
            client_die("closed while waiting for ERROR");
    while (f.type == FOTA_PROTO_CHALLENGE);
    if (f.type != FOTA_PROTO_ERROR)
        client_die("expected ERROR, got %s", fota_proto_type_name(f.type));
    if (fota_proto_error_parse(&e, f.body, f.len) != 0)
        client_die("malformed ERROR");
    if (e.code != code)
        client_die("expected ERROR %s, got ERROR %s: %.*s", fota_proto_error_name(code),
            fota_proto_error_name(e.code), (int)e.text_len, e.text);
    printf("ERROR %s: %.*s\n", fota_proto_error_name(e.code), (int)e.text_len, e.text);
    if (conn_recv(c, &f) == 0)
        client_die("a %s frame after the ERROR", fota_proto_type_name(f.type));
}

/* ---- the device ---------------------------------------------------------------- */

struct device {
    const char *id;
    uint8_t secret[32];
    uint16_t max_frame;
    uint8_t window;
    uint16_t chunk; /* 0: FOTA_PROTO_DATA_MAX(max_frame) */
    uint8_t running[32];
    uint8_t held_digest[32];
    uint32_t held;
};

static size_t hello_build(uint8_t *out, size_t size, const struct device *d,
                          const uint8_t nonce[FOTA_PROTO_NONCE_SIZE])
{
    struct fota_proto_hello h;
    int n;

    memset(&h, 0, sizeof(h));
    h.id_len = (uint8_t)strlen(d->id);
    memcpy(h.id, d->id, h.id_len);
    h.model_len = 3;
    memcpy(h.model, "sim", 3);
    h.version.major = 1;
    memcpy(h.digest, d->running, 32);
    memcpy(h.held_digest, d->held_digest, 32);
    h.held_bytes = d->held;
    h.max_frame = d->max_frame;
    h.window = d->window;
    h.chunk = d->chunk ? d->chunk : (uint16_t)FOTA_PROTO_DATA_MAX(d->max_frame);
    randombytes_buf(h.nonce, sizeof(h.nonce));
    n = fota_proto_hello_encode(out, size, &h, d->secret, nonce);
    if (n < 0)
        client_die("hello encode: %s", fota_strerror(n));
    return (size_t)n;
}

/* Connects, takes the CHALLENGE and sends HELLO; the HELLO frame is left
 * in hello (hello_len). */
static void device_hello(struct conn *c, const struct device *d, uint8_t *hello,
                         size_t *hello_len)
{
    struct fota_proto_frame f;
    uint8_t nonce[FOTA_PROTO_NONCE_SIZE];

    expect_type(c, &f, FOTA_PROTO_CHALLENGE);
    if (fota_proto_challenge_parse(nonce, f.body, f.len) != 0)
        client_die("malformed CHALLENGE");
    *hello_len = hello_build(hello, 512, d, nonce);
    conn_send(c, hello, *hello_len);
}

static void send_request(struct conn *c, const uint8_t digest[32], uint32_t offset)
{
    struct fota_proto_request r;
    uint8_t out[64];
    int n;

    memcpy(r.digest, digest, 32);
    r.offset = offset;
    n = fota_proto_request_encode(out, sizeof(out), &r);
    conn_send(c, out, (size_t)n);
}

static void send_ack(struct conn *c, uint32_t offset)
{
    uint8_t out[32];
    int n = fota_proto_ack_encode(out, sizeof(out), offset);

    conn_send(c, out, (size_t)n);
}

static void send_report(struct conn *c, uint32_t seq, uint8_t event, const uint8_t digest[32])
{
    struct fota_proto_report r;
    uint8_t out[96];
    int n;

    memset(&r, 0, sizeof(r));
    r.sequence = seq;
    r.event = event;
    r.version.major = 2;
    memcpy(r.digest, digest, 32);
    n = fota_proto_report_encode(out, sizeof(out), &r);
    conn_send(c, out, (size_t)n);
}

static void expect_reported(struct conn *c, uint32_t seq)
{
    struct fota_proto_frame f;
    uint32_t got;

    expect_type(c, &f, FOTA_PROTO_REPORTED);
    if (fota_proto_reported_parse(&got, f.body, f.len) != 0 || got != seq)
        client_die("REPORTED for the wrong sequence");
}

/* The image a run checks against (NULL when not given). */
struct expected {
    uint8_t *data;
    size_t len;
    const uint8_t *digest; /* its trailer's */
};

static void load_expected(struct expected *e, const char *path)
{
    e->data = read_file(path, &e->len);
    if (e->len < FOTA_IMAGE_TRAILER_SIZE)
        client_die("%s: not an image", path);
    e->digest = e->data + e->len - FOTA_IMAGE_TRAILER_SIZE;
}

/* The update scenario. state: bytes held from earlier runs (may be NULL). */
static int run_update(struct conn *c, struct device *d, const struct expected *img,
                      const char *state, long cut_after, long stall_after)
{
    struct fota_proto_frame f;
    struct fota_proto_offer offer;
    struct fota_proto_data data;
    uint8_t hello[512], *held;
    size_t hello_len, held_len = 0;
    uint32_t next;
    unsigned long long got = 0, fresh = 0, again = 0;
    FILE *sf = NULL;

    if (img->data == NULL)
        client_die("update needs --image");
    held = calloc(1, img->len + 1);
    if (held == NULL)
        client_die("out of memory");
    if (state != NULL) {
        sf = fopen(state, "a+b");
        if (sf == NULL)
            client_die("%s: cannot open", state);
        held_len = fread(held, 1, img->len, sf);
        if (held_len > 0 && memcmp(held, img->data, held_len) != 0)
            client_die("%s: holds other bytes", state);
    }
    d->held = (uint32_t)held_len;
    if (held_len > 0)
        memcpy(d->held_digest, img->digest, 32);
    device_hello(c, d, hello, &hello_len);
    expect_type(c, &f, FOTA_PROTO_OFFER);
    if (fota_proto_offer_parse(&offer, f.body, f.len) != 0)
        client_die("malformed OFFER");
    if (memcmp(offer.digest, img->digest, 32) != 0)
        client_die("OFFER names another image");
    if (offer.offset != held_len)
        client_die("OFFER from offset %u, the device holds %zu", (unsigned)offer.offset, held_len);
    if (offer.manifest_len != (size_t)offer.header.header_size + FOTA_IMAGE_TRAILER_SIZE ||
        memcmp(offer.manifest, img->data, offer.header.header_size) != 0)
        client_die("OFFER manifest is not the image's");
    send_request(c, offer.digest, offer.offset);
    next = offer.offset;
    while (next < img->len) {
        if (conn_recv(c, &f) != 0)
            client_die("closed at %u of %zu", (unsigned)next, img->len);
        if (f.type != FOTA_PROTO_DATA)
            client_die("expected DATA, got %s", fota_proto_type_name(f.type));
        if (fota_proto_data_parse(&data, f.body, f.len) != 0)
            client_die("malformed DATA");
        if (f.len + FOTA_PROTO_OVERHEAD > (size_t)d->max_frame)
            client_die("DATA frame of %zu bytes, more than max_frame %u", f.len + FOTA_PROTO_OVERHEAD,
                (unsigned)d->max_frame);
        if (data.offset != next)
            client_die("DATA at %u, expected %u", (unsigned)data.offset, (unsigned)next);
        if (data.offset + data.len > img->len ||
            memcmp(img->data + data.offset, data.bytes, data.len) != 0)
            client_die("DATA at %u is not the image's bytes", (unsigned)data.offset);
        got += data.len;
        if (data.offset >= held_len)
            fresh += data.len;
        else
            again += data.len;
        next += (uint32_t)data.len;
        if (cut_after >= 0 && got >= (unsigned long long)cut_after) {
            /* Cut without acknowledging this frame: it is sent again. */
            close(c->fd);
            printf("update: from %u received %llu new %llu again %llu cut %u\n",
                   (unsigned)offer.offset, got, fresh, again, (unsigned)(next - data.len));
            if (sf != NULL)
                fclose(sf);
            free(held);
            return 0;
        }
        /* Durable first (the state file), then acknowledged. */
        if (sf != NULL) {
            if (fwrite(data.bytes, 1, data.len, sf) != data.len || fflush(sf) != 0)
                client_die("%s: cannot write", state);
        }
        send_ack(c, next);
        if (stall_after >= 0 && got >= (unsigned long long)stall_after) {
            /* Hold the connection without a word until the server closes it. */
            printf("stalled: acknowledged %u\n", (unsigned)next);
            fflush(stdout);
            while (conn_recv(c, &f) == 0)
                ;
            printf("closed by the server\n");
            free(held);
            return 0;
        }
    }
    send_report(c, 7, FOTA_PROTO_EV_DOWNLOADED, img->digest);
    expect_reported(c, 7);
    close(c->fd);
    if (sf != NULL)
        fclose(sf);
    free(held);
    printf("update: from %u received %llu new %llu again %llu\n", (unsigned)offer.offset, got,
           fresh, again);
    return 0;
}

/* What cmd_run allocates, freed at exit whichever way it ends. */
static struct expected run_img, run_other;
static struct conn *run_conn;

static void run_free(void)
{
    free(run_img.data);
    free(run_other.data);
    free(run_conn);
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"image", required_argument, NULL, 'm'},
        {"other", required_argument, NULL, 'O'},
        {"max-frame", required_argument, NULL, 'F'},
        {"window", required_argument, NULL, 'W'},
        {"chunk", required_argument, NULL, 'K'},
        {"state", required_argument, NULL, 'S'},
        {"cut-after", required_argument, NULL, 'C'},
        {"stall-after", required_argument, NULL, 'L'},
        {"timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    struct expected img = {NULL, 0, NULL}, other = {NULL, 0, NULL};
    struct device d;
    struct conn *c = run_conn = calloc(1, sizeof(*c));
    struct fota_proto_frame f;
    const char *scenario, *state = NULL;
    uint8_t hello[512], frame[600];
    size_t hello_len;
    unsigned port = 0;
    long cut_after = -1, stall_after = -1;
    double timeout = 20;
    int opt;

    if (c == NULL)
        client_die("out of memory");
    memset(&d, 0, sizeof(d));
    d.id = "dev-1";
    d.max_frame = 1024 + FOTA_PROTO_OVERHEAD + FOTA_PROTO_DATA_HEAD_SIZE;
    d.window = 4;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
        switch (opt) {
        case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'i': d.id = optarg; break;
        case 'm': load_expected(&img, optarg); break;
        case 'O': load_expected(&other, optarg); break;
        case 'F': d.max_frame = (uint16_t)strtoul(optarg, NULL, 10); break;
        case 'W': d.window = (uint8_t)strtoul(optarg, NULL, 10); break;
        case 'K': d.chunk = (uint16_t)strtoul(optarg, NULL, 10); break;
        case 'S': state = optarg; break;
        case 'C': cut_after = strtol(optarg, NULL, 10); break;
        case 'L': stall_after = strtol(optarg, NULL, 10); break;
        case 't': timeout = strtod(optarg, NULL); break;
        default: return 2;
        }
    }
    if (optind + 1 != argc || port == 0 || port > 65535 || timeout <= 0) {
        fprintf(stderr, "usage: proto_client run -p PORT [options] SCENARIO\n");
        return 2;
    }
    scenario = argv[optind];
    run_img = img;
    run_other = other;
    atexit(run_free);
    test_secret(d.secret, d.id);
    conn_open(c, port, (int)(timeout * 1000));

    if (strcmp(scenario, "update") == 0)
        return run_update(c, &d, &img, state, cut_after, stall_after);
    if (strcmp(scenario, "nothing") == 0) {
        if (img.data == NULL)
            client_die("nothing needs --image");
        memcpy(d.running, img.digest, 32);
        device_hello(c, &d, hello, &hello_len);
        expect_type(c, &f, FOTA_PROTO_NOTHING);
        printf("NOTHING\n");
        return 0;
    }
    if (strcmp(scenario, "report") == 0) {
        uint8_t zero[32] = {0};

        device_hello(c, &d, hello, &hello_len);
        if (conn_recv(c, &f) != 0 || (f.type != FOTA_PROTO_OFFER && f.type != FOTA_PROTO_NOTHING))
            client_die("no answer to HELLO");
        send_report(c, 41, FOTA_PROTO_EV_FAILED, zero);
        expect_reported(c, 41);
        send_report(c, 41, FOTA_PROTO_EV_FAILED, zero);
        expect_reported(c, 41);
        printf("REPORTED twice\n");
        return 0;
    }
    if (strcmp(scenario, "reportflood") == 0) {
        uint8_t zero[32] = {0};

        device_hello(c, &d, hello, &hello_len);
        if (conn_recv(c, &f) != 0 || (f.type != FOTA_PROTO_OFFER && f.type != FOTA_PROTO_NOTHING))
            client_die("no answer to HELLO");
        for (uint32_t seq = 100; seq < 116; seq++) {
            send_report(c, seq, FOTA_PROTO_EV_FAILED, zero);
            expect_reported(c, seq);
        }
        send_report(c, 116, FOTA_PROTO_EV_FAILED, zero);
        expect_error(c, FOTA_PROTO_E_PROTO);
        return 0;
    }
    if (strcmp(scenario, "full") == 0) {
        /* Over max_conns: closed at once, not even a CHALLENGE. */
        if (conn_recv(c, &f) == 0)
            client_die("got %s, expected the connection closed", fota_proto_type_name(f.type));
        printf("closed at once\n");
        return 0;
    }
    if (strcmp(scenario, "garbage") == 0) {
        conn_send(c, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18);
        expect_error(c, FOTA_PROTO_E_BAD_FRAME);
        return 0;
    }
    if (strcmp(scenario, "badversion") == 0) {
        uint8_t h[6] = {FOTA_PROTO_MAGIC, 2, FOTA_PROTO_HELLO, 0, 0, 0};

        conn_send(c, h, sizeof(h));
        expect_error(c, FOTA_PROTO_E_VERSION);
        return 0;
    }
    if (strcmp(scenario, "oversize") == 0) {
        /* Only the header: the refusal must not wait for the body. */
        uint8_t h[6] = {FOTA_PROTO_MAGIC, FOTA_PROTO_VERSION, FOTA_PROTO_HELLO, 0, 0, 0};

        fota_store16_le(h + 4, 60000);
        conn_send(c, h, sizeof(h));
        expect_error(c, FOTA_PROTO_E_TOO_BIG);
        return 0;
    }
    if (strcmp(scenario, "badcrc") == 0) {
        struct fota_proto_frame ch;
        uint8_t nonce[FOTA_PROTO_NONCE_SIZE];

        expect_type(c, &ch, FOTA_PROTO_CHALLENGE);
        fota_proto_challenge_parse(nonce, ch.body, ch.len);
        hello_len = hello_build(hello, sizeof(hello), &d, nonce);
        hello[hello_len - 1] ^= 0x01;
        conn_send(c, hello, hello_len);
        expect_error(c, FOTA_PROTO_E_BAD_CRC);
        return 0;
    }
    if (strcmp(scenario, "silent") == 0) {
        expect_type(c, &f, FOTA_PROTO_CHALLENGE);
        expect_error(c, FOTA_PROTO_E_TIMEOUT);
        return 0;
    }
    if (strcmp(scenario, "unknown") == 0) {
        d.id = "no-such-device";
        device_hello(c, &d, hello, &hello_len);
        expect_error(c, FOTA_PROTO_E_UNKNOWN_DEVICE);
        return 0;
    }
    if (strcmp(scenario, "wrongsecret") == 0) {
        d.secret[0] ^= 0x80;
        device_hello(c, &d, hello, &hello_len);
        expect_error(c, FOTA_PROTO_E_AUTH);
        return 0;
    }
    if (strcmp(scenario, "replay") == 0) {
        /* A good HELLO, answered; then the same bytes on a new connection. */
        device_hello(c, &d, hello, &hello_len);
        if (conn_recv(c, &f) != 0 || (f.type != FOTA_PROTO_OFFER && f.type != FOTA_PROTO_NOTHING))
            client_die("the original HELLO was not accepted");
        close(c->fd);
        conn_open(c, port, (int)(timeout * 1000));
        expect_type(c, &f, FOTA_PROTO_CHALLENGE);
        conn_send(c, hello, hello_len);
        expect_error(c, FOTA_PROTO_E_AUTH);
        return 0;
    }
    if (strcmp(scenario, "notassigned") == 0) {
        if (other.data == NULL)
            client_die("notassigned needs --other");
        device_hello(c, &d, hello, &hello_len);
        expect_type(c, &f, FOTA_PROTO_OFFER);
        send_request(c, other.digest, 0);
        expect_error(c, FOTA_PROTO_E_NOT_ASSIGNED);
        return 0;
    }
    if (strcmp(scenario, "early") == 0) {
        uint8_t zero[32] = {0};

        expect_type(c, &f, FOTA_PROTO_CHALLENGE);
        send_request(c, zero, 0);
        expect_error(c, FOTA_PROTO_E_PROTO);
        return 0;
    }
    if (strcmp(scenario, "hellotwice") == 0) {
        device_hello(c, &d, hello, &hello_len);
        if (conn_recv(c, &f) != 0)
            client_die("no answer to HELLO");
        conn_send(c, hello, hello_len);
        expect_error(c, FOTA_PROTO_E_PROTO);
        return 0;
    }
    if (strcmp(scenario, "ackbeyond") == 0) {
        struct fota_proto_offer offer;

        device_hello(c, &d, hello, &hello_len);
        expect_type(c, &f, FOTA_PROTO_OFFER);
        if (fota_proto_offer_parse(&offer, f.body, f.len) != 0)
            client_die("malformed OFFER");
        memcpy(frame, offer.digest, 32); /* f's body goes with the next read */
        send_request(c, frame, 0);
        send_ack(c, 0x7fffffffu);
        for (;;) {
            if (conn_recv(c, &f) != 0)
                client_die("closed without ERROR");
            if (f.type != FOTA_PROTO_DATA)
                break;
        }
        if (f.type != FOTA_PROTO_ERROR)
            client_die("expected ERROR, got %s", fota_proto_type_name(f.type));
        {
            struct fota_proto_error_msg e;

            if (fota_proto_error_parse(&e, f.body, f.len) != 0 || e.code != FOTA_PROTO_E_PROTO)
                client_die("expected ERROR PROTO");
            printf("ERROR %s: %.*s\n", fota_proto_error_name(e.code), (int)e.text_len, e.text);
        }
        return 0;
    }
    client_die("unknown scenario '%s'", scenario);
}

/* proto_client progress DATADIR ID: "<offset> <total>" stored for ID.
 * proto_client check DATADIR: the store's integrity check. */
static int cmd_store(int argc, char **argv)
{
    struct store_config scfg = {0, 0};
    struct store_device d;
    struct store *st;
    char msg[STORE_MSG_SIZE];

    if (argc < 2 || store_open(&st, argv[1], &scfg, msg, sizeof(msg)) != 0)
        client_die("store: %s", argc < 2 ? "no DATADIR" : msg);
    if (strcmp(argv[0], "check") == 0) {
        if (store_check(st) != 0)
            client_die("store check: %s", store_errmsg(st));
        printf("store ok\n");
    } else {
        if (argc < 3 || store_device_get(st, argv[2], &d) != 0)
            client_die("store: %s", store_errmsg(st));
        printf("%u %u\n", (unsigned)d.progress_offset, (unsigned)d.progress_total);
    }
    store_close(st);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0)
        client_die("libsodium failed to initialise");
    if (argc >= 2 && strcmp(argv[1], "setup") == 0)
        return cmd_setup(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "progress") == 0 || strcmp(argv[1], "check") == 0))
        return cmd_store(argc - 1, argv + 1);
    fprintf(stderr, "usage: proto_client setup|run ...\n");
    return 2;
}
