/*
 * fotad's event loop: one thread, file-descriptor events and timers, typed
 * callbacks with a data pointer. The readiness backend (epoll) lives in
 * loop_epoll.c behind the small interface at the end of this header.
 *
 * Contract for callbacks: a callback may add or remove events, arm or disarm
 * timers and close descriptors (its own or others'). An fd callback may be
 * called with an event that is no longer true (the fd was closed and its
 * number reused within the same round): handlers treat EAGAIN as "nothing
 * now", as they must with non-blocking sockets anyway.
 */
#ifndef FOTAD_LOOP_H
#define FOTAD_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define LOOP_NONE 0
#define LOOP_READABLE 1
#define LOOP_WRITABLE 2

struct loop;
struct loop_timer;

/* mask: the events that fired (LOOP_READABLE and/or LOOP_WRITABLE, only
 * those registered; an error or hang-up on fd fires every registered one). */
typedef void loop_fd_proc(struct loop *loop, int fd, void *data, int mask);
typedef void loop_timer_proc(struct loop *loop, struct loop_timer *timer, void *data);
typedef void loop_round_proc(struct loop *loop, void *data);

#define LOOP_TIMER_IDLE ((size_t)-1)

/* A timer lives in the caller's memory (typically inside a connection's
 * struct), so arming one allocates nothing per connection. Initialise with
 * loop_timer_init before use; disarm it before freeing the memory. */
struct loop_timer {
    uint64_t when;         /* expiry, monotonic milliseconds (when armed) */
    size_t index;          /* slot in the loop's heap, LOOP_TIMER_IDLE if not armed */
    loop_timer_proc *proc;
    void *data;
};

/* A loop for descriptors 0 .. setsize-1. Returns NULL with the reason in err
 * (errlen bytes). */
struct loop *loop_create(int setsize, char *err, size_t errlen);

/* Frees the loop (not the descriptors or timers registered in it). */
void loop_destroy(struct loop *loop);

/* Watches fd for the events in mask, added to those already watched; proc
 * and data replace the fd's previous ones. Returns 0, or -1 with errno
 * (ERANGE: fd >= setsize). */
int loop_fd_add(struct loop *loop, int fd, int mask, loop_fd_proc *proc, void *data);

/* Stops watching fd for the events in mask (LOOP_READABLE | LOOP_WRITABLE to
 * forget it; do so before closing fd). */
void loop_fd_del(struct loop *loop, int fd, int mask);

/* Forgets fd and closes it: loop_fd_del of every event, then close, without
 * telling the backend first when closing is enough (epoll drops a closed
 * descriptor by itself; fd must not be duplicated, in this process or
 * another). */
void loop_fd_close(struct loop *loop, int fd);

/* The events watched on fd (LOOP_NONE when it is not registered). */
int loop_fd_mask(const struct loop *loop, int fd);

/* Sets the callback of a timer that is not armed. */
void loop_timer_init(struct loop_timer *timer, loop_timer_proc *proc, void *data);

/* Arms (or re-arms) the timer to fire once, ms milliseconds from now. A timer
 * fires at the earliest in the loop's next round, never from within this
 * call. Returns 0 or -1 (out of memory: the heap grows with the number of
 * armed timers). */
int loop_timer_arm(struct loop *loop, struct loop_timer *timer, uint64_t ms);

/* Disarms the timer (nothing when it is not armed). */
void loop_timer_disarm(struct loop *loop, struct loop_timer *timer);

static inline int loop_timer_armed(const struct loop_timer *timer)
{
    return timer->index != LOOP_TIMER_IDLE;
}

/* Calls proc(loop, data) at the end of every round, after its fd callbacks
 * and due timers and before the loop waits again (NULL: none). What the
 * round's callbacks left to finish together goes there: one commit for all
 * of the round's store writes, the answers that waited for it, the log. It
 * may add or remove events and arm timers like any callback; its own
 * writes are not followed by another call until the next round. */
void loop_set_round_end(struct loop *loop, loop_round_proc *proc, void *data);

/* Interrupt moderation for a busy loop: after a round that ran an fd
 * callback, the loop sleeps us microseconds (less when a timer is due
 * sooner) and then takes what is ready without waiting, so that a round
 * finds the events of many connections at once rather than waking for each
 * as it comes: fewer wake-ups, fewer and fuller reads and writes, for at
 * most us of added latency. After a round without fd events the loop waits
 * as usual. us 0: off (the default). */
void loop_set_gather(struct loop *loop, unsigned us);

/* Monotonic clock in milliseconds. */
uint64_t loop_now_ms(void);

/* Waits for events and due timers and calls their callbacks, round after
 * round, until loop_stop. */
void loop_run(struct loop *loop);

/* One round: waits at most timeout_ms (-1: until the next timer or event),
 * then runs the fd callbacks, the due timers and the round-end callback.
 * Returns the number of fd and timer callbacks run. */
int loop_run_once(struct loop *loop, int timeout_ms);

/* Makes loop_run return after the current round. */
void loop_stop(struct loop *loop);

/* ---- Backend interface (loop.c and loop_epoll.c only) ---------------- */

struct loop_fired {
    int fd;
    int mask;
};

struct loop_backend;

struct loop_backend *loop_backend_create(int setsize, char *err, size_t errlen);
void loop_backend_free(struct loop_backend *backend);
/* Moves fd from watching oldmask to newmask (either may be LOOP_NONE).
 * Returns 0 or -1 with errno. */
int loop_backend_set(struct loop_backend *backend, int fd, int oldmask, int newmask);
/* fd, registered or not, is about to be closed. */
void loop_backend_closing(struct loop_backend *backend, int fd);
/* Waits at most timeout_ms (-1: forever) and fills at most max entries of
 * fired. Returns the count (0 after a timeout or a signal). */
int loop_backend_poll(struct loop_backend *backend, int timeout_ms, struct loop_fired *fired,
                      int max);
const char *loop_backend_name(void);

#endif
