/*
 * fota-sim run, inside: the device record shared by the loop (fleet.c), the
 * wire tap (fleet_tap.c) and the report (fleet_report.c).
 */
#ifndef FOTA_SIM_FLEET_INT_H
#define FOTA_SIM_FLEET_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fleet.h"
#include "fota/agent.h"
#include "fota/posix_tcp.h"
#include "provision.h"
#include "simdev.h"

#define FLEET_IN_SIZE 8192u
#define FLEET_REASON_SIZE 200u

/* ---- the wire tap ----------------------------------------------------------
 * Watches the bytes a device receives, frame by frame, without decoding
 * them for the agent: where frames start and end (so a cut can be placed
 * between two or inside one), DATA offsets (what the device already got),
 * NOTHING, REPORTED and ERROR. Plain data: copying it forks the scan. */
struct fleet_tap {
    uint8_t head[FOTA_PROTO_HEADER_SIZE + 4]; /* header and the body's first 4 bytes */
    uint32_t have;  /* bytes of the current frame seen; 0: between frames */
    uint32_t size;  /* the current frame's length once its header is in */
    uint8_t last_type; /* of the last complete frame; 0 none */
    uint32_t last_data_end; /* image offset after the last complete DATA */
};

/* What a session (one connection) saw, from both directions. */
struct fleet_session {
    uint8_t nothing;        /* the server said NOTHING */
    uint8_t error_rx;       /* the server sent ERROR */
    uint8_t error_tx;       /* the device sent ERROR */
    uint16_t error_code;    /* the last ERROR's code */
    uint32_t refused_seq;   /* a REFUSED report's sequence, once sent */
    uint8_t refused_sent;
    uint8_t refused_acked;  /* the server stored it */
    struct fota_proto_report refused; /* that report */
};

enum fleet_phase { DEV_QUEUED, DEV_RUNNING, DEV_DONE, DEV_FAILED };
/* What interrupted a device: a cut of ours, a power cut of ours, or the
 * link breaking by itself (the server closed or died). */
enum fleet_cut_kind { CUT_NONE, CUT_CONN, CUT_POWER, CUT_BREAK };

struct fleet_dev {
    char id[STORE_ID_MAX + 1];
    char *conf_path, *flash_path;
    struct provision prov;
    const struct fota_posix_tcp_addr *server;
    enum fleet_phase phase;
    char reason[FLEET_REASON_SIZE];     /* why it failed */
    struct fota_version final_version;
    int has_final;

    /* The hardware and the agent, while running. */
    struct simdev dev;
    int dev_open;
    struct simdev_app app;

    /* The connection. */
    int fd;
    uint8_t connecting;     /* connect() in progress */
    uint8_t want_write;     /* a write would block */
    uint8_t cut_pending;    /* close once in[] is taken */
    uint8_t tx_open;        /* a frame is being sent */
    uint8_t tx_cut;         /* it is cut after tx_cut_at bytes */
    uint32_t tx_cut_at;
    /* Where the cut planned (cut_pending or tx_cut) falls; counted when it
     * is made, not when planned: a power cut or a close may come first. */
    uint8_t cut_sending, cut_between, cut_type;
    uint32_t cut_pos;
    uint8_t in[FLEET_IN_SIZE];
    size_t in_pos, in_len;  /* received bytes the agent has not taken */
    uint32_t wake;          /* the agent's wake_at while waiting */
    uint32_t rx_budget;     /* --rate: bytes it may receive now */
    uint32_t rx_last;       /* when the budget was last topped up (ms) */
    uint64_t cycle_ops;     /* flash operations at the start of this boot cycle */
    int last_errno;         /* of the last failed connection */
    uint16_t server_error;  /* the code of the last ERROR from the server */
    struct fleet_tap tap;
    struct fleet_session sess;

    /* Resend accounting: the image being fetched and the furthest byte of
     * it that reached the device. After a cut, the next REQUEST's offset
     * tells how many of those bytes are fetched again. */
    uint8_t dl_digest[FOTA_PROTO_DIGEST_SIZE];
    uint32_t dl_hi;
    uint8_t dl_pending;     /* enum fleet_cut_kind of a cut not yet measured */

    /* Figures. */
    uint32_t boots, installed, reverted;
    uint32_t conn_cuts, power_cuts, breaks;
    uint32_t corrupted;     /* frames corrupted on the way in (--corrupt) */
    uint32_t crc_errors;    /* ERROR BAD_CRC frames the device sent */
    uint8_t conn_corrupted; /* a frame of this connection was corrupted */
    uint32_t power_cuts_boot; /* of power_cuts: in the bootloader (installs) */
    uint64_t data_bytes;    /* DATA bytes received (whole frames) */
    uint64_t resent;        /* bytes fetched again after cuts */
    uint32_t resent_max_conn, resent_max_power, resent_max_break;
    uint32_t consecutive_boot_failures;
    double done_at;         /* seconds since the start */
};

/* The run: options, devices, totals. */
struct fleet {
    const struct fleet_options *o;
    struct fleet_dev *devs;
    size_t n, started, finished, active;
    struct fota_posix_tcp_addr **addrs; /* distinct server addresses */
    size_t n_addrs;
    uint64_t rng;
    uint32_t now;           /* ms, monotonic */
    uint64_t cycle_ops;     /* the most flash operations a boot cycle took */
    double t0;
    /* Cut figures over all devices. */
    uint32_t cuts_inside, cuts_between;
    uint32_t *cut_points;   /* distinct-point keys, appended */
    size_t n_points, cap_points;
    int tty;
    double next_progress;
};

/* ---- fleet_setup.c ---- */

/* Loads the devices of f->o->simdir into f->devs (sorted by id) and
 * resolves their servers. Returns 0 or -1 after printing why. */
int fleet_devices_load(struct fleet *f);
void fleet_devices_free(struct fleet *f);

/* ---- fleet_tap.c ---- */

/* The tap at the start of a connection. */
void fleet_tap_reset(struct fleet_tap *t);

/* Where frames end in data[0..len) for a tap in state t (not changed):
 * fills ends[] (at most max, increasing, each in 1..len) and returns their
 * count. A frame boundary at 0 is there when t->have is 0. */
size_t fleet_tap_frame_ends(const struct fleet_tap *t, const uint8_t *data, size_t len,
                            size_t *ends, size_t max);

/* The device received data[0..len): watch it (DATA reach, NOTHING,
 * REPORTED, ERROR). */
void fleet_tap_received(struct fleet_dev *d, const uint8_t *data, size_t len);

/* Where a cut after data[0..len) of fleet_tap_received() falls: the type
 * of the frame it is in (or, between frames, of the one before) and the
 * position: for DATA the image offset, else the offset in the frame. */
void fleet_tap_position(const struct fleet_tap *t, uint8_t *type, uint32_t *pos);

/* The device starts sending the frame in d->tx_buf (len bytes): watch it
 * (REQUEST, REPORT, ERROR). */
void fleet_tap_sending(struct fleet_dev *d, const uint8_t *frame, size_t len);

/* A cut (connection or power) interrupted the device. */
void fleet_tap_interrupted(struct fleet_dev *d, enum fleet_cut_kind kind);

/* ---- fleet_report.c ---- */

double fleet_seconds(void);
void fleet_progress(struct fleet *f, int final);
void fleet_summary(struct fleet *f, double seconds);
/* Remembers a cut point: direction, between frames or inside one, frame
 * type, position (fleet_tap_position()). */
void fleet_cut_point(struct fleet *f, int sending, int between, uint8_t type, uint32_t pos);

#endif
