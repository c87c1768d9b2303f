/*
 * The agent's download (docs/protocol.md, "OFFER, REQUEST" and "DATA, ACK
 * and the window"): the checks of an offered manifest, DATA into the
 * secondary slot with its progress recorded, the final verification, the
 * mark for the bootloader, and the reports about the download.
 */
#include <string.h>

#include "agent_internal.h"
#include "fota/error.h"

/* ---- reports ---- */

/* A report about this download, with a fresh sequence number. The caller
 * records it (best effort: a flash that fails now still lets it go out). */
static void report_download(struct fota_agent *a, uint8_t event, int err)
{
    a->p.report_seq++;
    fota_agent_report_set(a, FOTA_AGENT_REPORT_DOWNLOAD, event, &a->image.version,
                          a->image_digest);
    a->reports[FOTA_AGENT_REPORT_DOWNLOAD].msg.error = (int16_t)err;
}

int fota_agent_reports_outstanding(const struct fota_agent *a)
{
    return a->reports[0].state != FOTA_AGENT_REPORT_NONE ||
           a->reports[1].state != FOTA_AGENT_REPORT_NONE;
}

/* The server stored the report with this sequence. */
void fota_agent_reported(struct fota_agent *a, uint32_t seq)
{
    struct fota_agent_report *dl = &a->reports[FOTA_AGENT_REPORT_DOWNLOAD];

    fota_agent_progress(a);
    if (dl->state == FOTA_AGENT_REPORT_SENT && dl->msg.sequence == seq)
        dl->state = FOTA_AGENT_REPORT_NONE;
    (void)fota_agent_boot_reported(a, seq);
}

/* ---- the download ---- */

/* Drops the held download and records that (with the report sequence). */
static void download_forget(struct fota_agent *a)
{
    a->total = 0;
    memset(a->p.digest, 0, sizeof(a->p.digest));
    a->p.held = 0;
    (void)fota_agent_store_save(a->cfg, &a->p, 1);
}

/* A flash operation failed: report FAILED, start over next time. */
static void flash_failed(struct fota_agent *a, int err)
{
    a->last_error = err;
    a->busy = 0;
    report_download(a, FOTA_PROTO_EV_FAILED, err);
    download_forget(a);
    a->state = FOTA_AGENT_ST_FINISH;
}

/* The image is refused: report it, ask again at the next poll. forget: the
 * refused image is the one held (it failed verification), drop it. */
static void refuse(struct fota_agent *a, int err, int forget)
{
    a->last_error = err;
    a->busy = 0;
    report_download(a, FOTA_PROTO_EV_REFUSED, err);
    if (forget)
        download_forget(a);
    else
        (void)fota_agent_store_save(a->cfg, &a->p, 0);
    a->poll_delay = fota_agent_poll_ms(a, 0);
    a->error_code = FOTA_PROTO_E_REFUSED;
    a->state = FOTA_AGENT_ST_FINISH;
}

/* Records the bytes received so far as held, when there are more: those
 * programmed and the partial write unit after them, which the record keeps. */
int fota_agent_record_progress(struct fota_agent *a)
{
    uint32_t held = a->programmed + a->tail_len;

    if (a->total == 0 || held <= a->p.held)
        return 0;
    a->p.held = held;
    memset(a->p.tail, 0xFF, sizeof(a->p.tail));
    memcpy(a->p.tail, a->tail, a->tail_len);
    return fota_agent_store_save(a->cfg, &a->p, 0);
}

static int manifest_check(struct fota_agent *a, const struct fota_proto_offer *o)
{
    const struct fota_agent_config *cfg = a->cfg;
    const struct fota_boot_layout *l = &cfg->boot.layout;
    struct fota_boot_state st;
    int err = fota_image_manifest_verify(&o->header, o->manifest, o->digest, o->signature,
                                         cfg->boot.public_key);

    if (err < 0)
        return err;
    if (o->header.load_address != l->primary_addr + o->header.header_size)
        return FOTA_E_ADDRESS;
    if (fota_image_total_size(&o->header) > l->secondary_pages * cfg->boot.flash->page_size ||
        o->header.header_size > cfg->scratch_size)
        return FOTA_E_TOO_BIG;
    err = fota_boot_state_read(&cfg->boot, &st);
    if (err < 0)
        return err;
    /* On trial, the secondary holds the image a revert needs: not now. */
    if (st.trial)
        return FOTA_E_STATE;
    if (o->header.security_counter < st.counter)
        return FOTA_E_ROLLBACK;
    return 0;
}

/* OFFER: the body stays in the decoder's buffer while input() is busy, so
 * the slow checks (a signature) run in step(): fota_agent_offer_check(). */
void fota_agent_offer_take(struct fota_agent *a, const uint8_t *body, size_t len)
{
    struct fota_proto_offer o;
    int err = fota_proto_offer_parse(&o, body, len);

    if (err == FOTA_E_PROTO) {
        fota_agent_fail(a, err, FOTA_PROTO_E_PROTO);
        return;
    }
    memset(&a->image, 0, sizeof(a->image));
    memset(a->image_digest, 0, sizeof(a->image_digest));
    if (err == 0) {
        a->image = o.header;
        memcpy(a->image_digest, o.digest, FOTA_PROTO_DIGEST_SIZE);
    }
    a->offer_body = body;
    a->offer_len = (uint32_t)len;
    a->busy = 1;
    a->state = FOTA_AGENT_ST_OFFER;
}

void fota_agent_offer_check(struct fota_agent *a)
{
    struct fota_proto_offer o;
    int err = fota_proto_offer_parse(&o, a->offer_body, a->offer_len);

    a->busy = 0;
    if (err == 0)
        err = manifest_check(a, &o);
    if (err == FOTA_E_IO) {
        flash_failed(a, err);
        return;
    }
    if (err == FOTA_E_STATE) {
        fota_agent_fail(a, err, FOTA_PROTO_E_REFUSED); /* back off, ask again */
        return;
    }
    if (err < 0) {
        refuse(a, err, 0);
        return;
    }
    a->total = fota_image_total_size(&o.header);
    if (memcmp(a->p.digest, o.digest, FOTA_PROTO_DIGEST_SIZE) != 0 || a->p.held > a->total) {
        memcpy(a->p.digest, o.digest, FOTA_PROTO_DIGEST_SIZE);
        a->p.held = 0;
        err = fota_agent_store_save(a->cfg, &a->p, 1);
    }
    if (err == 0 && a->p.held < a->total)
        err = fota_agent_slot_resume(a);
    if (err < 0) {
        flash_failed(a, err);
        return;
    }
    if (a->p.held == a->total) {
        a->programmed = a->total;
        a->state = FOTA_AGENT_ST_VERIFY;
    } else {
        a->request_due = 1;
        a->state = FOTA_AGENT_ST_RECEIVING;
    }
}

void fota_agent_data_take(struct fota_agent *a, const uint8_t *body, size_t len)
{
    uint32_t every = a->cfg->record_every ? a->cfg->record_every : a->cfg->boot.flash->page_size;
    struct fota_proto_data d;
    uint32_t expect = a->programmed + a->tail_len;
    uint32_t skip;
    int err = fota_proto_data_parse(&d, body, len);

    if (err < 0 || d.offset + d.len > a->total) {
        fota_agent_fail(a, FOTA_E_PROTO, FOTA_PROTO_E_PROTO);
        return;
    }
    a->bytes_received += (uint32_t)d.len;
    if (d.offset > expect || d.offset + d.len <= expect) {
        a->ack_due = 1; /* not the next bytes: drop, say what is held */
        return;
    }
    skip = expect - d.offset;
    fota_agent_progress(a);
    err = fota_agent_slot_write(a, d.bytes + skip, d.len - skip);
    if (err == 0 && a->programmed + a->tail_len == a->total)
        err = fota_agent_slot_finish(a);
    if (err == 0 && (a->programmed == a->total ||
                     a->programmed + a->tail_len - a->p.held >= every))
        err = fota_agent_record_progress(a);
    if (err < 0) {
        flash_failed(a, err);
        return;
    }
    /* Each frame is acknowledged at once: with a window of a few small frames
     * the server never waits for more than one frame's acknowledgement. */
    a->ack_due = 1;
    if (a->programmed == a->total) {
        a->busy = 1;
        a->state = FOTA_AGENT_ST_VERIFY;
    }
}

/* ---- the end of a download ---- */

void fota_agent_download_verify(struct fota_agent *a)
{
    struct fota_boot_state st;
    int err;

    err = fota_agent_slot_verify(a);
    a->busy = 0;
    if (err == FOTA_E_IO) {
        flash_failed(a, err);
        return;
    }
    if (err < 0) {
        refuse(a, err, 1);
        return;
    }
    /* Record the intent before marking: after a reset, a boot state that
     * moved past boot_seq tells that the mark (and the bootloader) happened. */
    err = fota_boot_state_read(&a->cfg->boot, &st);
    if (err == 0) {
        report_download(a, FOTA_PROTO_EV_DOWNLOADED, 0);
        a->p.phase = FOTA_AGENT_PHASE_AWAIT;
        a->p.boot_seq = st.seq;
        err = fota_agent_store_save(a->cfg, &a->p, 0);
    }
    if (err == 0)
        err = fota_boot_mark_pending(&a->cfg->boot);
    if (err < 0) {
        a->last_error = err;
        report_download(a, FOTA_PROTO_EV_FAILED, err);
        (void)fota_agent_store_save(a->cfg, &a->p, 0);
    } else {
        a->reset_after = 1;
    }
    a->deadline = a->now + fota_agent_answer_timeout(a);
    a->state = FOTA_AGENT_ST_FINISH;
}
