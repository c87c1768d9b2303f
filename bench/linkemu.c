/*
 * linkemu: a TCP relay that behaves like a slow, high-latency link, for
 * benchmarks on one machine.
 *
 *   linkemu --listen 127.0.0.1:PORT --to 127.0.0.1:PORT --delay-ms D --rate BPS
 *           [--jitter-ms J] [--seed N] [--queue BYTES] [--max-conns N]
 *
 * Every connection accepted on --listen is relayed to --to. In each direction
 * on its own, the bytes go through a model of a link:
 *
 *   - serialization at BPS bytes per second: the bytes read from one side
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
 * One process, one poll loop, many connections. Loopback addresses only
 * (127.0.0.0/8). Port 0 in --listen picks a free port. Prints on stdout:
 *
 *   listening on 127.0.0.1:PORT
 *   conn N: accepted from 127.0.0.1:P
 *   conn N: closed (REASON): up=BYTES down=BYTES active_s=S open_s=S
 *
 * up: client to server; down: server to client; active_s: from the accept
 * to the last byte delivered either way; open_s: from the accept to the
 * close. SIGTERM or SIGINT: closes every connection (printing each) and
 * exits 0. Exit 2 on a usage error, 1 when the listener cannot be set up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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

struct options {
    struct sockaddr_in listen, to;
    uint64_t delay_us, jitter_us;
    uint64_t rate;      /* bytes per second; 0 unlimited */
    uint64_t seed;
    size_t queue_max;   /* bytes waiting per direction, at most */
    size_t max_conns;
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
    int *from, *to;     /* the connection's fds */
    struct slice *head, *tail;
    size_t queued;      /* bytes in slices not yet written whole */
    uint64_t serial_end_us; /* when the bottleneck is free again */
    uint64_t last_due_us;   /* keeps the delivery order with jitter */
    uint64_t bytes;     /* delivered */
    int eof_read;       /* the end of stream was read from `from` */
    int eof_sent;       /* and passed on to `to` */
    int blocked;        /* `to` took less than offered: wait for POLLOUT */
};

struct conn {
    struct conn *next;
    unsigned id;
    int cfd, sfd;       /* client side, server side */
    int connecting;     /* sfd's connect is in progress */
    struct dir up, down;
    uint64_t accept_us, last_us;
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
    size_t slice_max;
    size_t queue_cap;   /* bytes on their way per direction, at most */
    uint64_t queue_us;  /* the bottleneck's backlog taken, in time */
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
            "usage: linkemu --listen 127.0.0.1:PORT --to 127.0.0.1:PORT --delay-ms D\n"
            "               --rate BPS [--jitter-ms J] [--seed N] [--queue BYTES]\n"
            "               [--max-conns N]\n"
            "  --listen ADDR     where to accept connections (port 0: any free one)\n"
            "  --to ADDR         where to relay them\n"
            "  --delay-ms D      one-way delay added to every byte, each direction\n"
            "  --rate BPS        bytes per second each direction, at most (0: no limit)\n"
            "  --jitter-ms J     a random extra delay of 0..J ms per slice (default 0)\n"
            "  --seed N          seed of the jitter (default 1)\n"
            "  --queue BYTES     bytes waiting per direction, at most (default %u)\n"
            "  --max-conns N     connections at once, at most (default %u)\n"
            "Loopback addresses only.\n",
            QUEUE_DEFAULT, MAX_CONNS_DEFAULT);
}

static int options_parse(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},  {"to", required_argument, NULL, 't'},
        {"delay-ms", required_argument, NULL, 'd'}, {"rate", required_argument, NULL, 'r'},
        {"jitter-ms", required_argument, NULL, 'j'}, {"seed", required_argument, NULL, 's'},
        {"queue", required_argument, NULL, 'q'},   {"max-conns", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int have_listen = 0, have_to = 0, have_delay = 0, have_rate = 0, opt, rc;
    uint64_t v;

    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->queue_max = QUEUE_DEFAULT;
    o->max_conns = MAX_CONNS_DEFAULT;
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
        case 'd':
        case 'j':
            if (number_parse(optarg, 3600u * 1000u, &v) != 0) {
                fprintf(stderr, "linkemu: %s: not a number of milliseconds\n", optarg);
                return -1;
            }
            *(opt == 'd' ? &o->delay_us : &o->jitter_us) = v * 1000u;
            have_delay |= opt == 'd';
            break;
        case 'r':
            if (number_parse(optarg, 1ull << 34, &o->rate) != 0) {
                fprintf(stderr, "linkemu: %s: not a number of bytes per second\n", optarg);
                return -1;
            }
            have_rate = 1;
            break;
        case 's':
            if (number_parse(optarg, UINT64_MAX, &o->seed) != 0) {
                fprintf(stderr, "linkemu: %s: not a seed\n", optarg);
                return -1;
            }
            break;
        case 'q':
            if (number_parse(optarg, 1u << 30, &v) != 0 || v < SLICE_MIN) {
                fprintf(stderr, "linkemu: %s: not a queue size (%u to 2^30)\n", optarg,
                        SLICE_MIN);
                return -1;
            }
            o->queue_max = (size_t)v;
            break;
        case 'm':
            if (number_parse(optarg, 100000, &v) != 0 || v == 0) {
                fprintf(stderr, "linkemu: %s: not a connection count\n", optarg);
                return -1;
            }
            o->max_conns = (size_t)v;
            break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    if (optind < argc || !have_listen || !have_to || !have_delay || !have_rate) {
        fprintf(stderr, "linkemu: --listen, --to, --delay-ms and --rate are needed\n");
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
    uint64_t due;

    if (r->o.rate != 0)
        d->serial_end_us = start + (s->len * 1000000u + r->o.rate - 1) / r->o.rate;
    else
        d->serial_end_us = start;
    due = d->serial_end_us + r->o.delay_us;
    if (r->o.jitter_us != 0)
        due += rnd_next(r) % (r->o.jitter_us + 1);
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
static uint64_t dir_input_at(const struct relay *r, const struct dir *d)
{
    if (d->eof_read || d->queued >= r->queue_cap)
        return UINT64_MAX;
    if (r->o.rate == 0 || d->serial_end_us <= r->queue_us)
        return 0;
    return d->serial_end_us - r->queue_us;
}

static int dir_wants_input(const struct relay *r, const struct dir *d, uint64_t now)
{
    return dir_input_at(r, d) <= now;
}

/* ---- connections -------------------------------------------------------------- */

static void conn_close(struct relay *r, struct conn *c, const char *why)
{
    struct conn **pp;
    uint64_t now = now_us();
    uint64_t active = c->last_us > c->accept_us ? c->last_us - c->accept_us : 0;

    printf("conn %u: closed (%s): up=%llu down=%llu active_s=%.3f open_s=%.3f\n", c->id, why,
           (unsigned long long)c->up.bytes, (unsigned long long)c->down.bytes,
           (double)active / 1e6, (double)(now - c->accept_us) / 1e6);
    if (c->cfd >= 0)
        close(c->cfd);
    if (c->sfd >= 0)
        close(c->sfd);
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
    c->accept_us = c->last_us = now_us();
    c->up.from = &c->cfd;
    c->up.to = &c->sfd;
    c->down.from = &c->sfd;
    c->down.to = &c->cfd;
    c->next = r->conns;
    r->conns = c;
    r->n_conns++;
    inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
    printf("conn %u: accepted from %s:%u\n", c->id, text, (unsigned)ntohs(peer.sin_port));
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

    while (dir_wants_input(r, d, now)) {
        size_t room = r->queue_cap - d->queued;
        size_t want = room < r->slice_max ? room : r->slice_max;
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
        if (n == 0 || (size_t)n < want)
            return 0;
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
            ssize_t n = send(*d->to, s->data + s->off, s->len - s->off, MSG_NOSIGNAL);

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
        uint64_t in = dir_input_at(r, d);

        if (d->head != NULL && !d->blocked && !(d == &c->up && c->connecting) &&
            d->head->due_us < next)
            next = d->head->due_us;
        if (in > now && in < next)
            next = in; /* read again then (sooner: it is polled now) */
    }
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

static short events_for(const struct relay *r, const struct dir *in, const struct dir *out,
                        uint64_t now)
{
    short ev = 0;

    if (dir_wants_input(r, in, now))
        ev |= POLLIN;
    if (out->blocked)
        ev |= POLLOUT;
    return ev;
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
            short ec = events_for(r, &c->up, &c->down, now);
            short es = c->connecting ? POLLOUT : events_for(r, &c->down, &c->up, now);

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

int main(int argc, char **argv)
{
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
    /* About 20 ms of the link per slice, so delivery is smooth. */
    r.slice_max = r.o.rate == 0 ? SLICE_MAX : (size_t)(r.o.rate / 50);
    if (r.slice_max < SLICE_MIN)
        r.slice_max = SLICE_MIN;
    if (r.slice_max > SLICE_MAX)
        r.slice_max = SLICE_MAX;
    r.queue_cap = r.o.queue_max;
    if (r.o.rate != 0) {
        r.queue_us = (uint64_t)r.o.queue_max * 1000000u / r.o.rate;
        r.queue_cap += (size_t)(r.o.rate * (r.o.delay_us + r.o.jitter_us) / 1000000u) +
                       2 * r.slice_max;
    }
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
    rc = relay_run(&r);
    while (r.conns != NULL)
        conn_close(&r, r.conns, "linkemu stopping");
    close(r.lfd);
    return rc == 0 ? 0 : 1;
}
