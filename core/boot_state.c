/*
 * The bootloader's state log: full snapshots of struct fota_boot_state,
 * appended to two pages used in turn (docs/flash-layout.md, "State log").
 *
 * A write never changes a byte that holds a snapshot: it programs the next
 * erased slot, and only when the current page is full erases the other one.
 * The newest valid snapshot wins. Sequence numbers decrease, so that what an
 * interrupted erase or program can do to a record (set bits: bytes back to
 * the erased value, bits not yet cleared) can only make it look older, and
 * the CRC rejects it anyway: a cut can lose the snapshot being written,
 * never bring back an older one over it or invent a newer one.
 */
#include <string.h>

#include "fota/boot.h"
#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"

/* Byte offsets in a snapshot; little-endian like every fota format. */
enum snapshot_field {
    OFF_SEQ = 0x00,
    OFF_COUNTER = 0x04,
    OFF_FLAGS = 0x08,
    OFF_SWAP_KIND = 0x09,
    OFF_SWAP_PAGES = 0x0A,
    OFF_SWAP_DONE = 0x0C,
    OFF_ACTION = 0x0E,
    OFF_REASON = 0x0F,
    OFF_MAJOR = 0x10,
    OFF_MINOR = 0x11,
    OFF_PATCH = 0x12,
    OFF_BUILD = 0x14,
    OFF_ERROR = 0x18, /* -error, then 3 bytes written as zero */
    OFF_CRC = 0x1C,   /* CRC-32 of bytes 0x00-0x1B */
};

#define FLAG_PENDING 0x01u
#define FLAG_TRIAL 0x02u

static void snapshot_encode(uint8_t *rec, const struct fota_boot_state *st)
{
    memset(rec, 0, FOTA_BOOT_RECORD_SIZE);
    fota_store32_le(rec + OFF_SEQ, st->seq);
    fota_store32_le(rec + OFF_COUNTER, st->counter);
    rec[OFF_FLAGS] = (uint8_t)((st->pending ? FLAG_PENDING : 0) | (st->trial ? FLAG_TRIAL : 0));
    rec[OFF_SWAP_KIND] = st->swap_kind;
    fota_store16_le(rec + OFF_SWAP_PAGES, st->swap_pages);
    fota_store16_le(rec + OFF_SWAP_DONE, st->swap_done);
    rec[OFF_ACTION] = st->record.action;
    rec[OFF_REASON] = st->record.reason;
    rec[OFF_MAJOR] = st->record.version.major;
    rec[OFF_MINOR] = st->record.version.minor;
    fota_store16_le(rec + OFF_PATCH, st->record.version.patch);
    fota_store32_le(rec + OFF_BUILD, st->record.version.build);
    rec[OFF_ERROR] = (uint8_t)-st->record.error;
    fota_store32_le(rec + OFF_CRC, fota_crc32(0, rec, OFF_CRC));
}

/* 0 with st's snapshot fields filled when rec is a whole snapshot whose swap
 * fields make sense; a damaged record is simply not a snapshot. */
static int snapshot_decode(struct fota_boot_state *st, const uint8_t *rec)
{
    uint8_t kind = rec[OFF_SWAP_KIND];
    uint16_t pages = fota_load16_le(rec + OFF_SWAP_PAGES);
    uint16_t done = fota_load16_le(rec + OFF_SWAP_DONE);

    if (fota_load32_le(rec + OFF_CRC) != fota_crc32(0, rec, OFF_CRC))
        return FOTA_E_CRC;
    if (kind > FOTA_BOOT_SWAP_REVERT || done > 3u * pages)
        return FOTA_E_STATE;
    st->seq = fota_load32_le(rec + OFF_SEQ);
    st->counter = fota_load32_le(rec + OFF_COUNTER);
    st->pending = (rec[OFF_FLAGS] & FLAG_PENDING) != 0;
    st->trial = (rec[OFF_FLAGS] & FLAG_TRIAL) != 0;
    st->swap_kind = kind;
    st->swap_pages = pages;
    st->swap_done = done;
    st->record.action = rec[OFF_ACTION];
    st->record.reason = rec[OFF_REASON];
    st->record.error = (int8_t)-(int)rec[OFF_ERROR];
    st->record.version.major = rec[OFF_MAJOR];
    st->record.version.minor = rec[OFF_MINOR];
    st->record.version.patch = fota_load16_le(rec + OFF_PATCH);
    st->record.version.build = fota_load32_le(rec + OFF_BUILD);
    return 0;
}

static uint32_t slots_per_page(const struct fota_boot_config *cfg)
{
    return cfg->flash->page_size / FOTA_BOOT_RECORD_SIZE;
}

static uint32_t slot_addr(const struct fota_boot_config *cfg, uint32_t page, uint32_t slot)
{
    return cfg->layout.state_addr + page * cfg->flash->page_size +
           slot * FOTA_BOOT_RECORD_SIZE;
}

static int slot_read(const struct fota_boot_config *cfg, uint32_t page, uint32_t slot,
                     uint8_t *rec)
{
    const struct fota_flash *fl = cfg->flash;

    return fl->read(fl->ctx, slot_addr(cfg, page, slot), rec, FOTA_BOOT_RECORD_SIZE);
}

static int slot_is_erased(const struct fota_boot_config *cfg, const uint8_t *rec)
{
    for (uint32_t i = 0; i < FOTA_BOOT_RECORD_SIZE; i++)
        if (rec[i] != cfg->flash->erased)
            return 0;
    return 1;
}

int fota_boot_state_read(const struct fota_boot_config *cfg, struct fota_boot_state *st)
{
    uint8_t rec[FOTA_BOOT_RECORD_SIZE];
    struct fota_boot_state snap;
    int err = fota_boot_config_check(cfg);

    if (err < 0)
        return err;
    /* Fresh: no snapshot, the log starts at page 0 slot 0, and the first
     * snapshot gets the largest sequence number a valid record can have. */
    memset(st, 0, sizeof(*st));
    st->seq = UINT32_MAX;
    for (uint32_t page = 0; page < FOTA_BOOT_STATE_PAGES; page++) {
        for (uint32_t slot = 0; slot < slots_per_page(cfg); slot++) {
            err = slot_read(cfg, page, slot, rec);
            if (err < 0)
                return err;
            if (snapshot_decode(&snap, rec) == 0 && snap.seq < st->seq) {
                *st = snap;
                st->log_page = (uint8_t)page;
                st->log_next = (uint16_t)(slot + 1);
            }
        }
    }
    return 0;
}

static int snapshot_put(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                        uint32_t page, uint32_t slot, const uint8_t *rec)
{
    const struct fota_flash *fl = cfg->flash;
    int err = fl->prog(fl->ctx, slot_addr(cfg, page, slot), rec, FOTA_BOOT_RECORD_SIZE);

    if (err < 0)
        return err;
    st->log_page = (uint8_t)page;
    st->log_next = (uint16_t)(slot + 1);
    return 0;
}

int fota_boot_state_write(const struct fota_boot_config *cfg, struct fota_boot_state *st)
{
    const struct fota_flash *fl = cfg->flash;
    uint8_t rec[FOTA_BOOT_RECORD_SIZE];
    uint8_t old[FOTA_BOOT_RECORD_SIZE];
    uint32_t other = st->log_page ^ 1u;
    int err;

    st->seq--;
    snapshot_encode(rec, st);
    /* Slots after the newest snapshot that are not erased hold a record a
     * cut interrupted: programming over them is not allowed, so skip them. */
    for (uint32_t slot = st->log_next; slot < slots_per_page(cfg); slot++) {
        err = slot_read(cfg, st->log_page, slot, old);
        if (err < 0)
            return err;
        if (slot_is_erased(cfg, old))
            return snapshot_put(cfg, st, st->log_page, slot, rec);
    }
    /* The current page is full: the other one holds only older snapshots. */
    err = fl->erase(fl->ctx, slot_addr(cfg, other, 0));
    if (err < 0)
        return err;
    return snapshot_put(cfg, st, other, 0, rec);
}
