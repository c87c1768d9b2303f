/*
 * The device agent's state machine (docs/protocol.md, "State machines"):
 * sessions, frames, output and the public calls. The download is in
 * core/agent_download.c, the progress log and the slot writer in
 * core/agent_store.c, the reports of the bootloader's outcome in
 * core/agent_report.c.
 *
 *   IDLE --wake--> CONNECTING --connected--> CHALLENGE --CHALLENGE--> ANSWER
 *   ANSWER --NOTHING--> FINISH;  --OFFER ok--> RECEIVING;  --OFFER bad--> FINISH
 *   RECEIVING --last byte--> VERIFY --> FINISH (reset after, or not)
 *   FINISH --reports acknowledged--> CLOSING --> IDLE (or RESET)
 *   any connected state --error, timeout--> CLOSING;  --closed--> IDLE
 *
 * step() runs one function per state; each returns the action for the port.
 * input() decodes frames and handles each at once (DATA goes to flash there);
 * what a frame asks to send is left as a flag that step() turns into a frame
 * when the tx buffer is free, so ACKs coalesce and nothing blocks.
 */
#include <string.h>

#include "agent_internal.h"
#include "clock_util.h"
#include "fota/agent.h"
#include "fota/bytes.h"
#include "fota/error.h"

/* ---- timeouts ---- */

uint32_t fota_agent_answer_timeout(const struct fota_agent *a)
{
    return fota_or_default(a->cfg->answer_timeout_ms, FOTA_AGENT_ANSWER_TIMEOUT_MS);
}

static uint32_t backoff_min(const struct fota_agent *a)
{
    return fota_or_default(a->cfg->backoff_min_ms, FOTA_AGENT_BACKOFF_MIN_MS);
}

static uint32_t backoff_max(const struct fota_agent *a)
{
    return fota_or_default(a->cfg->backoff_max_ms, FOTA_AGENT_BACKOFF_MAX_MS);
}

uint32_t fota_agent_poll_ms(const struct fota_agent *a, uint32_t seconds)
{
    uint32_t s = fota_or_default(seconds, fota_or_default(a->cfg->poll_interval_s,
                                                FOTA_AGENT_POLL_INTERVAL_S));

    return s > FOTA_AGENT_WAIT_MAX_MS / 1000u ? FOTA_AGENT_WAIT_MAX_MS : s * 1000u;
}

static size_t text_len(const char *s, size_t max)
{
    size_t n = 0;

    while (s != NULL && n <= max && s[n] != '\0')
        n++;
    return n;
}

/* The session made progress: the next failure waits the shortest back-off. */
void fota_agent_progress(struct fota_agent *a)
{
    a->backoff = backoff_min(a);
    a->retry_delay = a->backoff;
}

/* Ends the session on an error: send ERROR code (0: none) and close. An
 * image already marked pending still gets its reset. */
void fota_agent_fail(struct fota_agent *a, int err, uint16_t code)
{
    a->last_error = err;
    a->error_code = code;
    a->busy = 0;
    a->state = FOTA_AGENT_ST_CLOSING;
}

/* ---- frames ---- */

static void on_frame(struct fota_agent *a, const struct fota_proto_frame *f)
{
    struct fota_proto_error_msg em;
    uint32_t v;

    a->deadline = a->now + fota_agent_answer_timeout(a);
    switch (f->type) {
    case FOTA_PROTO_ERROR:
        /* The server closes: no ERROR back, back off. */
        a->server_error = fota_proto_error_parse(&em, f->body, f->len) == 0
                              ? em.code
                              : FOTA_PROTO_E_PROTO;
        fota_agent_fail(a, FOTA_E_PROTO, 0);
        return;
    case FOTA_PROTO_CHALLENGE:
        if (a->state != FOTA_AGENT_ST_CHALLENGE ||
            fota_proto_challenge_parse(a->server_nonce, f->body, f->len) < 0)
            break;
        a->hello_due = 1;
        a->state = FOTA_AGENT_ST_ANSWER;
        return;
    case FOTA_PROTO_OFFER:
        if (a->state != FOTA_AGENT_ST_ANSWER)
            break;
        fota_agent_offer_take(a, f->body, f->len);
        return;
    case FOTA_PROTO_NOTHING:
        if (a->state != FOTA_AGENT_ST_ANSWER || fota_proto_nothing_parse(&v, f->body, f->len) < 0)
            break;
        fota_agent_progress(a);
        a->up_to_date++;
        a->poll_delay = fota_agent_poll_ms(a, v);
        a->state = FOTA_AGENT_ST_FINISH;
        return;
    case FOTA_PROTO_REPORTED:
        if (a->state < FOTA_AGENT_ST_ANSWER || fota_proto_reported_parse(&v, f->body, f->len) < 0)
            break;
        fota_agent_reported(a, v);
        return;
    case FOTA_PROTO_DATA:
        if (a->state == FOTA_AGENT_ST_FINISH)
            return; /* in flight when the download ended (FAILED): dropped */
        if (a->state != FOTA_AGENT_ST_RECEIVING)
            break;
        fota_agent_data_take(a, f->body, f->len);
        return;
    default:
        break;
    }
    fota_agent_fail(a, FOTA_E_PROTO, FOTA_PROTO_E_PROTO);
}

int fota_agent_input(struct fota_agent *a, const uint8_t *data, size_t len,
                     size_t *consumed)
{
    size_t used = 0;

    *consumed = 0;
    if (!a->connected || a->state == FOTA_AGENT_ST_CONNECTING)
        return FOTA_E_STATE;
    while (used < len && !a->busy) {
        struct fota_proto_frame f;
        size_t n;
        int r;

        if (a->state == FOTA_AGENT_ST_CLOSING || a->state == FOTA_AGENT_ST_RESET) {
            used = len; /* the session is over: nothing more is read */
            break;
        }
        r = fota_proto_decoder_feed(&a->dec, data + used, len - used, &n);
        used += n;
        if (r < 0) {
            fota_agent_fail(a, r, fota_proto_error_code(r));
            used = len;
            break;
        }
        if (r == FOTA_PROTO_NEED_MORE)
            break;
        (void)fota_proto_decoder_frame(&a->dec, &f);
        on_frame(a, &f);
    }
    *consumed = used;
    return 0;
}

/* ---- output ---- */

static int hello_encode(struct fota_agent *a)
{
    const struct fota_agent_config *cfg = a->cfg;
    struct fota_proto_hello h;
    int err;

    memset(&h, 0, sizeof(h));
    h.id_len = (uint8_t)text_len(cfg->device_id, FOTA_PROTO_ID_MAX);
    memcpy(h.id, cfg->device_id, h.id_len);
    h.model_len = (uint8_t)text_len(cfg->model, FOTA_PROTO_MODEL_MAX);
    if (h.model_len > 0)
        memcpy(h.model, cfg->model, h.model_len);
    h.version = a->version;
    memcpy(h.digest, a->digest, sizeof(h.digest));
    memcpy(h.held_digest, a->p.digest, sizeof(h.held_digest));
    h.held_bytes = a->p.held;
    h.max_frame = (uint16_t)cfg->rx_size;
    h.window = cfg->window;
    h.chunk = cfg->chunk ? cfg->chunk : (uint16_t)FOTA_PROTO_DATA_MAX(cfg->rx_size);
    err = cfg->random(cfg->random_ctx, h.nonce, sizeof(h.nonce));
    if (err < 0)
        return err;
    return fota_proto_hello_encode(cfg->tx_buf, cfg->tx_size, &h, cfg->secret,
                                   a->server_nonce);
}

/* Builds the next frame to send into the empty tx buffer: 1 when there is
 * one, 0 when nothing is due, or an error. */
static int output_next(struct fota_agent *a)
{
    const struct fota_agent_config *cfg = a->cfg;
    struct fota_proto_request req;
    int n = 0;

    if (a->hello_due) {
        a->hello_due = 0;
        n = hello_encode(a);
    } else if (a->state >= FOTA_AGENT_ST_ANSWER && a->state <= FOTA_AGENT_ST_FINISH) {
        for (int i = 0; i < 2 && n == 0; i++) {
            if (a->reports[i].state != FOTA_AGENT_REPORT_DUE)
                continue;
            a->reports[i].state = FOTA_AGENT_REPORT_SENT;
            n = fota_proto_report_encode(cfg->tx_buf, cfg->tx_size, &a->reports[i].msg);
        }
        if (n == 0 && a->request_due) {
            a->request_due = 0;
            memcpy(req.digest, a->image_digest, sizeof(req.digest));
            req.offset = a->p.held;
            n = fota_proto_request_encode(cfg->tx_buf, cfg->tx_size, &req);
        }
        if (n == 0 && a->ack_due) {
            a->ack_due = 0;
            n = fota_proto_ack_encode(cfg->tx_buf, cfg->tx_size, a->programmed + a->tail_len);
        }
    }
    if (n <= 0)
        return n;
    a->tx_len = (uint32_t)n;
    a->tx_done = 0;
    return 1;
}

void fota_agent_output(struct fota_agent *a, const uint8_t **data, size_t *len)
{
    *data = a->cfg->tx_buf + a->tx_done;
    *len = a->tx_len - a->tx_done;
}

void fota_agent_sent(struct fota_agent *a, size_t n)
{
    if (n > a->tx_len - a->tx_done)
        n = a->tx_len - a->tx_done;
    a->tx_done += (uint32_t)n;
    if (a->tx_done == a->tx_len)
        a->tx_len = a->tx_done = 0;
}

/* ---- sessions ---- */

static void session_end(struct fota_agent *a)
{
    /* What was programmed is kept: the next HELLO states it. */
    (void)fota_agent_record_progress(a);
    a->connected = 0;
    a->busy = 0;
    a->tx_len = a->tx_done = 0;
    a->tail_len = 0;
    a->total = 0;
    for (int i = 0; i < 2; i++)
        if (a->reports[i].state == FOTA_AGENT_REPORT_SENT)
            a->reports[i].state = FOTA_AGENT_REPORT_DUE;
    if (a->state != FOTA_AGENT_ST_RESET)
        a->state = a->reset_after ? FOTA_AGENT_ST_RESET : FOTA_AGENT_ST_IDLE;
    /* A report the server has not acknowledged (the connection broke after
     * NOTHING, or after a refusal) goes out after the back-off, not after
     * the poll interval. */
    a->wake_at = a->now + (a->poll_delay && !fota_agent_reports_outstanding(a)
                               ? a->poll_delay
                               : a->retry_delay);
}

static int session_start(struct fota_agent *a)
{
    int err = fota_agent_boot_refresh(a);

    if (err == 1) {
        a->state = FOTA_AGENT_ST_RESET;
        return FOTA_AGENT_RESET;
    }
    a->retry_delay = a->backoff;
    a->poll_delay = 0;
    a->backoff = a->backoff * 2u < backoff_max(a) ? a->backoff * 2u : backoff_max(a);
    if (err < 0) {
        a->last_error = err;
        a->state = FOTA_AGENT_ST_IDLE;
        a->wake_at = a->now + a->retry_delay;
        return FOTA_AGENT_IDLE;
    }
    fota_proto_decoder_reset(&a->dec);
    a->hello_due = a->request_due = a->ack_due = 0;
    a->error_code = 0;
    a->reset_after = 0;
    a->busy = 0;
    a->state = FOTA_AGENT_ST_CONNECTING;
    a->deadline = a->now + fota_or_default(a->cfg->connect_timeout_ms,
                                           fota_agent_answer_timeout(a));
    a->wake_at = a->deadline;
    return FOTA_AGENT_CONNECT;
}

/* Connected states: send what is pending, else wait for input. */
static int connected_step(struct fota_agent *a)
{
    int n;

    if (a->tx_len == 0) {
        n = output_next(a);
        if (n < 0) {
            fota_agent_fail(a, n, 0);
            return fota_agent_step(a, a->now);
        }
    }
    if (a->tx_len > 0)
        return FOTA_AGENT_SEND;
    if (fota_due(a->now, a->deadline)) {
        fota_agent_fail(a, FOTA_E_TIMEOUT, FOTA_PROTO_E_TIMEOUT);
        return fota_agent_step(a, a->now);
    }
    a->wake_at = a->deadline;
    return FOTA_AGENT_WAIT;
}

static int st_idle(struct fota_agent *a)
{
    if (a->state == FOTA_AGENT_ST_IDLE && !fota_due(a->now, a->wake_at))
        return FOTA_AGENT_IDLE;
    return session_start(a);
}

static int st_connecting(struct fota_agent *a)
{
    if (!fota_due(a->now, a->deadline)) {
        a->wake_at = a->deadline;
        return FOTA_AGENT_WAIT;
    }
    a->last_error = FOTA_E_TIMEOUT;
    session_end(a);
    return FOTA_AGENT_CLOSE;
}

static int st_verify(struct fota_agent *a)
{
    /* The final ACK goes out before the long verification. */
    if (a->tx_len > 0 || a->ack_due)
        return connected_step(a);
    fota_agent_download_verify(a);
    return fota_agent_step(a, a->now);
}

static int st_finish(struct fota_agent *a)
{
    if (a->tx_len == 0 && !a->hello_due && !fota_agent_reports_outstanding(a)) {
        a->state = FOTA_AGENT_ST_CLOSING;
        return fota_agent_step(a, a->now);
    }
    return connected_step(a);
}

static int st_closing(struct fota_agent *a)
{
    int n;

    if (a->tx_len == 0 && a->error_code != 0) {
        n = fota_proto_error_encode(a->cfg->tx_buf, a->cfg->tx_size, a->error_code,
                                    NULL, 0);
        a->error_code = 0;
        if (n > 0) {
            a->tx_len = (uint32_t)n;
            a->tx_done = 0;
        }
    }
    if (a->tx_len > 0)
        return FOTA_AGENT_SEND;
    session_end(a);
    return FOTA_AGENT_CLOSE;
}

int fota_agent_step(struct fota_agent *a, uint32_t now_ms)
{
    a->now = now_ms;
    switch (a->state) {
    case FOTA_AGENT_ST_START:
    case FOTA_AGENT_ST_IDLE:
        return st_idle(a);
    case FOTA_AGENT_ST_CONNECTING:
        return st_connecting(a);
    case FOTA_AGENT_ST_CHALLENGE:
    case FOTA_AGENT_ST_ANSWER:
    case FOTA_AGENT_ST_RECEIVING:
        return connected_step(a);
    case FOTA_AGENT_ST_OFFER:
        fota_agent_offer_check(a);
        return fota_agent_step(a, a->now);
    case FOTA_AGENT_ST_VERIFY:
        return st_verify(a);
    case FOTA_AGENT_ST_FINISH:
        return st_finish(a);
    case FOTA_AGENT_ST_CLOSING:
        return st_closing(a);
    default:
        return FOTA_AGENT_RESET;
    }
}

uint32_t fota_agent_wake_at(const struct fota_agent *a)
{
    return a->wake_at;
}

void fota_agent_connected(struct fota_agent *a)
{
    if (a->state != FOTA_AGENT_ST_CONNECTING)
        return;
    a->connected = 1;
    a->state = FOTA_AGENT_ST_CHALLENGE;
    a->deadline = a->now + fota_agent_answer_timeout(a);
}

void fota_agent_disconnected(struct fota_agent *a)
{
    if (a->state == FOTA_AGENT_ST_IDLE || a->state == FOTA_AGENT_ST_START ||
        a->state == FOTA_AGENT_ST_RESET)
        return;
    if (a->state != FOTA_AGENT_ST_CLOSING && a->state != FOTA_AGENT_ST_FINISH)
        a->last_error = FOTA_E_IO;
    session_end(a);
}

/* ---- init ---- */

static int config_check(const struct fota_agent_config *cfg)
{
    const struct fota_flash *fl = cfg->boot.flash;
    const struct fota_boot_layout *l = &cfg->boot.layout;
    size_t id_len = text_len(cfg->device_id, FOTA_PROTO_ID_MAX);
    size_t model_len = text_len(cfg->model, FOTA_PROTO_MODEL_MAX);
    uint32_t page, off;

    if (fota_boot_config_check(&cfg->boot) < 0 || cfg->boot.public_key == NULL)
        return FOTA_E_INVAL;
    page = fl->page_size;
    off = cfg->progress_addr - fl->base;
    if (cfg->progress_addr < fl->base || off >= fl->size || off % page ||
        page % FOTA_AGENT_RECORD_SIZE || FOTA_AGENT_RECORD_SIZE % fl->write_size ||
        fl->write_size > FOTA_AGENT_WRITE_MAX || FOTA_AGENT_WRITE_MAX % fl->write_size)
        return FOTA_E_INVAL;
    if ((cfg->progress_addr >= l->state_addr &&
         cfg->progress_addr < l->state_addr + FOTA_BOOT_STATE_PAGES * page) ||
        (cfg->progress_addr >= l->primary_addr &&
         cfg->progress_addr < l->primary_addr + l->primary_pages * page) ||
        (cfg->progress_addr >= l->secondary_addr &&
         cfg->progress_addr < l->secondary_addr + l->secondary_pages * page))
        return FOTA_E_INVAL;
    if (id_len < 1 || id_len > FOTA_PROTO_ID_MAX || model_len > FOTA_PROTO_MODEL_MAX ||
        cfg->secret == NULL || cfg->random == NULL)
        return FOTA_E_INVAL;
    if (cfg->rx_buf == NULL || cfg->rx_size < FOTA_PROTO_MIN_FRAME ||
        cfg->rx_size > FOTA_PROTO_MAX_FRAME || cfg->tx_buf == NULL ||
        cfg->tx_size < FOTA_AGENT_TX_MIN || cfg->scratch == NULL ||
        cfg->scratch_size < page || cfg->scratch_size % fl->write_size)
        return FOTA_E_INVAL;
    if (cfg->window < 1 || cfg->window > FOTA_PROTO_WINDOW_MAX ||
        (cfg->chunk != 0 && (cfg->chunk < FOTA_PROTO_CHUNK_MIN ||
                             cfg->chunk > FOTA_PROTO_DATA_MAX(cfg->rx_size))))
        return FOTA_E_INVAL;
    return 0;
}

int fota_agent_init(struct fota_agent *a, const struct fota_agent_config *cfg)
{
    const struct fota_boot_layout *l = &cfg->boot.layout;
    struct fota_image_header hdr;
    int err;

    memset(a, 0, sizeof(*a));
    err = config_check(cfg);
    if (err < 0)
        return err;
    a->cfg = cfg;
    fota_proto_decoder_init(&a->dec, cfg->rx_buf, cfg->rx_size);
    a->backoff = backoff_min(a);
    a->retry_delay = a->backoff;
    a->state = FOTA_AGENT_ST_START;
    err = fota_agent_slot_digest(cfg, l->primary_addr,
                                 l->secondary_pages * cfg->boot.flash->page_size, &hdr,
                                 a->digest);
    if (err < 0)
        return err;
    a->version = hdr.version;
    err = fota_agent_store_load(cfg, &a->p);
    if (err < 0)
        return err;
    if (err == 0) {
        /* No record yet: start report numbers somewhere unpredictable, so a
         * device whose log was lost does not reuse old ones. */
        uint8_t r[4];

        err = cfg->random(cfg->random_ctx, r, sizeof(r));
        if (err < 0)
            return err;
        a->p.report_seq = fota_load32_le(r) & 0x7FFFFFFFu;
    }
    /* A held image that is the running one was installed: nothing held. */
    if (memcmp(a->p.digest, a->digest, FOTA_PROTO_DIGEST_SIZE) == 0) {
        memset(a->p.digest, 0, sizeof(a->p.digest));
        a->p.held = 0;
    }
    return 0;
}
