/* Recording helpers shared by the pthread and the C11 lock-and-wait
 * families: condition waits (cond.c, used by cnd_* in c11.c), one-time
 * initialisation (once.c, used by call_once in c11.c) and the timeout
 * checks that keep try-first acquisitions faithful.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#ifndef CTRACE_PRELOAD_LOCKWAIT_H
#define CTRACE_PRELOAD_LOCKWAIT_H

#include "acquire.h"

#include <time.h>

/* Resolve a real function into a file-scope pointer on first use. */
#define SHIM_RESOLVE(var, name)                                                \
    do {                                                                       \
        if (SHIM_UNLIKELY(!(var)))                                             \
            (var) = shim_dlsym(name, NULL);                                    \
    } while (0)

/* Record an event if the calling thread is being recorded, for wrappers
 * that have not looked up their writer.  (Recording leaves errno alone.) */
static inline void shim_record(uint32_t type, const void *obj, uint64_t site,
                               uint32_t arg)
{
    struct trace_thread_writer *w = shim_writer();
    if (w)
        shim_event(w, type, obj, site, arg);
}

/* The same for a release (a TF_SEQ event stamped before the real call). */
static inline void shim_record_release(uint32_t type, const void *obj,
                                       uint64_t site, uint32_t arg)
{
    struct trace_thread_writer *w = shim_writer();
    if (w)
        shim_event_release(w, type, obj, site, arg);
}

/* Whether the real timed call would accept (clock, abstime) at all.  glibc
 * checks them before trying to acquire, so a try-first wrapper must not
 * acquire where the real call would have said EINVAL: when this is false
 * the wrapper makes the real call and records its answer. */
static inline bool shim_timeout_valid(long clock, const struct timespec *t)
{
    return (clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC) &&
           t->tv_nsec >= 0 && t->tv_nsec < 1000000000L;
}

/* shim_acquire() for calls that may be timed: a timed call whose timeout
 * the real call would reject is made as is (no try first) and its
 * answer recorded.  The block call's `b` is the clock of a timed call
 * (CLOCK_REALTIME for the *timed* variants).  A NULL timeout is left to
 * the real call (glibc's rwlocks take it as "no timeout"). */
static inline int shim_acquire_checked(struct trace_thread_writer *w,
                                       const struct shim_acquire_spec *spec,
                                       void *obj, uint64_t site,
                                       const struct shim_block_call *call)
{
    if (call->timed && call->a && !shim_timeout_valid(call->b, call->a))
        return shim_try_result(w, spec, obj, site,
                               call->fn(obj, call->a, call->b));
    return shim_acquire(w, spec, obj, site, call);
}

/* The real condition wait, with whatever extra arguments it takes. */
struct shim_cond_call {
    int (*fn)(void *cond, void *mutex, const void *abstime, long clock);
    const void *abstime;
    long clock;
    uint32_t timed; /* arg of cond-wait: 0 wait, 1 timed */
};

/* A condition wait: mutex-release (TRACE_REL_COND) and cond-wait before
 * the real call, cond-wake (arg: error number of the result) and
 * mutex-acquire after it, also when the thread is cancelled inside the
 * wait (cond-wake ECANCELED: the mutex is re-acquired before the
 * cancellation handlers run).  Returns the real result, errno as the
 * real call left it. */
int shim_cond_wait(struct trace_thread_writer *w, enum shim_result_style style,
                   void *cond, void *mutex, uint64_t site,
                   const struct shim_cond_call *call);

/* One-time initialisation: once-enter before the real call; the init
 * routine runs through a trampoline that records once-run before it and
 * once-done (arg 1, the release) after it; a thread that did not run it
 * records once-done (arg 0, the acquire) after the real call.  `call`
 * makes the real call with the routine it is given. */
int shim_once(struct trace_thread_writer *w, void *flag, void (*init)(void),
              uint64_t site, int (*call)(void *flag, void (*init)(void)));

#endif
