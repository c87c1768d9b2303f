/*
 * fotad's side of the fota protocol (see session.h for the state machine and
 * docs/protocol.md for the messages).
 *
 * Structure: the loop calls session_event (socket ready) and session_timer.
 * Input goes through the push-fed frame decoder into session_frame, which
 * dispatches on the frame type; each handler either answers (a frame queued
 * in the output buffer) or refuses (session_fail: ERROR queued, state
 * CLOSING). Only the loop's callbacks free a session (session_drop), so a
 * handler never has to ask whether its session still exists.
 *
 * The store is written in one transaction per round of the loop (group
 * commit): the first write of a round opens it (store_group), and
 * session_server_round_end commits it once the round's callbacks have run.
 * An answer that says something was stored (REPORTED, and the answers to
 * HELLO, which is recorded) waits in its session's output until that commit
 * (session_hold): a fotad crash never tells a device something the store lost.
 *
 * DATA goes out straight from the image's sealed frames, which lie back to
 * back: the frames a window lets go are one run of memory, written with
 * whatever else waits in one writev, without a copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fota/bytes.h"
#include "fota/error.h"

#include "log.h"
#include "session.h"

/* How long a refused connection may take to read its ERROR and close. */
#define SESSION_CLOSE_GRACE_MS 2000u
/* Bytes read per call, and calls per readiness event (then other
 * connections get their turn). */
#define SESSION_READ_CHUNK 512u
#define SESSION_READS_PER_EVENT 16
/* REPORT frames one connection may send (a device needs at most two). */
#define SESSION_REPORTS_MAX 16u
/* Image files kept open while no session reads them. */
#define IMAGE_CACHE_IDLE 8u
/* Frame sizes sealed in advance per image; devices asking for others get
 * their frames sealed one by one. */
#define IMAGE_FRAME_SETS 4
/* Challenge nonces drawn from the system's generator at once. */
#define NONCE_POOL (64u * FOTA_PROTO_NONCE_SIZE)
#define SESSION_WHO_LEN (NET_ADDR_LEN + STORE_ID_MAX + 2)

enum session_state {
    ST_CHALLENGED, /* CHALLENGE sent, waiting for HELLO */
    ST_IDLE,       /* authenticated, nothing being sent */
    ST_SENDING,    /* DATA flowing for a REQUEST */
    ST_CLOSING,    /* ERROR queued (or the peer's ERROR seen): flush, then close */
};

static const char *const state_names[] = {"challenged", "idle", "sending", "closing"};

/* An image file opened by its digest, shared by the sessions sending it. */
struct image_ref {
    struct image_ref *next;
    uint8_t digest[STORE_DIGEST_SIZE];
    int fd;
    uint32_t size;
    unsigned refs;
    /* Its DATA frames of chunk image bytes, sealed once when the first
     * session with that frame size sends it (image_frames): every device
     * fetching the image gets the same frames, so each CRC is computed once
     * per image, not per frame sent. Back to back, frame i at i times a full
     * frame. chunk 0: a free slot; frames NULL: sealing failed (then frames
     * are read and sealed one by one, as for a frame size without a slot). */
    struct {
        uint32_t chunk;
        uint8_t *frames;
    } sets[IMAGE_FRAME_SETS];
};

struct session {
    struct session_server *srv;
    struct session *prev, *next;
    int fd;
    enum session_state state;
    int read_paused;   /* READABLE dropped until the output buffer drains */
    int write_shut;    /* CLOSING: shutdown(SHUT_WR) done */
    char peer[NET_ADDR_LEN];
    char who[SESSION_WHO_LEN];          /* peer, then "peer id" */
    char id[STORE_ID_MAX + 1];          /* "" until HELLO is accepted */
    uint8_t nonce[FOTA_PROTO_NONCE_SIZE];
    struct loop_timer timer;            /* hello, idle or closing deadline */
    uint64_t accepted_ms;
    uint64_t last_rx_ms;                /* last whole frame */

    /* From HELLO. */
    uint32_t frame_max;                 /* largest frame sent to the device */
    uint32_t chunk;                     /* image bytes per DATA frame */
    uint32_t window;                    /* DATA frames in flight */
    int has_assigned;
    uint8_t assigned[STORE_DIGEST_SIZE];
    uint32_t image_size;

    /* The transfer (img != NULL once a REQUEST was accepted). */
    struct image_ref *img;
    uint32_t start_off;                 /* offset of the REQUEST */
    uint32_t next_off;                  /* next byte to send */
    uint32_t acked_off;                 /* first byte not acknowledged */
    uint64_t start_ms;
    uint64_t data_sent;                 /* image bytes sent, whole connection */
    int progress_dirty;                 /* acked_off not yet in the store */
    uint32_t reports;                   /* REPORT frames on this connection */

    /* The round's commit: output waits for it while held; hold_len bytes
     * from tx_off were queued before the answer that waits. */
    int held;
    size_t hold_len;
    struct session *held_prev, *held_next;

    struct fota_proto_decoder dec;
    /* Unsent output, in this order: the rest of a sealed DATA frame partly
     * written (part_len bytes at part, in the image's frames), then
     * tx[tx_off .. tx_len). */
    const uint8_t *part;
    size_t part_len;
    size_t tx_off, tx_len;
    uint8_t rx[SESSION_RX_SIZE];
    uint8_t tx[SESSION_TX_SIZE];
};

struct session_server {
    struct loop *loop;
    struct store *st;
    struct session_config cfg;
    struct net_conn_count *count;
    struct session *sessions;
    int open;
    struct image_ref *images;
    unsigned image_count;
    int in_group;           /* the round's transaction is open */
    int group_failed;       /* it could not be opened: calls commit alone */
    struct session *held;   /* sessions whose output waits for the commit */
    size_t nonce_off;       /* nonces[nonce_off ..] not used yet */
    uint8_t nonces[NONCE_POOL];
};

size_t session_struct_size(void)
{
    return sizeof(struct session);
}

static void session_event(struct loop *loop, int fd, void *data, int mask);
static int session_write(struct session *s);

/* ---- helpers ----------------------------------------------------------- */

static void hex8(char *out, const uint8_t *d)
{
    static const char digits[] = "0123456789abcdef";
    int i;

    for (i = 0; i < 4; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[8] = '\0';
}

static void version_text(char *buf, size_t size, const struct fota_version *v)
{
    store_version_format(buf, size, v);
}

static uint64_t elapsed_ms(uint64_t since)
{
    return loop_now_ms() - since;
}

/* ---- the image cache --------------------------------------------------- */

/* The image with this digest (the store's, never a client's), opened at
 * the store's path for it and checked to be size bytes. NULL when it cannot
 * be read (logged). */
static struct image_ref *image_get(struct session_server *srv, const uint8_t *digest,
                                   uint32_t size, const char *who)
{
    struct image_ref *ref;
    char path[4096];
    struct stat sb;
    int fd;

    for (ref = srv->images; ref != NULL; ref = ref->next) {
        if (memcmp(ref->digest, digest, STORE_DIGEST_SIZE) == 0) {
            ref->refs++;
            return ref;
        }
    }
    if (store_image_path(srv->st, digest, path, sizeof(path)) != 0) {
        log_error(who, "image path too long");
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        log_error(who, "cannot open image %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != size) {
        log_error(who, "image %s is not the %u bytes the store says", path, (unsigned)size);
        close(fd);
        return NULL;
    }
    ref = calloc(1, sizeof(*ref));
    if (ref == NULL) {
        log_error(who, "out of memory");
        close(fd);
        return NULL;
    }
    memcpy(ref->digest, digest, STORE_DIGEST_SIZE);
    ref->fd = fd;
    ref->size = size;
    ref->refs = 1;
    ref->next = srv->images;
    srv->images = ref;
    srv->image_count++;
    return ref;
}

static void image_free(struct image_ref *ref)
{
    close(ref->fd);
    for (int i = 0; i < IMAGE_FRAME_SETS; i++)
        free(ref->sets[i].frames);
    free(ref);
}

/* Drops a reference; closes images nobody reads beyond the few kept. */
static void image_put(struct session_server *srv, struct image_ref *ref)
{
    struct image_ref **pp;

    if (ref == NULL || --ref->refs > 0 || srv->image_count <= IMAGE_CACHE_IDLE)
        return;
    for (pp = &srv->images; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == ref) {
            *pp = ref->next;
            break;
        }
    }
    image_free(ref);
    srv->image_count--;
}

/* Reads n bytes of ref's image at off into buf. Returns 0, or -1 (logged). */
static int image_read(struct image_ref *ref, uint32_t off, uint8_t *buf, uint32_t n,
                      const char *who)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(ref->fd, buf + got, n - got, (off_t)off + (off_t)got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            log_error(who, "image read at %u: %s", (unsigned)(off + got),
                      r < 0 ? strerror(errno) : "file shorter than recorded");
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* Bytes of a whole DATA frame carrying chunk image bytes. */
static size_t data_frame_len(uint32_t chunk)
{
    return (size_t)chunk + FOTA_PROTO_DATA_HEAD_SIZE + FOTA_PROTO_OVERHEAD;
}

/* Seals every DATA frame of ref's image for chunk-byte frames into a new
 * buffer. NULL when out of memory or the image cannot be read (logged). */
static uint8_t *image_frames_seal(struct image_ref *ref, uint32_t chunk, const char *who)
{
    uint32_t count = (ref->size + chunk - 1) / chunk;
    size_t stride = data_frame_len(chunk);
    uint8_t *frames = malloc(count * stride + 1);

    if (frames == NULL) {
        log_warn(who, "no memory for the image's DATA frames: sealed one by one");
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        uint32_t off = i * chunk;
        uint32_t n = ref->size - off < chunk ? ref->size - off : chunk;
        uint8_t *frame = frames + i * stride;
        uint8_t *body = frame + FOTA_PROTO_HEADER_SIZE;

        fota_store32_le(body, off);
        if (image_read(ref, off, body + FOTA_PROTO_DATA_HEAD_SIZE, n, who) < 0 ||
            fota_proto_frame_seal(frame, stride, FOTA_PROTO_DATA,
                                  n + FOTA_PROTO_DATA_HEAD_SIZE) < 0) {
            free(frames);
            return NULL;
        }
    }
    return frames;
}

/* ref's DATA frames of chunk image bytes, sealed on first use; NULL when
 * every slot holds another frame size or sealing failed (it is not tried
 * again). */
static const uint8_t *image_frames(struct image_ref *ref, uint32_t chunk, const char *who)
{
    for (int i = 0; i < IMAGE_FRAME_SETS; i++) {
        if (ref->sets[i].chunk == chunk)
            return ref->sets[i].frames;
        if (ref->sets[i].chunk == 0) {
            ref->sets[i].chunk = chunk;
            ref->sets[i].frames = image_frames_seal(ref, chunk, who);
            return ref->sets[i].frames;
        }
    }
    return NULL;
}

/* ---- output -------------------------------------------------------------- */

/* Where need more bytes can be appended to the output, or NULL. */
static uint8_t *tx_room(struct session *s, size_t need)
{
    if (s->tx_off == s->tx_len)
        s->tx_off = s->tx_len = 0;
    if (sizeof(s->tx) - s->tx_len < need && s->tx_off > 0) {
        memmove(s->tx, s->tx + s->tx_off, s->tx_len - s->tx_off);
        s->tx_len -= s->tx_off;
        s->tx_off = 0;
    }
    if (sizeof(s->tx) - s->tx_len < need)
        return NULL;
    return s->tx + s->tx_len;
}

static size_t tx_free(const struct session *s)
{
    return sizeof(s->tx) - (s->tx_len - s->tx_off);
}

/* Queues a frame written by an encoder into tx_room(s, max). */
static void tx_commit(struct session *s, int len)
{
    if (len > 0)
        s->tx_len += (size_t)len;
}

/* ---- refusing ------------------------------------------------------------ */

/* Refuses: logs why, queues ERROR code with the text, and closes once it is
 * written. Returns -1 for the caller to stop handling input. */
static int session_fail(struct session *s, uint16_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int session_fail(struct session *s, uint16_t code, const char *fmt, ...)
{
    char text[FOTA_PROTO_ERROR_TEXT_MAX + 1];
    size_t need = FOTA_PROTO_OVERHEAD + 2 + FOTA_PROTO_ERROR_TEXT_MAX;
    uint8_t *out;
    va_list ap;

    if (s->state == ST_CLOSING)
        return -1;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    log_warn(s->who, "refused (%s, in state %s): %s", fota_proto_error_name(code),
             state_names[s->state], text);
    out = tx_room(s, need);
    if (out != NULL)
        tx_commit(s, fota_proto_error_encode(out, need, code, text, strlen(text)));
    s->state = ST_CLOSING;
    loop_timer_arm(s->srv->loop, &s->timer, SESSION_CLOSE_GRACE_MS);
    return -1;
}

/* ---- the round's transaction -------------------------------------------- */

/* Opens the round's transaction unless it is open. Every store write goes
 * after this call, so that a round's writes are one commit. When it cannot
 * be opened (logged), the round's writes commit one by one. */
static void store_group(struct session_server *srv)
{
    if (srv->in_group || srv->group_failed)
        return;
    if (store_begin(srv->st) != 0) {
        log_error(NULL, "cannot start a transaction: %s; committing each write alone",
                  store_errmsg(srv->st));
        srv->group_failed = 1;
        return;
    }
    srv->in_group = 1;
}

/* Keeps s's output from the answer queued next on until the round's
 * commit; bytes queued before it wait too. Nothing when no transaction is
 * open: the write the answer depends on committed on its own. */
static void session_hold(struct session *s)
{
    struct session_server *srv = s->srv;

    if (!srv->in_group || s->held)
        return;
    s->held = 1;
    s->hold_len = s->tx_len - s->tx_off;
    s->held_prev = NULL;
    s->held_next = srv->held;
    if (srv->held != NULL)
        srv->held->held_prev = s;
    srv->held = s;
}

static void session_unhold(struct session *s)
{
    if (!s->held)
        return;
    if (s->held_prev != NULL)
        s->held_prev->held_next = s->held_next;
    else
        s->srv->held = s->held_next;
    if (s->held_next != NULL)
        s->held_next->held_prev = s->held_prev;
    s->held = 0;
}

/* ---- progress ------------------------------------------------------------ */

static int progress_store(struct session *s)
{
    int rc;

    if (!s->progress_dirty || s->img == NULL)
        return 0;
    store_group(s->srv);
    rc = store_device_progress(s->srv->st, s->id, s->assigned, s->acked_off, s->image_size,
                               (int64_t)time(NULL));
    if (rc < 0) {
        log_error(s->who, "cannot record progress %u/%u: %s", (unsigned)s->acked_off,
                  (unsigned)s->image_size, store_errmsg(s->srv->st));
        return rc;
    }
    s->progress_dirty = 0;
    return 0;
}

/* ---- closing --------------------------------------------------------------- */

/* Closes and frees s at once (loop callbacks only). */
static void session_drop(struct session *s, const char *why)
{
    struct session_server *srv = s->srv;

    progress_store(s);
    session_unhold(s);
    if (s->img != NULL)
        log_info(s->who, "closed: %s; %llu image bytes sent, acknowledged %u of %u", why,
                 (unsigned long long)s->data_sent, (unsigned)s->acked_off,
                 (unsigned)s->image_size);
    else
        log_info(s->who, "closed: %s", why);
    loop_timer_disarm(srv->loop, &s->timer);
    loop_fd_close(srv->loop, s->fd);
    image_put(srv, s->img);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        srv->sessions = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    srv->open--;
    srv->count->open--;
    sodium_memzero(s->nonce, sizeof(s->nonce));
    free(s);
}

/* ---- messages -------------------------------------------------------------- */

static int on_hello(struct session *s, const struct fota_proto_frame *f)
{
    struct session_server *srv = s->srv;
    struct fota_proto_hello h;
    struct store_device d;
    struct store_image img;
    char running[STORE_VERSION_TEXT_SIZE], hexd[9];
    uint32_t offset = 0;
    size_t need;
    uint8_t *out;
    int rc;

    if (fota_proto_hello_parse(&h, f->body, f->len) != 0)
        return session_fail(s, FOTA_PROTO_E_PROTO, "malformed HELLO");
    /* Named by the id it claims from here on, authenticated or not. */
    snprintf(s->who, sizeof(s->who), "%s %s", s->peer, h.id);
    rc = store_device_get(srv->st, h.id, &d);
    if (rc == STORE_E_NOT_FOUND || rc == STORE_E_INVAL)
        return session_fail(s, FOTA_PROTO_E_UNKNOWN_DEVICE, "unknown device");
    if (rc < 0) {
        log_error(s->who, "store: %s", store_errmsg(srv->st));
        return session_fail(s, FOTA_PROTO_E_SERVER, "server store unavailable");
    }
    rc = fota_proto_hello_check(d.secret, s->nonce, f->body, f->len);
    sodium_memzero(d.secret, sizeof(d.secret));
    if (rc != 0) {
        store_event_log(srv->st, d.id, "auth-failed", s->peer, (int64_t)time(NULL));
        return session_fail(s, FOTA_PROTO_E_AUTH, "authentication failed");
    }
    if (store_device_hello(srv->st, d.id, &h.version, h.digest, (int64_t)time(NULL)) < 0) {
        log_error(s->who, "store: %s", store_errmsg(srv->st));
        return session_fail(s, FOTA_PROTO_E_SERVER, "server store unavailable");
    }
    memcpy(s->id, d.id, sizeof(s->id));
    s->frame_max = h.max_frame < SESSION_FRAME_CAP ? h.max_frame : SESSION_FRAME_CAP;
    s->chunk = h.chunk < FOTA_PROTO_DATA_MAX(s->frame_max) ? h.chunk
                                                            : FOTA_PROTO_DATA_MAX(s->frame_max);
    s->window = h.window;
    s->has_assigned = d.has_assigned;
    memcpy(s->assigned, d.assigned_digest, sizeof(s->assigned));
    s->image_size = d.assigned_size;
    s->state = ST_IDLE;
    loop_timer_arm(srv->loop, &s->timer, srv->cfg.idle_ms);
    version_text(running, sizeof(running), &h.version);

    if (!d.has_assigned || memcmp(h.digest, d.assigned_digest, STORE_DIGEST_SIZE) == 0) {
        need = FOTA_PROTO_OVERHEAD + FOTA_PROTO_NOTHING_SIZE;
        out = tx_room(s, need);
        if (out == NULL)
            return session_fail(s, FOTA_PROTO_E_SERVER, "output full");
        tx_commit(s, fota_proto_nothing_encode(out, need, srv->cfg.poll_interval));
        log_info(s->who, "hello: running %s, max_frame %u, window %u x %u; nothing to do (%s)",
                 running, (unsigned)h.max_frame, (unsigned)h.window, (unsigned)s->chunk,
                 d.has_assigned ? "runs the assigned image" : "no image assigned");
        return 0;
    }
    rc = store_image_get(srv->st, d.assigned_digest, &img);
    if (rc < 0) {
        log_error(s->who, "store: %s", store_errmsg(srv->st));
        return session_fail(s, FOTA_PROTO_E_SERVER, "server store unavailable");
    }
    s->image_size = img.size;
    if (h.held_bytes > 0 && h.held_bytes <= img.size &&
        memcmp(h.held_digest, d.assigned_digest, STORE_DIGEST_SIZE) == 0)
        offset = h.held_bytes;
    need = FOTA_PROTO_OVERHEAD + 4 + img.manifest_size;
    if (need > s->frame_max)
        return session_fail(s, FOTA_PROTO_E_TOO_BIG,
                            "the offer takes %zu bytes, more than max_frame %u", need,
                            (unsigned)h.max_frame);
    out = tx_room(s, need);
    if (out == NULL)
        return session_fail(s, FOTA_PROTO_E_SERVER, "output full");
    rc = fota_proto_offer_encode(out, need, offset, img.manifest, img.manifest_size);
    if (rc < 0) {
        log_error(s->who, "cannot encode the offer of image %s: %s", img.version,
                  fota_strerror(rc));
        return session_fail(s, FOTA_PROTO_E_SERVER, "stored image unusable");
    }
    tx_commit(s, rc);
    hex8(hexd, d.assigned_digest);
    log_info(s->who,
             "hello: running %s, max_frame %u, window %u x %u; offer %s (%s, %u bytes) from "
             "offset %u",
             running, (unsigned)h.max_frame, (unsigned)h.window, (unsigned)s->chunk, img.version,
             hexd,
             (unsigned)img.size, (unsigned)offset);
    return 0;
}

static int on_request(struct session *s, const struct fota_proto_frame *f)
{
    struct fota_proto_request req;

    if (fota_proto_request_parse(&req, f->body, f->len) != 0)
        return session_fail(s, FOTA_PROTO_E_PROTO, "malformed REQUEST");
    if (!s->has_assigned || memcmp(req.digest, s->assigned, STORE_DIGEST_SIZE) != 0)
        return session_fail(s, FOTA_PROTO_E_NOT_ASSIGNED,
                            "that image is not assigned to this device");
    if (req.offset > s->image_size)
        return session_fail(s, FOTA_PROTO_E_PROTO, "offset %u beyond the image (%u bytes)",
                            (unsigned)req.offset, (unsigned)s->image_size);
    if (s->img == NULL) {
        s->img = image_get(s->srv, s->assigned, s->image_size, s->who);
        if (s->img == NULL)
            return session_fail(s, FOTA_PROTO_E_SERVER, "server cannot read the image");
    }
    s->start_off = s->next_off = s->acked_off = req.offset;
    s->start_ms = loop_now_ms();
    s->progress_dirty = 1;
    s->state = req.offset < s->image_size ? ST_SENDING : ST_IDLE;
    log_info(s->who, "request: from offset %u of %u, %u-byte frames, window %u",
             (unsigned)req.offset, (unsigned)s->image_size, (unsigned)s->chunk,
             (unsigned)s->window);
    return 0;
}

static int on_ack(struct session *s, const struct fota_proto_frame *f)
{
    uint32_t off;
    uint64_t ms;

    if (fota_proto_ack_parse(&off, f->body, f->len) != 0)
        return session_fail(s, FOTA_PROTO_E_PROTO, "malformed ACK");
    if (s->img == NULL)
        return session_fail(s, FOTA_PROTO_E_PROTO, "ACK without a REQUEST");
    if (off < s->acked_off)
        return session_fail(s, FOTA_PROTO_E_PROTO, "ACK %u goes back from %u", (unsigned)off,
                            (unsigned)s->acked_off);
    if (off > s->next_off)
        return session_fail(s, FOTA_PROTO_E_PROTO, "ACK %u beyond the %u bytes sent",
                            (unsigned)off, (unsigned)s->next_off);
    if (off == s->acked_off)
        return 0;
    s->acked_off = off;
    s->progress_dirty = 1;
    log_debug(s->who, "ack %u of %u", (unsigned)off, (unsigned)s->image_size);
    if (off == s->image_size && s->state == ST_SENDING) {
        s->state = ST_IDLE;
        progress_store(s);
        ms = elapsed_ms(s->start_ms);
        log_info(s->who, "download acknowledged: %u bytes from offset %u in %llu.%03llu s",
                 (unsigned)(s->image_size - s->start_off), (unsigned)s->start_off,
                 (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
    }
    return 0;
}

static int on_report(struct session *s, const struct fota_proto_frame *f)
{
    struct fota_proto_report rep;
    struct store_result r;
    char desc[160];
    size_t need = FOTA_PROTO_OVERHEAD + FOTA_PROTO_REPORTED_SIZE;
    uint8_t *out;
    int rc;

    if (fota_proto_report_parse(&rep, f->body, f->len) != 0)
        return session_fail(s, FOTA_PROTO_E_PROTO, "malformed REPORT");
    /* A device has at most two reports outstanding, resent only after a
     * reconnect: more on one connection is a flood, not a device. */
    if (++s->reports > SESSION_REPORTS_MAX)
        return session_fail(s, FOTA_PROTO_E_PROTO, "more than %u REPORTs on one connection",
                            SESSION_REPORTS_MAX);
    memset(&r, 0, sizeof(r));
    r.sequence = rep.sequence;
    r.event = rep.event;
    r.reason = rep.reason;
    r.error = rep.error;
    r.version = rep.version;
    memcpy(r.digest, rep.digest, sizeof(r.digest));
    store_group(s->srv);
    rc = store_device_report(s->srv->st, s->id, &r, (int64_t)time(NULL));
    if (rc == STORE_E_INVAL)
        return session_fail(s, FOTA_PROTO_E_PROTO, "REPORT event %u unknown",
                            (unsigned)rep.event);
    if (rc < 0) {
        log_error(s->who, "store: %s", store_errmsg(s->srv->st));
        return session_fail(s, FOTA_PROTO_E_SERVER, "server store unavailable");
    }
    /* REPORTED tells the device it may forget the report. */
    session_hold(s);
    out = tx_room(s, need);
    if (out == NULL)
        return session_fail(s, FOTA_PROTO_E_SERVER, "output full");
    tx_commit(s, fota_proto_reported_encode(out, need, rep.sequence));
    store_result_describe(desc, sizeof(desc), &r);
    log_info(s->who, "report %u: %s%s", (unsigned)rep.sequence, desc,
             rc == 1 ? " (already stored)" : "");
    return 0;
}

static int on_peer_error(struct session *s, const struct fota_proto_frame *f)
{
    struct fota_proto_error_msg e;

    if (fota_proto_error_parse(&e, f->body, f->len) != 0)
        return session_fail(s, FOTA_PROTO_E_PROTO, "malformed ERROR");
    log_warn(s->who, "device sent ERROR %s (%u): %.*s", fota_proto_error_name(e.code),
             (unsigned)e.code, (int)e.text_len, e.text);
    s->state = ST_CLOSING;
    loop_timer_arm(s->srv->loop, &s->timer, SESSION_CLOSE_GRACE_MS);
    return -1;
}

/* HELLO is recorded (or its failed authentication logged) in the store:
 * whatever on_hello answers waits for the round's commit. */
static int on_hello_held(struct session *s, const struct fota_proto_frame *f)
{
    store_group(s->srv);
    session_hold(s);
    return on_hello(s, f);
}

/* Handles one whole frame. Returns 0, or -1 when s is now CLOSING. */
static int session_frame(struct session *s, const struct fota_proto_frame *f)
{
    s->last_rx_ms = loop_now_ms();
    if (f->type == FOTA_PROTO_ERROR)
        return on_peer_error(s, f);
    if (s->state == ST_CHALLENGED) {
        if (f->type != FOTA_PROTO_HELLO)
            return session_fail(s, FOTA_PROTO_E_PROTO, "expected HELLO, got %s",
                                fota_proto_type_name(f->type));
        return on_hello_held(s, f);
    }
    switch (f->type) {
    case FOTA_PROTO_REQUEST:
        return on_request(s, f);
    case FOTA_PROTO_ACK:
        return on_ack(s, f);
    case FOTA_PROTO_REPORT:
        return on_report(s, f);
    default:
        return session_fail(s, FOTA_PROTO_E_PROTO, "%s not allowed in state %s",
                            fota_proto_type_name(f->type), state_names[s->state]);
    }
}

/* ---- input ------------------------------------------------------------------ */

/* Feeds bytes to the decoder and handles each frame. */
static void session_input(struct session *s, const uint8_t *buf, size_t len)
{
    struct fota_proto_frame f;
    size_t off = 0, used;
    int rc;

    while (off < len && s->state != ST_CLOSING) {
        rc = fota_proto_decoder_feed(&s->dec, buf + off, len - off, &used);
        off += used;
        if (rc == FOTA_PROTO_FRAME_READY) {
            fota_proto_decoder_frame(&s->dec, &f);
            session_frame(s, &f);
        } else if (rc < 0) {
            uint16_t code = fota_proto_error_code(rc);

            switch (rc) {
            case FOTA_E_MAGIC:
                session_fail(s, code, "not a fota frame (bad magic)");
                break;
            case FOTA_E_FORMAT:
                session_fail(s, code, "protocol version %u not supported (only %u)",
                             (unsigned)s->dec.buf[1], FOTA_PROTO_VERSION);
                break;
            case FOTA_E_TOO_BIG:
                session_fail(s, code, "frame of %u bytes, at most %zu taken",
                             (unsigned)(fota_load16_le(s->dec.buf + 4) + FOTA_PROTO_OVERHEAD),
                             s->dec.limit);
                break;
            case FOTA_E_CRC:
                session_fail(s, code, "frame CRC mismatch");
                break;
            default:
                session_fail(s, code, "bad frame: %s", fota_strerror(rc));
                break;
            }
        }
    }
}

/* Reads what is there. Returns -1 when s was dropped. */
static int session_read(struct session *s)
{
    uint8_t buf[SESSION_READ_CHUNK];
    int i;

    for (i = 0; i < SESSION_READS_PER_EVENT; i++) {
        ssize_t n;

        if (s->state != ST_CLOSING && tx_free(s) < SESSION_TX_RESERVE) {
            /* Answers could not be queued: read again once output drains. */
            loop_fd_del(s->srv->loop, s->fd, LOOP_READABLE);
            s->read_paused = 1;
            break;
        }
        do
            n = read(s->fd, buf, sizeof(buf));
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            char why[96];

            if (n == 0)
                snprintf(why, sizeof(why), "connection closed by the %s",
                         s->state == ST_CLOSING ? "device after the error" : "device");
            else
                snprintf(why, sizeof(why), "read failed: %s", strerror(errno));
            session_drop(s, why);
            return -1;
        }
        if (s->state == ST_CLOSING)
            continue; /* drained so that the ERROR is not lost to a reset */
        session_input(s, buf, (size_t)n);
        if ((size_t)n < sizeof(buf))
            break;
    }
    return 0;
}

/* ---- output: DATA and the window -------------------------------------------- */

/* Image bytes in the DATA frame at off. */
static uint32_t data_bytes_at(const struct session *s, uint32_t off)
{
    return s->image_size - off < s->chunk ? s->image_size - off : s->chunk;
}

/* Whether the window lets the DATA frame at s->next_off go. */
static int window_open(const struct session *s)
{
    return s->state == ST_SENDING && s->next_off < s->image_size &&
           s->next_off - s->acked_off < (uint64_t)s->window * s->chunk;
}

/* The DATA frames the window lets go from s->next_off, as they lie back to
 * back in the image's sealed frames: *len bytes from the result. NULL when
 * the window is closed, or when those frames are not sealed in advance (a
 * frame size without a slot, an offset off their grid after a resume). */
static const uint8_t *data_run(struct session *s, size_t *len)
{
    size_t stride = data_frame_len(s->chunk);
    const uint8_t *frames;
    uint64_t limit;
    uint32_t first, last;

    if (!window_open(s) || s->next_off % s->chunk != 0)
        return NULL;
    frames = image_frames(s->img, s->chunk, s->who);
    if (frames == NULL)
        return NULL;
    /* Frames start below the window's end and the image's. */
    limit = (uint64_t)s->acked_off + (uint64_t)s->window * s->chunk;
    if (limit > s->image_size)
        limit = s->image_size;
    first = s->next_off / s->chunk;
    last = (uint32_t)((limit - 1) / s->chunk);
    *len = (size_t)(last - first) * stride + data_frame_len(data_bytes_at(s, last * s->chunk));
    return frames + (size_t)first * stride;
}

/* Accounts for sent bytes of the run data_run gave: every frame begun is
 * sent (the rest of the last one, if any, becomes s->part). */
static void data_run_sent(struct session *s, const uint8_t *run, size_t sent)
{
    size_t stride = data_frame_len(s->chunk);
    uint32_t begun = (uint32_t)((sent + stride - 1) / stride);
    uint32_t last_off = s->next_off + (begun - 1) * s->chunk;
    size_t end = (size_t)(begun - 1) * stride + data_frame_len(data_bytes_at(s, last_off));
    uint32_t next = last_off + data_bytes_at(s, last_off);

    s->part = run + sent;
    s->part_len = end - sent;
    s->data_sent += next - s->next_off;
    s->next_off = next;
}

/* Queues the DATA frame at s->next_off, read and sealed for it, when the
 * window has room and the output keeps SESSION_TX_RESERVE free after it:
 * the frames data_run does not have. Returns 1 when a frame was queued, 0
 * when not (or after session_fail). */
static int data_frame_queue(struct session *s)
{
    uint8_t *frame, *body;
    uint32_t n;
    int rc;

    if (!window_open(s))
        return 0;
    n = data_bytes_at(s, s->next_off);
    if (tx_free(s) < data_frame_len(n) + SESSION_TX_RESERVE)
        return 0;
    frame = tx_room(s, data_frame_len(n));
    if (frame == NULL)
        return 0;
    body = frame + FOTA_PROTO_HEADER_SIZE;
    fota_store32_le(body, s->next_off);
    if (image_read(s->img, s->next_off, body + FOTA_PROTO_DATA_HEAD_SIZE, n, s->who) < 0) {
        session_fail(s, FOTA_PROTO_E_SERVER, "server cannot read the image");
        return 0;
    }
    rc = fota_proto_frame_seal(frame, sizeof(s->tx) - s->tx_len, FOTA_PROTO_DATA,
                               n + FOTA_PROTO_DATA_HEAD_SIZE);
    if (rc < 0) {
        session_fail(s, FOTA_PROTO_E_SERVER, "internal error");
        return 0;
    }
    tx_commit(s, rc);
    s->next_off += n;
    s->data_sent += n;
    return 1;
}

/* Queues as many DATA frames as the window and the output take, so that one
 * write carries them all. */
static void session_refill(struct session *s)
{
    while (data_frame_queue(s))
        ;
}

/* Takes sent bytes off the output: the partial frame, tx, then the run. */
static void output_sent(struct session *s, const uint8_t *run, size_t sent)
{
    size_t n = sent < s->part_len ? sent : s->part_len;

    s->part += n;
    s->part_len -= n;
    sent -= n;
    n = sent < s->tx_len - s->tx_off ? sent : s->tx_len - s->tx_off;
    s->tx_off += n;
    sent -= n;
    if (sent > 0)
        data_run_sent(s, run, sent);
}

/* Watches for the socket to take more (1), or not (0, all written). Returns
 * -1 when s was dropped. */
static int session_watch_write(struct session *s, int blocked)
{
    struct loop *loop = s->srv->loop;

    if (blocked) {
        if (!(loop_fd_mask(loop, s->fd) & LOOP_WRITABLE) &&
            loop_fd_add(loop, s->fd, LOOP_WRITABLE, session_event, s) != 0) {
            session_drop(s, "cannot watch the socket");
            return -1;
        }
        return 0;
    }
    loop_fd_del(loop, s->fd, LOOP_WRITABLE);
    if (s->read_paused && loop_fd_add(loop, s->fd, LOOP_READABLE, session_event, s) == 0)
        s->read_paused = 0;
    if (s->state == ST_CLOSING && !s->write_shut) {
        /* All written: say so, and wait for the device to close (or the
         * grace timer) rather than reset a connection with unread input. */
        shutdown(s->fd, SHUT_WR);
        s->write_shut = 1;
    }
    return 0;
}

/* Writes what the socket takes, the DATA the window allows included, each
 * time in one writev: the rest of a partly written frame, the queued
 * output, the run of sealed frames. Nothing while s is held. Returns -1
 * when s was dropped. */
static int session_write(struct session *s)
{
    struct iovec iov[3];
    const uint8_t *run;
    size_t run_len = 0, want;
    ssize_t n;
    int cnt;

    if (s->held)
        return 0;
    for (;;) {
        run = data_run(s, &run_len);
        if (run == NULL)
            session_refill(s);
        cnt = 0;
        want = 0;
        if (s->part_len > 0)
            iov[cnt++] = (struct iovec){(void *)s->part, s->part_len};
        if (s->tx_off < s->tx_len)
            iov[cnt++] = (struct iovec){s->tx + s->tx_off, s->tx_len - s->tx_off};
        if (run != NULL)
            iov[cnt++] = (struct iovec){(void *)run, run_len};
        if (cnt == 0)
            return session_watch_write(s, 0);
        for (int i = 0; i < cnt; i++)
            want += iov[i].iov_len;
        do
            n = writev(s->fd, iov, cnt);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return session_watch_write(s, 1);
        if (n <= 0) {
            char why[96];

            snprintf(why, sizeof(why), "write failed: %s", strerror(errno));
            session_drop(s, why);
            return -1;
        }
        output_sent(s, run, (size_t)n);
        /* Taken in part: the socket is full, another try would only say so. */
        if ((size_t)n < want)
            return session_watch_write(s, 1);
    }
}

/* ---- loop callbacks ---------------------------------------------------------- */

static void session_event(struct loop *loop, int fd, void *data, int mask)
{
    struct session *s = data;

    (void)loop;
    (void)fd;
    if ((mask & LOOP_READABLE) && session_read(s) < 0)
        return;
    /* Input may have queued answers or opened the window: write now. */
    session_write(s);
}

static void session_timer(struct loop *loop, struct loop_timer *t, void *data)
{
    struct session *s = data;
    uint64_t idle;

    (void)t;
    switch (s->state) {
    case ST_CHALLENGED:
        session_fail(s, FOTA_PROTO_E_TIMEOUT, "no HELLO within %llu ms",
                     (unsigned long long)s->srv->cfg.hello_ms);
        break;
    case ST_IDLE:
    case ST_SENDING:
        idle = elapsed_ms(s->last_rx_ms);
        if (idle < s->srv->cfg.idle_ms) {
            loop_timer_arm(loop, &s->timer, s->srv->cfg.idle_ms - idle);
            return;
        }
        session_fail(s, FOTA_PROTO_E_TIMEOUT, "no frame for %llu ms",
                     (unsigned long long)idle);
        break;
    case ST_CLOSING:
        session_drop(s, "closing: the device did not close after the error");
        return;
    }
    session_write(s);
}

/* ---- the server ----------------------------------------------------------------- */

struct session_server *session_server_create(struct loop *loop, struct store *st,
                                             const struct session_config *cfg,
                                             struct net_conn_count *count)
{
    struct session_server *srv = calloc(1, sizeof(*srv));

    if (srv == NULL)
        return NULL;
    srv->loop = loop;
    srv->st = st;
    srv->cfg = *cfg;
    srv->count = count;
    srv->nonce_off = sizeof(srv->nonces); /* drawn at the first accept */
    return srv;
}

/* A fresh challenge nonce: the system's random bytes, fetched for many at
 * once (one getrandom per NONCE_POOL bytes, not per connection). */
static void session_nonce(struct session_server *srv, uint8_t nonce[FOTA_PROTO_NONCE_SIZE])
{
    if (srv->nonce_off >= sizeof(srv->nonces)) {
        randombytes_buf(srv->nonces, sizeof(srv->nonces));
        srv->nonce_off = 0;
    }
    memcpy(nonce, srv->nonces + srv->nonce_off, FOTA_PROTO_NONCE_SIZE);
    sodium_memzero(srv->nonces + srv->nonce_off, FOTA_PROTO_NONCE_SIZE);
    srv->nonce_off += FOTA_PROTO_NONCE_SIZE;
}

void session_accept(struct session_server *srv, int fd, const char *peer)
{
    struct session *s = calloc(1, sizeof(*s));
    size_t need = FOTA_PROTO_OVERHEAD + FOTA_PROTO_CHALLENGE_SIZE;

    if (s == NULL || loop_fd_add(srv->loop, fd, LOOP_READABLE, session_event, s) != 0) {
        log_warn(peer, "cannot take the connection: %s",
                 s == NULL ? "out of memory" : strerror(errno));
        free(s);
        close(fd);
        srv->count->open--;
        return;
    }
    s->srv = srv;
    s->fd = fd;
    s->state = ST_CHALLENGED;
    snprintf(s->peer, sizeof(s->peer), "%s", peer);
    snprintf(s->who, sizeof(s->who), "%s", peer);
    s->accepted_ms = s->last_rx_ms = loop_now_ms();
    fota_proto_decoder_init(&s->dec, s->rx, sizeof(s->rx));
    loop_timer_init(&s->timer, session_timer, s);
    s->next = srv->sessions;
    if (srv->sessions != NULL)
        srv->sessions->prev = s;
    srv->sessions = s;
    srv->open++;

    session_nonce(srv, s->nonce);
    tx_commit(s, fota_proto_challenge_encode(tx_room(s, need), need, s->nonce));
    loop_timer_arm(srv->loop, &s->timer, srv->cfg.hello_ms);
    log_debug(s->who, "connected, challenge sent");
    session_write(s);
}

int session_server_open_count(const struct session_server *srv)
{
    return srv->open;
}

void session_server_flush(struct session_server *srv)
{
    struct session *s;

    /* Into the round's transaction: one write however many devices move. */
    for (s = srv->sessions; s != NULL; s = s->next)
        progress_store(s);
}

/* The round's transaction was rolled back: nothing it held may be told.
 * The held answers are taken back (a refusal queued before them stays) and
 * their sessions refused; the progress of every transfer is written again.
 * A session already closing loses the ERROR it queued after them too: it
 * just closes, which the device takes as a lost connection. */
static void group_lost(struct session_server *srv)
{
    struct session *s;

    log_error(NULL, "cannot commit: %s", store_errmsg(srv->st));
    for (s = srv->sessions; s != NULL; s = s->next)
        if (s->img != NULL)
            s->progress_dirty = 1;
    for (s = srv->held; s != NULL; s = s->held_next) {
        s->tx_len = s->tx_off + s->hold_len;
        if (s->state != ST_CLOSING)
            session_fail(s, FOTA_PROTO_E_SERVER, "server store unavailable");
    }
}

void session_server_round_end(struct session_server *srv)
{
    struct session *s;

    /* Writing the held answers may drop a session, and store its progress
     * in a new transaction: commit until none is open. */
    while (srv->in_group) {
        srv->in_group = 0;
        if (store_commit(srv->st) != 0)
            group_lost(srv);
        while ((s = srv->held) != NULL) {
            session_unhold(s);
            session_write(s);
        }
    }
    srv->group_failed = 0;
}

void session_server_destroy(struct session_server *srv)
{
    struct image_ref *ref;

    if (srv == NULL)
        return;
    session_server_flush(srv);
    session_server_round_end(srv);
    while (srv->sessions != NULL)
        session_drop(srv->sessions, "server stopping");
    session_server_round_end(srv);
    while ((ref = srv->images) != NULL) {
        srv->images = ref->next;
        image_free(ref);
    }
    sodium_memzero(srv->nonces, sizeof(srv->nonces));
    free(srv);
}
