/*
 * fota-sim800 internals: one emulated SIM800C modem behind a pseudo-terminal
 * (the usage text in sim800.c is the manual). Four parts share struct s8:
 *
 *   sim800.c       options, the pty and its link, the poll() loop
 *   sim800_io.c    the UART both ways (paced bytes, output units, noise), log
 *   sim800_at.c    the AT interpreter: command line, states, results, URCs
 *   sim800_net.c   the TCP connection behind it, the GPRS link model, faults
 *
 * Time is in nanoseconds of CLOCK_MONOTONIC; "due" times say when something
 * happens, UINT64_MAX when nothing is waiting.
 */
#ifndef FOTA_SIM800_H
#define FOTA_SIM800_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define S8_NEVER UINT64_MAX
#define S8_MS 1000000ull        /* ns */
#define S8_LINE_MAX 560u        /* the manual's 556-character command line */
#define S8_SEND_MAX 1460u       /* AT+CIPSEND=<len> and AT+CIPRXGET=2,<len> at most */
#define S8_HEX_MAX 730u         /* AT+CIPRXGET=3,<len> at most */
#define S8_RX_SIZE 65536u       /* the modem's buffer of received TCP bytes */
#define S8_PIPE_SIZE 65536u     /* bytes on their way over the GPRS link, each way */
#define S8_PIPE_SEGS 1024u
#define S8_IN_SIZE 4096u        /* UART bytes read from the pty, not yet taken */
#define S8_OUT_HIGH 8192u       /* output backlog above which TCP data waits */

struct s8_opts {
    const char *link;
    const char *log;
    uint64_t down_bps, up_bps;  /* bytes/s over GPRS; 0: unlimited */
    uint64_t latency_ms;        /* one way */
    uint64_t baud;              /* UART bits/s, 10 bits a byte; 0: unlimited */
    uint64_t fail_connects;
    uint64_t pdp_loss_after;    /* S8_NEVER: no such fault */
    uint64_t close_after;       /* S8_NEVER: no such fault */
    uint64_t boot_delay_ms;
    uint64_t urc_every_ms;      /* 0: no noise */
    uint64_t seed;
    int verbose;
};

/* A serialised link with a one-way latency: a byte leaves after the one
 * before it (rate bytes/s, 0: at once) and arrives latency later. Bytes
 * travel in segments that remember when their first byte left. */
struct s8_seg {
    uint64_t t0;                /* when its first byte started to leave */
    uint32_t len, taken;
};

struct s8_pipe {
    uint64_t rate, latency;
    uint8_t buf[S8_PIPE_SIZE];
    size_t head, len;           /* the bytes of all segments, in order */
    struct s8_seg seg[S8_PIPE_SEGS];
    size_t seg_head, seg_count;
    uint64_t free_at;           /* when the link can start the next byte */
    uint64_t eof_due;           /* S8_NEVER, or when the end of stream arrives */
};

/* A piece of modem output that goes out whole: noise is only ever put
 * between two units, never inside one. */
struct s8_unit {
    struct s8_unit *next;
    size_t len, off;            /* off: bytes of it already written */
    uint8_t data[];
};

enum s8_state {
    S8_IP_INITIAL, S8_IP_START, S8_IP_CONFIG, S8_IP_GPRSACT, S8_IP_STATUS,
    S8_TCP_CONNECTING, S8_CONNECT_OK, S8_TCP_CLOSING, S8_TCP_CLOSED, S8_IP_CLOSE,
    S8_PDP_DEACT,
};

enum s8_mode {
    S8_BOOTING,                 /* power-up: input is lost */
    S8_COMMAND,                 /* reading a command line */
    S8_DATA,                    /* taking the bytes of an AT+CIPSEND */
    S8_BUSY,                    /* a command's final result is not out yet */
};

/* What a busy modem waits for. */
enum s8_pend {
    S8_PEND_NONE,
    S8_PEND_TIMER,              /* a final result at pend_due (AT+CIICR, AT+CIPCLOSE) */
    S8_PEND_PUSH,               /* CIPSEND bytes waiting for room on the link */
    S8_PEND_SENT,               /* until the server took them */
    S8_PEND_ACK,                /* then SEND OK at pend_due, its ACK back */
};

enum s8_conn_phase { S8_CONN_NONE, S8_CONN_CONNECTING, S8_CONN_OPEN };

struct s8_conn {
    int fd;
    enum s8_conn_phase phase;
    int result;                 /* CONNECTING: 1 connected, -1 failed, 0 not yet */
    uint64_t started, result_due;
    struct s8_pipe up, down;
    int up_blocked;             /* the socket took less than offered */
    uint64_t up_pushed, up_written;
};

struct s8 {
    struct s8_opts o;
    uint64_t start, now, latency;
    int pty, slave;
    FILE *log;
    uint64_t rng;

    /* UART: host -> modem */
    uint8_t in[S8_IN_SIZE];
    size_t in_head, in_len;
    uint64_t in_clock;          /* when the last byte taken had arrived */
    uint64_t byte_ns;           /* one byte on the UART; 0: unlimited */
    /* UART: modem -> host */
    struct s8_unit *out_head, *out_tail;
    size_t out_count, out_bytes;
    uint64_t out_clock;         /* when the line is free again */
    int out_blocked;

    /* AT interpreter */
    enum s8_mode mode;
    enum s8_state state;
    int echo, manual_rx, quick_send, ip_head;
    char apn[52], user[52], pwd[52];
    char ip[16];                /* the local address AT+CIFSR shows */
    uint8_t echo_buf[S8_LINE_MAX];
    size_t echo_len;
    char line[S8_LINE_MAX];
    size_t line_len;
    int line_long;
    uint8_t send_buf[S8_SEND_MAX];
    size_t send_len, send_have;
    int send_failed;
    enum s8_pend pend;
    uint64_t pend_due, send_end;
    char pend_text[32];
    enum s8_state pend_state;
    int pend_sets_state;
    int bring_up;               /* CIPSTART from IP INITIAL: the bearer too */

    /* received TCP bytes, kept until read (manual mode) or pushed out */
    uint8_t rx[S8_RX_SIZE];
    size_t rx_head, rx_len;
    int rx_announced;

    struct s8_conn conn;

    /* faults and noise */
    uint64_t fail_left, down_total;
    int pdp_done, close_done;
    uint64_t boot_at, noise_at;

    /* figures */
    uint64_t n_commands, n_connects, n_faults, n_noise, up_total;
};

/* ---- sim800_io.c ---- */
uint64_t s8_now(void);
void s8_log(struct s8 *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t s8_random(struct s8 *m);
/* Reads what the pty has while there is room; -1 on a hard error. */
int s8_in_read(struct s8 *m);
/* The next byte that has arrived over the UART by now, or -1. */
int s8_in_peek(const struct s8 *m);
void s8_in_pop(struct s8 *m);
uint64_t s8_in_due(const struct s8 *m);
void s8_out(struct s8 *m, const void *data, size_t len);
/* "\r\n<text>\r\n", the modem's framing of every result and URC. */
void s8_out_line(struct s8 *m, const char *text);
/* A noise URC at a random unit boundary not yet on the wire. */
void s8_out_noise(struct s8 *m, const char *text);
int s8_out_write(struct s8 *m);
uint64_t s8_out_due(const struct s8 *m);
void s8_out_free(struct s8 *m);

/* ---- sim800_at.c ---- */
void s8_at_init(struct s8 *m);
/* Offers one UART byte; returns 0 when the modem cannot take it yet. */
int s8_at_feed(struct s8 *m, uint8_t c);
/* Sends the echo of the bytes fed so far as one piece. */
void s8_at_echo_flush(struct s8 *m);
/* Timers: power-up, delayed final results, data push, noise. */
void s8_at_service(struct s8 *m);
uint64_t s8_at_due(const struct s8 *m);
/* From sim800_net.c: the connection's outcome and its end. */
void s8_at_connected(struct s8 *m, int ok);
void s8_at_remote_closed(struct s8 *m);
void s8_at_pdp_deact(struct s8 *m);
/* Room in the modem's receive buffer, and bytes into it. */
size_t s8_at_rx_room(const struct s8 *m);
void s8_at_rx_put(struct s8 *m, const uint8_t *data, size_t len);

/* ---- sim800_net.c ---- */
void s8_pipe_init(struct s8_pipe *p, uint64_t rate, uint64_t latency);
void s8_pipe_clear(struct s8_pipe *p);
size_t s8_pipe_room(const struct s8_pipe *p);
void s8_pipe_push(struct s8_pipe *p, uint64_t now, const uint8_t *data, size_t len);
void s8_pipe_push_eof(struct s8_pipe *p, uint64_t now);
/* Bytes at the head that have arrived by now, contiguous in *data. */
size_t s8_pipe_arrived(const struct s8_pipe *p, uint64_t now, const uint8_t **data);
void s8_pipe_take(struct s8_pipe *p, size_t n);
/* When the next byte (or the end of stream) arrives; S8_NEVER if none is
 * on its way or the head waits for its reader. */
uint64_t s8_pipe_due(const struct s8_pipe *p, uint64_t now);

void s8_net_init(struct s8 *m);
/* Starts AT+CIPSTART's connection; the outcome comes in s8_at_connected(),
 * no earlier than extra_ns from now. */
void s8_net_connect(struct s8 *m, const char *host, unsigned port, uint64_t extra_ns);
void s8_net_close(struct s8 *m);
/* CIPSEND bytes onto the uplink (the caller checked the room). */
void s8_net_send(struct s8 *m, const uint8_t *data, size_t len);
size_t s8_net_send_room(const struct s8 *m);
void s8_net_service(struct s8 *m);
uint64_t s8_net_due(const struct s8 *m);
short s8_net_events(const struct s8 *m);

#endif
