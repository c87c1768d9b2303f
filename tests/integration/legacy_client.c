/*
 * legacy_client: a device running the original loader, for testing fotad's
 * legacy listener. It connects, takes the size line "0;<size>" and answers
 * "0", then takes each "<n>;" + chunk and answers "<n>", writing the chunks
 * to a file, until it holds the whole image; then it waits for the server
 * to close.
 *
 *   legacy_client -p PORT -o OUT [-H HOST] [--drop-every K] [--delay-ms MS]
 *                 [--split] [--crlf] [--quit-after N] [--timeout S]
 *
 *   --drop-every K   the first answer to every message n with n % K == 0 is
 *                    not sent (the server must send the message again)
 *   --delay-ms MS    wait before each answer
 *   --split          send each answer a byte at a time, 20 ms apart
 *   --crlf           end answers with CR LF
 *   --quit-after N   close the connection after answering chunk N
 *   --mute           never answer: expects the server to give up and close,
 *                    prints "closed after <n> copies of the size line"
 *   --timeout S      give up after S seconds in all (default 60)
 *
 * Like the real loader it answers every copy of a message it receives, so a
 * message sent twice is answered twice. On success prints one line:
 *   size=<bytes> chunks=<n> duplicates=<copies received again> dropped=<answers not sent>
 * and exits 0; exits 1 on a protocol violation or timeout, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_client.h"

#define CHUNK 1024u
#define QUIET_MS 100 /* a size line that ends the input is whole after this */

struct client {
    int fd;
    unsigned drop_every;
    unsigned delay_ms;
    int split, crlf;
    long quit_after;
    uint64_t deadline;

    uint8_t *in;       /* bytes received, not yet parsed */
    size_t in_len, in_cap;
    int eof;

    int have_size;
    unsigned long size;
    unsigned long chunks;
    unsigned long want;  /* next new message expected */
    uint8_t *image;
    unsigned long duplicates, dropped;
    unsigned char *dropped_once; /* per message: its first answer was dropped */
};

const char client_name[] = "legacy_client";

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Reads what arrives within wait_ms (bounded by the deadline). Returns 1
 * when bytes came, 0 when none came in time, -1 at EOF. */
static int fill(struct client *c, int wait_ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    uint64_t now = client_now_ms();
    ssize_t n;
    int rc;

    if (now >= c->deadline)
        client_die("timed out (at message %lu of %lu)", c->want, c->chunks);
    if (wait_ms < 0 || (uint64_t)wait_ms > c->deadline - now)
        wait_ms = (int)(c->deadline - now);
    rc = poll(&p, 1, wait_ms);
    if (rc < 0 && errno != EINTR)
        client_die("poll: %s", strerror(errno));
    if (rc <= 0)
        return 0;
    if (c->in_cap - c->in_len < 4096) {
        c->in_cap = c->in_cap * 2 + 4096;
        c->in = realloc(c->in, c->in_cap);
        if (c->in == NULL)
            client_die("out of memory");
    }
    n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return 0;
        if (errno == ECONNRESET)
            return -1;
        client_die("read: %s", strerror(errno));
    }
    if (n == 0)
        return -1;
    c->in_len += (size_t)n;
    return 1;
}

static void consume(struct client *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

static void send_answer(struct client *c, unsigned long seq)
{
    char buf[32];
    int len, i;

    if (c->drop_every != 0 && seq % c->drop_every == 0 && !c->dropped_once[seq]) {
        c->dropped_once[seq] = 1;
        c->dropped++;
        return;
    }
    if (c->delay_ms != 0)
        sleep_ms(c->delay_ms);
    len = snprintf(buf, sizeof(buf), "%lu%s", seq, c->crlf ? "\r\n" : "");
    if (c->split) {
        for (i = 0; i < len; i++) {
            if (write(c->fd, buf + i, 1) != 1)
                return; /* the server may have closed after its last answer */
            if (i + 1 < len)
                sleep_ms(20);
        }
    } else if (write(c->fd, buf, (size_t)len) != len) {
        return;
    }
}

static unsigned long chunk_len(const struct client *c, unsigned long n)
{
    unsigned long off = (n - 1) * CHUNK;

    return c->size - off < CHUNK ? c->size - off : CHUNK;
}

/* Parses "<digits>;" at the start of the input. Returns the header length,
 * 0 when more input is needed, and dies on anything else. */
static size_t parse_head(struct client *c, unsigned long *seq)
{
    size_t i = 0;
    unsigned long v = 0;

    while (i < c->in_len && c->in[i] >= '0' && c->in[i] <= '9') {
        v = v * 10 + (unsigned long)(c->in[i] - '0');
        if (++i > 10)
            client_die("sequence number too long");
    }
    if (i == c->in_len)
        return 0;
    if (i == 0 || c->in[i] != ';')
        client_die("expected '<n>;', got byte 0x%02x", c->in[i]);
    *seq = v;
    return i + 1;
}

/* The first size line: "0;" then digits. The end of the digits is known
 * when a byte follows them (a second copy "0;..." starts with the '0' that
 * is then the last digit read) or when nothing more came for QUIET_MS. */
static int parse_first_size(struct client *c, int quiet)
{
    size_t i = 2, end;
    unsigned long v = 0;

    if (c->in_len < 3)
        return 0;
    if (c->in[0] != '0' || c->in[1] != ';')
        client_die("the first message is not a size line");
    while (i < c->in_len && c->in[i] >= '0' && c->in[i] <= '9')
        i++;
    if (i < c->in_len) {
        if (c->in[i] != ';' || i < 4)
            client_die("malformed size line");
        end = i - 1; /* that digit is the '0' of the next copy */
    } else if (quiet) {
        end = i;
    } else {
        return 0;
    }
    if (end - 2 > 9)
        client_die("size too long");
    for (i = 2; i < end; i++)
        v = v * 10 + (unsigned long)(c->in[i] - '0');
    c->size = v;
    c->have_size = 1;
    c->chunks = (v + CHUNK - 1) / CHUNK;
    c->image = calloc(1, v + 1);
    c->dropped_once = calloc(1, c->chunks + 1);
    if (c->image == NULL || c->dropped_once == NULL)
        client_die("out of memory");
    consume(c, end);
    c->want = 1;
    send_answer(c, 0);
    return 1;
}

/* Parses whole messages from the input and answers them. Returns 1 when
 * something was parsed. */
static int parse_messages(struct client *c)
{
    int progress = 0;

    for (;;) {
        unsigned long seq = 0, len;
        size_t head = parse_head(c, &seq);

        if (head == 0)
            return progress;
        if (seq == 0) {
            char line[32];
            int n = snprintf(line, sizeof(line), "0;%lu", c->size);

            if (c->in_len < (size_t)n)
                return progress;
            if (memcmp(c->in, line, (size_t)n) != 0)
                client_die("size line changed");
            consume(c, (size_t)n);
            c->duplicates++;
            send_answer(c, 0);
            progress = 1;
            continue;
        }
        if (seq > c->chunks || seq > c->want)
            client_die("got chunk %lu, expected %lu (of %lu)", seq, c->want, c->chunks);
        len = chunk_len(c, seq);
        if (c->in_len < head + len)
            return progress;
        if (seq == c->want) {
            memcpy(c->image + (seq - 1) * CHUNK, c->in + head, len);
            c->want++;
        } else {
            if (memcmp(c->image + (seq - 1) * CHUNK, c->in + head, len) != 0)
                client_die("chunk %lu sent again with other bytes", seq);
            c->duplicates++;
        }
        consume(c, head + len);
        send_answer(c, seq);
        progress = 1;
        if (c->quit_after >= 0 && (long)seq >= c->quit_after) {
            close(c->fd);
            printf("quit after chunk %lu\n", seq);
            free(c->in);
            free(c->image);
            free(c->dropped_once);
            exit(0);
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"drop-every", required_argument, NULL, 'D'},
        {"delay-ms", required_argument, NULL, 'w'},
        {"split", no_argument, NULL, 's'},
        {"crlf", no_argument, NULL, 'r'},
        {"quit-after", required_argument, NULL, 'q'},
        {"timeout", required_argument, NULL, 't'},
        {"mute", no_argument, NULL, 'M'},
        {NULL, 0, NULL, 0},
    };
    struct client c;
    const char *host = "127.0.0.1", *out = NULL;
    unsigned port = 0;
    double timeout = 60;
    FILE *f;
    int opt, rc, mute = 0;

    memset(&c, 0, sizeof(c));
    c.quit_after = -1;
    while ((opt = getopt_long(argc, argv, "H:p:o:", opts, NULL)) != -1) {
        switch (opt) {
        case 'H': host = optarg; break;
        case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        case 'D': c.drop_every = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'w': c.delay_ms = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': c.split = 1; break;
        case 'r': c.crlf = 1; break;
        case 'q': c.quit_after = strtol(optarg, NULL, 10); break;
        case 't': timeout = strtod(optarg, NULL); break;
        case 'M': mute = 1; break;
        default:
            fprintf(stderr, "usage: legacy_client -p PORT -o OUT [options]\n");
            return 2;
        }
    }
    if (port == 0 || port > 65535 || out == NULL || timeout <= 0) {
        fprintf(stderr, "usage: legacy_client -p PORT -o OUT [options]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    c.deadline = client_now_ms() + (uint64_t)(timeout * 1000);
    c.fd = client_connect(host, port);

    if (mute) {
        while (fill(&c, -1) >= 0)
            ;
        {
            unsigned long copies = 0;
            size_t i;

            for (i = 0; i + 1 < c.in_len; i++)
                copies += c.in[i] == '0' && c.in[i + 1] == ';';
            printf("closed after %lu copies of the size line\n", copies);
        }
        free(c.in);
        return 0;
    }
    /* The size line. */
    while (!c.have_size) {
        rc = fill(&c, QUIET_MS);
        if (rc < 0)
            client_die("closed before the size line");
        parse_first_size(&c, rc == 0);
    }
    /* The chunks, then the server closes. */
    for (;;) {
        parse_messages(&c);
        rc = fill(&c, -1);
        if (rc < 0)
            break;
    }
    parse_messages(&c);
    if (c.want <= c.chunks)
        client_die("closed by the server at chunk %lu of %lu", c.want, c.chunks);
    if (c.in_len != 0)
        client_die("%zu stray bytes at the end", c.in_len);
    f = fopen(out, "wb");
    if (f == NULL || fwrite(c.image, 1, c.size, f) != c.size || fclose(f) != 0)
        client_die("%s: cannot write", out);
    printf("size=%lu chunks=%lu duplicates=%lu dropped=%lu\n", c.size, c.chunks, c.duplicates,
           c.dropped);
    close(c.fd);
    free(c.in);
    free(c.image);
    free(c.dropped_once);
    return 0;
}
