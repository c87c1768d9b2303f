/*
 * linkemu: a TCP relay that behaves like a slow, high-latency link, for
 * benchmarks on one machine.
 *
 *   linkemu --listen 127.0.0.1:PORT --to 127.0.0.1:PORT
 *           [--preset gprs|gprs-bad] [--delay-ms D | --latency D]
 *           [--rate BPS] [--down BPS] [--up BPS] [--jitter-ms J] [--seed N]
 *           [--queue BYTES] [--max-conns N] [--cut-after BYTES]
 *           [--cut-down BYTES] [--cut-up BYTES] [--cut-conn N]
 *           [--cut-every S] [--cut-random P] [--scale F] [--record PREFIX]
 *
 * Every connection accepted on --listen is relayed to --to. In each direction
 * on its own, the bytes go through a model of a link:
 *
 *   - serialization at BPS bytes per second (--rate both ways, or --down for
 *     server to client and --up for client to server): the bytes read from one side
 *     leave the bottleneck one after the other, each slice (at most 20 ms
 *     worth of bytes) when the previous one has left, len / BPS later
 *     (a token bucket holding at most one slice); BPS 0: no limit;
 *   - then the one-way delay D (plus, with --jitter-ms, a random 0..J ms
 *     drawn from --seed, delivery order kept) before the slice is written
 *     to the other side.
 *
 * So every byte arrives at least D after it was read, and a burst of n bytes
 * takes n / BPS + D. The bytes travel as a queue of timestamped slices. At
 * most --queue bytes (default 65536) wait for the bottleneck per direction;
 * beyond that the sending side is not read (TCP's own flow control holds it
 * back, as a full modem buffer would). Those on the wire (BPS x (D + J)) come
 * on top, and nothing more is read while a side does not take what is due to
 * it: memory per connection stays bounded. With BPS 0 the queue bounds all
 * the bytes on their way. An end of stream travels like a byte (the other
 * side gets a shutdown for writing after the delay); a reset or error closes
 * both sides at once. Connection setup itself is not delayed.
 *
 * Cuts, as a dropped GPRS link: --cut-after BYTES resets a connection once
 * BYTES have been delivered on it (both ways together), --cut-every S after
 * S seconds during which bytes were on their way, --cut-random P at each
 * slice read with probability P (from --seed). A cut resets both sides.
 * For a sweep over the points of a protocol, --cut-down BYTES cuts once
 * BYTES have gone server to client and more are due (0: before the first
 * byte), --cut-up BYTES the same client to server: the bytes of one
 * direction do not depend on how the two interleave, so the cut falls at the
 * same byte of the stream on every run. The bytes before it are delivered,
 * the next one never is; a stream that ends at BYTES is not cut. --cut-conn N
 * applies every cut to the Nth connection accepted only (1: the first), so a
 * client that reconnects after the cut goes on over a whole link. --record
 * PREFIX writes the bytes each connection delivered to PREFIX.N.down and
 * PREFIX.N.up (N: its number in the log), to find such points in a real
 * session.
 *
 * --scale F runs the same link F times faster: rates x F, delays, jitter and
 * --cut-every / F, so the bandwidth-delay product (and each slice's bytes)
 * stays the same and every duration is 1/F of the real link's.
 *
 * --preset gprs: 5000 B/s down, 2500 B/s up, 350 ms each way; gprs-bad: the
 * same and a cut every 20 s of transfer. Options given as well override it.
 *
 * One process, one poll loop, many connections. Loopback addresses only
 * (127.0.0.0/8). Port 0 in --listen picks a free port. Prints on stdout:
 *
 *   listening on 127.0.0.1:PORT
 *   conn N: accepted from 127.0.0.1:P
 *   conn N: closed (REASON): up=BYTES down=BYTES active_s=S open_s=S accept_at=S last_at=S
 *
 * (REASON "cut ..." for a cut: "cut after BYTES bytes down" and "... up" for
 * --cut-down and --cut-up), then "link: ..." with the settings in force.
 * up: client to server; down: server to client; active_s: from the accept
 * to the last byte delivered either way; open_s: from the accept to the
 * close; accept_at and last_at: the accept and the last byte, from linkemu's
 * start (all wall-clock seconds, not scaled back). SIGTERM or SIGINT: closes every connection (printing each) and
 * exits 0. Exit 2 on a usage error, 1 when the listener cannot be set up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLICE_MIN 64u
#define SLICE_MAX 4096u
#define QUEUE_DEFAULT 65536u
#define MAX_CONNS_DEFAULT 1024u
#define NEVER UINT64_MAX

struct options {
    struct sockaddr_in listen, to;
    uint64_t delay_us, jitter_us;   /* of the real link: --scale divides */
    uint64_t up_rate, down_rate;    /* bytes per second; 0 unlimited */
    uint64_t seed;
    size_t queue_max;   /* bytes waiting per direction, at most */
    size_t max_conns;
    uint64_t cut_after;             /* bytes; 0: never */
    uint64_t cut_up, cut_down;      /* bytes one way; NEVER: no cut */
    uint64_t cut_conn;              /* the connection cut; 0: every one */
    const char *record;             /* file name prefix; NULL: no recording */
    uint64_t cut_every_us;          /* of transfer, real link; 0: never */
    double cut_random;              /* per slice */
    double scale;
};

/* One direction's link, scaled. */
struct link {
    uint64_t rate;      /* bytes per second; 0 unlimited */
    size_t slice_max;
    size_t queue_cap;   /* bytes on their way, at most */
    uint64_t queue_us;  /* the bottleneck's backlog taken, in time */
};

/* A slice of bytes on its way (len 0: the end of the stream). */
struct slice {
    struct slice *next;
    uint64_t due_us;    /* when it reaches the other side */
    size_t len, off;    /* off: bytes of it already written */
    uint8_t data[];
};

/* One direction of a connection. */
struct dir {
    const struct link *lk;
    int *from, *to;     /* the connection's fds */
    struct slice *head, *tail;
    size_t queued;      /* bytes in slices not yet written whole */
    uint64_t serial_end_us; /* when the bottleneck is free again */
    uint64_t last_due_us;   /* keeps the delivery order with jitter */
    uint64_t bytes;     /* delivered */
    uint64_t cut_at;    /* cut when more than this is due; NEVER: no cut */
    int rec_fd;         /* --record's file; -1: none */
    int eof_read;       /* the end of stream was read from `from` */
    int eof_sent;       /* and passed on to `to` */
    int blocked;        /* `to` took less than offered: wait for POLLOUT */
};

struct conn {
    struct conn *next;
    unsigned id;
    int cfd, sfd;       /* client side, server side */
    int connecting;     /* sfd's connect is in progress */
    int cuttable;       /* the cuts apply to it (--cut-conn) */
    struct dir up, down;
    uint64_t accept_us, last_us;
    uint64_t busy_us, busy_since_us; /* time with bytes on their way, since */
    size_t pfd_c, pfd_s; /* indices in the poll set */
    int polled;         /* in this round's poll set */
};

struct relay {
    struct options o;
    int lfd;
    struct conn *conns;
    size_t n_conns;
    unsigned next_id;
    uint64_t rng;
    struct link up, down;
    uint64_t delay_us, jitter_us, cut_every_us; /* scaled */
    uint64_t start_us;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* splitmix64: the jitter, repeatable with --seed. */
static uint64_t rnd_next(struct relay *r)
{
    uint64_t z = (r->rng += 0x9E3779B97F4A7C15u);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* ---- addresses and options ---------------------------------------------- */

/* "A.B.C.D:PORT" on 127.0.0.0/8. */
static int addr_parse(const char *text, struct sockaddr_in *sa, int port_zero_ok)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    char *end;
    unsigned long port;

    if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
        return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || end == colon + 1 || port > 65535 ||
        (port == 0 && !port_zero_ok))
        return -1;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return -1;
    if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127)
        return -2;
    return 0;
}

static int number_parse(const char *text, uint64_t max, uint64_t *v)
{
    char *end;
    unsigned long long n;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    n = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || n > max)
        return -1;
    *v = n;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: linkemu --listen 127.0.0.1:PORT --to 127.0.0.1:PORT\n"
            "               [--preset gprs|gprs-bad] [--delay-ms D | --latency D]\n"
            "               [--rate BPS] [--down BPS] [--up BPS] [--jitter-ms J]\n"
            "               [--seed N] [--queue BYTES] [--max-conns N] [--cut-after BYTES]\n"
            "               [--cut-down BYTES] [--cut-up BYTES] [--cut-conn N]\n"
            "               [--cut-every S] [--cut-random P] [--scale F] [--record PREFIX]\n"
            "  --listen ADDR     where to accept connections (port 0: any free one)\n"
            "  --to ADDR         where to relay them\n"
            "  --preset NAME     gprs: --down 5000 --up 2500 --latency 350;\n"
            "                    gprs-bad: the same and --cut-every 20 (other options override)\n"
            "  --delay-ms D      one-way delay added to every byte, each direction\n"
            "  --latency D       the same as --delay-ms\n"
            "  --rate BPS        bytes per second each direction, at most (0: no limit)\n"
            "  --down BPS        the same, server to client only\n"
            "  --up BPS          the same, client to server only\n"
            "  --jitter-ms J     a random extra delay of 0..J ms per slice (default 0)\n"
            "  --seed N          seed of the jitter and of --cut-random (default 1)\n"
            "  --queue BYTES     bytes waiting per direction, at most (default %u)\n"
            "  --max-conns N     connections at once, at most (default %u)\n"
            "  --cut-after BYTES reset a connection once BYTES went through it (both ways)\n"
            "  --cut-down BYTES  reset it once BYTES went server to client and more are due\n"
            "                    (0: before the first byte)\n"
            "  --cut-up BYTES    the same, client to server\n"
            "  --cut-conn N      cut only the Nth connection accepted (default: every one)\n"
            "  --cut-every S     reset a connection after S seconds with bytes on their way\n"
            "  --cut-random P    reset a connection at a slice with probability P (0..1)\n"
            "  --scale F         run F times faster: rates x F, delays and --cut-every / F\n"
            "  --record PREFIX   write the bytes connection N delivered to PREFIX.N.down and\n"
            "                    PREFIX.N.up\n"
            "A delay and a rate (both ways) are needed, or a preset. Loopback addresses only.\n",
            QUEUE_DEFAULT, MAX_CONNS_DEFAULT);
}

/* A fraction or factor: "0.5", "10"; within lo..hi. */
static int real_parse(const char *text, double lo, double hi, double *v)
{
    char *end;
    double x;

    errno = 0;
    x = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(x >= lo && x <= hi))
        return -1;
    *v = x;
    return 0;
}

enum { HAVE_DELAY = 1, HAVE_UP = 2, HAVE_DOWN = 4, HAVE_CUT_EVERY = 8 };

/* Fills what the command line left out from --preset. Returns -1 for an
 * unknown name. */
static int preset_apply(const char *name, unsigned have, struct options *o)
{
    int bad = strcmp(name, "gprs-bad") == 0;

    if (!bad && strcmp(name, "gprs") != 0) {
        fprintf(stderr, "linkemu: %s: not a preset (gprs, gprs-bad)\n", name);
        return -1;
    }
    if (!(have & HAVE_DELAY))
        o->delay_us = 350000u;
    if (!(have & HAVE_DOWN))
        o->down_rate = 5000u;
    if (!(have & HAVE_UP))
        o->up_rate = 2500u;
    if (bad && !(have & HAVE_CUT_EVERY))
        o->cut_every_us = 20000000u;
    return 0;
}

static int rate_option(const char *text, uint64_t *v)
{
    if (number_parse(text, 1ull << 34, v) != 0) {
        fprintf(stderr, "linkemu: %s: not a number of bytes per second\n", text);
        return -1;
    }
    return 0;
}

/* The options that are a number, a rate or a real; 1 when opt is not one. */
static int option_value(int opt, const char *arg, struct options *o, unsigned *have)
{
    uint64_t v;

    switch (opt) {
    case 'd':
    case 'j':
        if (number_parse(arg, 3600u * 1000u, &v) != 0) {
            fprintf(stderr, "linkemu: %s: not a number of milliseconds\n", arg);
            return -1;
        }
        *(opt == 'd' ? &o->delay_us : &o->jitter_us) = v * 1000u;
        *have |= opt == 'd' ? HAVE_DELAY : 0;
        return 0;
    case 'r':
        if (rate_option(arg, &o->up_rate) != 0)
            return -1;
        o->down_rate = o->up_rate;
        *have |= HAVE_UP | HAVE_DOWN;
        return 0;
    case 'U':
        *have |= HAVE_UP;
        return rate_option(arg, &o->up_rate);
    case 'D':
        *have |= HAVE_DOWN;
        return rate_option(arg, &o->down_rate);
    case 'A':
    case 'u':
    case 'n':
        if (number_parse(arg, NEVER - 1, opt == 'A' ? &o->cut_after
                                         : opt == 'u' ? &o->cut_up : &o->cut_down) != 0) {
            fprintf(stderr, "linkemu: %s: not a number of bytes\n", arg);
            return -1;
        }
        return 0;
    case 'c':
        if (number_parse(arg, UINT32_MAX, &o->cut_conn) != 0 || o->cut_conn == 0) {
            fprintf(stderr, "linkemu: %s: not a connection number (1 or more)\n", arg);
            return -1;
        }
        return 0;
    case 'E': {
        double sec;

        if (real_parse(arg, 0.001, 1e6, &sec) != 0) {
            fprintf(stderr, "linkemu: %s: not a number of seconds (0.001 or more)\n", arg);
            return -1;
        }
        o->cut_every_us = (uint64_t)llround(sec * 1e6);
        *have |= HAVE_CUT_EVERY;
        return 0;
    }
    case 'P':
        if (real_parse(arg, 0.0, 1.0, &o->cut_random) != 0) {
            fprintf(stderr, "linkemu: %s: not a probability (0 to 1)\n", arg);
            return -1;
        }
        return 0;
    case 'F':
        if (real_parse(arg, 0.001, 1000.0, &o->scale) != 0) {
            fprintf(stderr, "linkemu: %s: not a scale (0.001 to 1000)\n", arg);
            return -1;
        }
        return 0;
    case 's':
        if (number_parse(arg, UINT64_MAX, &o->seed) != 0) {
            fprintf(stderr, "linkemu: %s: not a seed\n", arg);
            return -1;
        }
        return 0;
    case 'q':
        if (number_parse(arg, 1u << 30, &v) != 0 || v < SLICE_MIN) {
            fprintf(stderr, "linkemu: %s: not a queue size (%u to 2^30)\n", arg, SLICE_MIN);
            return -1;
        }
        o->queue_max = (size_t)v;
        return 0;
    case 'm':
        if (number_parse(arg, 100000, &v) != 0 || v == 0) {
            fprintf(stderr, "linkemu: %s: not a connection count\n", arg);
            return -1;
        }
        o->max_conns = (size_t)v;
        return 0;
    default: return 1;
    }
}

static int options_parse(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},    {"to", required_argument, NULL, 't'},
        {"delay-ms", required_argument, NULL, 'd'},  {"latency", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},      {"up", required_argument, NULL, 'U'},
        {"down", required_argument, NULL, 'D'},      {"jitter-ms", required_argument, NULL, 'j'},
        {"seed", required_argument, NULL, 's'},      {"queue", required_argument, NULL, 'q'},
        {"max-conns", required_argument, NULL, 'm'}, {"cut-after", required_argument, NULL, 'A'},
        {"cut-every", required_argument, NULL, 'E'}, {"cut-random", required_argument, NULL, 'P'},
        {"scale", required_argument, NULL, 'F'},     {"preset", required_argument, NULL, 'p'},
        {"cut-up", required_argument, NULL, 'u'},    {"cut-down", required_argument, NULL, 'n'},
        {"cut-conn", required_argument, NULL, 'c'},  {"record", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    const char *preset = NULL;
    unsigned have = 0;
    int have_listen = 0, have_to = 0, opt, rc;

    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->scale = 1.0;
    o->queue_max = QUEUE_DEFAULT;
    o->max_conns = MAX_CONNS_DEFAULT;
    o->cut_up = o->cut_down = NEVER;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'l':
        case 't':
            rc = addr_parse(optarg, opt == 'l' ? &o->listen : &o->to, opt == 'l');
            if (rc != 0) {
                fprintf(stderr, "linkemu: %s: %s\n", optarg,
                        rc == -2 ? "not a loopback address (127.0.0.0/8 only)"
                                 : "expected A.B.C.D:PORT");
                return -1;
            }
            *(opt == 'l' ? &have_listen : &have_to) = 1;
            break;
        case 'p': preset = optarg; break;
        case 'R': o->record = optarg; break;
        case 'h': usage(stdout); exit(0);
        default:
            if (option_value(opt, optarg, o, &have) != 0)
                return -1;
        }
    }
    if (preset != NULL) {
        if (preset_apply(preset, have, o) != 0)
            return -1;
        have |= HAVE_DELAY | HAVE_UP | HAVE_DOWN;
    }
    if (optind < argc || !have_listen || !have_to || !(have & HAVE_DELAY) ||
        !(have & HAVE_UP) || !(have & HAVE_DOWN)) {
        fprintf(stderr, "linkemu: --listen, --to, a delay and a rate each way (or --preset) "
                        "are needed\n");
        return -1;
    }
    return 0;
}

/* ---- a direction's queue ---------------------------------------------------- */

/* Appends a slice read at `now`: it leaves the bottleneck after the one
 * before it, then takes the delay. */
static void dir_push(struct relay *r, struct dir *d, struct slice *s, uint64_t now)
{
    uint64_t start = d->serial_end_us > now ? d->serial_end_us : now;
    uint64_t rate = d->lk->rate;
    uint64_t due;

    if (rate != 0)
        d->serial_end_us = start + (s->len * 1000000u + rate - 1) / rate;
    else
        d->serial_end_us = start;
    due = d->serial_end_us + r->delay_us;
    if (r->jitter_us != 0)
        due += rnd_next(r) % (r->jitter_us + 1);
    if (due < d->last_due_us)
        due = d->last_due_us;
    d->last_due_us = due;
    s->due_us = due;
    s->off = 0;
    s->next = NULL;
    if (d->tail != NULL)
        d->tail->next = s;
    else
        d->head = s;
    d->tail = s;
    d->queued += s->len;
}

static void dir_free(struct dir *d)
{
    while (d->head != NULL) {
        struct slice *s = d->head;

        d->head = s->next;
        free(s);
    }
    d->tail = NULL;
    d->queued = 0;
}

/* When `from` may be read again: the stream goes on, the bytes on their way
 * are fewer than the cap (else UINT64_MAX: an event will tell), and the
 * backlog at the bottleneck is below --queue (else the time it will be). */
static uint64_t dir_input_at(const struct dir *d)
{
    const struct link *lk = d->lk;

    if (d->eof_read || d->queued >= lk->queue_cap)
        return UINT64_MAX;
    if (lk->rate == 0 || d->serial_end_us <= lk->queue_us)
        return 0;
    return d->serial_end_us - lk->queue_us;
}

static int dir_wants_input(const struct dir *d, uint64_t now)
{
    return dir_input_at(d) <= now;
}

/* ---- connections -------------------------------------------------------------- */

static void conn_close(struct relay *r, struct conn *c, const char *why)
{
    struct conn **pp;
    uint64_t now = now_us();
    uint64_t active = c->last_us > c->accept_us ? c->last_us - c->accept_us : 0;
    struct linger hard = {1, 0};

    if (strncmp(why, "cut", 3) == 0) { /* a reset both ways, as a dropped link */
        if (c->cfd >= 0)
            (void)setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
        if (c->sfd >= 0)
            (void)setsockopt(c->sfd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    }

    printf("conn %u: closed (%s): up=%llu down=%llu active_s=%.3f open_s=%.3f "
           "accept_at=%.3f last_at=%.3f\n",
           c->id, why, (unsigned long long)c->up.bytes, (unsigned long long)c->down.bytes,
           (double)active / 1e6, (double)(now - c->accept_us) / 1e6,
           (double)(c->accept_us - r->start_us) / 1e6, (double)(c->last_us - r->start_us) / 1e6);
    if (c->cfd >= 0)
        close(c->cfd);
    if (c->sfd >= 0)
        close(c->sfd);
    if (c->up.rec_fd >= 0)
        close(c->up.rec_fd);
    if (c->down.rec_fd >= 0)
        close(c->down.rec_fd);
    dir_free(&c->up);
    dir_free(&c->down);
    for (pp = &r->conns; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    r->n_conns--;
    free(c);
}

static int socket_nonblocking(int domain)
{
    int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;

    if (fd >= 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Opens --record's two files for c. Returns -1 when c was closed. */
static int conn_record_open(struct relay *r, struct conn *c)
{
    struct dir *dirs[2] = {&c->up, &c->down};

    for (int i = 0; i < 2; i++) {
        char path[4096], why[4200];

        snprintf(path, sizeof(path), "%s.%u.%s", r->o.record, c->id, i == 0 ? "up" : "down");
        dirs[i]->rec_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (dirs[i]->rec_fd < 0) {
            snprintf(why, sizeof(why), "cannot record to %s: %s", path, strerror(errno));
            conn_close(r, c, why);
            return -1;
        }
    }
    return 0;
}

/* Takes one connection and starts its relay. Returns -1 when there was none
 * to take (or accept failed), 0 otherwise. */
static int conn_accept(struct relay *r)
{
    struct sockaddr_in peer;
    socklen_t plen = sizeof(peer);
    int fd = accept4(r->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct conn *c;
    char text[INET_ADDRSTRLEN];
    int one = 1;

    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNABORTED)
            fprintf(stderr, "linkemu: accept: %s\n", strerror(errno));
        return -1;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        fprintf(stderr, "linkemu: out of memory for a connection\n");
        close(fd);
        return -1;
    }
    c->id = ++r->next_id;
    c->cfd = fd;
    c->sfd = -1; /* no server side yet: a failed --record file closes only fd */
    c->accept_us = c->last_us = now_us();
    c->up.lk = &r->up;
    c->down.lk = &r->down;
    c->up.from = &c->cfd;
    c->up.to = &c->sfd;
    c->down.from = &c->sfd;
    c->down.to = &c->cfd;
    c->up.rec_fd = c->down.rec_fd = -1;
    c->cuttable = r->o.cut_conn == 0 || r->o.cut_conn == c->id;
    c->up.cut_at = c->cuttable ? r->o.cut_up : NEVER;
    c->down.cut_at = c->cuttable ? r->o.cut_down : NEVER;
    c->next = r->conns;
    r->conns = c;
    r->n_conns++;
    inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
    printf("conn %u: accepted from %s:%u\n", c->id, text, (unsigned)ntohs(peer.sin_port));
    if (r->o.record != NULL && conn_record_open(r, c) < 0)
        return 0;
    c->sfd = socket_nonblocking(AF_INET);
    if (c->sfd < 0) {
        conn_close(r, c, strerror(errno));
        return 0;
    }
    if (connect(c->sfd, (const struct sockaddr *)&r->o.to, sizeof(r->o.to)) == 0)
        return 0;
    if (errno != EINPROGRESS) {
        char why[160];

        snprintf(why, sizeof(why), "connect: %s", strerror(errno));
        conn_close(r, c, why);
        return 0;
    }
    c->connecting = 1;
    return 0;
}

/* The server side's connect finished. Returns -1 when c was closed. */
static int conn_connected(struct relay *r, struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    char why[160];

    if (getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return 0;
    if (err != 0) {
        snprintf(why, sizeof(why), "connect: %s", strerror(err));
        conn_close(r, c, why);
        return -1;
    }
    c->connecting = 0;
    return 0;
}

/* Reads what d's source has, slice by slice, while its queue has room.
 * Returns -1 when c was closed. */
static int dir_read(struct relay *r, struct conn *c, struct dir *d)
{
    uint64_t now = now_us();

    while (dir_wants_input(d, now)) {
        size_t room = d->lk->queue_cap - d->queued;
        size_t want = room < d->lk->slice_max ? room : d->lk->slice_max;
        struct slice *s = malloc(sizeof(*s) + want);
        ssize_t n;

        if (s == NULL) {
            conn_close(r, c, "out of memory");
            return -1;
        }
        do
            n = read(*d->from, s->data, want);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            char why[160];

            free(s);
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            snprintf(why, sizeof(why), "read from the %s: %s",
                     d == &c->up ? "client" : "server", strerror(errno));
            conn_close(r, c, why);
            return -1;
        }
        if ((size_t)n < want) {
            /* A short slice keeps only its bytes: memory follows the count. */
            struct slice *t = realloc(s, sizeof(*s) + (size_t)n);

            if (t != NULL)
                s = t;
        }
        s->len = (size_t)n;
        if (n == 0)
            d->eof_read = 1; /* the end travels as an empty slice */
        dir_push(r, d, s, now);
        if (n > 0 && c->cuttable && r->o.cut_random > 0 &&
            (double)(rnd_next(r) >> 11) * 0x1.0p-53 < r->o.cut_random) {
            conn_close(r, c, "cut at random");
            return -1;
        }
        if (n == 0 || (size_t)n < want)
            return 0;
    }
    return 0;
}

/* Bytes d may deliver before a cut is due (NEVER: none is). */
static uint64_t dir_room(const struct relay *r, const struct conn *c, const struct dir *d)
{
    uint64_t room = d->cut_at == NEVER ? NEVER : d->cut_at - d->bytes;
    uint64_t both = c->up.bytes + c->down.bytes;

    if (c->cuttable && r->o.cut_after != 0 && r->o.cut_after - both < room)
        room = r->o.cut_after - both;
    return room;
}

/* The cut dir_room() called for, with its reason. */
static void dir_cut(struct relay *r, struct conn *c, const struct dir *d)
{
    char why[64];

    if (d->bytes == d->cut_at)
        snprintf(why, sizeof(why), "cut after %llu bytes %s", (unsigned long long)d->bytes,
                 d == &c->up ? "up" : "down");
    else
        snprintf(why, sizeof(why), "cut after %llu bytes", (unsigned long long)r->o.cut_after);
    conn_close(r, c, why);
}

/* Appends what d delivered to its --record file. */
static int dir_record(struct dir *d, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(d->rec_fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes the slices that are due. Returns -1 when c was closed. */
static int dir_write(struct relay *r, struct conn *c, struct dir *d, uint64_t now)
{
    if (*d->to < 0 || (d == &c->up && c->connecting))
        return 0;
    d->blocked = 0;
    while (d->head != NULL && d->head->due_us <= now) {
        struct slice *s = d->head;

        if (s->len == 0) {
            if (shutdown(*d->to, SHUT_WR) != 0 && errno != ENOTCONN) {
                conn_close(r, c, "shutdown failed");
                return -1;
            }
            d->eof_sent = 1;
        }
        while (s->off < s->len) {
            size_t len = s->len - s->off;
            uint64_t room = dir_room(r, c, d);
            ssize_t n;

            if (len > room)
                len = (size_t)room;
            if (len == 0) {
                dir_cut(r, c, d);
                return -1;
            }
            n = send(*d->to, s->data + s->off, len, MSG_NOSIGNAL);

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                d->blocked = 1;
                return 0;
            }
            if (n < 0) {
                char why[160];

                snprintf(why, sizeof(why), "write to the %s: %s",
                         d == &c->up ? "server" : "client", strerror(errno));
                conn_close(r, c, why);
                return -1;
            }
            if (d->rec_fd >= 0 && dir_record(d, s->data + s->off, (size_t)n) != 0) {
                conn_close(r, c, "cannot record: write failed");
                return -1;
            }
            s->off += (size_t)n;
            d->bytes += (uint64_t)n;
            c->last_us = now;
        }
        d->head = s->next;
        if (d->head == NULL)
            d->tail = NULL;
        d->queued -= s->len;
        free(s);
    }
    return 0;
}

/* Writes what is due both ways; closes c once both ends of stream went
 * through. Returns -1 when c was closed. */
static int conn_pump(struct relay *r, struct conn *c, uint64_t now)
{
    if (dir_write(r, c, &c->up, now) < 0 || dir_write(r, c, &c->down, now) < 0)
        return -1;
    if (c->busy_since_us != 0) {
        c->busy_us += now - c->busy_since_us;
        c->busy_since_us = 0;
    }
    if (c->cuttable && r->cut_every_us != 0 && c->busy_us >= r->cut_every_us) {
        char why[64];

        snprintf(why, sizeof(why), "cut after %.3f s of transfer", (double)c->busy_us / 1e6);
        conn_close(r, c, why);
        return -1;
    }
    /* Transfer time runs while bytes are on their way either way. */
    if (c->up.head != NULL || c->down.head != NULL)
        c->busy_since_us = now;
    if (c->up.eof_sent && c->down.eof_sent) {
        conn_close(r, c, "end of stream both ways");
        return -1;
    }
    return 0;
}

/* The next time c has something to do: the earliest due slice that is not
 * waiting for POLLOUT, or a side that may be read again. */
static uint64_t conn_next_due(const struct relay *r, const struct conn *c, uint64_t now,
                              uint64_t next)
{
    const struct dir *dirs[2] = {&c->up, &c->down};

    for (int i = 0; i < 2; i++) {
        const struct dir *d = dirs[i];
        uint64_t in = dir_input_at(d);

        if (d->head != NULL && !d->blocked && !(d == &c->up && c->connecting) &&
            d->head->due_us < next)
            next = d->head->due_us;
        if (in > now && in < next)
            next = in; /* read again then (sooner: it is polled now) */
    }
    if (c->cuttable && r->cut_every_us != 0 && c->busy_since_us != 0 &&
        now + (r->cut_every_us - c->busy_us) < next)
        next = now + (r->cut_every_us - c->busy_us);
    return next;
}

/* ---- the loop ------------------------------------------------------------------ */

static int listener_open(struct relay *r)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char text[INET_ADDRSTRLEN];
    int one = 1;

    r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->lfd < 0 || setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(r->lfd, (const struct sockaddr *)&r->o.listen, sizeof(r->o.listen)) != 0 ||
        listen(r->lfd, 128) != 0 || getsockname(r->lfd, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "linkemu: cannot listen: %s\n", strerror(errno));
        return -1;
    }
    inet_ntop(AF_INET, &sa.sin_addr, text, sizeof(text));
    printf("listening on %s:%u\n", text, (unsigned)ntohs(sa.sin_port));
    return 0;
}

static short events_for(const struct dir *in, const struct dir *out, uint64_t now)
{
    short ev = 0;

    if (dir_wants_input(in, now))
        ev |= POLLIN;
    if (out->blocked)
        ev |= POLLOUT;
    return ev;
}

/* One direction's link at the scale in force. A slice holds about 20 ms of
 * the real link's bytes, the same at any scale, so the link keeps its shape. */
static void link_setup(const struct relay *r, struct link *lk, uint64_t rate)
{
    uint64_t slice = rate / 50;

    lk->rate = (uint64_t)llround((double)rate * r->o.scale);
    if (rate == 0)
        slice = SLICE_MAX;
    lk->slice_max = slice < SLICE_MIN ? SLICE_MIN : slice > SLICE_MAX ? SLICE_MAX : (size_t)slice;
    lk->queue_cap = r->o.queue_max;
    lk->queue_us = 0;
    if (lk->rate != 0) {
        lk->queue_us = (uint64_t)r->o.queue_max * 1000000u / lk->rate;
        lk->queue_cap += (size_t)(lk->rate * (r->delay_us + r->jitter_us) / 1000000u) +
                         2 * lk->slice_max;
    }
}

static int relay_run(struct relay *r)
{
    struct pollfd *pfd = NULL;
    size_t cap = 0;

    while (!stopping) {
        uint64_t now = now_us(), next = now + 1000000u;
        struct timespec ts;
        size_t np = 0;
        struct conn *c, *cn;

        for (c = r->conns; c != NULL; c = cn) {
            cn = c->next;
            if (conn_pump(r, c, now) == 0)
                next = conn_next_due(r, c, now, next);
        }
        if (cap < 1 + 2 * r->n_conns) {
            struct pollfd *p = realloc(pfd, (1 + 2 * r->n_conns) * sizeof(*p));

            if (p == NULL) {
                fprintf(stderr, "linkemu: out of memory\n");
                free(pfd);
                return -1;
            }
            pfd = p;
            cap = 1 + 2 * r->n_conns;
        }
        pfd[np].fd = r->lfd;
        pfd[np].events = r->n_conns < r->o.max_conns ? POLLIN : 0;
        pfd[np++].revents = 0;
        for (c = r->conns; c != NULL; c = c->next) {
            short ec = events_for(&c->up, &c->down, now);
            short es = c->connecting ? POLLOUT : events_for(&c->down, &c->up, now);

            /* An fd with nothing to wait for is left out: a hung-up socket
             * would otherwise wake the loop again and again. */
            pfd[np] = (struct pollfd){ec ? c->cfd : -1, ec, 0};
            c->pfd_c = np++;
            pfd[np] = (struct pollfd){es ? c->sfd : -1, es, 0};
            c->pfd_s = np++;
            c->polled = 1;
        }
        now = now_us();
        next = next > now ? next - now : 0;
        ts.tv_sec = (time_t)(next / 1000000u);
        ts.tv_nsec = (long)(next % 1000000u) * 1000L;
        if (ppoll(pfd, np, &ts, NULL) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "linkemu: poll: %s\n", strerror(errno));
            free(pfd);
            return -1;
        }
        /* New connections are at the head of the list, past the ones polled. */
        for (c = r->conns; c != NULL; c = cn) {
            short ec, es;

            cn = c->next;
            if (!c->polled)
                continue;
            c->polled = 0;
            ec = pfd[c->pfd_c].revents;
            es = pfd[c->pfd_s].revents;
            if (c->connecting && es != 0) {
                if (conn_connected(r, c) < 0)
                    continue;
                es = 0;
            }
            if ((ec & (POLLIN | POLLHUP | POLLERR)) && dir_read(r, c, &c->up) < 0)
                continue;
            if ((es & (POLLIN | POLLHUP | POLLERR)) && dir_read(r, c, &c->down) < 0)
                continue;
            if (ec & POLLOUT)
                c->down.blocked = 0;
            if (es & POLLOUT)
                c->up.blocked = 0;
        }
        if (pfd[0].revents & POLLIN)
            while (r->n_conns < r->o.max_conns && conn_accept(r) == 0)
                ;
    }
    free(pfd);
    return 0;
}

/* v in decimal, or `word` when it is `none`. */
static const char *count_str(char buf[24], uint64_t v, uint64_t none, const char *word)
{
    if (v == none)
        return word;
    snprintf(buf, 24, "%llu", (unsigned long long)v);
    return buf;
}

int main(int argc, char **argv)
{
    char down[24], up[24], conn[24];
    struct relay r;
    struct sigaction sa;
    struct rlimit rl;
    int rc;

    memset(&r, 0, sizeof(r));
    if (options_parse(argc, argv, &r.o) != 0) {
        usage(stderr);
        return 2;
    }
    r.rng = r.o.seed;
    r.start_us = now_us();
    r.delay_us = (uint64_t)llround((double)r.o.delay_us / r.o.scale);
    r.jitter_us = (uint64_t)llround((double)r.o.jitter_us / r.o.scale);
    r.cut_every_us = (uint64_t)llround((double)r.o.cut_every_us / r.o.scale);
    link_setup(&r, &r.up, r.o.up_rate);
    link_setup(&r, &r.down, r.o.down_rate);
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Two descriptors per connection. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
        rl.rlim_cur < 2 * r.o.max_conns + 16) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (listener_open(&r) != 0)
        return 1;
    printf("link: down=%llu up=%llu B/s latency_ms=%.1f jitter_ms=%.1f scale=%g "
           "cut_after=%llu cut_every_s=%.3f cut_random=%g cut_down=%s cut_up=%s cut_conn=%s "
           "(rates and times of the real link)\n",
           (unsigned long long)r.o.down_rate, (unsigned long long)r.o.up_rate,
           (double)r.o.delay_us / 1e3, (double)r.o.jitter_us / 1e3, r.o.scale,
           (unsigned long long)r.o.cut_after, (double)r.o.cut_every_us / 1e6, r.o.cut_random,
           count_str(down, r.o.cut_down, NEVER, "none"), count_str(up, r.o.cut_up, NEVER, "none"),
           count_str(conn, r.o.cut_conn, 0, "all"));
    rc = relay_run(&r);
    while (r.conns != NULL)
        conn_close(&r, r.conns, "linkemu stopping");
    close(r.lfd);
    return rc == 0 ? 0 : 1;
}
