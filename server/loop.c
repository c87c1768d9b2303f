/*
 * fotad's event loop (see loop.h): a table of watched descriptors indexed
 * by fd, and a binary min-heap of armed timers ordered by expiry. The heap
 * holds pointers to timers that live in their owners' memory; each timer
 * knows its slot, so disarming is O(log n) without a search.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

/* Fired events handled per round. */
#define LOOP_FIRED_MAX 1024

struct loop_fd {
    int mask;
    loop_fd_proc *proc;
    void *data;
};

struct loop {
    int setsize;
    int stop;
    struct loop_fd *fds;
    struct loop_backend *backend;
    struct loop_fired fired[LOOP_FIRED_MAX];
    struct loop_timer **heap;
    size_t heap_len;
    size_t heap_cap;
    loop_round_proc *round_end;
    void *round_data;
    unsigned gather_us;
    int last_fd_ran;    /* fd callbacks run in the last round */
};

uint64_t loop_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_create(int setsize, char *err, size_t errlen)
{
    struct loop *loop;

    if (setsize <= 0) {
        snprintf(err, errlen, "bad descriptor set size %d", setsize);
        return NULL;
    }
    loop = calloc(1, sizeof(*loop));
    if (loop == NULL || (loop->fds = calloc((size_t)setsize, sizeof(*loop->fds))) == NULL) {
        free(loop);
        snprintf(err, errlen, "out of memory for an event loop of %d descriptors", setsize);
        return NULL;
    }
    loop->setsize = setsize;
    loop->backend = loop_backend_create(setsize, err, errlen);
    if (loop->backend == NULL) {
        free(loop->fds);
        free(loop);
        return NULL;
    }
    return loop;
}

void loop_destroy(struct loop *loop)
{
    size_t i;

    if (loop == NULL)
        return;
    for (i = 0; i < loop->heap_len; i++)
        loop->heap[i]->index = LOOP_TIMER_IDLE;
    loop_backend_free(loop->backend);
    free(loop->heap);
    free(loop->fds);
    free(loop);
}

/* ---- descriptors ----------------------------------------------------- */

int loop_fd_add(struct loop *loop, int fd, int mask, loop_fd_proc *proc, void *data)
{
    struct loop_fd *fe;

    if (fd < 0 || fd >= loop->setsize) {
        errno = ERANGE;
        return -1;
    }
    fe = &loop->fds[fd];
    if (loop_backend_set(loop->backend, fd, fe->mask, fe->mask | mask) != 0)
        return -1;
    fe->mask |= mask;
    fe->proc = proc;
    fe->data = data;
    return 0;
}

void loop_fd_del(struct loop *loop, int fd, int mask)
{
    struct loop_fd *fe;
    int newmask;

    if (fd < 0 || fd >= loop->setsize)
        return;
    fe = &loop->fds[fd];
    newmask = fe->mask & ~mask;
    /* Removing can only fail for a descriptor the kernel has forgotten. */
    (void)loop_backend_set(loop->backend, fd, fe->mask, newmask);
    fe->mask = newmask;
    if (newmask == LOOP_NONE) {
        fe->proc = NULL;
        fe->data = NULL;
    }
}

void loop_fd_close(struct loop *loop, int fd)
{
    if (fd >= 0 && fd < loop->setsize) {
        loop_backend_closing(loop->backend, fd);
        loop->fds[fd].mask = LOOP_NONE;
        loop->fds[fd].proc = NULL;
        loop->fds[fd].data = NULL;
    }
    close(fd);
}

int loop_fd_mask(const struct loop *loop, int fd)
{
    if (fd < 0 || fd >= loop->setsize)
        return LOOP_NONE;
    return loop->fds[fd].mask;
}

/* ---- timers: a min-heap on (when) ------------------------------------ */

static void heap_place(struct loop *loop, size_t i, struct loop_timer *t)
{
    loop->heap[i] = t;
    t->index = i;
}

static void heap_up(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (loop->heap[parent]->when <= t->when)
            break;
        heap_place(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_place(loop, i, t);
}

static void heap_down(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];

    for (;;) {
        size_t child = 2 * i + 1;

        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len && loop->heap[child + 1]->when < loop->heap[child]->when)
            child++;
        if (t->when <= loop->heap[child]->when)
            break;
        heap_place(loop, i, loop->heap[child]);
        i = child;
    }
    heap_place(loop, i, t);
}

void loop_timer_init(struct loop_timer *timer, loop_timer_proc *proc, void *data)
{
    timer->when = 0;
    timer->index = LOOP_TIMER_IDLE;
    timer->proc = proc;
    timer->data = data;
}

void loop_timer_disarm(struct loop *loop, struct loop_timer *timer)
{
    size_t i = timer->index;
    struct loop_timer *last;

    if (i == LOOP_TIMER_IDLE)
        return;
    timer->index = LOOP_TIMER_IDLE;
    last = loop->heap[--loop->heap_len];
    if (last == timer)
        return;
    /* The last timer fills the hole, then moves to where it belongs. */
    heap_place(loop, i, last);
    if (i > 0 && loop->heap[(i - 1) / 2]->when > last->when)
        heap_up(loop, i);
    else
        heap_down(loop, i);
}

int loop_timer_arm(struct loop *loop, struct loop_timer *timer, uint64_t ms)
{
    /* At least 1 ms: a timer armed from a timer callback cannot fire again
     * in the same round (see loop_run_once). */
    uint64_t when = loop_now_ms() + (ms > 0 ? ms : 1);

    if (timer->index != LOOP_TIMER_IDLE) {
        uint64_t old = timer->when;

        timer->when = when;
        if (when < old)
            heap_up(loop, timer->index);
        else
            heap_down(loop, timer->index);
        return 0;
    }
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        struct loop_timer **heap = realloc(loop->heap, cap * sizeof(*heap));

        if (heap == NULL)
            return -1;
        loop->heap = heap;
        loop->heap_cap = cap;
    }
    timer->when = when;
    loop->heap[loop->heap_len] = timer;
    timer->index = loop->heap_len++;
    heap_up(loop, timer->index);
    return 0;
}

/* Runs the timers due at now. Timers armed by these callbacks expire after
 * now (loop_timer_arm adds at least 1 ms to a clock that does not go back),
 * so the loop ends. */
static int timers_run(struct loop *loop, uint64_t now)
{
    int ran = 0;

    while (loop->heap_len > 0 && loop->heap[0]->when <= now) {
        struct loop_timer *t = loop->heap[0];

        loop_timer_disarm(loop, t);
        t->proc(loop, t, t->data);
        ran++;
    }
    return ran;
}

/* ---- running --------------------------------------------------------- */

void loop_set_round_end(struct loop *loop, loop_round_proc *proc, void *data)
{
    loop->round_end = proc;
    loop->round_data = data;
}

void loop_set_gather(struct loop *loop, unsigned us)
{
    loop->gather_us = us;
}

/* After a busy round, lets events gather (see loop_set_gather). Returns the
 * poll's timeout: 0 after the pause (what is ready then is the round; when
 * nothing is, the next round waits as usual), else timeout_ms. */
static int gather(struct loop *loop, int timeout_ms)
{
    struct timespec ts;
    uint64_t us = loop->gather_us;

    if (us == 0 || loop->last_fd_ran == 0 || timeout_ms == 0)
        return timeout_ms;
    if (timeout_ms > 0 && (uint64_t)timeout_ms * 1000u < us)
        us = (uint64_t)timeout_ms * 1000u; /* a timer is due sooner */
    ts.tv_sec = (time_t)(us / 1000000u);
    ts.tv_nsec = (long)(us % 1000000u) * 1000L;
    nanosleep(&ts, NULL);
    return 0;
}

int loop_run_once(struct loop *loop, int timeout_ms)
{
    int n, i, ran = 0;

    if (loop->heap_len > 0) {
        uint64_t now = loop_now_ms(), when = loop->heap[0]->when;
        int until = when <= now ? 0 : (when - now > 60000 ? 60000 : (int)(when - now));

        if (timeout_ms < 0 || until < timeout_ms)
            timeout_ms = until;
    }
    timeout_ms = gather(loop, timeout_ms);
    n = loop_backend_poll(loop->backend, timeout_ms, loop->fired, LOOP_FIRED_MAX);
    for (i = 0; i < n; i++) {
        int fd = loop->fired[i].fd;
        struct loop_fd *fe = &loop->fds[fd];
        int mask = fe->mask & loop->fired[i].mask;

        /* An earlier callback of this round may have removed fd. */
        if (mask != LOOP_NONE && fe->proc != NULL) {
            fe->proc(loop, fd, fe->data, mask);
            ran++;
        }
    }
    loop->last_fd_ran = ran;
    ran += timers_run(loop, loop_now_ms());
    if (loop->round_end != NULL)
        loop->round_end(loop, loop->round_data);
    return ran;
}

void loop_run(struct loop *loop)
{
    loop->stop = 0;
    while (!loop->stop)
        loop_run_once(loop, -1);
}

void loop_stop(struct loop *loop)
{
    loop->stop = 1;
}
