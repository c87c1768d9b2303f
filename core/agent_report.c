/*
 * What the bootloader did, reported once (docs/protocol.md, "REPORT,
 * REPORTED" and "Device progress log").
 *
 * The agent compares the bootloader's state (its last record, the trial
 * flag, the log's sequence number) with its own persisted marker: the phase
 * and a fingerprint of the last boot record it took as an outcome. A record
 * it has not seen is an outcome to report; the phase says what comes next
 * (the confirm after an install). Each due report gets its sequence number
 * and is recorded before it is sent, so a reset resends it with the same
 * sequence and the server stores it once.
 *
 * Marking pending records boot_seq, the boot state's sequence number before
 * the mark: after a reset, a state that moved past it means the mark reached
 * flash and the bootloader acted on it, even when its record looks like one
 * already reported (the same image refused twice).
 */
#include <string.h>

#include "agent_internal.h"
#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"

void fota_agent_report_set(struct fota_agent *a, int slot, uint8_t event,
                           const struct fota_version *version, const uint8_t *digest)
{
    struct fota_agent_report *r = &a->reports[slot];

    memset(&r->msg, 0, sizeof(r->msg));
    r->msg.sequence =
        slot == FOTA_AGENT_REPORT_BOOT ? a->p.boot_report_seq : a->p.report_seq;
    r->msg.event = event;
    r->msg.version = *version;
    if (digest != NULL)
        memcpy(r->msg.digest, digest, FOTA_PROTO_DIGEST_SIZE);
    r->state = FOTA_AGENT_REPORT_DUE;
}

static uint32_t record_fingerprint(const struct fota_boot_record *rec)
{
    uint8_t b[11];

    b[0] = rec->action;
    b[1] = rec->reason;
    b[2] = (uint8_t)rec->error;
    b[3] = rec->version.major;
    b[4] = rec->version.minor;
    fota_store16_le(b + 5, rec->version.patch);
    fota_store32_le(b + 7, rec->version.build);
    /* 0 stands for "no record seen". */
    return fota_crc32(0, b, sizeof(b)) | 1u;
}

static int is_outcome(const struct fota_boot_record *rec)
{
    return rec->action == FOTA_BOOT_ACTION_INSTALLED ||
           rec->action == FOTA_BOOT_ACTION_REVERTED ||
           rec->action == FOTA_BOOT_ACTION_REFUSED ||
           rec->action == FOTA_BOOT_ACTION_RECOVERED;
}

static int held_any(const struct fota_agent *a)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < sizeof(a->p.digest); i++)
        acc |= a->p.digest[i];
    return acc != 0 || a->p.held != 0;
}

/* The boot report for what p.phase says is due. */
static int boot_report_build(struct fota_agent *a, const struct fota_boot_record *rec)
{
    const struct fota_agent_config *cfg = a->cfg;
    struct fota_agent_report *r = &a->reports[FOTA_AGENT_REPORT_BOOT];
    struct fota_image_header hdr;
    uint8_t digest[FOTA_PROTO_DIGEST_SIZE];
    uint8_t event;
    int err;

    if (a->p.phase != FOTA_AGENT_PHASE_OUTCOME && a->p.phase != FOTA_AGENT_PHASE_CONFIRM) {
        r->state = FOTA_AGENT_REPORT_NONE;
        return 0;
    }
    if (r->state != FOTA_AGENT_REPORT_NONE && r->msg.sequence == a->p.boot_report_seq)
        return 0; /* already built: keep its state */
    if (a->p.phase == FOTA_AGENT_PHASE_CONFIRM) {
        fota_agent_report_set(a, FOTA_AGENT_REPORT_BOOT, FOTA_PROTO_EV_CONFIRMED,
                              &a->version, a->digest);
        return 0;
    }
    if (rec->action == FOTA_BOOT_ACTION_INSTALLED || rec->action == FOTA_BOOT_ACTION_RECOVERED) {
        /* The image concerned runs now. */
        fota_agent_report_set(a, FOTA_AGENT_REPORT_BOOT, FOTA_PROTO_EV_INSTALLED,
                              &rec->version, a->digest);
    } else {
        /* Reverted from, or refused: that image sits in the secondary. */
        err = fota_agent_slot_digest(cfg, cfg->boot.layout.secondary_addr,
                                     cfg->boot.layout.secondary_pages *
                                         cfg->boot.flash->page_size,
                                     &hdr, digest);
        if (err < 0)
            return err;
        event = rec->action == FOTA_BOOT_ACTION_REVERTED ? FOTA_PROTO_EV_REVERTED
                                                         : FOTA_PROTO_EV_REFUSED;
        fota_agent_report_set(a, FOTA_AGENT_REPORT_BOOT, event, &rec->version, digest);
    }
    r->msg.reason = rec->reason;
    r->msg.error = rec->error;
    if (rec->action == FOTA_BOOT_ACTION_RECOVERED)
        r->msg.reason = FOTA_BOOT_REASON_PRIMARY_INVALID;
    return 0;
}

int fota_agent_boot_refresh(struct fota_agent *a)
{
    struct fota_boot_state st;
    uint32_t fp;
    uint8_t phase;
    int new_page = 0;
    int err = fota_boot_state_read(&a->cfg->boot, &st);

    if (err < 0)
        return err;
    fp = record_fingerprint(&st.record);
    phase = a->p.phase;
    if (phase == FOTA_AGENT_PHASE_AWAIT) {
        if (st.pending)
            return 1;
        if (st.seq == a->p.boot_seq) {
            phase = FOTA_AGENT_PHASE_IDLE; /* the mark never reached flash */
        } else {
            phase = FOTA_AGENT_PHASE_OUTCOME; /* the bootloader acted on it */
            a->p.boot_fp = 0;
        }
    }
    if (fp != a->p.boot_fp) {
        /* A record not taken before: the bootloader did something. */
        a->p.boot_fp = fp;
        phase = is_outcome(&st.record) ? FOTA_AGENT_PHASE_OUTCOME : FOTA_AGENT_PHASE_IDLE;
        if (phase == FOTA_AGENT_PHASE_OUTCOME)
            a->p.boot_report_seq = ++a->p.report_seq;
    } else if (phase == FOTA_AGENT_PHASE_CONFIRM_WAIT && !st.trial) {
        phase = FOTA_AGENT_PHASE_CONFIRM;
        a->p.boot_report_seq = ++a->p.report_seq;
    }
    /* A new outcome: the held download was installed, swapped out or
     * refused; forget it (a fresh page, as for every change of image). */
    if (phase == FOTA_AGENT_PHASE_OUTCOME && a->p.phase != FOTA_AGENT_PHASE_OUTCOME &&
        held_any(a)) {
        memset(a->p.digest, 0, sizeof(a->p.digest));
        a->p.held = 0;
        new_page = 1;
    }
    if (phase != a->p.phase || new_page) {
        a->p.phase = phase;
        err = fota_agent_store_save(a->cfg, &a->p, new_page);
        if (err < 0)
            return err;
    }
    return boot_report_build(a, &st.record);
}

int fota_agent_boot_reported(struct fota_agent *a, uint32_t seq)
{
    struct fota_agent_report *boot = &a->reports[FOTA_AGENT_REPORT_BOOT];

    if (boot->state != FOTA_AGENT_REPORT_SENT || boot->msg.sequence != seq)
        return 0;
    boot->state = FOTA_AGENT_REPORT_NONE;
    /* After an install on trial, the confirm is the next event. */
    if (a->p.phase == FOTA_AGENT_PHASE_OUTCOME && boot->msg.event == FOTA_PROTO_EV_INSTALLED &&
        boot->msg.reason != FOTA_BOOT_REASON_PRIMARY_INVALID)
        a->p.phase = FOTA_AGENT_PHASE_CONFIRM_WAIT;
    else
        a->p.phase = FOTA_AGENT_PHASE_IDLE;
    if (fota_agent_store_save(a->cfg, &a->p, 0) == 0)
        (void)fota_agent_boot_refresh(a);
    return 1;
}
