/*
 * The legacy listener (see legacy.h): the original loader's stop-and-wait
 * protocol, one small state per connection, all connections on one loop.
 *
 * Per connection, the message being sent (seq 0: the size line, seq n: chunk
 * n) goes through:
 *
 *   SENDING  --copy written whole--> WAITING (timer: resend_ms)
 *   WAITING  --answer--> next message (SENDING), or after the last chunk: close
 *   WAITING  --timer--> SENDING the same message again
 *   SENDING  --answer--> noted; the next message starts once this copy is
 *                        written (a message is never cut in the middle)
 *   any      --no answer for idle_ms, peer closed, error--> close
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fota/error.h"
#include "fota/image.h"
#include "fota/sha256.h"
#include "host.h"

#include "legacy.h"
#include "log.h"

struct legacy_conn {
    struct legacy *lg;
    struct legacy_conn *prev, *next;
    int fd;
    char who[NET_ADDR_LEN + 8];
    struct loop_timer timer;
    uint32_t seq;           /* message being sent: 0 size line, n chunk n */
    uint32_t chunks;        /* chunk count of the image */
    char head[24];          /* "0;<size>" or "<n>;" */
    size_t head_len;
    size_t body_off;        /* image range sent after head */
    size_t body_len;
    size_t sent;            /* bytes of head + body written of this copy */
    int waiting;            /* the copy is written whole; the timer runs */
    int answered;           /* the answer came while the copy was being written */
    char expect[12];        /* the answer to the current message */
    size_t expect_len;
    struct legacy_answer rx; /* towards the answer to the current message */
    uint32_t resends;       /* copies sent again, whole connection */
    uint64_t started_ms;
    uint64_t answer_ms;     /* last answer (or connect) */
    unsigned pct_logged;    /* last progress percentage logged, by tens */
};

struct legacy {
    struct loop *loop;
    struct legacy_config cfg;
    struct net_conn_count *count;
    struct legacy_conn *conns;
    int open;
};

static void conn_pump(struct legacy_conn *c);
static void conn_event(struct loop *loop, int fd, void *data, int mask);

struct legacy *legacy_create(struct loop *loop, const struct legacy_config *cfg,
                             struct net_conn_count *count)
{
    struct legacy *lg = calloc(1, sizeof(*lg));

    if (lg == NULL)
        return NULL;
    lg->loop = loop;
    lg->cfg = *cfg;
    lg->count = count;
    return lg;
}

int legacy_open_count(const struct legacy *lg)
{
    return lg->open;
}

static void conn_close(struct legacy_conn *c, const char *why)
{
    struct legacy *lg = c->lg;

    if (why != NULL)
        log_info(c->who, "legacy: %s; closing at %s %u of %u (%u resends)", why,
                 c->seq == 0 ? "size line" : "chunk", c->seq, c->chunks, c->resends);
    loop_timer_disarm(lg->loop, &c->timer);
    loop_fd_del(lg->loop, c->fd, LOOP_READABLE | LOOP_WRITABLE);
    close(c->fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        lg->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    lg->open--;
    lg->count->open--;
    free(c);
}

/* Prepares message seq and starts writing it. */
static void conn_start(struct legacy_conn *c, uint32_t seq)
{
    const struct legacy_config *cfg = &c->lg->cfg;
    int n;

    c->seq = seq;
    if (seq == 0) {
        n = snprintf(c->head, sizeof(c->head), "0;%zu", cfg->image_size);
        c->body_off = 0;
        c->body_len = 0;
    } else {
        n = snprintf(c->head, sizeof(c->head), "%u;", (unsigned)seq);
        c->body_off = (size_t)(seq - 1) * LEGACY_CHUNK;
        c->body_len = cfg->image_size - c->body_off;
        if (c->body_len > LEGACY_CHUNK)
            c->body_len = LEGACY_CHUNK;
    }
    c->head_len = (size_t)n;
    c->expect_len = (size_t)snprintf(c->expect, sizeof(c->expect), "%u", (unsigned)seq);
    c->sent = 0;
    c->waiting = 0;
    c->answered = 0;
    conn_pump(c);
}

/* The current message was answered: the next one, or the end. */
static void conn_advance(struct legacy_conn *c)
{
    uint64_t now = loop_now_ms();
    unsigned pct;

    c->answer_ms = now;
    if (c->seq == c->chunks) {
        uint64_t ms = now - c->started_ms;

        log_info(c->who, "legacy: complete, %zu bytes in %u chunks, %llu.%03llu s, %u resends",
                 c->lg->cfg.image_size, c->chunks, (unsigned long long)(ms / 1000),
                 (unsigned long long)(ms % 1000), c->resends);
        conn_close(c, NULL);
        return;
    }
    if (c->seq == 0) {
        log_info(c->who, "legacy: size line answered, sending %u chunks", c->chunks);
    } else {
        pct = (unsigned)((uint64_t)c->seq * 100u / c->chunks);
        if (pct / 10 > c->pct_logged) {
            c->pct_logged = pct / 10;
            log_info(c->who, "legacy: chunk %u of %u answered (%u%%)", c->seq, c->chunks, pct);
        } else {
            log_debug(c->who, "legacy: chunk %u of %u answered", c->seq, c->chunks);
        }
    }
    conn_start(c, c->seq + 1);
}

/* Writes what the socket takes of the current copy. When it is written
 * whole: on to the next message if the answer already came, else wait. */
static void conn_pump(struct legacy_conn *c)
{
    struct loop *loop = c->lg->loop;
    size_t total = c->head_len + c->body_len;

    while (c->sent < total) {
        struct iovec iov[2];
        int cnt = 0;
        ssize_t n;

        if (c->sent < c->head_len) {
            iov[cnt].iov_base = c->head + c->sent;
            iov[cnt++].iov_len = c->head_len - c->sent;
        }
        if (c->body_len > 0) {
            size_t done = c->sent > c->head_len ? c->sent - c->head_len : 0;

            iov[cnt].iov_base = (void *)(c->lg->cfg.image + c->body_off + done);
            iov[cnt++].iov_len = c->body_len - done;
        }
        n = writev(c->fd, iov, cnt);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The timer keeps watching a device that stops reading. */
            if (!loop_timer_armed(&c->timer))
                loop_timer_arm(loop, &c->timer, c->lg->cfg.resend_ms);
            if (loop_fd_add(loop, c->fd, LOOP_WRITABLE, conn_event, c) != 0)
                conn_close(c, "cannot watch the socket");
            return;
        }
        if (n <= 0) {
            char why[96];

            snprintf(why, sizeof(why), "write failed: %s", strerror(errno));
            conn_close(c, why);
            return;
        }
        c->sent += (size_t)n;
    }
    loop_fd_del(loop, c->fd, LOOP_WRITABLE);
    if (c->answered) {
        conn_advance(c);
        return;
    }
    c->waiting = 1;
    loop_timer_arm(loop, &c->timer, c->lg->cfg.resend_ms);
}

size_t legacy_answer_take(struct legacy_answer *a, const char *expect, size_t expect_len,
                          const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char ch = buf[i];

        if (ch == '\r' || ch == '\n' || ch == ' ')
            continue;
        if (ch < '0' || ch > '9') {
            a->rx_len = 0; /* not an answer: start over */
            continue;
        }
        if (a->rx_len == sizeof(a->rx)) {
            memmove(a->rx, a->rx + 1, sizeof(a->rx) - 1);
            a->rx_len--;
        }
        a->rx[a->rx_len++] = ch;
        if (a->rx_len >= expect_len &&
            memcmp(a->rx + a->rx_len - expect_len, expect, expect_len) == 0) {
            a->rx_len = 0;
            return i + 1;
        }
    }
    return 0;
}

/* Takes the bytes a device sent; returns 1 when the current message is
 * answered (the rest of buf is dropped: nothing is due before the next
 * message is sent). */
static int conn_take(struct legacy_conn *c, const char *buf, size_t len)
{
    return legacy_answer_take(&c->rx, c->expect, c->expect_len, buf, len) != 0;
}

static void conn_readable(struct legacy_conn *c)
{
    char buf[256], why[96];
    ssize_t n;

    do
        n = read(c->fd, buf, sizeof(buf));
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        if (n < 0)
            snprintf(why, sizeof(why), "read failed: %s", strerror(errno));
        else
            snprintf(why, sizeof(why), "connection closed by the device");
        conn_close(c, why);
        return;
    }
    if (!conn_take(c, buf, (size_t)n))
        return;
    if (c->waiting) {
        loop_timer_disarm(c->lg->loop, &c->timer);
        conn_advance(c);
    } else {
        c->answered = 1;
    }
}

static void conn_event(struct loop *loop, int fd, void *data, int mask)
{
    struct legacy_conn *c = data;

    (void)loop;
    (void)fd;
    /* conn_pump may close c: a pending read is then seen in the next round
     * (the loop is level-triggered). */
    if ((mask & LOOP_WRITABLE) && !c->waiting) {
        conn_pump(c);
        return;
    }
    if (mask & LOOP_READABLE)
        conn_readable(c);
}

static void conn_timer(struct loop *loop, struct loop_timer *t, void *data)
{
    struct legacy_conn *c = data;
    uint64_t now = loop_now_ms();

    (void)t;
    if (now - c->answer_ms >= c->lg->cfg.idle_ms) {
        char why[64];

        snprintf(why, sizeof(why), "no answer for %llu s",
                 (unsigned long long)((now - c->answer_ms) / 1000));
        conn_close(c, why);
        return;
    }
    if (!c->waiting) {
        /* Still writing: the device reads nothing. Look again later. */
        loop_timer_arm(loop, &c->timer, c->lg->cfg.resend_ms);
        return;
    }
    c->resends++;
    log_info(c->who, "legacy: no answer to %s %u after %llu ms, sending it again (resend %u)",
             c->seq == 0 ? "size line" : "chunk", c->seq,
             (unsigned long long)c->lg->cfg.resend_ms, c->resends);
    c->sent = 0;
    c->waiting = 0;
    conn_pump(c);
}

void legacy_accept(struct legacy *lg, int fd, const char *peer)
{
    struct legacy_conn *c = calloc(1, sizeof(*c));

    if (c == NULL || loop_fd_add(lg->loop, fd, LOOP_READABLE, conn_event, c) != 0) {
        log_warn(peer, "legacy: cannot take the connection: %s",
                 c == NULL ? "out of memory" : strerror(errno));
        free(c);
        close(fd);
        lg->count->open--;
        return;
    }
    c->lg = lg;
    c->fd = fd;
    snprintf(c->who, sizeof(c->who), "%s", peer);
    loop_timer_init(&c->timer, conn_timer, c);
    c->chunks = (uint32_t)((lg->cfg.image_size + LEGACY_CHUNK - 1) / LEGACY_CHUNK);
    c->started_ms = c->answer_ms = loop_now_ms();
    c->next = lg->conns;
    if (lg->conns != NULL)
        lg->conns->prev = c;
    lg->conns = c;
    lg->open++;
    log_info(c->who, "legacy: connected, sending size line 0;%zu (%u chunks)",
             lg->cfg.image_size, c->chunks);
    conn_start(c, 0);
}

void legacy_destroy(struct legacy *lg)
{
    if (lg == NULL)
        return;
    while (lg->conns != NULL)
        conn_close(lg->conns, "server stopping");
    free(lg);
}

/* ---- the image ------------------------------------------------------- */

struct mem_source {
    const uint8_t *data;
    size_t size;
};

static int mem_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    const struct mem_source *m = ctx;

    if ((size_t)offset > m->size || len > m->size - offset)
        return FOTA_E_TRUNCATED;
    memcpy(buf, m->data + offset, len);
    return 0;
}

/* The whole file, if it can be an image the legacy protocol carries. */
static int read_whole(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen)
{
    size_t max = LEGACY_MAX_IMAGE + FOTA_IMAGE_MAX_HEADER_SIZE + FOTA_IMAGE_TRAILER_SIZE;
    int rc = host_read_file(path, max, data, size, err, errlen);

    if (rc == HOST_E_TOO_BIG)
        snprintf(err, errlen, "%s: too large for the legacy protocol (%zu bytes)", path, *size);
    return rc == 0 ? 0 : -1;
}

int legacy_image_load(const char *path, const uint8_t *pub, uint8_t **data, size_t *size,
                      int *was_signed, char *err, size_t errlen)
{
    struct fota_image_header hdr;
    uint8_t *file;
    size_t len;
    int rc;

    *was_signed = 0;
    if (read_whole(path, &file, &len, err, errlen) != 0)
        return -1;
    rc = fota_image_header_parse(&hdr, file, len);
    if (rc == FOTA_E_MAGIC || len < 4) {
        /* A raw .bin (an STM32 image starts with its stack pointer). */
        if (len > LEGACY_MAX_IMAGE) {
            snprintf(err, errlen, "%s: too large for the legacy protocol (%zu bytes)", path, len);
            free(file);
            return -1;
        }
        *data = file;
        *size = len;
        return 0;
    }
    if (rc == 0 && len != fota_image_total_size(&hdr))
        rc = FOTA_E_TRUNCATED;
    if (rc == 0) {
        struct mem_source m = {file, len};
        struct fota_image_source src = {&m, mem_read, (uint32_t)len};
        uint8_t scratch[FOTA_IMAGE_MAX_HEADER_SIZE];
        uint8_t digest[FOTA_IMAGE_DIGEST_SIZE];

        if (pub != NULL) {
            rc = fota_image_verify(&src, pub, scratch, sizeof(scratch), &hdr);
        } else {
            /* No key to check against: at least the digest. */
            fota_sha256(digest, file, (size_t)hdr.header_size + hdr.payload_size);
            if (memcmp(digest, file + hdr.header_size + hdr.payload_size, sizeof(digest)) != 0)
                rc = FOTA_E_DIGEST;
        }
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: a fota image, but not a valid one: %s", path,
                 fota_strerror(rc));
        free(file);
        return -1;
    }
    if (hdr.payload_size > LEGACY_MAX_IMAGE) {
        snprintf(err, errlen, "%s: payload too large for the legacy protocol (%u bytes)", path,
                 (unsigned)hdr.payload_size);
        free(file);
        return -1;
    }
    memmove(file, file + hdr.header_size, hdr.payload_size);
    *data = file;
    *size = hdr.payload_size;
    *was_signed = 1;
    return 0;
}
