/*
 * The bootloader core: at every reset it decides what to boot, installs a
 * pending image from the secondary slot, reverts a trial image that did not
 * confirm itself, and keeps its state so that a power cut at any instant
 * leaves a device that boots a verified image. docs/flash-layout.md is the
 * specification of the layout, the state record and the swap algorithm.
 *
 * The core only decides and moves pages: fota_boot_go() fills a result and
 * the port does the jump (or runs its recovery path). The application side
 * uses fota_boot_confirm(), fota_boot_mark_pending(), fota_boot_record_read()
 * and fota_boot_state_read() with the same config.
 *
 * Freestanding: no allocation, the caller lends the scratch buffer. Any error
 * of the flash (FOTA_E_IO after a power cut) aborts the call; calling
 * fota_boot_go() again, as the next reset does, finishes the work.
 */
#ifndef FOTA_BOOT_H
#define FOTA_BOOT_H

#include <stdint.h>

#include "fota/ed25519.h"
#include "fota/flash.h"
#include "fota/image.h"

/* One state snapshot: 32 bytes, so write_size must divide 32. */
#define FOTA_BOOT_RECORD_SIZE 32u
/* The state log's pages. */
#define FOTA_BOOT_STATE_PAGES 2u

/* Where the bootloader's areas sit, in device addresses; each starts on a
 * page boundary. */
struct fota_boot_layout {
    uint32_t state_addr;      /* two pages: the log of state snapshots */
    uint32_t primary_addr;    /* the slot images run from */
    uint32_t primary_pages;   /* secondary_pages + 1: the last page is the
                               * swap's spare and never holds an image */
    uint32_t secondary_addr;  /* the slot the agent downloads into */
    uint32_t secondary_pages; /* the largest image, in pages; 3 * it must fit
                               * 16 bits (the swap's step counter) */
};

/* STM32F103ZE (256 pages of 2 KiB at 0x08000000): bootloader pages 0-7,
 * state pages 8-9 (0x08004000), primary pages 10-124 (0x08005000), secondary
 * pages 125-238 (0x0803E800); pages 239-254 are left to the port's recovery
 * loader and page 255 to the download agent (its progress log). Images up
 * to 114 pages. */
extern const struct fota_boot_layout fota_boot_layout_stm32f103ze;

/* STM32F103ZG (512 pages of 2 KiB at 0x08000000, XL density): the same map
 * stretched. Bootloader, configuration and state pages as on the ZE, primary
 * pages 10-252 (0x08005000), secondary pages 253-494 (0x0807E800); pages
 * 495-510 are left to the recovery loader and page 511 to the download
 * agent. Images up to 242 pages. */
extern const struct fota_boot_layout fota_boot_layout_stm32f103zg;

struct fota_boot_config {
    const struct fota_flash *flash;
    struct fota_boot_layout layout;
    /* The key images must be signed with; fota_boot_go() only. */
    const uint8_t *public_key; /* FOTA_ED25519_PUBLIC_KEY_SIZE bytes */
    /* Scratch for fota_boot_go(): a multiple of write_size and at least the
     * images' header_size (512 by default); pages are copied in chunks of
     * buf_size, so one page is the fastest and anything larger is unused. */
    uint8_t *buf;
    uint32_t buf_size;
};

/* What the bootloader did at a reset. */
enum fota_boot_action {
    FOTA_BOOT_ACTION_NONE = 0,  /* stored record only: nothing happened yet */
    FOTA_BOOT_ACTION_BOOT,      /* result only: booted the primary as it was */
    FOTA_BOOT_ACTION_INSTALLED, /* installed the pending image, booting it on trial */
    FOTA_BOOT_ACTION_REVERTED,  /* swapped the previous image back */
    FOTA_BOOT_ACTION_REFUSED,   /* refused the pending image, booting the primary */
    FOTA_BOOT_ACTION_RECOVERED, /* the primary was invalid: installed the
                                 * secondary for good (no trial) */
    FOTA_BOOT_ACTION_RECOVERY,  /* result only: no valid image, stay in the
                                 * bootloader */
};

/* Why it did it. */
enum fota_boot_reason {
    FOTA_BOOT_REASON_NONE = 0,
    FOTA_BOOT_REASON_REQUESTED,       /* the agent marked the image pending */
    FOTA_BOOT_REASON_NOT_CONFIRMED,   /* the trial image did not confirm itself */
    FOTA_BOOT_REASON_VERIFY_FAILED,   /* the image failed verification: error says how */
    FOTA_BOOT_REASON_ROLLBACK,        /* its security counter is below the stored one */
    FOTA_BOOT_REASON_PRIMARY_INVALID, /* the primary failed verification */
};

struct fota_boot_record {
    uint8_t action;               /* enum fota_boot_action */
    uint8_t reason;               /* enum fota_boot_reason */
    int8_t error;                 /* the fota_err behind the reason, or 0 */
    struct fota_version version;  /* the image acted on: the one installed,
                                   * reverted from, refused or recovered;
                                   * zero when its header did not parse */
};

/* The kind of swap in progress: what happens once it is done. */
enum fota_boot_swap {
    FOTA_BOOT_SWAP_NONE = 0,
    FOTA_BOOT_SWAP_INSTALL, /* then boot the new image on trial */
    FOTA_BOOT_SWAP_REVERT,  /* then boot the image swapped in, for good */
};

/* The bootloader's persistent state (one snapshot of the log). A device with
 * no valid snapshot is fresh: all fields zero. */
struct fota_boot_state {
    uint32_t counter;   /* security counter: images below it are refused */
    uint8_t pending;    /* install the secondary at the next reset */
    uint8_t trial;      /* the primary runs on trial: reverted at the next
                         * reset unless confirmed */
    uint8_t swap_kind;  /* enum fota_boot_swap */
    uint16_t swap_pages; /* pages the swap in progress exchanges (m) */
    uint16_t swap_done; /* its steps completed, of 3 * swap_pages */
    struct fota_boot_record record; /* the last reset that did more than boot */
    /* Where the log stands, kept by fota_boot_state_read/_write. */
    uint32_t seq;       /* of the newest snapshot; decreases with each write */
    uint8_t log_page;   /* the page holding it */
    uint16_t log_next;  /* the first slot after it */
};

/* What fota_boot_go() decided for this reset. */
struct fota_boot_result {
    struct fota_boot_record record; /* action BOOT for a plain boot */
    struct fota_image_header image; /* the image to boot (not for RECOVERY) */
    uint32_t image_addr;            /* where its header starts: the primary */
    uint32_t load_address;          /* where its payload (vector table) starts */
};

/* 0 when the config is usable: geometry, layout inside the flash (not the
 * key or the buffer: fota_boot_go() checks those itself). Every call below
 * checks it first and returns FOTA_E_INVAL otherwise. */
int fota_boot_config_check(const struct fota_boot_config *cfg);

/* The decision at a reset: finishes a swap a power cut interrupted, reverts
 * an unconfirmed trial image, installs a valid pending image, verifies the
 * primary. res tells what to boot; a plain boot writes nothing to flash.
 * Returns 0 (res filled, RECOVERY included) or the flash's error. */
int fota_boot_go(const struct fota_boot_config *cfg, struct fota_boot_result *res);

/* Called by the running image once it works: ends its trial and raises the
 * stored security counter to its own (never lowers it). Idempotent: writes
 * nothing when already confirmed. FOTA_E_STATE during a swap. */
int fota_boot_confirm(const struct fota_boot_config *cfg);

/* Called by the agent once the secondary holds a downloaded, verified image:
 * the next reset installs it (the bootloader verifies it again). FOTA_E_STATE
 * while the running image is on trial or a swap is in progress. */
int fota_boot_mark_pending(const struct fota_boot_config *cfg);

/* What the bootloader did at the last reset at which it did more than boot
 * the primary as it was (action NONE on a fresh device). */
int fota_boot_record_read(const struct fota_boot_config *cfg,
                          struct fota_boot_record *record);

/* Loads the newest valid snapshot of the state log into st (a fresh state
 * when there is none). */
int fota_boot_state_read(const struct fota_boot_config *cfg, struct fota_boot_state *st);

/* Appends st as the newest snapshot: st must come from fota_boot_state_read()
 * (or a previous write) on the same config. */
int fota_boot_state_write(const struct fota_boot_config *cfg, struct fota_boot_state *st);

#endif
