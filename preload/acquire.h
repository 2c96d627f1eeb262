/* The one way the shim records a blocking acquisition (mutex, rwlock
 * read/write side, spinlock, semaphore), the way mutrace detects
 * contention: try the non-blocking call first; only when it reports
 * "busy" record a *-wait event and make the blocking call.  Then record
 * the acquisition (with its sequence number, after the real call) or the
 * failure.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  errno is what the real
 * calls left; the return value is the real call's. */
#ifndef CTRACE_PRELOAD_ACQUIRE_H
#define CTRACE_PRELOAD_ACQUIRE_H

#include "shim.h"

#include <threads.h>

/* How a family reports results. */
enum shim_result_style {
    SHIM_RC_PTHREAD, /* returns 0 or an error number */
    SHIM_RC_ERRNO,   /* returns 0, or -1 with errno set (semaphores) */
    SHIM_RC_THRD     /* returns thrd_success/busy/timedout/nomem/error (C11) */
};

struct shim_acquire_spec {
    uint32_t ev_wait, ev_acquire, ev_fail;
    int busy; /* "would block" error: EBUSY/EAGAIN */
    enum shim_result_style style;
    int (*try_fn)(void *obj); /* non-blocking attempt */
};

/* The real blocking call, with whatever extra arguments it takes. */
struct shim_block_call {
    int (*fn)(void *obj, const void *a, long b);
    const void *a;
    long b;
    uint32_t timed; /* arg of the wait event: 0 lock, 1 timed */
};

/* The error number a C11 thrd_* result stands for (the inverse of
 * glibc's mapping; thrd_error stands for any other error: EINVAL). */
static inline int shim_thrd_error(int rc)
{
    switch (rc) {
    case thrd_success:
        return 0;
    case thrd_busy:
        return EBUSY;
    case thrd_timedout:
        return ETIMEDOUT;
    case thrd_nomem:
        return ENOMEM;
    default:
        return EINVAL;
    }
}

/* The error number of a result, 0 on success. */
static inline int shim_result_error(enum shim_result_style style, int rc)
{
    if (style == SHIM_RC_PTHREAD)
        return rc;
    if (style == SHIM_RC_THRD)
        return shim_thrd_error(rc);
    return rc == 0 ? 0 : errno;
}

int shim_acquire(struct trace_thread_writer *w,
                 const struct shim_acquire_spec *spec, void *obj, uint64_t site,
                 const struct shim_block_call *block);

/* The same when the caller already made the non-blocking attempt and it
 * returned `rc`, not a success (the mutex hot path inlines the attempt). */
int shim_acquire_after_try(struct trace_thread_writer *w,
                           const struct shim_acquire_spec *spec, void *obj,
                           uint64_t site, const struct shim_block_call *block,
                           int rc);

/* A non-blocking attempt made by the program itself (trylock,
 * sem_trywait): record the acquisition or the failure. */
int shim_try_result(struct trace_thread_writer *w,
                    const struct shim_acquire_spec *spec, void *obj,
                    uint64_t site, int rc);

#endif
