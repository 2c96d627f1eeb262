/* pthread barrier interception: init, destroy and wait.  barrier-wait
 * (a release, with its sequence number) is recorded before the real
 * call, barrier-leave (the acquire) after it: every thread's arrival is
 * numbered before any thread leaves.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "lockwait.h"

#include <pthread.h>

SHIM_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    static int (*real)(pthread_barrier_t *);
    SHIM_RESOLVE(real, "pthread_barrier_wait");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(b);
    uint64_t site = SHIM_SITE;
    shim_event_release(w, TRACE_EV_BARRIER_WAIT, b, site, 0);
    int rc = real(b);
    shim_event_acquire(w, TRACE_EV_BARRIER_LEAVE, b, site,
                       rc == PTHREAD_BARRIER_SERIAL_THREAD);
    return rc;
}

SHIM_EXPORT int pthread_barrier_init(pthread_barrier_t *b,
                                     const pthread_barrierattr_t *attr,
                                     unsigned int count)
{
    static int (*real)(pthread_barrier_t *, const pthread_barrierattr_t *,
                       unsigned int);
    SHIM_RESOLVE(real, "pthread_barrier_init");
    int rc = real(b, attr, count);
    if (rc == 0)
        shim_record(TRACE_EV_BARRIER_INIT, b, SHIM_SITE, count);
    return rc;
}

SHIM_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
    static int (*real)(pthread_barrier_t *);
    SHIM_RESOLVE(real, "pthread_barrier_destroy");
    int rc = real(b);
    shim_record(TRACE_EV_BARRIER_DESTROY, b, SHIM_SITE, (uint32_t)rc);
    return rc;
}
