/*
 * Provisioning files: what a device needs to reach its server, written by
 * `fota device add` and read by the simulator (fota-sim) and by the tools
 * that flash a real device.
 *
 * The file is text, mode 0600 (it holds the device's secret):
 *
 *   # fota provisioning file for device dev-001
 *   # Keep it secret: it holds the device's key.
 *   id = dev-001
 *   secret = <64 lower-case hex digits: the 32-byte HMAC key>
 *   server = fota.example.com:9995
 *   public_key = <64 lower-case hex digits: the Ed25519 public key>
 *
 * Reading: one "key = value" per line (spaces around '=' and at the ends of
 * the line are ignored, hex may be upper-case); lines starting with '#' and
 * empty lines are ignored; lines end with LF or CRLF. The four keys are
 * required and may appear once each; other keys are ignored, so that later
 * versions can add some. Values are checked: id by store_id_check(), server
 * by store_server_check(), secret and public_key exactly 64 hex digits.
 */
#ifndef FOTA_SERVER_PROVISION_H
#define FOTA_SERVER_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The largest provisioning file read. */
#define PROVISION_FILE_MAX 4096

struct provision {
    char id[STORE_ID_MAX + 1];
    uint8_t secret[STORE_SECRET_SIZE];
    char server[STORE_SERVER_MAX + 1];   /* "HOST:PORT"; "" unset */
    int has_public_key;
    uint8_t public_key[STORE_KEY_SIZE];
};

/* The file's text into buf (size bytes), NUL-terminated. Returns its length
 * or STORE_E_INVAL when a field is missing or malformed (msg says which) or
 * buf is too small. */
int provision_format(const struct provision *p, char *buf, size_t size, char *msg,
                     size_t msg_size);

/* Parses the text in text[0..len) into p. Returns 0 or STORE_E_INVAL with
 * msg (may be NULL) naming the line and the problem ("line 3: secret must be
 * 64 hex digits", "no server line"). */
int provision_parse(struct provision *p, const char *text, size_t len, char *msg,
                    size_t msg_size);

/* Reads and parses the file at path. Returns 0, STORE_E_IO (cannot read) or
 * STORE_E_INVAL; msg names the file. */
int provision_read(const char *path, struct provision *p, char *msg, size_t msg_size);

/* Writes p to path atomically with mode 0600; with no_clobber an existing
 * file is kept (STORE_E_EXISTS). Returns 0 or a store_err; msg names the
 * file. */
int provision_write(const char *path, const struct provision *p, int no_clobber,
                    char *msg, size_t msg_size);

/* Wipes the secret. */
void provision_wipe(struct provision *p);

#endif
