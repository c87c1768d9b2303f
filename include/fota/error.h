/*
 * fota error codes: one enum for the whole device core and the tools.
 *
 * Convention: a call returns 0 (or a count) on success and one of these
 * negative codes on failure. fota_strerror() turns a code into a short phrase
 * that tools embed in a sentence naming the file and offset.
 */
#ifndef FOTA_ERROR_H
#define FOTA_ERROR_H

enum fota_err {
    FOTA_OK = 0,
    FOTA_E_INVAL = -1,        /* bad argument or configuration */
    FOTA_E_IO = -2,           /* a flash or transport operation failed */
    FOTA_E_MAGIC = -3,        /* not a fota image: bad magic */
    FOTA_E_FORMAT = -4,       /* unsupported format version or critical field */
    FOTA_E_TRUNCATED = -5,    /* the data ends before the format says it does */
    FOTA_E_HEADER = -6,       /* a header field is out of range */
    FOTA_E_DIGEST = -7,       /* SHA-256 digest mismatch */
    FOTA_E_SIGNATURE = -8,    /* Ed25519 signature does not verify */
    FOTA_E_ROLLBACK = -9,     /* security counter below the stored one */
    FOTA_E_TOO_BIG = -10,     /* does not fit the slot or buffer */
    FOTA_E_ADDRESS = -11,     /* load address does not match the slot */
    FOTA_E_NO_IMAGE = -12,    /* no valid image where one was expected */
    FOTA_E_STATE = -13,       /* persistent state is missing or inconsistent */
    FOTA_E_NOSPACE = -14,     /* a fixed buffer or log is full */
    FOTA_E_NOT_ERASED = -15,  /* programming a location that is not erased */
    FOTA_E_CRC = -16,         /* frame or record CRC mismatch */
    FOTA_E_PROTO = -17,       /* protocol violation */
    FOTA_E_TIMEOUT = -18,     /* peer did not answer in time */
    FOTA_E_AUTH = -19,        /* authentication failed */
    FOTA_E_AGAIN = -20,       /* not ready yet: call again with more input */
};

/* A short lower-case phrase for a code, e.g. "digest mismatch". */
const char *fota_strerror(int err);

#endif
