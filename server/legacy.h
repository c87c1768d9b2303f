/*
 * The legacy listener: serves the original loader's protocol, byte for byte,
 * to devices already in the field (docs/protocol.md, "Legacy listener").
 *
 *   server: "0;<size>"                        device: "0"
 *   server: "<n>;" + bytes [(n-1)*1024, n*1024)  device: "<n>"   n = 1, 2, ...
 *
 * Numbers are ASCII decimal with no terminator. A message is sent again when
 * its answer has not come resend_ms after it was written; the next one goes
 * out as soon as the answer arrives. After the last chunk is answered the
 * connection is closed. Many devices are served at once on the loop; each
 * connection holds only its own small state, the image is shared.
 *
 * Answers are recognised when the digits received end with the number
 * expected: answers may arrive split across reads, late copies of earlier
 * answers (to messages that were sent twice) are skipped, CR, LF and spaces
 * are ignored.
 */
#ifndef FOTAD_LEGACY_H
#define FOTAD_LEGACY_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "net.h"

#define LEGACY_CHUNK 1024
/* Largest image the legacy protocol is used for (the seed's loader writes
 * into a 512 KiB part; a little room for other parts). */
#define LEGACY_MAX_IMAGE (4u * 1024u * 1024u)

/* Digits kept while looking for an answer (longer runs keep their tail). */
#define LEGACY_ANSWER_KEEP 24

/* What a connection has received towards an answer. Zero it to start. */
struct legacy_answer {
    char rx[LEGACY_ANSWER_KEEP]; /* digits received, not yet an answer */
    size_t rx_len;
};

/* Takes len bytes a device sent while expect (expect_len digits, at most
 * LEGACY_ANSWER_KEEP) is the answer due. Returns the bytes taken up to and
 * including the one that completed the answer (1..len; the state is then
 * cleared), or 0 when buf did not complete it (all of it taken). Pure: the
 * listener's recognition, kept apart so it can be tested on its own. */
size_t legacy_answer_take(struct legacy_answer *a, const char *expect, size_t expect_len,
                          const char *buf, size_t len);

struct legacy_config {
    const uint8_t *image; /* the bytes served (the caller keeps them alive) */
    size_t image_size;
    uint64_t resend_ms;   /* send a message again after this long without its answer */
    uint64_t idle_ms;     /* close a connection that answered nothing for this long */
};

struct legacy;

/* A legacy server on loop. count is shared with the other listeners (see
 * net.h); the legacy server counts out the connections it closes. Returns
 * NULL when out of memory. */
struct legacy *legacy_create(struct loop *loop, const struct legacy_config *cfg,
                             struct net_conn_count *count);

/* Takes over fd, a connection just accepted (non-blocking), from peer
 * ("ADDR:PORT"), and sends it the size line. On failure (logged) fd is closed
 * and counted out. */
void legacy_accept(struct legacy *lg, int fd, const char *peer);

/* Connections being served. */
int legacy_open_count(const struct legacy *lg);

/* Closes every connection (logging where each one stopped) and frees lg. */
void legacy_destroy(struct legacy *lg);

/* Reads the image served by the legacy listener from path (a file named by
 * the operator). A raw .bin is served as it is; a signed fota image is
 * unwrapped to its payload, after its signature is checked when pub is not
 * NULL (else only its header and size). *data is malloc'd (free() it).
 * Returns 0, or -1 with a sentence in err (errlen bytes). */
int legacy_image_load(const char *path, const uint8_t *pub, uint8_t **data, size_t *size,
                      int *was_signed, char *err, size_t errlen);

#endif
