/*
 * The device configuration record: what a real device needs to reach its
 * server, written once when the device is provisioned and read by the
 * application and the recovery loader. On the STM32F103ZE it sits at
 * 0x08003800, the last page of the bootloader area (docs/flash-layout.md);
 * `fota devcfg` makes it from a provisioning file.
 *
 * Layout (little-endian, FOTA_DEVCFG_SIZE bytes; text fields NUL-padded,
 * at least one NUL each):
 *
 *     0   4  magic "FCFG"
 *     4   2  format version (1)
 *     6   2  record size (FOTA_DEVCFG_SIZE)
 *     8  40  device id, 1..32 characters 0x21..0x7E
 *    48  32  the device's secret (HMAC-SHA256 key shared with the server)
 *    80  64  server host: a name or a dotted IPv4 address
 *   144   2  server port (the fota protocol)
 *   146   2  reserved: written 0, ignored
 *   148  64  APN
 *   212  32  APN user name
 *   244  32  APN password
 *   276   4  CRC-32 of bytes 0..275
 */
#ifndef FOTA_DEVCFG_H
#define FOTA_DEVCFG_H

#include <stddef.h>
#include <stdint.h>

#define FOTA_DEVCFG_SIZE 280u
#define FOTA_DEVCFG_VERSION 1u
#define FOTA_DEVCFG_ID_FIELD 40u
#define FOTA_DEVCFG_SECRET_SIZE 32u
#define FOTA_DEVCFG_HOST_FIELD 64u
#define FOTA_DEVCFG_APN_FIELD 64u
#define FOTA_DEVCFG_LOGIN_FIELD 32u

struct fota_devcfg {
    char id[FOTA_DEVCFG_ID_FIELD];
    uint8_t secret[FOTA_DEVCFG_SECRET_SIZE];
    char host[FOTA_DEVCFG_HOST_FIELD];
    uint16_t port;
    char apn[FOTA_DEVCFG_APN_FIELD];
    char user[FOTA_DEVCFG_LOGIN_FIELD];
    char password[FOTA_DEVCFG_LOGIN_FIELD];
};

/* Checks and decodes a record. Returns 0; FOTA_E_MAGIC (no record: erased
 * flash), FOTA_E_FORMAT (another version or size), FOTA_E_CRC, or
 * FOTA_E_HEADER (a field out of range: an id that is empty, too long or has
 * a character outside 0x21..0x7E, a text without NUL, an empty host, port
 * 0, a host with a character outside 0x21..0x7E, an APN, user or password
 * with one outside 0x20..0x7E, a '"' in any: the modem quotes them). len must be at least FOTA_DEVCFG_SIZE (FOTA_E_TRUNCATED). */
int fota_devcfg_parse(struct fota_devcfg *cfg, const uint8_t *buf, size_t len);

/* Encodes cfg into out (FOTA_DEVCFG_SIZE bytes). Returns 0, or
 * FOTA_E_HEADER when a field would not parse back (same rules). */
int fota_devcfg_write(uint8_t out[FOTA_DEVCFG_SIZE], const struct fota_devcfg *cfg);

#endif
