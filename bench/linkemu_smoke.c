/*
 * linkemu_smoke: a short check of linkemu, run by ctest (bench_linkemu).
 *
 *   linkemu_smoke LINKEMU
 *
 * Starts LINKEMU in front of a server of its own on 127.0.0.1 with a small
 * queue (so the senders are held back), opens several connections at once and
 * sends a distinct pattern each way on each, then ends each stream. Checks:
 * every byte arrives intact and in order, each end of stream arrives, each
 * direction's first byte comes no sooner than the one-way delay after it was
 * sent and its last no sooner than delay + bytes / rate (lower bounds only:
 * a loaded machine may be as slow as it likes), linkemu reports each
 * connection closed with the right byte counts, exits 0 on SIGTERM, and
 * refuses a non-loopback address with exit 2. Then, one connection each:
 * --scale with separate --down and --up rates (each direction no sooner than
 * its own scaled rate allows, and the whole sooner than the unscaled delay
 * alone), --cut-after (exactly that many bytes, then a reset reported as
 * a cut), --cut-up and --cut-down 0 (the same, one direction), --cut-conn 2
 * (the first connection goes through whole) and --record (files in the
 * current directory holding exactly the bytes each way). Exits 0 when all
 * hold.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONNS 3
#define UP_BYTES 12000u   /* client to server, per connection */
#define DOWN_BYTES 3000u  /* server to client */
#define DELAY_MS 200u
#define RATE 40000u       /* bytes per second */
#define QUEUE 4096u
#define HANG_GUARD_S 120  /* only against a hang: never a performance limit */
#define SLACK_US 1000u    /* clock readings rounded to microseconds */

struct end {
    int fd;
    int index;            /* connection index, from the pattern (-1: not known yet) */
    uint8_t *got;
    size_t len;
    int eof;
    uint64_t first_us, last_us;
};

static pid_t emu_pid = -1;

static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "linkemu_smoke: FAIL: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (emu_pid > 0)
        kill(emu_pid, SIGKILL);
    exit(1);
}

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Byte i of the pattern of connection c going up (dir 0) or down (dir 1). */
static uint8_t pattern(int c, int dir, size_t i)
{
    if (i == 0)
        return (uint8_t)(c * 2 + dir); /* the first byte names the connection */
    return (uint8_t)((i * 131u + (size_t)c * 17u + (size_t)dir * 7u) >> 1);
}

static void fill(uint8_t *buf, int c, int dir, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern(c, dir, i);
}

static int listen_any(uint16_t *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        die("server socket: %s", strerror(errno));
    *port = ntohs(sa.sin_port);
    return fd;
}

static int connect_to(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        die("connect to linkemu: %s", strerror(errno));
    return fd;
}

/* Starts linkemu with args; its stdout (and with quiet its stderr) comes
 * back on *out. Returns its pid. */
static pid_t spawn(char *const argv[], int *out, int quiet)
{
    int p[2];
    pid_t pid;

    if (pipe(p) != 0)
        die("pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        if (quiet)
            dup2(p[1], STDERR_FILENO);
        close(p[0]);
        close(p[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    *out = p[0];
    return pid;
}

/* Reads the child's stdout up to and including one line. */
static int read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;

    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, 1);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}

static int wait_exit(pid_t pid)
{
    int st;

    if (waitpid(pid, &st, 0) != pid)
        die("waitpid: %s", strerror(errno));
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void check_refusals(const char *emu)
{
    char *const bad_addr[] = {(char *)emu, "--listen", "10.0.0.1:0", "--to", "127.0.0.1:1",
                              "--delay-ms", "1", "--rate", "1", NULL};
    char *const missing[] = {(char *)emu, "--listen", "127.0.0.1:0", "--to", "127.0.0.1:1",
                             NULL};
    char *const *cases[] = {bad_addr, missing};
    char line[256];

    for (size_t i = 0; i < 2; i++) {
        int out, rc;
        pid_t pid = spawn(cases[i], &out, 1);

        while (read_line(out, line, sizeof(line)) == 0)
            ;
        close(out);
        rc = wait_exit(pid);
        if (rc != 2)
            die("a bad command line (case %zu) exited %d, expected 2", i + 1, rc);
    }
}

/* Reads what fd has into e. Returns 1 at the end of stream. */
static int end_read(struct end *e, size_t expect)
{
    uint8_t buf[8192];
    ssize_t n = read(e->fd, buf, sizeof(buf));
    uint64_t t = now_us();

    if (n < 0 && errno == EINTR)
        return 0;
    if (n < 0)
        die("read: %s", strerror(errno));
    if (n == 0) {
        e->eof = 1;
        return 1;
    }
    if (e->len + (size_t)n > expect)
        die("more bytes than sent (%zu)", e->len + (size_t)n);
    if (e->len == 0)
        e->first_us = t;
    e->last_us = t;
    memcpy(e->got + e->len, buf, (size_t)n);
    e->len += (size_t)n;
    return 0;
}

/* One connection through linkemu started with args: the server side sends
 * down_n bytes, the client up_n; both are read until the end or a reset.
 * Fills the times (from the sends) and counts; returns linkemu's closed line
 * in `closed`. */
struct one {
    size_t up_got, down_got;
    uint64_t up_last_us, down_last_us;
    char closed[512];
};

static void one_conn(char *const args[], size_t up_n, size_t down_n, struct one *res)
{
    static uint8_t buf[16384], in[16384];
    char line[512];
    unsigned port = 0;
    uint16_t sport;
    int lfd = listen_any(&sport), out, cfd, sfd, open_ends = 2;
    uint64_t t0, deadline;
    char to[64];
    char *argv[32];
    size_t n = 0;

    snprintf(to, sizeof(to), "127.0.0.1:%u", (unsigned)sport);
    for (; args[n] != NULL && n < 28; n++)
        argv[n] = args[n];
    argv[n++] = "--to";
    argv[n++] = to;
    argv[n] = NULL;
    emu_pid = spawn(argv, &out, 0);
    if (read_line(out, line, sizeof(line)) != 0 ||
        sscanf(line, "listening on 127.0.0.1:%u", &port) != 1)
        die("linkemu said '%s'", line);
    cfd = connect_to((uint16_t)port);
    sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (sfd < 0)
        die("accept: %s", strerror(errno));
    memset(res, 0, sizeof(*res));
    fill(buf, 0, 0, sizeof(buf));
    t0 = now_us();
    if (write(cfd, buf, up_n) != (ssize_t)up_n || write(sfd, buf, down_n) != (ssize_t)down_n)
        die("write: %s", strerror(errno));
    shutdown(cfd, SHUT_WR);
    shutdown(sfd, SHUT_WR);
    deadline = t0 + (uint64_t)HANG_GUARD_S * 1000000u;
    while (open_ends > 0 && now_us() < deadline) {
        struct pollfd p[2] = {{cfd, POLLIN, 0}, {sfd, POLLIN, 0}};

        if (poll(p, 2, 1000) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            ssize_t r;

            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            r = read(p[i].fd, in, sizeof(in));
            if (r <= 0) {
                open_ends--;
                *(i == 0 ? &cfd : &sfd) = -(1 + *(i == 0 ? &cfd : &sfd));
                continue;
            }
            *(i == 0 ? &res->down_got : &res->up_got) += (size_t)r;
            *(i == 0 ? &res->down_last_us : &res->up_last_us) = now_us() - t0;
        }
    }
    close(cfd < 0 ? -(cfd + 1) : cfd);
    close(sfd < 0 ? -(sfd + 1) : sfd);
    close(lfd);
    kill(emu_pid, SIGTERM);
    while (read_line(out, line, sizeof(line)) == 0)
        if (strstr(line, ": closed (") != NULL)
            snprintf(res->closed, sizeof(res->closed), "%s", line);
    close(out);
    if (wait_exit(emu_pid) != 0)
        die("linkemu exited non-zero after SIGTERM");
    emu_pid = -1;
}

/* --scale 10 of a link with 2 s delay, 4000 B/s down, 400 B/s up. */
static void check_scale_rates(const char *emu)
{
    char *const args[] = {(char *)emu, "--listen", "127.0.0.1:0", "--latency", "2000",
                          "--down", "4000", "--up", "400", "--scale", "10", NULL};
    struct one r;

    one_conn(args, 2000, 8000, &r);
    if (r.up_got != 2000 || r.down_got != 8000)
        die("scale: %zu of 2000 bytes up, %zu of 8000 down", r.up_got, r.down_got);
    /* Up: 0.2 s + 2000 / 4000 s; down: 0.2 s + 8000 / 40000 s. */
    if (r.up_last_us + SLACK_US < 700000u || r.down_last_us + SLACK_US < 400000u)
        die("scale: up took %.3f s (at least 0.7), down %.3f s (at least 0.4)",
            (double)r.up_last_us / 1e6, (double)r.down_last_us / 1e6);
    if (r.up_last_us >= 2000000u || r.down_last_us >= 2000000u)
        die("scale: up took %.3f s, down %.3f s: not 10 times faster than the 2 s delay",
            (double)r.up_last_us / 1e6, (double)r.down_last_us / 1e6);
    printf("scale 10, down 4000 B/s, up 400 B/s, 2 s one way: 8000 bytes down in %.3f s, "
           "2000 up in %.3f s\n", (double)r.down_last_us / 1e6, (double)r.up_last_us / 1e6);
}

static void check_cut_after(const char *emu)
{
    char *const args[] = {(char *)emu, "--listen", "127.0.0.1:0", "--delay-ms", "10",
                          "--rate", "0", "--cut-after", "5000", NULL};
    struct one r;

    one_conn(args, 0, 12000, &r);
    if (r.down_got != 5000)
        die("cut-after 5000: the client got %zu bytes", r.down_got);
    if (strstr(r.closed, "(cut after 5000 bytes)") == NULL)
        die("cut-after 5000: linkemu said '%s'", r.closed);
    printf("cut after 5000 bytes: 5000 of 12000 arrived, then the cut\n");
}

/* One direction's cut: --cut-up 3000, then --cut-down 0. */
static void check_cut_dirs(const char *emu)
{
    char *const up[] = {(char *)emu, "--listen", "127.0.0.1:0", "--delay-ms", "10",
                        "--rate", "0", "--cut-up", "3000", NULL};
    char *const down[] = {(char *)emu, "--listen", "127.0.0.1:0", "--delay-ms", "10",
                          "--rate", "0", "--cut-down", "0", NULL};
    struct one r;

    one_conn(up, 12000, 2000, &r);
    if (r.up_got != 3000 || strstr(r.closed, "(cut after 3000 bytes up): up=3000 ") == NULL)
        die("cut-up 3000: the server got %zu bytes, linkemu said '%s'", r.up_got, r.closed);
    one_conn(down, 2000, 2000, &r);
    if (r.down_got != 0 || strstr(r.closed, "(cut after 0 bytes down)") == NULL)
        die("cut-down 0: the client got %zu bytes, linkemu said '%s'", r.down_got, r.closed);
    printf("cut after 3000 bytes up, and before the first byte down\n");
}

/* Whether file holds exactly the first len bytes one_conn() sends. */
static int file_holds(const char *path, size_t len)
{
    static uint8_t want[16384], got[16384 + 1];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return 0;
    n = fread(got, 1, sizeof(got), f);
    fclose(f);
    fill(want, 0, 0, len);
    return n == len && memcmp(got, want, len) == 0;
}

/* --cut-conn 2 leaves the first connection whole; --record writes it. */
static void check_cut_conn_record(const char *emu)
{
    char *const args[] = {(char *)emu, "--listen", "127.0.0.1:0", "--delay-ms", "10",
                          "--rate", "0", "--cut-down", "0", "--cut-conn", "2",
                          "--record", "linkemu_smoke_rec", NULL};
    struct one r;
    int up_ok, down_ok;

    one_conn(args, 5000, 7000, &r);
    up_ok = file_holds("linkemu_smoke_rec.1.up", 5000);
    down_ok = file_holds("linkemu_smoke_rec.1.down", 7000);
    unlink("linkemu_smoke_rec.1.up");
    unlink("linkemu_smoke_rec.1.down");
    if (r.up_got != 5000 || r.down_got != 7000 || strstr(r.closed, "(end of stream") == NULL)
        die("cut-conn 2: the first connection carried %zu up, %zu down; linkemu said '%s'",
            r.up_got, r.down_got, r.closed);
    if (!up_ok || !down_ok)
        die("record: the files do not hold the %s bytes", up_ok ? "down" : "up");
    printf("cut-conn 2: the first connection whole; record: its 5000 + 7000 bytes\n");
}

int main(int argc, char **argv)
{
    static uint8_t up[CONNS][UP_BYTES], down[CONNS][DOWN_BYTES];
    struct end cli[CONNS], srv[CONNS];
    uint64_t sent_up[CONNS], sent_down[CONNS], deadline;
    pid_t senders[2 * CONNS];
    char to[64], delay[16], rate[16], queue[16], line[512];
    int lfd, out, open_ends, closed_lines = 0, rc;
    unsigned emu_port = 0;
    uint16_t port;

    if (argc != 2) {
        fprintf(stderr, "usage: linkemu_smoke LINKEMU\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    check_refusals(argv[1]);
    check_scale_rates(argv[1]);
    check_cut_after(argv[1]);
    check_cut_dirs(argv[1]);
    check_cut_conn_record(argv[1]);

    lfd = listen_any(&port);
    snprintf(to, sizeof(to), "127.0.0.1:%u", (unsigned)port);
    snprintf(delay, sizeof(delay), "%u", DELAY_MS);
    snprintf(rate, sizeof(rate), "%u", RATE);
    snprintf(queue, sizeof(queue), "%u", QUEUE);
    {
        char *const args[] = {argv[1], "--listen", "127.0.0.1:0", "--to", to, "--delay-ms",
                              delay, "--rate", rate, "--queue", queue, "--seed", "7", NULL};

        emu_pid = spawn(args, &out, 0);
    }
    if (read_line(out, line, sizeof(line)) != 0 ||
        sscanf(line, "listening on 127.0.0.1:%u", &emu_port) != 1 || emu_port == 0)
        die("linkemu said '%s', expected 'listening on 127.0.0.1:PORT'", line);

    /* The connections, all open at once; the server side learns which is
     * which from the first byte. */
    memset(cli, 0, sizeof(cli));
    memset(srv, 0, sizeof(srv));
    for (int c = 0; c < CONNS; c++) {
        fill(up[c], c, 0, UP_BYTES);
        fill(down[c], c, 1, DOWN_BYTES);
        cli[c].fd = connect_to((uint16_t)emu_port);
        cli[c].index = c;
        cli[c].got = malloc(DOWN_BYTES);
        srv[c].fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (srv[c].fd < 0)
            die("accept: %s", strerror(errno));
        srv[c].index = -1;
        srv[c].got = malloc(UP_BYTES);
        if (cli[c].got == NULL || srv[c].got == NULL)
            die("out of memory");
    }

    /* Each side sends its pattern from a child (the queue holds the senders
     * back, so a write may block) and ends its stream (a shutdown acts on the
     * socket, which this process shares: here it only reads). */
    for (int c = 0; c < CONNS; c++) {
        sent_up[c] = now_us();
        if ((senders[c] = fork()) == 0) {
            if (write(cli[c].fd, up[c], UP_BYTES) != (ssize_t)UP_BYTES)
                _exit(1);
            shutdown(cli[c].fd, SHUT_WR);
            _exit(0);
        }
    }
    for (int c = 0; c < CONNS; c++) {
        sent_down[c] = now_us();
        if ((senders[CONNS + c] = fork()) == 0) {
            if (write(srv[c].fd, down[c], DOWN_BYTES) != (ssize_t)DOWN_BYTES)
                _exit(1);
            shutdown(srv[c].fd, SHUT_WR);
            _exit(0);
        }
    }

    deadline = now_us() + (uint64_t)HANG_GUARD_S * 1000000u;
    open_ends = 2 * CONNS;
    while (open_ends > 0) {
        struct pollfd p[2 * CONNS];
        struct end *ends[2 * CONNS];
        int np = 0;

        for (int c = 0; c < CONNS; c++) {
            if (!cli[c].eof) {
                p[np] = (struct pollfd){cli[c].fd, POLLIN, 0};
                ends[np++] = &cli[c];
            }
            if (!srv[c].eof) {
                p[np] = (struct pollfd){srv[c].fd, POLLIN, 0};
                ends[np++] = &srv[c];
            }
        }
        if (now_us() > deadline)
            die("hang: %d streams still open after %d s", open_ends, HANG_GUARD_S);
        if (poll(p, (nfds_t)np, 1000) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        for (int i = 0; i < np; i++) {
            struct end *e = ends[i];
            int is_srv = e >= srv && e < srv + CONNS;

            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (end_read(e, is_srv ? UP_BYTES : DOWN_BYTES))
                open_ends--;
            if (is_srv && e->index < 0 && e->len > 0) {
                if (e->got[0] % 2 != 0 || e->got[0] / 2 >= CONNS)
                    die("the server got a stream starting with byte %u", e->got[0]);
                e->index = e->got[0] / 2;
            }
        }
    }
    for (int i = 0; i < 2 * CONNS; i++)
        if (senders[i] < 0 || wait_exit(senders[i]) != 0)
            die("sender %d failed", i);

    /* Bytes intact, in order, whole; not sooner than the link allows. */
    for (int c = 0; c < CONNS; c++) {
        const struct end *d = &cli[c], *u = NULL;

        for (int k = 0; k < CONNS; k++)
            if (srv[k].index == c)
                u = &srv[k];
        if (u == NULL)
            die("connection %d never reached the server", c);
        if (u->len != UP_BYTES || memcmp(u->got, up[c], UP_BYTES) != 0)
            die("connection %d: %zu of %u bytes up, or other bytes", c, u->len, UP_BYTES);
        if (d->len != DOWN_BYTES || memcmp(d->got, down[c], DOWN_BYTES) != 0)
            die("connection %d: %zu of %u bytes down, or other bytes", c, d->len, DOWN_BYTES);
        if (u->first_us + SLACK_US < sent_up[c] + DELAY_MS * 1000u)
            die("connection %d: the first byte up came %.3f s after it was sent, before "
                "the delay", c, (double)(u->first_us - sent_up[c]) / 1e6);
        if (d->first_us + SLACK_US < sent_down[c] + DELAY_MS * 1000u)
            die("connection %d: the first byte down came %.3f s after it was sent, before "
                "the delay", c, (double)(d->first_us - sent_down[c]) / 1e6);
        if (u->last_us + SLACK_US <
            sent_up[c] + DELAY_MS * 1000u + (uint64_t)UP_BYTES * 1000000u / RATE)
            die("connection %d: %u bytes up took %.3f s, less than the rate and delay allow",
                c, UP_BYTES, (double)(u->last_us - sent_up[c]) / 1e6);
        if (d->last_us + SLACK_US <
            sent_down[c] + DELAY_MS * 1000u + (uint64_t)DOWN_BYTES * 1000000u / RATE)
            die("connection %d: %u bytes down took %.3f s, less than the rate and delay allow",
                c, DOWN_BYTES, (double)(d->last_us - sent_down[c]) / 1e6);
        printf("connection %d: up %u bytes, first after %.3f s, last after %.3f s; down %u "
               "bytes, first after %.3f s, last after %.3f s\n",
               c, UP_BYTES, (double)(u->first_us - sent_up[c]) / 1e6,
               (double)(u->last_us - sent_up[c]) / 1e6, DOWN_BYTES,
               (double)(d->first_us - sent_down[c]) / 1e6,
               (double)(d->last_us - sent_down[c]) / 1e6);
    }
    for (int c = 0; c < CONNS; c++) {
        close(cli[c].fd);
        close(srv[c].fd);
        free(cli[c].got);
        free(srv[c].got);
    }
    close(lfd);

    /* linkemu's account of each connection, then its exit. */
    kill(emu_pid, SIGTERM);
    while (read_line(out, line, sizeof(line)) == 0) {
        char expect[64];

        if (strstr(line, ": closed (") == NULL)
            continue;
        snprintf(expect, sizeof(expect), "up=%u down=%u ", UP_BYTES, DOWN_BYTES);
        if (strstr(line, expect) == NULL)
            die("linkemu: '%.200s', expected %s", line, expect);
        closed_lines++;
    }
    close(out);
    rc = wait_exit(emu_pid);
    emu_pid = -1;
    if (rc != 0)
        die("linkemu exited %d after SIGTERM", rc);
    if (closed_lines != CONNS)
        die("linkemu reported %d connections closed, expected %d", closed_lines, CONNS);
    printf("linkemu_smoke: %d connections relayed intact, no sooner than %u ms delay and "
           "%u bytes/s allow\n", CONNS, DELAY_MS, RATE);
    return 0;
}
