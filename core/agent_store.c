/*
 * The agent's flash side: the progress log and the secondary slot writer
 * (docs/protocol.md, "Device progress log").
 *
 * The log is one page of 64-byte records, each the whole persistent state,
 * CRC-closed, appended in order: the last valid one is the state. A record a
 * cut damaged is skipped, never overwritten. A download starts a fresh page,
 * so a page holds the records of one image; a cut erase can bring back older
 * records of it, whose byte counts are still true (bytes once recorded are
 * rewritten only after a record that lowers the count).
 *
 * The slot writer erases a page just before its first byte is written and
 * programs whole write units; the record that claims bytes is written only
 * after they are programmed.
 */
#include <string.h>

#include "agent_internal.h"
#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"

/* Record layout. */
enum record_field {
    REC_FORMAT = 0x00,   /* RECORD_FORMAT */
    REC_PHASE = 0x01,    /* enum fota_agent_phase */
    REC_RESERVED = 0x02, /* 2 bytes, written 0xFF */
    REC_BOOT_REPORT_SEQ = 0x04,
    REC_DIGEST = 0x08,   /* 32 bytes */
    REC_HELD = 0x28,
    REC_REPORT_SEQ = 0x2C,
    REC_BOOT_SEQ = 0x30,
    REC_BOOT_FP = 0x34,
    REC_TAIL = 0x38,     /* 4 bytes: the held bytes after the last whole write
                          * unit (held % write_size of them), then 0xFF */
    REC_CRC = 0x3C,      /* CRC-32 of bytes 0x00-0x3B */
};

#define RECORD_FORMAT 0xA1u
/* A damaged record may have held a report sequence the survivors do not
 * show: skip this many so a number is never used twice. */
#define REPORT_SEQ_MARGIN 256u

static uint32_t slots_per_page(const struct fota_agent_config *cfg)
{
    return cfg->boot.flash->page_size / FOTA_AGENT_RECORD_SIZE;
}

static void record_encode(uint8_t *rec, const struct fota_agent_persist *p)
{
    memset(rec, 0xFF, FOTA_AGENT_RECORD_SIZE);
    rec[REC_FORMAT] = RECORD_FORMAT;
    rec[REC_PHASE] = p->phase;
    fota_store32_le(rec + REC_BOOT_REPORT_SEQ, p->boot_report_seq);
    memcpy(rec + REC_DIGEST, p->digest, FOTA_PROTO_DIGEST_SIZE);
    fota_store32_le(rec + REC_HELD, p->held);
    fota_store32_le(rec + REC_REPORT_SEQ, p->report_seq);
    fota_store32_le(rec + REC_BOOT_SEQ, p->boot_seq);
    fota_store32_le(rec + REC_BOOT_FP, p->boot_fp);
    memcpy(rec + REC_TAIL, p->tail, sizeof(p->tail));
    fota_store32_le(rec + REC_CRC, fota_crc32(0, rec, REC_CRC));
}

static int record_decode(struct fota_agent_persist *p, const uint8_t *rec)
{
    if (fota_load32_le(rec + REC_CRC) != fota_crc32(0, rec, REC_CRC) ||
        rec[REC_FORMAT] != RECORD_FORMAT || rec[REC_PHASE] > FOTA_AGENT_PHASE_CONFIRM)
        return FOTA_E_CRC;
    p->phase = rec[REC_PHASE];
    p->boot_report_seq = fota_load32_le(rec + REC_BOOT_REPORT_SEQ);
    memcpy(p->digest, rec + REC_DIGEST, FOTA_PROTO_DIGEST_SIZE);
    p->held = fota_load32_le(rec + REC_HELD);
    p->report_seq = fota_load32_le(rec + REC_REPORT_SEQ);
    p->boot_seq = fota_load32_le(rec + REC_BOOT_SEQ);
    p->boot_fp = fota_load32_le(rec + REC_BOOT_FP);
    memcpy(p->tail, rec + REC_TAIL, sizeof(p->tail));
    return 0;
}

static int all_erased(const struct fota_agent_config *cfg, const uint8_t *buf, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (buf[i] != cfg->boot.flash->erased)
            return 0;
    return 1;
}

int fota_agent_store_load(const struct fota_agent_config *cfg,
                          struct fota_agent_persist *p)
{
    const struct fota_flash *fl = cfg->boot.flash;
    uint8_t rec[FOTA_AGENT_RECORD_SIZE];
    struct fota_agent_persist r;
    uint32_t max_report = 0;
    int found = 0, damaged = 0;

    memset(p, 0, sizeof(*p));
    for (uint32_t slot = 0; slot < slots_per_page(cfg); slot++) {
        int err = fl->read(fl->ctx, cfg->progress_addr + slot * FOTA_AGENT_RECORD_SIZE,
                           rec, sizeof(rec));

        if (err < 0)
            return err;
        if (all_erased(cfg, rec, sizeof(rec)))
            continue;
        /* Records go after the last slot that is not erased. */
        p->next_slot = (uint16_t)(slot + 1);
        if (record_decode(&r, rec) < 0) {
            damaged = 1;
            continue;
        }
        if (!found || (int32_t)(r.report_seq - max_report) > 0)
            max_report = r.report_seq;
        r.next_slot = p->next_slot;
        *p = r;
        found = 1;
    }
    p->report_seq = max_report + (damaged ? REPORT_SEQ_MARGIN : 0);
    return found;
}

int fota_agent_store_save(const struct fota_agent_config *cfg,
                          struct fota_agent_persist *p, int new_page)
{
    const struct fota_flash *fl = cfg->boot.flash;
    uint8_t rec[FOTA_AGENT_RECORD_SIZE];
    int err;

    if (new_page || p->next_slot >= slots_per_page(cfg)) {
        err = fl->erase(fl->ctx, cfg->progress_addr);
        if (err < 0)
            return err;
        p->next_slot = 0;
    }
    record_encode(rec, p);
    /* Whatever happens next, this slot is used: a cut program leaves it
     * neither erased nor valid. */
    err = fl->prog(fl->ctx, cfg->progress_addr + p->next_slot * FOTA_AGENT_RECORD_SIZE,
                   rec, sizeof(rec));
    p->next_slot++;
    return err;
}

/* ---- the secondary slot ---- */

static uint32_t slot_addr(const struct fota_agent *a, uint32_t offset)
{
    return a->cfg->boot.layout.secondary_addr + offset;
}

/* 1 when the slot bytes [from, to) read as erased, 0 when not, or an error. */
static int range_erased(struct fota_agent *a, uint32_t from, uint32_t to)
{
    const struct fota_flash *fl = a->cfg->boot.flash;

    while (from < to) {
        uint32_t n = to - from < a->cfg->scratch_size ? to - from : a->cfg->scratch_size;
        int err = fl->read(fl->ctx, slot_addr(a, from), a->cfg->scratch, n);

        if (err < 0)
            return err;
        if (!all_erased(a->cfg, a->cfg->scratch, n))
            return 0;
        from += n;
    }
    return 1;
}

int fota_agent_slot_resume(struct fota_agent *a)
{
    const struct fota_flash *fl = a->cfg->boot.flash;
    uint32_t held = a->p.held - a->p.held % fl->write_size; /* in flash */
    uint32_t start = held - held % fl->page_size;
    uint32_t end = start + fl->page_size;
    int err;

    a->programmed = held;
    a->tail_len = (uint8_t)(a->p.held - held);
    memcpy(a->tail, a->p.tail, a->tail_len);
    a->erased_to = start;
    if (held == start)
        return 0; /* the page is erased before its first byte is written */
    err = range_erased(a, held, end);
    if (err < 0)
        return err;
    if (err == 1) {
        a->erased_to = end;
        return 0;
    }
    /* The bytes after held were written before a reset and may be half
     * programmed: rewrite the page up to held. The record says start while
     * the page is being rewritten (its tail bytes stay in p.tail). */
    err = fl->read(fl->ctx, slot_addr(a, start), a->cfg->scratch, held - start);
    if (err < 0)
        return err;
    a->p.held = start;
    err = fota_agent_store_save(a->cfg, &a->p, 0);
    if (err < 0)
        return err;
    err = fl->erase(fl->ctx, slot_addr(a, start));
    if (err == 0)
        err = fl->prog(fl->ctx, slot_addr(a, start), a->cfg->scratch, held - start);
    if (err < 0) {
        a->programmed = start;
        return err;
    }
    a->erased_to = end;
    a->p.held = held + a->tail_len;
    return fota_agent_store_save(a->cfg, &a->p, 0);
}

/* Programs len bytes (a multiple of write_size) at a->programmed, erasing
 * pages as it reaches them. */
static int program_run(struct fota_agent *a, const uint8_t *data, uint32_t len)
{
    const struct fota_flash *fl = a->cfg->boot.flash;

    while (len > 0) {
        uint32_t n;
        int err;

        if (a->programmed == a->erased_to) {
            err = fl->erase(fl->ctx, slot_addr(a, a->erased_to));
            if (err < 0)
                return err;
            a->erased_to += fl->page_size;
        }
        n = a->erased_to - a->programmed;
        if (n > len)
            n = len;
        err = fl->prog(fl->ctx, slot_addr(a, a->programmed), data, n);
        if (err < 0)
            return err;
        a->programmed += n;
        data += n;
        len -= n;
    }
    return 0;
}

int fota_agent_slot_write(struct fota_agent *a, const uint8_t *data, size_t len)
{
    uint32_t ws = a->cfg->boot.flash->write_size;

    while (len > 0) {
        if (a->tail_len > 0 || len < ws) {
            size_t take = ws - a->tail_len;
            int err;

            if (take > len)
                take = len;
            memcpy(a->tail + a->tail_len, data, take);
            a->tail_len = (uint8_t)(a->tail_len + take);
            data += take;
            len -= take;
            if (a->tail_len < ws)
                continue;
            err = program_run(a, a->tail, ws);
            if (err < 0)
                return err;
            a->tail_len = 0;
        } else {
            uint32_t n = (uint32_t)(len - len % ws);
            int err = program_run(a, data, n);

            if (err < 0)
                return err;
            data += n;
            len -= n;
        }
    }
    return 0;
}

int fota_agent_slot_finish(struct fota_agent *a)
{
    const struct fota_flash *fl = a->cfg->boot.flash;

    if (a->tail_len > 0) {
        int err;

        memset(a->tail + a->tail_len, fl->erased, fl->write_size - a->tail_len);
        err = program_run(a, a->tail, fl->write_size);
        if (err < 0)
            return err;
        a->tail_len = 0;
    }
    a->programmed = a->total;
    return 0;
}

int fota_agent_slot_verify(struct fota_agent *a)
{
    const struct fota_agent_config *cfg = a->cfg;
    const struct fota_flash *fl = cfg->boot.flash;
    uint32_t addr = cfg->boot.layout.secondary_addr;
    struct fota_image_header hdr;
    uint8_t digest[FOTA_PROTO_DIGEST_SIZE];
    int err = fota_image_verify_flash(fl, addr, a->total, cfg->boot.public_key, cfg->scratch,
                                      cfg->scratch_size, &hdr);

    if (err < 0)
        return err;
    /* A different image, validly signed, is still not the one offered. */
    err = fl->read(fl->ctx, addr + hdr.header_size + hdr.payload_size, digest, sizeof(digest));
    if (err < 0)
        return err;
    if (fota_image_total_size(&hdr) != a->total ||
        memcmp(digest, a->image_digest, sizeof(digest)) != 0)
        return FOTA_E_DIGEST;
    return 0;
}

int fota_agent_slot_digest(const struct fota_agent_config *cfg, uint32_t addr,
                           uint32_t slot_size, struct fota_image_header *hdr,
                           uint8_t digest[FOTA_PROTO_DIGEST_SIZE])
{
    const struct fota_flash *fl = cfg->boot.flash;
    uint8_t fixed[FOTA_IMAGE_FIXED_HEADER_SIZE];
    int err = fl->read(fl->ctx, addr, fixed, sizeof(fixed));

    memset(digest, 0, FOTA_PROTO_DIGEST_SIZE);
    if (err < 0)
        return err;
    err = fota_image_header_parse(hdr, fixed, sizeof(fixed));
    /* TRUNCATED: only the TLVs are missing, the sizes are known. */
    if ((err < 0 && err != FOTA_E_TRUNCATED) || fota_image_total_size(hdr) > slot_size) {
        memset(hdr, 0, sizeof(*hdr));
        return 0;
    }
    return fl->read(fl->ctx, addr + hdr->header_size + hdr->payload_size, digest,
                    FOTA_PROTO_DIGEST_SIZE);
}
