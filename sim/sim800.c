/*
 * fota-sim800: a SIM800C GSM/GPRS modem emulated behind a pseudo-terminal,
 * for tests of the device's AT driver on the host.
 *
 *   fota-sim800 --link PATH [--down BPS] [--up BPS] [--latency MS]
 *               [--baud BPS] [--fail-connects N] [--pdp-loss-after BYTES]
 *               [--close-after BYTES] [--boot-delay MS] [--urc-every MS]
 *               [--seed N] [--log FILE] [-v]
 *
 * It opens a pty, makes PATH a symbolic link to its slave side (removed
 * again at exit), prints "fota-sim800: ready on PATH" and serves until
 * SIGTERM or SIGINT (exit 0; 1 when the setup fails, 2 on a usage error).
 * The device side opens PATH as its UART. On exit it prints one line of
 * figures: "fota-sim800: done: commands=N connects=N up=BYTES down=BYTES
 * faults=N noise=N".
 *
 * What it answers follows the SIM800 Series AT Command Manual, verbose
 * result codes (ATV1), each framed "\r\n<text>\r\n", echo on at power-up:
 *
 *   AT, ATE0, ATE1, ATV1          OK
 *   AT+CPIN?  AT+CSQ              +CPIN: READY / +CSQ: 20,0, then OK
 *   AT+CREG?  AT+CGATT?           +CREG: 0,1 / +CGATT: 1, then OK
 *   AT+CIPMUX=0                   OK in IP INITIAL (multi-IP is not emulated)
 *   AT+CIPRXGET=0|1               auto / manual receive, before a connection
 *   AT+CIPRXGET=2,<n> (n<=1460)   +CIPRXGET: 2,<read>,<left> CR LF <bytes>,
 *                                 then OK; =3,<n> (n<=730) the same in hex;
 *                                 =4: +CIPRXGET: 4,<left>, then OK
 *   AT+CIPQSEND=0|1  AT+CIPHEAD=0|1   SEND OK or DATA ACCEPT:<n>; +IPD,<n>:
 *   AT+CSTT="apn","user","pwd"    OK in IP INITIAL only -> IP START
 *   AT+CIICR                      in IP START only: a round trip, then OK
 *                                 in IP GPRSACT
 *   AT+CIFSR                      the local address (no OK); -> IP STATUS
 *   AT+CIPSTATUS                  OK, then STATE: <state>
 *   AT+CIPSTART="TCP","a.b.c.d","port"   OK, then CONNECT OK, or
 *                                 STATE: TCP CLOSED and CONNECT FAIL;
 *                                 ALREADY CONNECT when connected. Allowed in
 *                                 IP STATUS, after a connection ended, and in
 *                                 IP INITIAL (the modem activates the context
 *                                 itself); ERROR elsewhere
 *   AT+CIPSEND=<n> (n<=1460)      "\r\n> ", exactly n raw bytes (echoed with
 *                                 ATE1), then SEND OK once the server has
 *                                 them and an ACK came back; SEND FAIL when
 *                                 the connection goes before (+PDP: DEACT:
 *                                 before the ACK)
 *   AT+CIPCLOSE[=0|1]             CLOSE OK (=1 at once, else a round trip)
 *   AT+CIPSHUT                    SHUT OK in any state -> IP INITIAL
 *   anything else                 ERROR; lines not starting with AT: ignored
 *
 * URCs: "+CIPRXGET: 1" when bytes arrive into an empty buffer (manual mode),
 * "CLOSED" when the server closes (bytes already received stay readable),
 * "+PDP: DEACT" when the network drops the context (state PDP DEACT until
 * AT+CIPSHUT; unread bytes are lost), and at power-up "RDY", "+CFUN: 1",
 * "+CPIN: READY", "Call Ready", "SMS Ready". The host is "localhost" or a
 * dotted IPv4 address (no DNS).
 *
 * Timing: the UART carries 10 bits a byte at --baud (default 115200) both
 * ways; the GPRS link carries --down and --up bytes/s (default 5000 and
 * 2500) one byte after the other, each arriving --latency ms (default 350)
 * after it left. 0 means unlimited (or no delay). A connect takes a round
 * trip (two when it activates the context too), AT+CIICR one.
 *
 * Faults, each counted in the log and the figures:
 *   --fail-connects N        the first N AT+CIPSTART end in CONNECT FAIL
 *   --pdp-loss-after BYTES   once, when that many bytes have been carried
 *                            down in all: +PDP: DEACT
 *   --close-after BYTES      once, when that many bytes have been carried
 *                            down in all: the server side closes (CLOSED)
 *   --boot-delay MS          no answer (input lost) until MS after start,
 *                            then the power-up URCs
 *   --urc-every MS           "RING" or +CMTI: "SM",1 about every MS (0.5 to
 *                            1.5 times), also between the lines of one
 *                            response, never inside one or inside data
 *   --seed N                 the noise's random numbers (default: the clock):
 *                            which URC, the intervals, the place among the
 *                            queued lines; where that falls in a dialogue
 *                            still depends on the dialogue's own timing
 *
 * Every number is a whole one from 0 to 4294967295 (0x... is read as hex).
 * --log FILE records every command line, connection event and fault, with
 * the seconds since start; -v adds every line the modem says.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sim800.h"
#include "util.h"

static const char usage_text[] =
    "usage: fota-sim800 --link PATH [--down BPS] [--up BPS] [--latency MS]\n"
    "                   [--baud BPS] [--fail-connects N] [--pdp-loss-after BYTES]\n"
    "                   [--close-after BYTES] [--boot-delay MS] [--urc-every MS]\n"
    "                   [--seed N] [--log FILE] [-v]\n"
    "  --link PATH             the symbolic link to the modem's tty (required)\n"
    "  --down BPS, --up BPS    GPRS bytes/s each way (default 5000, 2500; 0: no limit)\n"
    "  --latency MS            one-way GPRS delay (default 350)\n"
    "  --baud BPS              UART bits/s, 10 bits a byte (default 115200; 0: no limit)\n"
    "  --fail-connects N       the first N AT+CIPSTART fail (CONNECT FAIL)\n"
    "  --pdp-loss-after BYTES  +PDP: DEACT once after that many bytes down in all\n"
    "  --close-after BYTES     the server side closes once after that many bytes down\n"
    "  --boot-delay MS         silent until then, then RDY ... SMS Ready\n"
    "  --urc-every MS          harmless URCs (RING, +CMTI) about every MS\n"
    "  --seed N                seed of the noise (default: from the clock)\n"
    "  --log FILE              commands, connections and faults (-v: all output)\n";

static struct s8 modem;
static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    int saved = errno;

    (void)sig;
    stopping = 1;
    if (write(wake_pipe[1], "", 1) < 0) {
        /* the pipe is full: poll wakes anyway */
    }
    errno = saved;
}

static int options_parse(struct s8_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"link", required_argument, NULL, 'L'},        {"down", required_argument, NULL, 'd'},
        {"up", required_argument, NULL, 'u'},          {"latency", required_argument, NULL, 'l'},
        {"baud", required_argument, NULL, 'b'},        {"fail-connects", required_argument, NULL, 'f'},
        {"pdp-loss-after", required_argument, NULL, 'p'},
        {"close-after", required_argument, NULL, 'c'}, {"boot-delay", required_argument, NULL, 'B'},
        {"urc-every", required_argument, NULL, 'U'},   {"seed", required_argument, NULL, 's'},
        {"log", required_argument, NULL, 'o'},         {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0},
    };
    uint64_t *target;
    uint32_t v;
    int opt;

    *o = (struct s8_opts){.down_bps = 5000, .up_bps = 2500, .latency_ms = 350,
                          .baud = 115200, .pdp_loss_after = S8_NEVER,
                          .close_after = S8_NEVER, .seed = (uint64_t)time(NULL)};
    while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'L': o->link = optarg; continue;
        case 'o': o->log = optarg; continue;
        case 'v': o->verbose = 1; continue;
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'd': target = &o->down_bps; break;
        case 'u': target = &o->up_bps; break;
        case 'l': target = &o->latency_ms; break;
        case 'b': target = &o->baud; break;
        case 'f': target = &o->fail_connects; break;
        case 'p': target = &o->pdp_loss_after; break;
        case 'c': target = &o->close_after; break;
        case 'B': target = &o->boot_delay_ms; break;
        case 'U': target = &o->urc_every_ms; break;
        case 's': target = &o->seed; break;
        default: return -1;
        }
        if (tool_parse_u32(optarg, &v) < 0) {
            fprintf(stderr, "fota-sim800: '%s' is not a number (0 .. 4294967295)\n", optarg);
            return -1;
        }
        *target = v;
    }
    if (optind != argc || o->link == NULL) {
        fprintf(stderr, "fota-sim800: %s\n", o->link ? "unexpected argument" : "--link is required");
        return -1;
    }
    return 0;
}

/* The master side stays ours; the slave is opened here too and kept, so
 * that the master never hangs up while no device has the tty open. */
static int pty_open(struct s8 *m)
{
    struct termios t;
    struct stat st;
    const char *name;

    m->pty = posix_openpt(O_RDWR | O_NOCTTY);
    if (m->pty < 0 || grantpt(m->pty) < 0 || unlockpt(m->pty) < 0 ||
        (name = ptsname(m->pty)) == NULL) {
        fprintf(stderr, "fota-sim800: pty: %s\n", strerror(errno));
        return -1;
    }
    m->slave = open(name, O_RDWR | O_NOCTTY);
    if (m->slave < 0 || tcgetattr(m->slave, &t) < 0) {
        fprintf(stderr, "fota-sim800: %s: %s\n", name, strerror(errno));
        return -1;
    }
    cfmakeraw(&t);
    cfsetspeed(&t, B115200);
    if (tcsetattr(m->slave, TCSANOW, &t) < 0 ||
        fcntl(m->pty, F_SETFL, fcntl(m->pty, F_GETFL) | O_NONBLOCK) < 0) {
        fprintf(stderr, "fota-sim800: %s: %s\n", name, strerror(errno));
        return -1;
    }
    /* A stale link from an earlier run is replaced; anything else is kept. */
    if (lstat(m->o.link, &st) == 0 && S_ISLNK(st.st_mode))
        unlink(m->o.link);
    if (symlink(name, m->o.link) < 0) {
        fprintf(stderr, "fota-sim800: %s: %s\n", m->o.link, strerror(errno));
        return -1;
    }
    return 0;
}

static int signals_setup(void)
{
    static const int stop_signals[] = {SIGTERM, SIGINT};
    struct sigaction sa;
    size_t i;

    if (pipe(wake_pipe) < 0 || fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
        fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK) < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        sigaction(stop_signals[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a server gone: send() says so */
    return 0;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;

    return m < c ? m : c;
}

/* One pass over everything that may have become due. */
static int service(struct s8 *m)
{
    int c;

    m->now = s8_now();
    if (s8_in_read(m) < 0) {
        fprintf(stderr, "fota-sim800: pty read: %s\n", strerror(errno));
        return -1;
    }
    while ((c = s8_in_peek(m)) >= 0 && s8_at_feed(m, (uint8_t)c))
        s8_in_pop(m);
    s8_at_echo_flush(m);
    s8_net_service(m);
    s8_at_service(m);
    if (s8_out_write(m) < 0) {
        fprintf(stderr, "fota-sim800: pty write: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* The poll() timeout to the next due time, in whole ms rounded up. */
static int timeout_ms(const struct s8 *m)
{
    uint64_t in = m->mode == S8_BUSY ? S8_NEVER : s8_in_due(m);
    uint64_t due = min3(in, s8_out_due(m), min3(s8_at_due(m), s8_net_due(m), S8_NEVER));
    uint64_t now = s8_now();

    if (due <= now)
        return 0;
    if (due - now >= 1000 * S8_MS)
        return 1000;
    return (int)((due - now + S8_MS - 1) / S8_MS);
}

static int run(struct s8 *m)
{
    while (!stopping) {
        struct pollfd pf[3];
        char drain[16];

        if (service(m) < 0)
            return -1;
        pf[0] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
        pf[1] = (struct pollfd){.fd = m->pty, .events = m->out_blocked ? POLLOUT : 0};
        if (m->in_len < S8_IN_SIZE)
            pf[1].events |= POLLIN;
        pf[2] = (struct pollfd){.fd = m->conn.fd, .events = s8_net_events(m)};
        /* A socket polled for nothing would still wake us on a hang-up. */
        if (pf[2].events == 0)
            pf[2].fd = -1;
        if (poll(pf, 3, timeout_ms(m)) < 0 && errno != EINTR) {
            fprintf(stderr, "fota-sim800: poll: %s\n", strerror(errno));
            return -1;
        }
        while (read(wake_pipe[0], drain, sizeof(drain)) > 0) {
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct s8 *m = &modem;
    int rc;

    if (options_parse(&m->o, argc, argv) < 0) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (m->o.log != NULL) {
        m->log = fopen(m->o.log, "w");
        if (m->log == NULL) {
            fprintf(stderr, "fota-sim800: %s: %s\n", m->o.log, strerror(errno));
            return 1;
        }
        setvbuf(m->log, NULL, _IOLBF, 0);
    } else if (m->o.verbose) {
        m->log = stderr;
    }
    m->start = m->now = s8_now();
    m->rng = m->o.seed;
    m->latency = m->o.latency_ms * S8_MS;
    m->byte_ns = m->o.baud ? 10000000000u / m->o.baud : 0;
    if (signals_setup() < 0) {
        fprintf(stderr, "fota-sim800: pipe: %s\n", strerror(errno));
        return 1;
    }
    if (pty_open(m) < 0)
        return 1;
    s8_at_init(m);
    s8_net_init(m);
    s8_log(m, "ready on %s (%s), seed %llu", m->o.link, ptsname(m->pty),
           (unsigned long long)m->o.seed);
    printf("fota-sim800: ready on %s\n", m->o.link);
    fflush(stdout);
    rc = run(m);
    s8_net_close(m);
    s8_out_free(m);
    unlink(m->o.link);
    s8_log(m, "stopped");
    printf("fota-sim800: done: commands=%llu connects=%llu up=%llu down=%llu faults=%llu "
           "noise=%llu\n",
           (unsigned long long)m->n_commands, (unsigned long long)m->n_connects,
           (unsigned long long)m->up_total, (unsigned long long)m->down_total,
           (unsigned long long)m->n_faults, (unsigned long long)m->n_noise);
    if (m->log != NULL && m->log != stderr)
        fclose(m->log);
    return rc < 0 ? 1 : 0;
}
