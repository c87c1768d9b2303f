/*
 * The epoll backend of fotad's event loop (see loop.h). Level-triggered:
 * a handler that leaves bytes unread is called again in the next round.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

/* Events taken from the kernel per round; more wait for the next round. */
#define EPOLL_BATCH 1024

struct loop_backend {
    int epfd;
    struct epoll_event events[EPOLL_BATCH];
};

struct loop_backend *loop_backend_create(int setsize, char *err, size_t errlen)
{
    struct loop_backend *b = calloc(1, sizeof(*b));

    (void)setsize;
    if (b == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (b->epfd < 0) {
        snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        free(b);
        return NULL;
    }
    return b;
}

void loop_backend_free(struct loop_backend *b)
{
    if (b == NULL)
        return;
    close(b->epfd);
    free(b);
}

int loop_backend_set(struct loop_backend *b, int fd, int oldmask, int newmask)
{
    struct epoll_event ev;
    int op;

    if (oldmask == newmask)
        return 0;
    memset(&ev, 0, sizeof(ev));
    ev.data.fd = fd;
    if (newmask & LOOP_READABLE)
        ev.events |= EPOLLIN;
    if (newmask & LOOP_WRITABLE)
        ev.events |= EPOLLOUT;
    if (newmask == LOOP_NONE)
        op = EPOLL_CTL_DEL;
    else if (oldmask == LOOP_NONE)
        op = EPOLL_CTL_ADD;
    else
        op = EPOLL_CTL_MOD;
    if (epoll_ctl(b->epfd, op, fd, &ev) != 0) {
        /* A descriptor closed before it was removed is gone from the set. */
        if (op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT))
            return 0;
        return -1;
    }
    return 0;
}

void loop_backend_closing(struct loop_backend *b, int fd)
{
    /* Closing the last descriptor of a file removes it from every epoll
     * set: no EPOLL_CTL_DEL, one system call less per connection. */
    (void)b;
    (void)fd;
}

int loop_backend_poll(struct loop_backend *b, int timeout_ms, struct loop_fired *fired, int max)
{
    int n, i;

    if (max > EPOLL_BATCH)
        max = EPOLL_BATCH;
    n = epoll_wait(b->epfd, b->events, max, timeout_ms);
    if (n < 0)
        return 0; /* EINTR: the caller goes round again */
    for (i = 0; i < n; i++) {
        uint32_t e = b->events[i].events;
        int mask = LOOP_NONE;

        if (e & EPOLLIN)
            mask |= LOOP_READABLE;
        if (e & EPOLLOUT)
            mask |= LOOP_WRITABLE;
        if (e & (EPOLLERR | EPOLLHUP))
            mask |= LOOP_READABLE | LOOP_WRITABLE;
        fired[i].fd = b->events[i].data.fd;
        fired[i].mask = mask;
    }
    return n;
}

const char *loop_backend_name(void)
{
    return "epoll";
}
