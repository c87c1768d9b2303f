/*
 * The fota protocol on fotad's side (docs/protocol.md): one struct session
 * per connection, all of them driven by one event loop.
 *
 *   CHALLENGED --HELLO ok--> IDLE (OFFER or NOTHING sent)
 *   IDLE       --REQUEST ok--> SENDING --ACK of the last byte--> IDLE
 *   IDLE, SENDING --REPORT--> stored, REPORTED sent (state unchanged)
 *   SENDING    --REQUEST--> SENDING from the new offset
 *   any        --bad frame, refusal--> CLOSING (ERROR queued)
 *   CLOSING    --ERROR written, peer closed or 2 s--> closed
 *   CHALLENGED --hello_timeout--> ERROR TIMEOUT;  IDLE, SENDING --no frame
 *              for idle_timeout--> ERROR TIMEOUT
 *   any        --peer closed, I/O error--> closed
 *
 * Memory: each connection is one calloc'd struct session holding fixed
 * buffers (SESSION_RX_SIZE in, SESSION_TX_SIZE out); nothing else is
 * allocated per connection. Image files are opened by the digest the store
 * assigned to the device (never a name or digest a client sent), once per
 * image, and shared by every session sending it; its DATA frames are read
 * and sealed (CRC) once, in memory with it, for each of the first four frame
 * sizes asked (other frame sizes, and offsets off that frame grid after a
 * resume, are sealed per frame in the output buffer). The frames a window
 * lets go are written straight from there, with any answer waiting before
 * them, in one writev.
 *
 * The store: every write of one round of the loop goes into one
 * transaction, committed by session_server_round_end at the round's end;
 * the answers to HELLO and REPORT wait for that commit, so that a device is
 * never told of a write a fotad crash could still lose (the store syncs in
 * WAL mode, synchronous NORMAL: a power cut of the server may lose the
 * last commits). Progress: the offset each device acknowledged is written
 * at most once per second per device (session_server_flush), at the end of
 * its download and when its connection ends.
 */
#ifndef FOTAD_SESSION_H
#define FOTAD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "fota/proto.h"

#include "loop.h"
#include "net.h"
#include "store.h"

/* Largest frame fotad sends: 4 KiB of image bytes per DATA frame. A device
 * with a smaller max_frame gets smaller frames. */
#define SESSION_FRAME_CAP (4096u + FOTA_PROTO_DATA_HEAD_SIZE + FOTA_PROTO_OVERHEAD)

/* Largest frame fotad takes, at every state: a device's largest frame is a
 * HELLO of FOTA_PROTO_HELLO_MAX_SIZE + FOTA_PROTO_OVERHEAD (203) bytes, and
 * the protocol sets FOTA_PROTO_PREAUTH_FRAME before HELLO. */
#define SESSION_RX_SIZE FOTA_PROTO_PREAUTH_FRAME

/* Room kept free in the output buffer for answers (the largest is OFFER)
 * while a DATA frame waits there; input is read only when it is free. */
#define SESSION_TX_RESERVE (STORE_MANIFEST_MAX + 4u + FOTA_PROTO_OVERHEAD + 256u)
/* Room for DATA in the output buffer, for frames not sealed in advance:
 * the largest frame (the sealed ones are written from the image's cache). */
#define SESSION_TX_SIZE (SESSION_FRAME_CAP + SESSION_TX_RESERVE)

struct session_config {
    uint64_t hello_ms;      /* HELLO due this long after accept */
    uint64_t idle_ms;       /* after HELLO: a frame due at least this often */
    uint32_t poll_interval; /* seconds, in NOTHING (0: the device's default) */
};

struct session_server;

/* A server of fota sessions on loop with store st (kept open by the
 * caller). count is shared with the other listeners (see net.h). Returns
 * NULL when out of memory. */
struct session_server *session_server_create(struct loop *loop, struct store *st,
                                             const struct session_config *cfg,
                                             struct net_conn_count *count);

/* Takes over fd, a connection just accepted (non-blocking), from peer
 * ("ADDR:PORT"), and sends it a CHALLENGE. On failure (logged) fd is closed
 * and counted out. */
void session_accept(struct session_server *srv, int fd, const char *peer);

/* Writes the progress not yet stored of every session, into the round's
 * transaction. Call about once per second. */
void session_server_flush(struct session_server *srv);

/* Commits the round's store writes, then writes the answers that waited for
 * them (when the commit fails: refuses those sessions with ERROR SERVER and
 * marks every transfer's progress to be written again). Call at the end of
 * every round of the loop (loop_set_round_end), or the store stays locked
 * and those answers unsent. */
void session_server_round_end(struct session_server *srv);

/* Sessions open. */
int session_server_open_count(const struct session_server *srv);

/* Stores every session's progress, closes every connection and frees srv. */
void session_server_destroy(struct session_server *srv);

/* sizeof(struct session), for the documentation of memory per connection. */
size_t session_struct_size(void);

#endif
