/* pthread mutex interception: init (type, pshared, robust), destroy,
 * lock, trylock, timedlock, clocklock and unlock.  Statically
 * initialised mutexes need nothing here: their first event is their
 * first use, and the analyzer treats an object seen without init as
 * statically initialised.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  The uncontended lock is
 * the hot path: one trylock, one record. */
#include "acquire.h"
#include "lockwait.h"

#include <pthread.h>
#include <time.h>

static int (*real_trylock)(pthread_mutex_t *);
static int (*real_lock)(pthread_mutex_t *);
static int (*real_timedlock)(pthread_mutex_t *, const struct timespec *);
static int (*real_clocklock)(pthread_mutex_t *, clockid_t,
                             const struct timespec *);

static int try_mutex(void *m) { return real_trylock(m); }

static int block_lock(void *m, const void *a, long b)
{
    (void)a;
    (void)b;
    return real_lock(m);
}

static int block_timedlock(void *m, const void *abstime, long b)
{
    (void)b;
    return real_timedlock(m, abstime);
}

static int block_clocklock(void *m, const void *abstime, long clock)
{
    return real_clocklock(m, (clockid_t)clock, abstime);
}

static const struct shim_acquire_spec mutex_spec = {
    TRACE_EV_MUTEX_WAIT, TRACE_EV_MUTEX_ACQUIRE,
    TRACE_EV_MUTEX_FAIL, EBUSY,
    SHIM_RC_PTHREAD,     try_mutex,
};

static void resolve_trylock(void)
{
    if (SHIM_UNLIKELY(!real_trylock))
        real_trylock = shim_dlsym("pthread_mutex_trylock", NULL);
}

/* The hot path: an uncontended lock is one trylock and one record; the
 * rest (contention, errors) is shim_acquire's. */
SHIM_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (SHIM_UNLIKELY(!real_lock))
        real_lock = shim_dlsym("pthread_mutex_lock", NULL);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_lock(m);
    resolve_trylock();
    int rc = real_trylock(m);
    if (SHIM_LIKELY(rc == 0)) {
        shim_event_acquire(w, TRACE_EV_MUTEX_ACQUIRE, m, SHIM_SITE,
                           TRACE_ACQ_LOCK);
        return 0;
    }
    const struct shim_block_call call = {block_lock, NULL, 0, 0};
    return shim_acquire_after_try(w, &mutex_spec, m, SHIM_SITE, &call, rc);
}

SHIM_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m,
                                        const struct timespec *abstime)
{
    if (SHIM_UNLIKELY(!real_timedlock))
        real_timedlock = shim_dlsym("pthread_mutex_timedlock", NULL);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_timedlock(m, abstime);
    resolve_trylock();
    const struct shim_block_call call = {block_timedlock, abstime,
                                         CLOCK_REALTIME, 1};
    return shim_acquire_checked(w, &mutex_spec, m, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                        const struct timespec *abstime)
{
    if (SHIM_UNLIKELY(!real_clocklock))
        real_clocklock = shim_dlsym("pthread_mutex_clocklock", NULL);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_clocklock(m, clock, abstime);
    resolve_trylock();
    const struct shim_block_call call = {block_clocklock, abstime, clock, 1};
    return shim_acquire_checked(w, &mutex_spec, m, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    resolve_trylock();
    int rc = real_trylock(m);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return rc;
    return shim_try_result(w, &mutex_spec, m, SHIM_SITE, rc);
}

SHIM_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    SHIM_REAL(pthread_mutex_unlock);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(m);
    uint64_t site = SHIM_SITE;
    shim_event_release(w, TRACE_EV_MUTEX_RELEASE, m, site, 0);
    int rc = real(m);
    if (SHIM_UNLIKELY(rc != 0))
        shim_event(w, TRACE_EV_MUTEX_RELEASE_FAIL, m, site, (uint32_t)rc);
    return rc;
}

static uint32_t mutex_attr_bits(const pthread_mutexattr_t *attr)
{
    if (!attr)
        return PTHREAD_MUTEX_DEFAULT;
    int type = PTHREAD_MUTEX_DEFAULT, pshared = 0, robust = 0;
    pthread_mutexattr_gettype(attr, &type);
    pthread_mutexattr_getpshared(attr, &pshared);
    pthread_mutexattr_getrobust(attr, &robust);
    return ((uint32_t)type & TRACE_MUTEX_TYPE_MASK) |
           (pshared == PTHREAD_PROCESS_SHARED ? TRACE_MUTEX_PSHARED : 0) |
           (robust == PTHREAD_MUTEX_ROBUST ? TRACE_MUTEX_ROBUST : 0);
}

SHIM_EXPORT int pthread_mutex_init(pthread_mutex_t *m,
                                   const pthread_mutexattr_t *attr)
{
    SHIM_REAL(pthread_mutex_init);
    int rc = real(m, attr);
    struct trace_thread_writer *w = shim_writer();
    if (w && rc == 0)
        shim_event(w, TRACE_EV_MUTEX_INIT, m, SHIM_SITE, mutex_attr_bits(attr));
    return rc;
}

SHIM_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    SHIM_REAL(pthread_mutex_destroy);
    int rc = real(m);
    struct trace_thread_writer *w = shim_writer();
    if (w)
        shim_event(w, TRACE_EV_MUTEX_DESTROY, m, SHIM_SITE, (uint32_t)rc);
    return rc;
}
