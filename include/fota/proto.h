/*
 * The fota wire protocol, version 1 (docs/protocol.md is the specification):
 * the frame codec and the encoder and parser of every message body, shared
 * by the device agent and the server.
 *
 *   frame = magic 0x46 | version 1 | type | reserved 0 | body length u16 |
 *           body | CRC-32 of everything before it
 *
 * Conventions:
 *   - fota_proto_<msg>_encode() writes a whole frame (header, body, CRC) into
 *     out and returns its length, or FOTA_E_TOO_BIG when out_size is short, or
 *     FOTA_E_INVAL when a field is out of range (an encoder never writes what
 *     the parser would refuse). Byte strings handed to an encoder must not
 *     overlap out, except DATA bytes or an OFFER manifest already at their
 *     place in it (read straight into the output buffer: not copied).
 *   - fota_proto_<msg>_parse() reads a body (as the decoder hands it over) and
 *     returns 0 or FOTA_E_PROTO: every length and field is checked and no byte
 *     past body + len is read. Pointers in a parsed struct point into body.
 *   - The decoder is push-fed: any split of the byte stream into chunks gives
 *     the same frames and the same errors.
 *
 * Freestanding: no allocation, no stdio; the caller owns every buffer.
 */
#ifndef FOTA_PROTO_H
#define FOTA_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "fota/image.h"

/* ---- frames ---- */

#define FOTA_PROTO_MAGIC 0x46u          /* 'F' */
#define FOTA_PROTO_VERSION 1u
#define FOTA_PROTO_HEADER_SIZE 6u       /* magic, version, type, reserved, length */
#define FOTA_PROTO_CRC_SIZE 4u
#define FOTA_PROTO_OVERHEAD (FOTA_PROTO_HEADER_SIZE + FOTA_PROTO_CRC_SIZE)
#define FOTA_PROTO_MAX_BODY 65535u
/* max_frame is a u16 in HELLO, so no frame a device takes exceeds this. */
#define FOTA_PROTO_MAX_FRAME 65535u
/* The smallest max_frame a device may announce, and the limit the server
 * applies to frames before it has accepted a HELLO. */
#define FOTA_PROTO_MIN_FRAME 256u
#define FOTA_PROTO_PREAUTH_FRAME 512u

enum fota_proto_type {
    FOTA_PROTO_CHALLENGE = 0x01, /* server -> device */
    FOTA_PROTO_HELLO = 0x02,     /* device -> server */
    FOTA_PROTO_OFFER = 0x03,     /* server -> device */
    FOTA_PROTO_NOTHING = 0x04,   /* server -> device */
    FOTA_PROTO_REQUEST = 0x05,   /* device -> server */
    FOTA_PROTO_DATA = 0x06,      /* server -> device */
    FOTA_PROTO_ACK = 0x07,       /* device -> server */
    FOTA_PROTO_REPORT = 0x08,    /* device -> server */
    FOTA_PROTO_REPORTED = 0x09,  /* server -> device */
    FOTA_PROTO_ERROR = 0x7F,     /* either way */
};

/* The codes an ERROR frame carries (not fota_err values: these are on the
 * wire). fota_proto_error_code() maps a fota_err onto them. */
enum fota_proto_error {
    FOTA_PROTO_E_BAD_FRAME = 1,      /* bad magic */
    FOTA_PROTO_E_VERSION = 2,        /* unsupported protocol version */
    FOTA_PROTO_E_TOO_BIG = 3,        /* frame longer than the receiver takes */
    FOTA_PROTO_E_BAD_CRC = 4,        /* CRC mismatch */
    FOTA_PROTO_E_PROTO = 5,          /* malformed body or frame not allowed now */
    FOTA_PROTO_E_TIMEOUT = 6,        /* the peer said nothing for too long */
    FOTA_PROTO_E_UNKNOWN_DEVICE = 7, /* no device with that id */
    FOTA_PROTO_E_AUTH = 8,           /* the HELLO mac does not verify */
    FOTA_PROTO_E_NOT_ASSIGNED = 9,   /* asked for an image not assigned */
    FOTA_PROTO_E_SERVER = 10,        /* the server could not read its store */
    FOTA_PROTO_E_REFUSED = 11,       /* the device refuses the offer */
};

/* Writes the frame header and CRC around a body that already sits at
 * frame + FOTA_PROTO_HEADER_SIZE (body_len bytes); frame_size is the room at
 * frame. Returns the frame length (body_len + FOTA_PROTO_OVERHEAD) or
 * FOTA_E_TOO_BIG. Lets a sender build a body in place (e.g. DATA read from
 * flash or a file straight into its output buffer). */
int fota_proto_frame_seal(uint8_t *frame, size_t frame_size, uint8_t type,
                          size_t body_len);

/* Writes a whole frame of the given type around body. body must not overlap
 * out unless it already sits at out + FOTA_PROTO_HEADER_SIZE (then it is not
 * copied; fota_proto_frame_seal() does the same). Returns the frame length or
 * FOTA_E_TOO_BIG. */
int fota_proto_frame_encode(uint8_t *out, size_t out_size, uint8_t type,
                            const uint8_t *body, size_t body_len);

/* ---- the streaming decoder ---- */

enum fota_proto_feed_result {
    FOTA_PROTO_NEED_MORE = 0,   /* all input taken, no frame complete yet */
    FOTA_PROTO_FRAME_READY = 1, /* a frame is complete: fota_proto_decoder_frame() */
    /* negative: a fota_err (below), the decoder stays failed until reset */
};

struct fota_proto_decoder {
    uint8_t *buf;     /* caller's, holds one whole frame */
    size_t buf_size;
    size_t limit;     /* largest frame taken, <= buf_size */
    size_t have;      /* bytes of the current frame in buf */
    size_t need;      /* bytes the current frame has: header size until known */
    int error;        /* 0, or the fota_err that failed the stream */
    uint8_t ready;    /* buf holds a complete, checked frame */
};

/* A decoded frame; body points into the decoder's buffer and stays valid
 * until the next feed or reset. */
struct fota_proto_frame {
    uint8_t type;
    const uint8_t *body;
    size_t len;
};

/* buf (buf_size bytes, at least FOTA_PROTO_OVERHEAD) holds one frame; the
 * limit starts at min(buf_size, FOTA_PROTO_MAX_FRAME). */
void fota_proto_decoder_init(struct fota_proto_decoder *dec, uint8_t *buf,
                             size_t buf_size);

/* Lowers (or raises, up to buf_size) the largest frame taken, e.g. a server's
 * FOTA_PROTO_PREAUTH_FRAME before HELLO. Applies from the next frame header. */
void fota_proto_decoder_set_limit(struct fota_proto_decoder *dec, size_t limit);

/* Forgets any partial frame and a failure: the next byte starts a frame. */
void fota_proto_decoder_reset(struct fota_proto_decoder *dec);

/* Takes bytes of the stream; *consumed says how many (it stops right after a
 * frame's last byte, so the rest is fed again after the frame is handled).
 * Returns FOTA_PROTO_NEED_MORE, FOTA_PROTO_FRAME_READY, or, checked in this
 * order as soon as the bytes concerned arrive:
 *   FOTA_E_MAGIC   first byte is not FOTA_PROTO_MAGIC      (wire: BAD_FRAME)
 *   FOTA_E_FORMAT  version is not FOTA_PROTO_VERSION       (wire: VERSION)
 *   FOTA_E_TOO_BIG header announces more than the limit    (wire: TOO_BIG),
 *                  before any body byte is taken
 *   FOTA_E_CRC     the CRC does not match                  (wire: BAD_CRC)
 * After an error the decoder takes nothing until fota_proto_decoder_reset(). */
int fota_proto_decoder_feed(struct fota_proto_decoder *dec, const uint8_t *data,
                            size_t len, size_t *consumed);

/* The complete frame after FOTA_PROTO_FRAME_READY: 0, or FOTA_E_AGAIN when
 * none is ready. */
int fota_proto_decoder_frame(const struct fota_proto_decoder *dec,
                             struct fota_proto_frame *frame);

/* The wire ERROR code for a fota_err (FOTA_E_MAGIC -> BAD_FRAME, FOTA_E_FORMAT
 * -> VERSION, FOTA_E_TOO_BIG -> TOO_BIG, FOTA_E_CRC -> BAD_CRC, FOTA_E_TIMEOUT
 * -> TIMEOUT, FOTA_E_AUTH -> AUTH, anything else -> PROTO). */
uint16_t fota_proto_error_code(int err);

/* Short names for logs: "HELLO", "BAD_CRC"; "?" when unknown. */
const char *fota_proto_type_name(uint8_t type);
const char *fota_proto_error_name(uint16_t code);

/* ---- message bodies ---- */

#define FOTA_PROTO_NONCE_SIZE 16u
#define FOTA_PROTO_SECRET_SIZE 32u
#define FOTA_PROTO_MAC_SIZE 32u
#define FOTA_PROTO_DIGEST_SIZE FOTA_IMAGE_DIGEST_SIZE
#define FOTA_PROTO_ID_MAX 32u
#define FOTA_PROTO_MODEL_MAX 32u
#define FOTA_PROTO_WINDOW_MAX 64u
#define FOTA_PROTO_ERROR_TEXT_MAX 120u

/* Body sizes. */
#define FOTA_PROTO_CHALLENGE_SIZE FOTA_PROTO_NONCE_SIZE
#define FOTA_PROTO_HELLO_FIXED_SIZE 131u /* HELLO without id and model */
#define FOTA_PROTO_HELLO_MAX_SIZE \
    (FOTA_PROTO_HELLO_FIXED_SIZE + FOTA_PROTO_ID_MAX + FOTA_PROTO_MODEL_MAX)
#define FOTA_PROTO_NOTHING_SIZE 4u
#define FOTA_PROTO_REQUEST_SIZE 36u
#define FOTA_PROTO_DATA_HEAD_SIZE 4u /* offset before the bytes */
#define FOTA_PROTO_ACK_SIZE 4u
#define FOTA_PROTO_REPORT_SIZE 48u
#define FOTA_PROTO_REPORTED_SIZE 4u
#define FOTA_PROTO_ERROR_MIN_SIZE 2u
#define FOTA_PROTO_OFFER_MIN_SIZE \
    (4u + FOTA_IMAGE_FIXED_HEADER_SIZE + FOTA_IMAGE_TRAILER_SIZE)

/* Most DATA bytes a frame of max_frame bytes carries. */
#define FOTA_PROTO_DATA_MAX(max_frame) \
    ((max_frame) - FOTA_PROTO_OVERHEAD - FOTA_PROTO_DATA_HEAD_SIZE)
/* The fewest image bytes per DATA frame a device may ask for: below this the
 * 14 bytes around each would be most of the link. */
#define FOTA_PROTO_CHUNK_MIN 64u

/* CHALLENGE: the server's nonce for this connection. */
int fota_proto_challenge_encode(uint8_t *out, size_t out_size,
                                const uint8_t nonce[FOTA_PROTO_NONCE_SIZE]);
int fota_proto_challenge_parse(uint8_t nonce[FOTA_PROTO_NONCE_SIZE],
                               const uint8_t *body, size_t len);

/* HELLO: who the device is, what it runs and holds, what it can take. */
struct fota_proto_hello {
    uint8_t id_len;                       /* 1..FOTA_PROTO_ID_MAX */
    char id[FOTA_PROTO_ID_MAX + 1];       /* 0x21..0x7E; NUL-terminated by parse */
    uint8_t model_len;                    /* 0..FOTA_PROTO_MODEL_MAX */
    char model[FOTA_PROTO_MODEL_MAX + 1]; /* 0x20..0x7E; NUL-terminated by parse */
    struct fota_version version;          /* running image */
    uint8_t digest[FOTA_PROTO_DIGEST_SIZE];      /* running image's digest */
    uint8_t held_digest[FOTA_PROTO_DIGEST_SIZE]; /* partial download; zero: none */
    uint32_t held_bytes;                  /* bytes of it held; 0: none */
    uint16_t max_frame;                   /* >= FOTA_PROTO_MIN_FRAME */
    uint8_t window;                       /* 1..FOTA_PROTO_WINDOW_MAX */
    uint16_t chunk;                       /* image bytes per DATA frame:
                                           * FOTA_PROTO_CHUNK_MIN..
                                           * FOTA_PROTO_DATA_MAX(max_frame) */
    uint8_t nonce[FOTA_PROTO_NONCE_SIZE]; /* the device's */
    uint8_t mac[FOTA_PROTO_MAC_SIZE];     /* filled by parse; encode computes it */
};

/* Encodes msg (its mac field ignored) and writes the mac computed with
 * secret over server_nonce and the body. */
int fota_proto_hello_encode(uint8_t *out, size_t out_size,
                            const struct fota_proto_hello *msg,
                            const uint8_t secret[FOTA_PROTO_SECRET_SIZE],
                            const uint8_t server_nonce[FOTA_PROTO_NONCE_SIZE]);
int fota_proto_hello_parse(struct fota_proto_hello *out, const uint8_t *body,
                           size_t len);

/* The HELLO mac: HMAC-SHA256(secret, "fota-hello-v1" || server_nonce ||
 * body[0 .. len - 32)), where body/len is the whole HELLO body, mac included.
 * Returns 0 or FOTA_E_PROTO when len < FOTA_PROTO_MAC_SIZE. */
int fota_proto_hello_mac(uint8_t mac[FOTA_PROTO_MAC_SIZE],
                         const uint8_t secret[FOTA_PROTO_SECRET_SIZE],
                         const uint8_t server_nonce[FOTA_PROTO_NONCE_SIZE],
                         const uint8_t *body, size_t len);

/* The server's check: 0 when the last 32 bytes of the HELLO body are the mac
 * for secret and server_nonce (compared in constant time), else FOTA_E_AUTH
 * (FOTA_E_PROTO when len < FOTA_PROTO_MAC_SIZE). */
int fota_proto_hello_check(const uint8_t secret[FOTA_PROTO_SECRET_SIZE],
                           const uint8_t server_nonce[FOTA_PROTO_NONCE_SIZE],
                           const uint8_t *body, size_t len);

/* OFFER: the proposed offset and the image's manifest (header || digest ||
 * signature as `fota sign` wrote them). */
struct fota_proto_offer {
    uint32_t offset;
    const uint8_t *manifest;        /* into body */
    size_t manifest_len;            /* header_size + FOTA_IMAGE_TRAILER_SIZE */
    struct fota_image_header header; /* parsed from the manifest */
    const uint8_t *digest;          /* manifest + header_size */
    const uint8_t *signature;       /* digest + FOTA_IMAGE_DIGEST_SIZE */
};

/* The encoder checks that the manifest's header parses and that its length
 * is header_size + 96 (FOTA_E_INVAL otherwise); it does not check the
 * signature. */
int fota_proto_offer_encode(uint8_t *out, size_t out_size, uint32_t offset,
                            const uint8_t *manifest, size_t manifest_len);
/* Returns 0, FOTA_E_PROTO (body shorter than FOTA_PROTO_OFFER_MIN_SIZE, or
 * a manifest length other than header_size + 96, or an offset beyond the
 * image), or the image header's own error (FOTA_E_MAGIC, FOTA_E_FORMAT,
 * FOTA_E_HEADER) for a well-framed manifest the device cannot take: a device
 * reports those as REFUSED. The signature is not checked here. */
int fota_proto_offer_parse(struct fota_proto_offer *out, const uint8_t *body,
                           size_t len);

/* NOTHING: nothing to do; ask again in poll_interval seconds (0: the
 * device's own default). */
int fota_proto_nothing_encode(uint8_t *out, size_t out_size, uint32_t poll_interval);
int fota_proto_nothing_parse(uint32_t *poll_interval, const uint8_t *body, size_t len);

/* REQUEST: the image wanted and the first byte wanted. */
struct fota_proto_request {
    uint8_t digest[FOTA_PROTO_DIGEST_SIZE];
    uint32_t offset;
};
int fota_proto_request_encode(uint8_t *out, size_t out_size,
                              const struct fota_proto_request *msg);
int fota_proto_request_parse(struct fota_proto_request *out, const uint8_t *body,
                             size_t len);

/* DATA: image bytes from offset; len >= 1, and offset + len fits 32 bits. */
struct fota_proto_data {
    uint32_t offset;
    const uint8_t *bytes; /* into body */
    size_t len;
};
int fota_proto_data_encode(uint8_t *out, size_t out_size, uint32_t offset,
                           const uint8_t *bytes, size_t len);
int fota_proto_data_parse(struct fota_proto_data *out, const uint8_t *body,
                          size_t len);

/* ACK: the first byte the device does not hold (in flash, or the partial
 * write unit in RAM); its durable record may be up to record_every bytes
 * behind. */
int fota_proto_ack_encode(uint8_t *out, size_t out_size, uint32_t offset);
int fota_proto_ack_parse(uint32_t *offset, const uint8_t *body, size_t len);

/* REPORT: an outcome, stored once per sequence by the server. */
enum fota_proto_event {
    FOTA_PROTO_EV_DOWNLOADED = 1, /* in the secondary, verified, marked pending */
    FOTA_PROTO_EV_INSTALLED = 2,  /* installed by the bootloader, on trial */
    FOTA_PROTO_EV_CONFIRMED = 3,  /* the new image confirmed itself */
    FOTA_PROTO_EV_REVERTED = 4,   /* the bootloader reverted (reason says why) */
    FOTA_PROTO_EV_REFUSED = 5,    /* the device refused the image */
    FOTA_PROTO_EV_FAILED = 6,     /* the download failed (error says how) */
};
struct fota_proto_report {
    uint32_t sequence;
    uint8_t event;   /* enum fota_proto_event */
    uint8_t reason;  /* enum fota_boot_reason, 0 when none */
    int16_t error;   /* a fota_err, 0 when none; -32768..0 */
    struct fota_version version;               /* image concerned */
    uint8_t digest[FOTA_PROTO_DIGEST_SIZE];    /* image concerned; may be zero */
};
int fota_proto_report_encode(uint8_t *out, size_t out_size,
                             const struct fota_proto_report *msg);
int fota_proto_report_parse(struct fota_proto_report *out, const uint8_t *body,
                            size_t len);

/* REPORTED: the server stored the report with this sequence. */
int fota_proto_reported_encode(uint8_t *out, size_t out_size, uint32_t sequence);
int fota_proto_reported_parse(uint32_t *sequence, const uint8_t *body, size_t len);

/* ERROR: a code (1..65535; enum fota_proto_error, others are kept as they
 * are) and up to FOTA_PROTO_ERROR_TEXT_MAX bytes of text for people (not
 * NUL-terminated, not checked to be UTF-8: print it escaped). */
struct fota_proto_error_msg {
    uint16_t code;
    const char *text; /* into body */
    size_t text_len;
};
/* text may be NULL when text_len is 0; a longer text is cut at the limit. */
int fota_proto_error_encode(uint8_t *out, size_t out_size, uint16_t code,
                            const char *text, size_t text_len);
int fota_proto_error_parse(struct fota_proto_error_msg *out, const uint8_t *body,
                           size_t len);

#endif
