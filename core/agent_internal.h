/*
 * The agent's parts, shared by core/agent.c (sessions and frames),
 * core/agent_store.c (the progress log and the secondary slot) and
 * core/agent_report.c (what the bootloader did, reported once). Not a public
 * header.
 */
#ifndef FOTA_AGENT_INTERNAL_H
#define FOTA_AGENT_INTERNAL_H

#include "fota/agent.h"

/* struct fota_agent.state; one function per state in core/agent.c. */
enum fota_agent_state {
    FOTA_AGENT_ST_START,      /* after init: connect at the first step */
    FOTA_AGENT_ST_IDLE,       /* not connected: connect at wake_at */
    FOTA_AGENT_ST_CONNECTING, /* CONNECT returned: wait for connected() */
    FOTA_AGENT_ST_CHALLENGE,  /* connected: wait for CHALLENGE */
    FOTA_AGENT_ST_ANSWER,     /* HELLO sent: wait for OFFER or NOTHING */
    FOTA_AGENT_ST_OFFER,      /* OFFER parsed: step() checks it */
    FOTA_AGENT_ST_RECEIVING,  /* REQUEST sent: DATA flows */
    FOTA_AGENT_ST_VERIFY,     /* all bytes in: step() verifies the slot */
    FOTA_AGENT_ST_FINISH,     /* wait for REPORTED, then close */
    FOTA_AGENT_ST_CLOSING,    /* send what is left (ERROR), then CLOSE */
    FOTA_AGENT_ST_RESET,      /* the image is pending: RESET */
};

/* struct fota_agent_report.state */
enum fota_agent_report_state {
    FOTA_AGENT_REPORT_NONE = 0,
    FOTA_AGENT_REPORT_DUE = 1,  /* to send in this session */
    FOTA_AGENT_REPORT_SENT = 2, /* waiting for REPORTED */
};

/* The two report slots of struct fota_agent. */
enum fota_agent_report_slot {
    FOTA_AGENT_REPORT_BOOT = 0,     /* INSTALLED, REVERTED, REFUSED, CONFIRMED */
    FOTA_AGENT_REPORT_DOWNLOAD = 1, /* DOWNLOADED, REFUSED, FAILED */
};

/* Where the boot outcome reporting stands (struct fota_agent_persist.phase). */
enum fota_agent_phase {
    FOTA_AGENT_PHASE_IDLE = 0,     /* nothing to report about the bootloader */
    FOTA_AGENT_PHASE_AWAIT = 1,    /* the agent marked an image pending */
    FOTA_AGENT_PHASE_OUTCOME = 2,  /* the boot record is to be reported */
    FOTA_AGENT_PHASE_CONFIRM_WAIT = 3, /* INSTALLED reported; waiting for the confirm */
    FOTA_AGENT_PHASE_CONFIRM = 4,  /* CONFIRMED is to be reported */
};

/* Loads the newest valid record of the progress page into p (a fresh state
 * with report_seq 0 when there is none) and finds where the next record
 * goes. Returns 1 when a record was found, 0 when none, or the flash's error. */
int fota_agent_store_load(const struct fota_agent_config *cfg,
                          struct fota_agent_persist *p);

/* Appends p as the newest record. new_page: erase the page first, as every
 * change of the held image does, so that the page never mixes the records of
 * two images; a full page is erased too. Returns 0 or the flash's error. */
int fota_agent_store_save(const struct fota_agent_config *cfg,
                          struct fota_agent_persist *p, int new_page);

/* Prepares writing the held image from p.held on: programmed is held
 * rounded down to a write unit, the bytes after it come back from p.tail,
 * and when the page holding byte `programmed` was written past it before a
 * reset, copies the bytes before it aside, erases the page and writes them
 * back (with the record lowered meanwhile). Returns 0 or the flash's error. */
int fota_agent_slot_resume(struct fota_agent *a);

/* Writes the next len bytes of the image (at a->programmed + a->tail_len),
 * erasing each page before its first byte and keeping a partial write unit
 * in a->tail. Returns 0 or the flash's error. */
int fota_agent_slot_write(struct fota_agent *a, const uint8_t *data, size_t len);

/* Writes the partial unit left at the end of the image, padded with the
 * erased value; programmed becomes total. */
int fota_agent_slot_finish(struct fota_agent *a);

/* Verifies the whole image in the secondary slot (digest and signature with
 * the config's key) and that it is the image being downloaded. Returns 0 or
 * the verdict (FOTA_E_DIGEST, FOTA_E_SIGNATURE, ...) or the flash's error. */
int fota_agent_slot_verify(struct fota_agent *a);

/* The digest in the trailer of the image in the slot at addr, zero when no
 * image header parses there. */
int fota_agent_slot_digest(const struct fota_agent_config *cfg, uint32_t addr,
                           uint32_t slot_size, struct fota_image_header *hdr,
                           uint8_t digest[FOTA_PROTO_DIGEST_SIZE]);

/* ---- core/agent.c ---- */

/* Ends the session on an error: send ERROR code (0: none) and close. An
 * image already marked pending still gets its reset. */
void fota_agent_fail(struct fota_agent *a, int err, uint16_t code);
/* The session made progress: the next failure waits the shortest back-off. */
void fota_agent_progress(struct fota_agent *a);
/* seconds (0: the config's default) as a wait in milliseconds. */
uint32_t fota_agent_poll_ms(const struct fota_agent *a, uint32_t seconds);
uint32_t fota_agent_answer_timeout(const struct fota_agent *a);

/* ---- core/agent_download.c ---- */

/* OFFER: parsed in input(); the body stays in the decoder's buffer (input
 * is busy) until step() runs the slow checks in fota_agent_offer_check(). */
void fota_agent_offer_take(struct fota_agent *a, const uint8_t *body, size_t len);
void fota_agent_offer_check(struct fota_agent *a);
/* DATA: written to the slot, progress recorded, ACK due. */
void fota_agent_data_take(struct fota_agent *a, const uint8_t *body, size_t len);
/* All bytes in: verify, mark pending, report (step() calls it). */
void fota_agent_download_verify(struct fota_agent *a);
/* Records the bytes received so far as held, when there are more. */
int fota_agent_record_progress(struct fota_agent *a);
/* REPORTED seq. */
void fota_agent_reported(struct fota_agent *a, uint32_t seq);

/* ---- core/agent_report.c ---- */

/* Fills report slot `slot` (due to send) with its sequence: p.boot_report_seq
 * for the boot slot, p.report_seq for the download slot. */
void fota_agent_report_set(struct fota_agent *a, int slot, uint8_t event,
                           const struct fota_version *version, const uint8_t *digest);

/* At the start of a session: compares the bootloader's state with what was
 * reported, records what is due (before it is sent) and fills the boot
 * report slot. Returns 0, 1 when the image the agent marked pending still
 * waits for the reset, or the flash's error. */
int fota_agent_boot_refresh(struct fota_agent *a);

/* REPORTED seq: when it acknowledges the boot report, records the next phase
 * and looks again (CONFIRMED may be due at once). 1 when it matched. */
int fota_agent_boot_reported(struct fota_agent *a, uint32_t seq);

#endif
