/*
 * The fotad store: the server's state in one SQLite database under its data
 * directory, with the image files beside it.
 *
 *   DATADIR/                      created by store_open() with cfg->create
 *                                 (`fota -d DATADIR init`), mode 0700
 *   DATADIR/fota.db               the database (WAL journal), mode 0600: it
 *                                 holds the devices' secrets
 *   DATADIR/images/<hex>.img      each stored image, whole (header, payload,
 *                                 digest, signature), named by the lower-case
 *                                 hex of its SHA-256 digest: the digest in its
 *                                 trailer, the one the protocol names. The
 *                                 server only opens an image by a digest found
 *                                 in its own database, never by a name a
 *                                 client sent.
 *   DATADIR/provision/<id>.conf   provisioning files (store_provision_write),
 *                                 mode 0600 in a 0700 directory
 *
 * Users: fotad (one thread, thousands of devices: every statement is
 * prepared once per handle and cached), the `fota` admin commands and
 * `fota-sim provision`, each in its own process and at the same time as
 * fotad.
 *
 * Concurrency and crashes. The database runs in WAL mode with
 * synchronous=NORMAL and foreign keys on; every call that writes more than
 * one row does so in one transaction. Readers never block the writer nor the
 * writer the readers. Two writers take turns: a writer that finds the
 * database locked waits up to the busy timeout (5 s by default), then fails
 * with STORE_E_BUSY. A process killed at any instant (SIGKILL included)
 * leaves a consistent database: the next open rolls back what was not
 * committed. (A power cut may also lose the last transactions committed
 * before it, never consistency.) Image files are written to a temporary
 * file, synced, then renamed, before the row naming them is committed.
 *
 * The schema's version is kept in PRAGMA user_version; store_open()
 * migrates an older database in one transaction and refuses a newer one
 * (STORE_E_SCHEMA).
 *
 * Conventions. Every call returns 0 (or a count where said) on success and a
 * negative enum store_err on failure; after a failure store_errmsg() holds a
 * sentence naming what is wrong ("no device 'abc'", "no image with version
 * 2.0.0"), for the caller to print or log. Times are Unix seconds (UTC)
 * given by the caller, so that fotad uses its own clock and tests a fixed
 * one. Strings are NUL-terminated; ids and group names are validated by
 * every call that takes them. A handle is used by one thread at a time.
 */
#ifndef FOTA_SERVER_STORE_H
#define FOTA_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "fota/image.h"

#define STORE_DB_NAME "fota.db"
#define STORE_IMAGES_DIR "images"
#define STORE_PROVISION_DIR "provision"

/* The schema this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 1

#define STORE_ID_MAX 32       /* device ids and group names: 1..32 chars */
#define STORE_SECRET_SIZE 32  /* the device's HMAC key */
#define STORE_DIGEST_SIZE 32  /* SHA-256 */
#define STORE_KEY_SIZE 32     /* Ed25519 public key */
#define STORE_SERVER_MAX 255  /* "HOST:PORT" */
/* "255.255.65535+4294967295" and its NUL. */
#define STORE_VERSION_TEXT_SIZE 32
/* header || digest || signature of the largest header. */
#define STORE_MANIFEST_MAX (FOTA_IMAGE_MAX_HEADER_SIZE + FOTA_IMAGE_TRAILER_SIZE)
/* store_errmsg()'s longest sentence, NUL included. */
#define STORE_MSG_SIZE 512
/* The default busy timeout. */
#define STORE_BUSY_TIMEOUT_MS 5000u

enum store_err {
    STORE_OK = 0,
    STORE_E_INVAL = -1,     /* malformed argument: id, group, version, address */
    STORE_E_IO = -2,        /* the database or a file could not be read or written */
    STORE_E_NOT_FOUND = -3, /* no such device, image or group member */
    STORE_E_EXISTS = -4,    /* a device with that id, or a different image with
                             * that digest, is already stored */
    STORE_E_AMBIGUOUS = -5, /* several images have the version given */
    STORE_E_BUSY = -6,      /* the database stayed locked past the busy timeout */
    STORE_E_NOT_INIT = -7,  /* DATADIR is not an initialised data directory */
    STORE_E_IMAGE = -8,     /* the image fails verification or does not parse */
    STORE_E_SCHEMA = -9,    /* the database was made by a newer fota */
    STORE_E_NO_SETTING = -10, /* a setting the call needs (public key, server
                               * address) is not configured */
    STORE_E_NOMEM = -11,    /* out of memory */
};

/* The REPORT events of docs/protocol.md, same values. */
enum store_event {
    STORE_EVENT_DOWNLOADED = 1, /* the whole image is in the secondary slot, verified */
    STORE_EVENT_INSTALLED = 2,  /* installed and booted on trial */
    STORE_EVENT_CONFIRMED = 3,  /* the new image runs and confirmed itself */
    STORE_EVENT_REVERTED = 4,   /* the bootloader reverted it (reason says why) */
    STORE_EVENT_REFUSED = 5,    /* the device refused the image (error says why) */
    STORE_EVENT_FAILED = 6,     /* the download failed (error says how) */
};

struct store; /* an open store; opaque */

struct store_config {
    /* How long a call waits for another process's write lock before it
     * fails with STORE_E_BUSY, in milliseconds. 0: STORE_BUSY_TIMEOUT_MS. */
    unsigned busy_timeout_ms;
    /* 1: create DATADIR (mode 0700), its images/ and provision/ directories
     * and an empty database when missing (`fota init`). 0: a DATADIR
     * without a database is STORE_E_NOT_INIT. */
    int create;
};

/* The server's settings, kept in the database. */
struct store_settings {
    int has_public_key;
    uint8_t public_key[STORE_KEY_SIZE]; /* images are verified with it at
                                         * store_image_add(); it goes into
                                         * provisioning files */
    char server[STORE_SERVER_MAX + 1];  /* "HOST:PORT" devices connect to,
                                         * for provisioning files; "" unset */
};

/* A device's report, as REPORT carries it. */
struct store_result {
    uint32_t sequence;                 /* the device's: a report stored once */
    uint8_t event;                     /* enum store_event */
    uint8_t reason;                    /* enum fota_boot_reason, 0 none */
    int16_t error;                     /* a negative fota_err, 0 none */
    struct fota_version version;       /* of the image concerned */
    uint8_t digest[STORE_DIGEST_SIZE]; /* of the image concerned */
};

struct store_device {
    char id[STORE_ID_MAX + 1];
    char group[STORE_ID_MAX + 1];       /* "" when in no group */
    uint8_t secret[STORE_SECRET_SIZE];
    int64_t created;

    /* The image the device must run: its own assignment if it has one,
     * else its group's. has_assigned 0: nothing to do. */
    int has_assigned;
    int assigned_by_group;              /* 1 when it comes from the group */
    uint8_t assigned_digest[STORE_DIGEST_SIZE];
    struct fota_version assigned_version;
    uint32_t assigned_size;             /* the image's total bytes */

    /* What the device stated at its last HELLO. */
    int has_running;
    struct fota_version running_version;
    uint8_t running_digest[STORE_DIGEST_SIZE];
    int64_t last_seen;                  /* 0: never connected */
    uint32_t connections;               /* HELLOs accepted */

    /* Download progress: bytes of image progress_digest the device holds
     * (progress_offset of progress_total). progress_total 0: none. */
    uint8_t progress_digest[STORE_DIGEST_SIZE];
    uint32_t progress_offset;
    uint32_t progress_total;
    int64_t progress_time;

    /* The last report. */
    int has_result;
    struct store_result result;
    int64_t result_time;
};

struct store_image {
    uint8_t digest[STORE_DIGEST_SIZE];    /* its trailer's SHA-256 */
    struct fota_image_header header;      /* parsed */
    char version[STORE_VERSION_TEXT_SIZE]; /* "1.2.3", or "1.2.3+4" with a build */
    uint32_t size;                        /* bytes of the file: header + payload
                                           * + trailer */
    /* The manifest, as OFFER carries it: header || digest || signature. */
    uint32_t manifest_size;               /* header_size + 96 */
    uint8_t manifest[STORE_MANIFEST_MAX];
    int verified;  /* 1: verified with the store's key when added; 0: added
                    * with STORE_IMAGE_NO_VERIFY (and did not verify, or no
                    * key was configured) */
    int64_t added;
    /* Set by store_image_add() only: the fota_err of the verification (0
     * when it passed or was skipped), for a caller that explains it. */
    int verify_error;
};

/* ---- opening ------------------------------------------------------------ */

/* Opens the store in datadir (cfg NULL: all defaults). On success *out is
 * the handle, to be closed with store_close(). On failure *out is NULL and
 * msg (msg_size bytes, may be NULL) says why, e.g. "DATADIR: not a fota
 * data directory (no fota.db); create it with fota -d DATADIR init".
 * Returns 0, STORE_E_NOT_INIT, STORE_E_SCHEMA, STORE_E_IO, STORE_E_BUSY,
 * STORE_E_NOMEM. */
int store_open(struct store **out, const char *datadir, const struct store_config *cfg,
               char *msg, size_t msg_size);

/* Finalises the cached statements and closes the database. NULL is fine. */
void store_close(struct store *st);

/* The sentence for the last failure of a call on st ("" when none). Valid
 * until the next call on st. */
const char *store_errmsg(const struct store *st);

/* A short phrase for a store_err ("not found"). */
const char *store_strerror(int err);

/* The data directory st was opened on. */
const char *store_datadir(const struct store *st);

/* Checks the database: PRAGMA integrity_check and foreign_key_check.
 * Returns 0, or STORE_E_IO with the first problem in store_errmsg(). */
int store_check(struct store *st);

/* ---- transactions --------------------------------------------------------
 * Every call is atomic on its own. A caller may group calls (fotad: the
 * progress of many devices) into one transaction, which makes them one
 * write: store_begin() takes the write lock at once (BEGIN IMMEDIATE, so it
 * waits for another writer there, never half way), store_commit() makes the
 * group durable, store_rollback() drops it. Calls inside a group do not
 * commit on their own; a failed call inside a group leaves the group open
 * for the caller to roll back or commit the rest. Not nested. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* ---- settings ----------------------------------------------------------- */

/* Fills s (unset fields zero / ""). */
int store_settings_get(struct store *st, struct store_settings *s);

/* Sets the public key images are verified with and provisioning files get.
 * Images already stored are not checked again. */
int store_set_public_key(struct store *st, const uint8_t pub[STORE_KEY_SIZE]);

/* Sets the server address for provisioning files: "HOST:PORT" checked by
 * store_server_check(). STORE_E_INVAL otherwise. */
int store_set_server(struct store *st, const char *host_port);

/* 0 when s is "HOST:PORT": HOST 1..253 printable chars without spaces (a
 * name, an IPv4 address, or an IPv6 address in brackets), PORT 1..65535 in
 * decimal; STORE_E_INVAL otherwise. */
int store_server_check(const char *s);

/* ---- names and versions --------------------------------------------------- */

/* 0 when s is a valid device id or group name: 1..STORE_ID_MAX printable
 * ASCII characters (0x21..0x7e: no space, no control) other than '/' and
 * '\\' (ids name provisioning files); STORE_E_INVAL otherwise. */
int store_id_check(const char *s);

/* Parses "MAJOR.MINOR.PATCH" or "MAJOR.MINOR.PATCH+BUILD" (decimal, in the
 * ranges of struct fota_version). *has_build says whether "+BUILD" was
 * given (v->build is 0 otherwise). Returns 0 or STORE_E_INVAL. */
int store_version_parse(const char *s, struct fota_version *v, int *has_build);

/* "1.2.3", or "1.2.3+4" when the build number is not 0. */
void store_version_format(char *buf, size_t size, const struct fota_version *v);

/* ---- devices -------------------------------------------------------------- */

/* Creates device id in group (NULL or "": none) with secret (NULL: 32
 * random bytes from libsodium). out (may be NULL) gets the new device.
 * STORE_E_EXISTS when the id is taken, STORE_E_INVAL for a bad id or
 * group. */
int store_device_add(struct store *st, const char *id, const char *group,
                     const uint8_t secret[STORE_SECRET_SIZE], int64_t now,
                     struct store_device *out);

/* Removes a device and its progress; its event log rows stay.
 * STORE_E_NOT_FOUND when there is none. */
int store_device_remove(struct store *st, const char *id);

/* Looks a device up: secret, effective assignment, state. One cached
 * statement, for every HELLO. STORE_E_NOT_FOUND when there is none
 * (store_errmsg() names the id). */
int store_device_get(struct store *st, const char *id, struct store_device *d);

/* Records an accepted HELLO: the running image's version and digest, the
 * time seen, one more connection. STORE_E_NOT_FOUND for an unknown id. */
int store_device_hello(struct store *st, const char *id, const struct fota_version *running,
                       const uint8_t running_digest[STORE_DIGEST_SIZE], int64_t now);

/* Records download progress: the device holds offset of total bytes of
 * image digest. One UPDATE; the caller throttles (e.g. once every few
 * seconds per device, and at the end). STORE_E_NOT_FOUND for an unknown id. */
int store_device_progress(struct store *st, const char *id,
                          const uint8_t digest[STORE_DIGEST_SIZE], uint32_t offset,
                          uint32_t total, int64_t now);

/* Records a REPORT: the device's last result and a row in the event log
 * (kind: the event's name, detail: store_result_describe()). A report with
 * the same (device, sequence, event, digest) as one already stored is not
 * stored again (the device resends until it gets REPORTED): returns 1 for
 * such a duplicate, 0 when stored. A report whose sequence repeats with a
 * different content is stored (the device's counter started again).
 * STORE_E_NOT_FOUND for an unknown id, STORE_E_INVAL for an event out of
 * range. */
int store_device_report(struct store *st, const char *id, const struct store_result *r,
                        int64_t now);

/* Calls fn for each device, in id order, until fn returns non-zero (which
 * is then returned). The store must not be written from fn. Returns 0, fn's
 * value, or a store_err. */
typedef int (*store_device_fn)(void *ctx, const struct store_device *d);
int store_devices_each(struct store *st, store_device_fn fn, void *ctx);

/* The download's progress in percent of the assigned image: 100 when the
 * device runs it, offset * 100 / total when progress is recorded for it,
 * 0 otherwise; -1 when nothing is assigned. */
int store_device_percent(const struct store_device *d);

/* ---- assignments ---------------------------------------------------------- */

/* Assigns image digest (NULL: clears the device's own assignment, so its
 * group's applies again) to one device. The image must be stored.
 * STORE_E_NOT_FOUND names the device or the image missing. */
int store_assign_device(struct store *st, const char *id,
                        const uint8_t digest[STORE_DIGEST_SIZE], int64_t now);

/* Assigns image digest to a group: the group's devices, now and later, run
 * it. The devices of the group lose their own assignments (the group's
 * replaces them; a later store_assign_device() overrides it again). Returns
 * the number of devices in the group (0 is allowed: devices added to it
 * later follow). digest NULL clears the group's assignment. */
int store_assign_group(struct store *st, const char *group,
                       const uint8_t digest[STORE_DIGEST_SIZE], int64_t now);

/* ---- images --------------------------------------------------------------- */

/* Flags of store_image_add(). */
#define STORE_IMAGE_NO_VERIFY 1u /* store it even if it does not verify with
                                  * the store's key (tests plant bad images
                                  * this way); the header must still parse
                                  * and the length match it */

/* Adds the image in data[0..len): verifies it (fota_image_verify with the
 * store's public key: STORE_E_NO_SETTING when none is set, STORE_E_IMAGE
 * with the reason when it fails), writes DATADIR/images/<digest>.img
 * atomically, then records it. out (may be NULL) gets the image, and its
 * verify_error the core's code. Adding the same bytes again is not an
 * error: returns 1 (already stored) instead of 0. Another image with the
 * same digest is STORE_E_EXISTS. */
int store_image_add(struct store *st, const uint8_t *data, size_t len, unsigned flags,
                    int64_t now, struct store_image *out);

/* Looks an image up by digest. STORE_E_NOT_FOUND when not stored. */
int store_image_get(struct store *st, const uint8_t digest[STORE_DIGEST_SIZE],
                    struct store_image *img);

/* Finds the one image named by name: a version ("1.2.3" matches every
 * build of 1.2.3, "1.2.3+4" only build 4) or a digest in hex (its first 8
 * to 64 digits, for two images with the same version). STORE_E_INVAL for
 * malformed text, STORE_E_NOT_FOUND when none, STORE_E_AMBIGUOUS when
 * several (the message lists them with their digests). */
int store_image_find(struct store *st, const char *name, struct store_image *img);

/* Calls fn for each image, in version order then digest, like
 * store_devices_each(). */
typedef int (*store_image_fn)(void *ctx, const struct store_image *img);
int store_images_each(struct store *st, store_image_fn fn, void *ctx);

/* The path of image digest's file: DATADIR/images/<hex>.img. Returns 0 or
 * STORE_E_INVAL when buf (size bytes) is too small. */
int store_image_path(const struct store *st, const uint8_t digest[STORE_DIGEST_SIZE],
                     char *buf, size_t size);

/* ---- event log ------------------------------------------------------------ */

/* Appends a row: device id (NULL: none; not checked against the devices,
 * so that refusals of unknown ids can be logged, but it must pass
 * store_id_check or it is stored as NULL), kind (a short lower-case word:
 * "hello", "offer", "auth-failed", ...), detail (NULL: ""). */
int store_event_log(struct store *st, const char *device_id, const char *kind,
                    const char *detail, int64_t now);

struct store_event_row {
    int64_t seq;                   /* increasing */
    int64_t time;
    char device[STORE_ID_MAX + 1]; /* "" when none */
    char kind[32];
    char detail[256];              /* truncated if longer */
};

/* Calls fn for the newest limit rows (0: all) of device (NULL: all), oldest
 * first, like store_devices_each(). */
typedef int (*store_event_fn)(void *ctx, const struct store_event_row *e);
int store_events_each(struct store *st, const char *device, unsigned limit,
                      store_event_fn fn, void *ctx);

/* ---- descriptions ----------------------------------------------------------- */

/* "downloaded", "installed", "confirmed", "reverted", "refused", "failed",
 * or "event N". */
const char *store_event_name(unsigned event);

/* The report as a phrase for status and the log: "confirmed 2.0.0",
 * "reverted 2.0.0: not confirmed", "refused 2.0.0: bad signature",
 * "failed: I/O error". */
void store_result_describe(char *buf, size_t size, const struct store_result *r);

/* ---- provisioning (see provision.h for the file) ----------------------------- */

/* The default provisioning file of device id: DATADIR/provision/<id>.conf.
 * STORE_E_INVAL for a bad id or a too small buf. */
int store_provision_path(const struct store *st, const char *id, char *buf, size_t size);

struct provision;

/* Fills p with device id's id and secret and the store's server address and
 * public key (left "" / has_public_key 0 when not configured), so that a
 * caller may override some fields before provision_write(). */
int store_provision_fill(struct store *st, const char *id, struct provision *p);

/* Writes device id's provisioning file at path (NULL: the default path,
 * replacing an older one): its id and secret, and the store's server address and
 * public key (STORE_E_NO_SETTING naming the missing one). Atomic, mode
 * 0600. */
int store_provision_write(struct store *st, const char *id, const char *path);

/* ---- files ---------------------------------------------------------------- */

/* Writes len bytes to path so that path is either untouched or complete
 * (temporary file in the same directory, fsync, rename, fsync of the
 * directory). mode: of a new file. no_clobber: fail with STORE_E_EXISTS
 * rather than replace an existing path. msg (may be NULL) gets the reason.
 * Returns 0 or a store_err. */
int store_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                            int no_clobber, char *msg, size_t msg_size);

#endif
