/*
 * The bootloader's decision at each reset and the swap that installs and
 * reverts images (docs/flash-layout.md, "Swap" and "Decision").
 *
 * The swap exchanges the first m pages of the two slots using the spare
 * page at the end of the primary: first every primary page moves up by one
 * (top first), then for each page i the secondary's page i goes to primary
 * page i and the moved old page i goes to secondary page i. A snapshot after
 * each of the 3m steps records progress, and each step's source stays intact
 * until the next step is recorded, so after a reset the interrupted step is
 * simply done again. Doing the swap a second time undoes it.
 */
#include <string.h>

#include "fota/boot.h"
#include "fota/error.h"

const struct fota_boot_layout fota_boot_layout_stm32f103ze = {
    .state_addr = 0x08004000u,
    .primary_addr = 0x08005000u,
    .primary_pages = 115u,
    .secondary_addr = 0x0803E800u,
    .secondary_pages = 114u,
};

const struct fota_boot_layout fota_boot_layout_stm32f103zg = {
    .state_addr = 0x08004000u,
    .primary_addr = 0x08005000u,
    .primary_pages = 243u,
    .secondary_addr = 0x0807E800u,
    .secondary_pages = 242u,
};

/* ---- configuration ---- */

static int area_ok(const struct fota_flash *fl, uint32_t addr, uint32_t pages)
{
    uint32_t off = addr - fl->base;

    return addr >= fl->base && off <= fl->size && off % fl->page_size == 0 &&
           pages <= (fl->size - off) / fl->page_size;
}

/* On offsets from the flash's base, whose ends area_ok() bounds by its
 * size: an area's end address may be 2^32, which wraps to 0. */
static int disjoint(const struct fota_flash *fl, uint32_t a, uint32_t a_pages, uint32_t b,
                    uint32_t b_pages)
{
    a -= fl->base;
    b -= fl->base;
    return a + a_pages * fl->page_size <= b || b + b_pages * fl->page_size <= a;
}

int fota_boot_config_check(const struct fota_boot_config *cfg)
{
    const struct fota_flash *fl = cfg->flash;
    const struct fota_boot_layout *l = &cfg->layout;

    if (fl == NULL || fl->page_size < FOTA_BOOT_RECORD_SIZE ||
        fl->page_size % FOTA_BOOT_RECORD_SIZE || fl->write_size == 0 ||
        FOTA_BOOT_RECORD_SIZE % fl->write_size)
        return FOTA_E_INVAL;
    /* The swap counts its 3m steps in 16 bits. */
    if (l->secondary_pages == 0 || l->secondary_pages > 0xFFFFu / 3u ||
        l->primary_pages <= l->secondary_pages)
        return FOTA_E_INVAL;
    if (!area_ok(fl, l->state_addr, FOTA_BOOT_STATE_PAGES) ||
        !area_ok(fl, l->primary_addr, l->primary_pages) ||
        !area_ok(fl, l->secondary_addr, l->secondary_pages))
        return FOTA_E_INVAL;
    if (!disjoint(fl, l->state_addr, FOTA_BOOT_STATE_PAGES, l->primary_addr, l->primary_pages) ||
        !disjoint(fl, l->state_addr, FOTA_BOOT_STATE_PAGES, l->secondary_addr,
                  l->secondary_pages) ||
        !disjoint(fl, l->primary_addr, l->primary_pages, l->secondary_addr, l->secondary_pages))
        return FOTA_E_INVAL;
    return 0;
}

/* ---- images in the slots ---- */

/* Whether the image in the slot at addr may boot from the primary: signed
 * with the key, linked for the primary, counter not below the stored one.
 * Returns the flash's error, or 0 with *verdict 0 or the reason it may not. */
static int slot_verify(const struct fota_boot_config *cfg, uint32_t addr, uint32_t counter,
                       struct fota_image_header *hdr, int *verdict)
{
    /* Images arrive through the secondary: none is larger than it. */
    uint32_t size = cfg->layout.secondary_pages * cfg->flash->page_size;
    int err;

    memset(hdr, 0, sizeof(*hdr));
    err = fota_image_verify_flash(cfg->flash, addr, size, cfg->public_key, cfg->buf,
                                  cfg->buf_size, hdr);
    if (err == FOTA_E_IO)
        return err;
    if (err == FOTA_E_TRUNCATED) /* the source is the whole slot */
        err = FOTA_E_TOO_BIG;
    else if (err == 0 && hdr->load_address != cfg->layout.primary_addr + hdr->header_size)
        err = FOTA_E_ADDRESS;
    else if (err == 0 && hdr->security_counter < counter)
        err = FOTA_E_ROLLBACK;
    *verdict = err;
    return 0;
}

/* The fixed part of the header in the slot at addr, enough for sizes, the
 * version and the counter; all zero when it does not parse. */
static int header_peek(const struct fota_boot_config *cfg, uint32_t addr,
                       struct fota_image_header *hdr)
{
    uint8_t fixed[FOTA_IMAGE_FIXED_HEADER_SIZE];
    int err = cfg->flash->read(cfg->flash->ctx, addr, fixed, sizeof(fixed));

    if (err < 0)
        return err;
    err = fota_image_header_parse(hdr, fixed, sizeof(fixed));
    if (err < 0 && err != FOTA_E_TRUNCATED) /* TRUNCATED: only the TLVs missing */
        memset(hdr, 0, sizeof(*hdr));
    return 0;
}

/* Pages the image occupies; 0 for no image: nothing there worth keeping. */
static uint32_t image_pages(const struct fota_boot_config *cfg,
                            const struct fota_image_header *hdr)
{
    uint32_t total = hdr->header_size ? fota_image_total_size(hdr) : 0;
    uint32_t pages = total / cfg->flash->page_size + (total % cfg->flash->page_size != 0);

    return pages < cfg->layout.secondary_pages ? pages : cfg->layout.secondary_pages;
}

/* ---- the swap ---- */

/* Erases the page at dst and copies the page at src into it through buf. */
static int page_copy(const struct fota_boot_config *cfg, uint32_t dst, uint32_t src)
{
    const struct fota_flash *fl = cfg->flash;
    int err = fl->erase(fl->ctx, dst);

    for (uint32_t off = 0; err == 0 && off < fl->page_size; off += cfg->buf_size) {
        uint32_t n = fl->page_size - off < cfg->buf_size ? fl->page_size - off : cfg->buf_size;

        err = fl->read(fl->ctx, src + off, cfg->buf, n);
        if (err == 0)
            err = fl->prog(fl->ctx, dst + off, cfg->buf, n);
    }
    return err;
}

/* Step s of the 3m: first m moves (primary page i to i + 1, top first), then
 * for each page i: secondary i to primary i, moved old primary i to
 * secondary i. */
static int swap_step(const struct fota_boot_config *cfg, uint32_t m, uint32_t s)
{
    uint32_t page = cfg->flash->page_size;
    uint32_t primary = cfg->layout.primary_addr;
    uint32_t secondary = cfg->layout.secondary_addr;
    uint32_t i;

    if (s < m) {
        i = m - 1 - s;
        return page_copy(cfg, primary + (i + 1) * page, primary + i * page);
    }
    i = (s - m) / 2;
    if ((s - m) % 2 == 0)
        return page_copy(cfg, primary + i * page, secondary + i * page);
    return page_copy(cfg, secondary + i * page, primary + (i + 1) * page);
}

/* Does the steps not yet recorded, each followed by a snapshot; the last
 * snapshot also ends the swap (and starts the trial of an install). */
static int swap_run(const struct fota_boot_config *cfg, struct fota_boot_state *st)
{
    uint32_t total = 3u * st->swap_pages;
    int err;

    while (st->swap_done < total) {
        err = swap_step(cfg, st->swap_pages, st->swap_done);
        if (err < 0)
            return err;
        if (++st->swap_done == total)
            break;
        err = fota_boot_state_write(cfg, st);
        if (err < 0)
            return err;
    }
    st->trial = st->swap_kind == FOTA_BOOT_SWAP_INSTALL;
    st->swap_kind = FOTA_BOOT_SWAP_NONE;
    st->swap_pages = 0;
    st->swap_done = 0;
    return fota_boot_state_write(cfg, st);
}

/* ---- the decision ---- */

static int swap_begin(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                      uint8_t kind, struct fota_boot_record why,
                      struct fota_boot_result *res);

/* Stay in the bootloader: nothing here may boot. */
static int recovery(struct fota_boot_result *res, int verdict)
{
    memset(res, 0, sizeof(*res));
    res->record.action = FOTA_BOOT_ACTION_RECOVERY;
    res->record.reason = FOTA_BOOT_REASON_PRIMARY_INVALID;
    res->record.error = (int8_t)verdict;
    return 0;
}

/* Verifies the primary for this boot and names it in res. */
static int primary_verify(const struct fota_boot_config *cfg, const struct fota_boot_state *st,
                          struct fota_boot_result *res, int *verdict)
{
    int err = slot_verify(cfg, cfg->layout.primary_addr, st->counter, &res->image, verdict);

    res->image_addr = cfg->layout.primary_addr;
    res->load_address = res->image.load_address;
    return err;
}

/* The primary may not boot: take the secondary for good if it may. */
static int primary_fallback(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                            struct fota_boot_result *res, int verdict)
{
    struct fota_image_header hdr;
    struct fota_boot_record why = {FOTA_BOOT_ACTION_RECOVERED,
                                   FOTA_BOOT_REASON_PRIMARY_INVALID, (int8_t)verdict, {0}};
    int secondary;
    int err = slot_verify(cfg, cfg->layout.secondary_addr, st->counter, &hdr, &secondary);

    if (err < 0)
        return err;
    if (secondary != 0)
        return recovery(res, verdict);
    return swap_begin(cfg, st, FOTA_BOOT_SWAP_REVERT, why, res);
}

static int primary_boot(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                        struct fota_boot_result *res)
{
    int verdict;
    int err = primary_verify(cfg, st, res, &verdict);

    if (err < 0 || verdict == 0)
        return err;
    return primary_fallback(cfg, st, res, verdict);
}

static int revert(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                  uint8_t reason, int verdict, struct fota_boot_result *res)
{
    struct fota_boot_record why = {FOTA_BOOT_ACTION_REVERTED, reason, (int8_t)verdict, {0}};

    return swap_begin(cfg, st, FOTA_BOOT_SWAP_REVERT, why, res);
}

/* Finishes the swap in progress and boots what it brought in. Each fallback
 * starts a different swap, so one reset does at most an install, a revert
 * and a recovery. */
static int swap_finish(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                       struct fota_boot_result *res)
{
    uint8_t kind = st->swap_kind;
    int verdict;
    int err;

    if (st->swap_pages > cfg->layout.secondary_pages)
        return FOTA_E_STATE; /* a snapshot written for another layout */
    err = swap_run(cfg, st);
    if (err < 0)
        return err;
    err = primary_verify(cfg, st, res, &verdict);
    res->record = st->record;
    if (err < 0 || verdict == 0)
        return err;
    if (kind == FOTA_BOOT_SWAP_INSTALL)
        return revert(cfg, st, FOTA_BOOT_REASON_VERIFY_FAILED, verdict, res);
    if (st->record.action == FOTA_BOOT_ACTION_REVERTED)
        return primary_fallback(cfg, st, res, verdict);
    return recovery(res, verdict);
}

/* Records why the swap starts and its size before the first erase. The
 * version recorded is the one of the image leaving the primary for a
 * revert, of the image entering it otherwise. */
static int swap_begin(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                      uint8_t kind, struct fota_boot_record why,
                      struct fota_boot_result *res)
{
    struct fota_image_header primary;
    struct fota_image_header secondary;
    uint32_t m;
    int err = header_peek(cfg, cfg->layout.primary_addr, &primary);

    if (err == 0)
        err = header_peek(cfg, cfg->layout.secondary_addr, &secondary);
    if (err < 0)
        return err;
    m = image_pages(cfg, &primary);
    if (image_pages(cfg, &secondary) > m)
        m = image_pages(cfg, &secondary);
    why.version = why.action == FOTA_BOOT_ACTION_REVERTED ? primary.version : secondary.version;
    st->pending = 0;
    st->trial = 0;
    st->swap_kind = kind;
    st->swap_pages = (uint16_t)m;
    st->swap_done = 0;
    st->record = why;
    err = fota_boot_state_write(cfg, st);
    if (err < 0)
        return err;
    return swap_finish(cfg, st, res);
}

static uint8_t refusal_reason(int verdict)
{
    return verdict == FOTA_E_ROLLBACK ? FOTA_BOOT_REASON_ROLLBACK
                                      : FOTA_BOOT_REASON_VERIFY_FAILED;
}

/* The agent asked for the secondary: install it, or say why not and boot
 * the primary. */
static int pending_take(const struct fota_boot_config *cfg, struct fota_boot_state *st,
                        struct fota_boot_result *res)
{
    struct fota_boot_record install = {FOTA_BOOT_ACTION_INSTALLED,
                                       FOTA_BOOT_REASON_REQUESTED, 0, {0}};
    struct fota_image_header hdr;
    int verdict;
    int err = slot_verify(cfg, cfg->layout.secondary_addr, st->counter, &hdr, &verdict);

    if (err < 0)
        return err;
    if (verdict == 0)
        return swap_begin(cfg, st, FOTA_BOOT_SWAP_INSTALL, install, res);
    st->pending = 0;
    st->record.action = FOTA_BOOT_ACTION_REFUSED;
    st->record.reason = refusal_reason(verdict);
    st->record.error = (int8_t)verdict;
    st->record.version = hdr.version;
    err = fota_boot_state_write(cfg, st);
    if (err < 0)
        return err;
    res->record = st->record;
    return primary_boot(cfg, st, res);
}

int fota_boot_go(const struct fota_boot_config *cfg, struct fota_boot_result *res)
{
    struct fota_boot_state st;
    int err;

    memset(res, 0, sizeof(*res));
    err = fota_boot_state_read(cfg, &st);
    if (err < 0)
        return err;
    if (cfg->public_key == NULL || cfg->buf == NULL ||
        cfg->buf_size < FOTA_IMAGE_FIXED_HEADER_SIZE || cfg->buf_size % cfg->flash->write_size)
        return FOTA_E_INVAL;
    if (st.swap_kind != FOTA_BOOT_SWAP_NONE)
        return swap_finish(cfg, &st, res);
    if (st.trial)
        return revert(cfg, &st, FOTA_BOOT_REASON_NOT_CONFIRMED, 0, res);
    if (st.pending)
        return pending_take(cfg, &st, res);
    res->record.action = FOTA_BOOT_ACTION_BOOT;
    return primary_boot(cfg, &st, res);
}

/* ---- the application's side ---- */

int fota_boot_confirm(const struct fota_boot_config *cfg)
{
    struct fota_boot_state st;
    struct fota_image_header running;
    int err = fota_boot_state_read(cfg, &st);

    if (err == 0)
        err = header_peek(cfg, cfg->layout.primary_addr, &running);
    if (err < 0)
        return err;
    if (st.swap_kind != FOTA_BOOT_SWAP_NONE)
        return FOTA_E_STATE;
    if (running.header_size == 0)
        return FOTA_E_NO_IMAGE;
    if (!st.trial && st.counter >= running.security_counter)
        return 0;
    st.trial = 0;
    if (running.security_counter > st.counter)
        st.counter = running.security_counter;
    return fota_boot_state_write(cfg, &st);
}

int fota_boot_mark_pending(const struct fota_boot_config *cfg)
{
    struct fota_boot_state st;
    int err = fota_boot_state_read(cfg, &st);

    if (err < 0)
        return err;
    if (st.swap_kind != FOTA_BOOT_SWAP_NONE || st.trial)
        return FOTA_E_STATE;
    if (st.pending)
        return 0;
    st.pending = 1;
    return fota_boot_state_write(cfg, &st);
}

int fota_boot_record_read(const struct fota_boot_config *cfg,
                          struct fota_boot_record *record)
{
    struct fota_boot_state st;
    int err = fota_boot_state_read(cfg, &st);

    if (err < 0)
        return err;
    *record = st.record;
    return 0;
}
