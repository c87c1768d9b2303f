/*
 * fota-sim800's UART (sim800.h): bytes each way at the line rate, ten bits a
 * byte, and the modem's output as a queue of whole units so that noise can
 * fall between lines but never inside one. Also the log and the random
 * numbers.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim800.h"

uint64_t s8_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void s8_log(struct s8 *m, const char *fmt, ...)
{
    va_list ap;
    uint64_t t = (m->now > m->start ? m->now - m->start : 0) / S8_MS;

    if (m->log == NULL)
        return;
    fprintf(m->log, "%llu.%03llu ", (unsigned long long)(t / 1000),
            (unsigned long long)(t % 1000));
    va_start(ap, fmt);
    vfprintf(m->log, fmt, ap);
    va_end(ap);
    fputc('\n', m->log);
}

/* splitmix64: repeatable with --seed. */
uint64_t s8_random(struct s8 *m)
{
    uint64_t z = (m->rng += 0x9E3779B97F4A7C15u);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* ---- host -> modem ------------------------------------------------------ */

/* The bytes sit in in[] as they were read; the k-th of them has arrived one
 * byte time after the (k-1)-th, in_clock being when the last one taken had.
 * A read into an empty buffer starts the line at that moment. */
int s8_in_read(struct s8 *m)
{
    while (m->in_len < S8_IN_SIZE) {
        size_t tail = (m->in_head + m->in_len) % S8_IN_SIZE;
        size_t room = S8_IN_SIZE - m->in_len;
        ssize_t n;

        if (room > S8_IN_SIZE - tail)
            room = S8_IN_SIZE - tail;
        n = read(m->pty, m->in + tail, room);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR || errno == EIO ? 0 : -1;
        if (n == 0)
            return 0;
        if (m->in_len == 0 && m->in_clock < m->now)
            m->in_clock = m->now;
        m->in_len += (size_t)n;
    }
    return 0;
}

int s8_in_peek(const struct s8 *m)
{
    if (m->in_len == 0 || m->now < m->in_clock + m->byte_ns)
        return -1;
    return m->in[m->in_head];
}

void s8_in_pop(struct s8 *m)
{
    m->in_head = (m->in_head + 1) % S8_IN_SIZE;
    m->in_len--;
    m->in_clock += m->byte_ns;
}

uint64_t s8_in_due(const struct s8 *m)
{
    return m->in_len ? m->in_clock + m->byte_ns : S8_NEVER;
}

/* ---- modem -> host ------------------------------------------------------ */

static struct s8_unit *unit_new(const void *data, size_t len)
{
    struct s8_unit *u = malloc(sizeof(*u) + len);

    if (u == NULL) {
        fprintf(stderr, "fota-sim800: out of memory\n");
        exit(1);
    }
    u->next = NULL;
    u->len = len;
    u->off = 0;
    memcpy(u->data, data, len);
    return u;
}

void s8_out(struct s8 *m, const void *data, size_t len)
{
    struct s8_unit *u;

    if (len == 0)
        return;
    u = unit_new(data, len);
    if (m->out_head == NULL) {
        m->out_head = u;
        if (m->out_clock < m->now)
            m->out_clock = m->now; /* an idle line starts now */
    } else {
        m->out_tail->next = u;
    }
    m->out_tail = u;
    m->out_count++;
    m->out_bytes += len;
}

void s8_out_line(struct s8 *m, const char *text)
{
    char buf[S8_LINE_MAX + 8];
    size_t n = strlen(text);

    if (n > S8_LINE_MAX)
        n = S8_LINE_MAX;
    buf[0] = '\r';
    buf[1] = '\n';
    memcpy(buf + 2, text, n);
    buf[n + 2] = '\r';
    buf[n + 3] = '\n';
    s8_out(m, buf, n + 4);
    if (m->o.verbose)
        s8_log(m, "out %s", text);
}

/* Only whole units move: the head unit, once started, stays first. */
void s8_out_noise(struct s8 *m, const char *text)
{
    char buf[64];
    size_t n = strlen(text), first, pos;
    struct s8_unit *u, **at;

    buf[0] = '\r';
    buf[1] = '\n';
    memcpy(buf + 2, text, n);
    buf[n + 2] = '\r';
    buf[n + 3] = '\n';
    u = unit_new(buf, n + 4);
    first = m->out_head != NULL && m->out_head->off > 0;
    pos = first + (size_t)(s8_random(m) % (m->out_count - first + 1));
    at = &m->out_head;
    while (pos-- > 0)
        at = &(*at)->next;
    u->next = *at;
    *at = u;
    if (u->next == NULL)
        m->out_tail = u;
    if (m->out_count == 0 && m->out_clock < m->now)
        m->out_clock = m->now;
    m->out_count++;
    m->out_bytes += u->len;
    m->n_noise++;
    s8_log(m, "noise %s", text);
}

/* Bytes leave one byte time apart; whatever the clock allows is written,
 * unit after unit. A full pty holds the rest until it drains. */
int s8_out_write(struct s8 *m)
{
    uint64_t budget = S8_NEVER;

    if (m->byte_ns != 0)
        budget = m->now >= m->out_clock ? (m->now - m->out_clock) / m->byte_ns : 0;
    m->out_blocked = 0;
    while (m->out_head != NULL && budget > 0) {
        struct s8_unit *u = m->out_head;
        size_t n = u->len - u->off;
        ssize_t w;

        if (n > budget)
            n = (size_t)budget;
        w = write(m->pty, u->data + u->off, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == EIO) {
                m->out_blocked = 1;
                return 0;
            }
            return -1;
        }
        u->off += (size_t)w;
        m->out_bytes -= (size_t)w;
        budget -= (uint64_t)w;
        m->out_clock += (uint64_t)w * m->byte_ns;
        if ((size_t)w < n) {
            m->out_blocked = 1;
            return 0;
        }
        if (u->off < u->len)
            continue; /* the budget ran out inside the unit */
        m->out_head = u->next;
        if (m->out_head == NULL)
            m->out_tail = NULL;
        m->out_count--;
        free(u);
    }
    return 0;
}

uint64_t s8_out_due(const struct s8 *m)
{
    if (m->out_head == NULL || m->out_blocked)
        return S8_NEVER;
    return m->out_clock + m->byte_ns;
}

void s8_out_free(struct s8 *m)
{
    while (m->out_head != NULL) {
        struct s8_unit *u = m->out_head;

        m->out_head = u->next;
        free(u);
    }
    m->out_tail = NULL;
    m->out_count = 0;
    m->out_bytes = 0;
}
