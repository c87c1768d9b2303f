/*
 * The recovery download over the original loader's protocol (fota/iap.h).
 *
 *   HEAD  --"0;"--> SIZE --quiet--> answer "0", HEAD (chunk 1 expected)
 *   SIZE, the size known: the same digits again end it at once (the line
 *         was sent again; chunk 1 may follow in the same read)
 *   HEAD  --"<n>;"--> DATA (n the expected chunk: written; n - 1: a copy,
 *                           dropped) --all bytes--> answer "<n>", HEAD
 *   every chunk written and the last answer sent: DONE
 */
#include "fota/iap.h"

#include <string.h>

#include "fota/error.h"

enum { IAP_HEAD, IAP_SIZE, IAP_DATA };
enum { CONN_CLOSED, CONN_OPENING, CONN_OPEN };

/* Digits of a number below 2^32. */
#define IAP_DIGITS_MAX 10u

int fota_iap_init(struct fota_iap *iap, const struct fota_iap_config *cfg)
{
    const struct fota_flash *fl = cfg->flash;

    if (fl == NULL || cfg->chunk_buf == NULL || fl->page_size == 0 ||
        cfg->slot_addr % fl->page_size != 0 || cfg->slot_size % fl->page_size != 0 ||
        cfg->slot_size == 0 || FOTA_IAP_CHUNK % fl->write_size != 0)
        return FOTA_E_INVAL;
    memset(iap, 0, sizeof(*iap));
    iap->cfg = cfg;
    fota_iap_restart(iap);
    return 0;
}

void fota_iap_restart(struct fota_iap *iap)
{
    iap->state = IAP_HEAD;
    iap->head_len = 0;
    iap->size = 0;
    iap->chunk = 1;
    iap->written = 0;
    iap->complete = 0;
    iap->erased_to = 0; /* the slot is written again from its start */
    iap->answer_len = iap->answer_sent = 0;
    iap->last_rx = iap->now;
}

static void answer_set(struct fota_iap *iap, uint32_t n)
{
    char digits[IAP_DIGITS_MAX];
    uint8_t k = 0;

    do {
        digits[k++] = (char)('0' + n % 10u);
        n /= 10u;
    } while (n != 0);
    for (uint8_t i = 0; i < k; i++)
        iap->answer[i] = digits[k - 1 - i];
    iap->answer_len = k;
    iap->answer_sent = 0;
}

/* The number in head (digits only, at least one). */
static int head_number(const struct fota_iap *iap, uint32_t *n)
{
    uint64_t v = 0;

    if (iap->head_len == 0)
        return FOTA_E_PROTO;
    for (uint8_t i = 0; i < iap->head_len; i++)
        v = v * 10u + (uint32_t)(iap->head[i] - '0');
    if (v > 0xFFFFFFFFu)
        return FOTA_E_PROTO;
    *n = (uint32_t)v;
    return 0;
}

static uint32_t chunk_len(const struct fota_iap *iap, uint32_t n)
{
    uint32_t off = (n - 1u) * FOTA_IAP_CHUNK;

    return iap->size - off < FOTA_IAP_CHUNK ? iap->size - off : FOTA_IAP_CHUNK;
}

static uint32_t chunk_count(const struct fota_iap *iap)
{
    return (iap->size + FOTA_IAP_CHUNK - 1u) / FOTA_IAP_CHUNK;
}

/* "<k>;" ended: the size line again, the expected chunk, or a copy of the
 * one before. */
static int head_done(struct fota_iap *iap)
{
    uint32_t k;
    int err = head_number(iap, &k);

    iap->head_len = 0;
    if (err < 0)
        return err;
    if (k == 0 && iap->chunk == 1) {
        iap->state = IAP_SIZE;
        return 0;
    }
    if (iap->size == 0 || k == 0 || k > chunk_count(iap) ||
        (k != iap->chunk && k + 1u != iap->chunk))
        return FOTA_E_PROTO;
    iap->skip = k != iap->chunk;
    iap->chunk_len = chunk_len(iap, k);
    iap->have = 0;
    iap->state = IAP_DATA;
    return 0;
}

/* Erases what the chunk at off needs, then programs it (the last one padded
 * to the write unit with erased bytes). */
static int chunk_write(struct fota_iap *iap, uint32_t off, uint32_t len)
{
    const struct fota_iap_config *c = iap->cfg;
    const struct fota_flash *fl = c->flash;
    uint32_t padded = (len + fl->write_size - 1u) / fl->write_size * fl->write_size;
    int err;

    while (iap->erased_to < off + padded) {
        err = fl->erase(fl->ctx, c->slot_addr + iap->erased_to);
        if (err < 0)
            return err;
        iap->erased_to += fl->page_size;
    }
    memset(c->chunk_buf + len, fl->erased, padded - len);
    return fl->prog(fl->ctx, c->slot_addr + off, c->chunk_buf, padded);
}

static int data_done(struct fota_iap *iap)
{
    uint32_t n = iap->skip ? iap->chunk - 1u : iap->chunk;
    int err;

    iap->state = IAP_HEAD;
    if (!iap->skip) {
        err = chunk_write(iap, (n - 1u) * FOTA_IAP_CHUNK, iap->chunk_len);
        if (err < 0)
            return err;
        iap->written += iap->chunk_len;
        iap->chunk++;
        iap->complete = n == chunk_count(iap);
    }
    answer_set(iap, n);
    return 0;
}

static int size_done(struct fota_iap *iap);

/* Whether head holds the known size's digits, all of them. */
static int head_is_size(const struct fota_iap *iap)
{
    char digits[IAP_DIGITS_MAX];
    uint8_t k = 0;
    uint32_t v = iap->size;

    do {
        digits[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    if (k != iap->head_len)
        return 0;
    for (uint8_t i = 0; i < k; i++)
        if (iap->head[i] != digits[k - 1u - i])
            return 0;
    return 1;
}

/* Takes one byte outside DATA. */
static int head_byte(struct fota_iap *iap, uint8_t b)
{
    if (b >= '0' && b <= '9') {
        if (iap->head_len == IAP_DIGITS_MAX)
            return FOTA_E_PROTO;
        iap->head[iap->head_len++] = (char)b;
        if (iap->state == IAP_SIZE && iap->size != 0 && head_is_size(iap))
            return size_done(iap);
        return 0;
    }
    if (b == ';' && iap->state == IAP_HEAD)
        return head_done(iap);
    return FOTA_E_PROTO;
}

int fota_iap_input(struct fota_iap *iap, const uint8_t *data, size_t len, uint32_t now_ms)
{
    int err = 0;

    iap->now = iap->last_rx = now_ms;
    for (size_t i = 0; i < len && err == 0; i++) {
        if (iap->state == IAP_DATA) {
            uint32_t take = iap->chunk_len - iap->have;

            if (take > len - i)
                take = (uint32_t)(len - i);
            if (!iap->skip)
                memcpy(iap->cfg->chunk_buf + iap->have, data + i, take);
            iap->have += take;
            i += take - 1u;
            if (iap->have == iap->chunk_len)
                err = data_done(iap);
        } else {
            err = head_byte(iap, data[i]);
        }
    }
    return err;
}

/* The size line ended: the image's size, or the same line again. */
static int size_done(struct fota_iap *iap)
{
    uint32_t size;
    int err = head_number(iap, &size);

    iap->head_len = 0;
    iap->state = IAP_HEAD;
    if (err < 0)
        return err;
    if (size == 0 || (iap->size != 0 && size != iap->size))
        return FOTA_E_PROTO;
    if (size > iap->cfg->slot_size)
        return FOTA_E_TOO_BIG;
    iap->size = size;
    answer_set(iap, 0);
    return 0;
}

int fota_iap_step(struct fota_iap *iap, uint32_t now_ms)
{
    iap->now = now_ms;
    if (iap->state == IAP_SIZE && now_ms - iap->last_rx >= FOTA_IAP_QUIET_MS)
        return size_done(iap);
    return iap->complete && iap->state == IAP_HEAD && iap->head_len == 0 &&
                   iap->answer_sent == iap->answer_len
               ? FOTA_IAP_DONE
               : 0;
}

void fota_iap_output(const struct fota_iap *iap, const uint8_t **data, size_t *len)
{
    *data = (const uint8_t *)iap->answer + iap->answer_sent;
    *len = (size_t)(iap->answer_len - iap->answer_sent);
}

void fota_iap_sent(struct fota_iap *iap, size_t n)
{
    iap->answer_sent = (uint8_t)(iap->answer_sent + n);
}

/* ---- over a transport ----------------------------------------------------- */

static void conn_fail(struct fota_iap *iap, const struct fota_transport *t)
{
    if (iap->conn != CONN_CLOSED)
        t->close(t->ctx);
    iap->conn = CONN_CLOSED;
    iap->retry_at = iap->now + FOTA_IAP_RETRY_MS;
}

static void conn_open(struct fota_iap *iap, const struct fota_transport *t)
{
    int rc;

    if (iap->conn == CONN_CLOSED) {
        if ((int32_t)(iap->now - iap->retry_at) < 0)
            return;
        rc = t->connect(t->ctx);
        iap->conn = CONN_OPENING;
    } else {
        rc = t->connect_result(t->ctx);
    }
    if (rc == FOTA_E_AGAIN)
        return;
    if (rc < 0) {
        iap->conn = CONN_CLOSED; /* the transport closed it */
        iap->retry_at = iap->now + FOTA_IAP_RETRY_MS;
        return;
    }
    iap->conn = CONN_OPEN;
    fota_iap_restart(iap);
}

/* Reads what there is; returns 0, or an error ending the connection (or a
 * flash error for the caller). */
static int conn_read(struct fota_iap *iap, const struct fota_transport *t)
{
    uint8_t buf[64];
    int n, err = 0;

    while (err == 0 && (n = t->read(t->ctx, buf, sizeof(buf))) != FOTA_E_AGAIN && n != 0)
        err = n < 0 ? FOTA_E_IO : fota_iap_input(iap, buf, (size_t)n, iap->now);
    return err;
}

int fota_iap_poll(struct fota_iap *iap, const struct fota_transport *t, uint32_t now_ms)
{
    const uint8_t *p;
    size_t len;
    int rc;

    iap->now = now_ms;
    if (iap->conn != CONN_OPEN) {
        conn_open(iap, t);
        if (iap->conn != CONN_OPEN)
            return 0;
    }
    rc = conn_read(iap, t);
    if (rc == 0)
        rc = fota_iap_step(iap, now_ms);
    fota_iap_output(iap, &p, &len);
    if (rc >= 0 && len > 0) {
        int n = t->write(t->ctx, p, len);

        if (n > 0)
            fota_iap_sent(iap, (size_t)n);
        else if (n != FOTA_E_AGAIN)
            rc = FOTA_E_IO;
    }
    if (rc == 0 && fota_iap_step(iap, now_ms) == FOTA_IAP_DONE)
        rc = FOTA_IAP_DONE;
    if (rc == FOTA_IAP_DONE || rc == FOTA_E_PROTO || rc == FOTA_E_IO || rc == FOTA_E_TOO_BIG ||
        (rc == 0 && now_ms - iap->last_rx >= FOTA_IAP_TIMEOUT_MS)) {
        conn_fail(iap, t);
        return rc == FOTA_IAP_DONE ? rc : 0;
    }
    return rc; /* 0, or a flash error */
}

uint32_t fota_iap_wake_at(const struct fota_iap *iap)
{
    if (iap->conn == CONN_CLOSED)
        return iap->retry_at;
    if (iap->state == IAP_SIZE)
        return iap->last_rx + FOTA_IAP_QUIET_MS;
    return iap->last_rx + FOTA_IAP_TIMEOUT_MS;
}
