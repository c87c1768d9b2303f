/*
 * fota-sim800's network side (sim800.h): the TCP connection AT+CIPSTART
 * opens, carried over a model of a GPRS link (a rate each way and a one-way
 * latency, bytes serialised), and the faults that count the bytes carried
 * down.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim800.h"

#define CONNECT_TIMEOUT (75000u * S8_MS) /* the manual's bound on a connect */

/* ---- the link model ----------------------------------------------------- */

void s8_pipe_init(struct s8_pipe *p, uint64_t rate, uint64_t latency)
{
    p->rate = rate;
    p->latency = latency;
    s8_pipe_clear(p);
}

void s8_pipe_clear(struct s8_pipe *p)
{
    p->head = p->len = 0;
    p->seg_head = p->seg_count = 0;
    p->free_at = 0;
    p->eof_due = S8_NEVER;
}

/* How long n bytes take to leave, rounded up. */
static uint64_t pipe_time(const struct s8_pipe *p, uint64_t n)
{
    return p->rate ? (n * 1000000000u + p->rate - 1) / p->rate : 0;
}

/* How many bytes of s have arrived by now. */
static uint32_t seg_arrived(const struct s8_pipe *p, const struct s8_seg *s, uint64_t now)
{
    uint64_t since;

    if (now < s->t0 + p->latency)
        return 0;
    since = now - s->t0 - p->latency;
    if (since >= pipe_time(p, s->len))
        return s->len;
    return (uint32_t)(since * p->rate / 1000000000u); /* < len: no overflow */
}

size_t s8_pipe_room(const struct s8_pipe *p)
{
    if (p->seg_count == S8_PIPE_SEGS || p->eof_due != S8_NEVER)
        return 0;
    return S8_PIPE_SIZE - p->len;
}

void s8_pipe_push(struct s8_pipe *p, uint64_t now, const uint8_t *data, size_t len)
{
    struct s8_seg *s = &p->seg[(p->seg_head + p->seg_count) % S8_PIPE_SEGS];
    size_t tail = (p->head + p->len) % S8_PIPE_SIZE;
    size_t first = len < S8_PIPE_SIZE - tail ? len : S8_PIPE_SIZE - tail;

    memcpy(p->buf + tail, data, first);
    memcpy(p->buf, data + first, len - first);
    p->len += len;
    s->t0 = now > p->free_at ? now : p->free_at;
    s->len = (uint32_t)len;
    s->taken = 0;
    p->seg_count++;
    p->free_at = s->t0 + pipe_time(p, len);
}

/* The end of stream travels behind the last byte. */
void s8_pipe_push_eof(struct s8_pipe *p, uint64_t now)
{
    p->eof_due = (now > p->free_at ? now : p->free_at) + p->latency;
}

size_t s8_pipe_arrived(const struct s8_pipe *p, uint64_t now, const uint8_t **data)
{
    size_t total = 0, i;

    for (i = 0; i < p->seg_count; i++) {
        const struct s8_seg *s = &p->seg[(p->seg_head + i) % S8_PIPE_SEGS];
        uint32_t a = seg_arrived(p, s, now);

        total += a - s->taken;
        if (a < s->len)
            break;
    }
    if (total > S8_PIPE_SIZE - p->head)
        total = S8_PIPE_SIZE - p->head;
    *data = p->buf + p->head;
    return total;
}

void s8_pipe_take(struct s8_pipe *p, size_t n)
{
    p->head = (p->head + n) % S8_PIPE_SIZE;
    p->len -= n;
    while (n > 0) {
        struct s8_seg *s = &p->seg[p->seg_head];
        uint32_t k = s->len - s->taken;

        if (k > n)
            k = (uint32_t)n;
        s->taken += k;
        n -= k;
        if (s->taken == s->len) {
            p->seg_head = (p->seg_head + 1) % S8_PIPE_SEGS;
            p->seg_count--;
        }
    }
}

uint64_t s8_pipe_due(const struct s8_pipe *p, uint64_t now)
{
    const struct s8_seg *s = &p->seg[p->seg_head];

    if (p->seg_count == 0)
        return p->eof_due;
    if (seg_arrived(p, s, now) > s->taken)
        return S8_NEVER; /* its reader has not taken what is there */
    return s->t0 + p->latency + pipe_time(p, (uint64_t)s->taken + 1);
}

/* ---- the connection ----------------------------------------------------- */

void s8_net_init(struct s8 *m)
{
    m->conn.fd = -1;
    m->conn.phase = S8_CONN_NONE;
    s8_pipe_init(&m->conn.up, m->o.up_bps, m->latency);
    s8_pipe_init(&m->conn.down, m->o.down_bps, m->latency);
}

void s8_net_close(struct s8 *m)
{
    struct s8_conn *c = &m->conn;

    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->phase = S8_CONN_NONE;
    c->up_blocked = 0;
    s8_pipe_clear(&c->up);
    s8_pipe_clear(&c->down);
}

/* Dotted IPv4, or "localhost"; the emulator has no DNS. */
static int host_parse(const char *host, struct in_addr *a)
{
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    return inet_pton(AF_INET, host, a) == 1 ? 0 : -1;
}

void s8_net_connect(struct s8 *m, const char *host, unsigned port, uint64_t extra_ns)
{
    struct s8_conn *c = &m->conn;
    struct sockaddr_in sa;

    s8_net_close(m);
    c->phase = S8_CONN_CONNECTING;
    c->result = 0;
    c->started = m->now;
    c->result_due = m->now + 2 * m->latency + extra_ns; /* SYN, SYN-ACK */
    c->up_pushed = c->up_written = 0;
    if (m->fail_left > 0) {
        m->fail_left--;
        m->n_faults++;
        c->result = -1;
        s8_log(m, "fault connect-fail to %s:%u (%llu more)", host, port,
               (unsigned long long)m->fail_left);
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (host_parse(host, &sa.sin_addr) < 0) {
        c->result = -1;
        s8_log(m, "tcp %s:%u: not a dotted address (no DNS here)", host, port);
        return;
    }
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
                      errno != EINPROGRESS)) {
        s8_log(m, "tcp %s:%u: %s", host, port, strerror(errno));
        c->result = -1;
        return;
    }
    s8_log(m, "tcp %s:%u: connecting", host, port);
}

static void connect_progress(struct s8 *m)
{
    struct s8_conn *c = &m->conn;
    struct pollfd pf = {.fd = c->fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof(err);

    if (c->result == 0 && c->fd >= 0 && poll(&pf, 1, 0) > 0) {
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        c->result = err == 0 ? 1 : -1;
        s8_log(m, "tcp connect: %s", err == 0 ? "established" : strerror(err));
    }
    if (c->result == 0 && m->now - c->started >= CONNECT_TIMEOUT) {
        c->result = -1;
        s8_log(m, "tcp connect: timed out");
    }
    if (c->result == 0 || m->now < c->result_due)
        return;
    if (c->result > 0) {
        c->phase = S8_CONN_OPEN;
        s8_at_connected(m, 1);
    } else {
        s8_net_close(m);
        s8_at_connected(m, 0);
    }
}

/* The next fault, in bytes carried down from here; S8_NEVER if none. */
static uint64_t fault_distance(const struct s8 *m)
{
    uint64_t d = S8_NEVER;

    if (!m->pdp_done && m->o.pdp_loss_after != S8_NEVER)
        d = m->o.pdp_loss_after > m->down_total ? m->o.pdp_loss_after - m->down_total : 0;
    if (!m->close_done && m->o.close_after != S8_NEVER) {
        uint64_t c = m->o.close_after > m->down_total ? m->o.close_after - m->down_total : 0;

        if (c < d)
            d = c;
    }
    return d;
}

/* Fires the fault that is due; returns 1 when the connection went. */
static int fault_fire(struct s8 *m)
{
    if (fault_distance(m) != 0)
        return 0;
    m->n_faults++;
    if (!m->pdp_done && m->o.pdp_loss_after != S8_NEVER &&
        m->down_total >= m->o.pdp_loss_after) {
        m->pdp_done = 1;
        s8_log(m, "fault pdp-loss after %llu bytes down", (unsigned long long)m->down_total);
        s8_at_pdp_deact(m);
        return 1;
    }
    m->close_done = 1;
    s8_log(m, "fault close-after %llu bytes down: the server side closes",
           (unsigned long long)m->down_total);
    s8_at_remote_closed(m);
    return 1;
}

static void down_read(struct s8 *m)
{
    struct s8_conn *c = &m->conn;
    uint8_t buf[16384];

    while (c->fd >= 0 && s8_pipe_room(&c->down) > 0) {
        size_t want = s8_pipe_room(&c->down);
        ssize_t n = read(c->fd, buf, want < sizeof(buf) ? want : sizeof(buf));

        if (n > 0) {
            s8_pipe_push(&c->down, m->now, buf, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        s8_log(m, "tcp: the server closed (%s)", n == 0 ? "end of stream" : strerror(errno));
        s8_pipe_push_eof(&c->down, m->now);
        close(c->fd);
        c->fd = -1;
    }
}

/* Down the link into the modem, up to the next fault. Returns 1 when the
 * connection went. */
static int down_deliver(struct s8 *m)
{
    struct s8_conn *c = &m->conn;
    const uint8_t *data;
    size_t n;

    if (fault_fire(m))
        return 1;
    while ((n = s8_pipe_arrived(&c->down, m->now, &data)) > 0) {
        uint64_t limit = fault_distance(m);
        size_t room = s8_at_rx_room(m);

        if (n > room)
            n = room;
        if (n > limit)
            n = (size_t)limit;
        if (n == 0)
            break;
        s8_at_rx_put(m, data, n);
        s8_pipe_take(&c->down, n);
        m->down_total += n;
        if (fault_fire(m))
            return 1;
    }
    if (c->down.seg_count == 0 && m->now >= c->down.eof_due) {
        s8_at_remote_closed(m);
        return 1;
    }
    return 0;
}

/* Bytes that reach a socket the server closed are lost; the close itself
 * travels down and ends the connection. */
static void up_write(struct s8 *m)
{
    struct s8_conn *c = &m->conn;
    const uint8_t *data;
    size_t n;

    c->up_blocked = 0;
    while ((n = s8_pipe_arrived(&c->up, m->now, &data)) > 0) {
        ssize_t w = c->fd >= 0 ? send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT) : (ssize_t)n;

        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            c->up_blocked = 1;
            return;
        }
        if (w < 0) {
            s8_log(m, "tcp send: %s", strerror(errno));
            s8_pipe_take(&c->up, n);
            continue;
        }
        s8_pipe_take(&c->up, (size_t)w);
        if (c->fd >= 0)
            c->up_written += (uint64_t)w;
    }
}

void s8_net_service(struct s8 *m)
{
    if (m->conn.phase == S8_CONN_CONNECTING) {
        connect_progress(m);
        return;
    }
    if (m->conn.phase != S8_CONN_OPEN)
        return;
    down_read(m);
    if (down_deliver(m))
        return;
    up_write(m);
}

size_t s8_net_send_room(const struct s8 *m)
{
    return m->conn.phase == S8_CONN_OPEN ? s8_pipe_room(&m->conn.up) : 0;
}

void s8_net_send(struct s8 *m, const uint8_t *data, size_t len)
{
    s8_pipe_push(&m->conn.up, m->now, data, len);
    m->conn.up_pushed += len;
    m->up_total += len;
}

uint64_t s8_net_due(const struct s8 *m)
{
    const struct s8_conn *c = &m->conn;
    uint64_t d, u;

    if (c->phase == S8_CONN_CONNECTING)
        return c->result != 0 ? c->result_due : c->started + CONNECT_TIMEOUT;
    if (c->phase != S8_CONN_OPEN)
        return S8_NEVER;
    d = s8_pipe_due(&c->down, m->now);
    u = c->up_blocked ? S8_NEVER : s8_pipe_due(&c->up, m->now);
    return d < u ? d : u;
}

short s8_net_events(const struct s8 *m)
{
    const struct s8_conn *c = &m->conn;
    short ev = 0;

    if (c->fd < 0)
        return 0;
    if (c->phase == S8_CONN_CONNECTING && c->result == 0)
        return POLLOUT;
    if (c->phase == S8_CONN_OPEN && s8_pipe_room(&c->down) > 0)
        ev |= POLLIN;
    if (c->phase == S8_CONN_OPEN && c->up_blocked)
        ev |= POLLOUT;
    return ev;
}
