/* pthread rwlock interception: init, destroy, rdlock, wrlock, their try,
 * timed and clock variants, and unlock.  Blocking acquisitions go
 * through shim_acquire (acquire.h): try first, rwlock-rdwait/-wrwait only
 * when the lock is busy.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "lockwait.h"

#include <pthread.h>

static int (*real_tryrdlock)(pthread_rwlock_t *);
static int (*real_trywrlock)(pthread_rwlock_t *);
static int (*real_rdlock)(pthread_rwlock_t *);
static int (*real_wrlock)(pthread_rwlock_t *);
static int (*real_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_clockrdlock)(pthread_rwlock_t *, clockid_t,
                               const struct timespec *);
static int (*real_clockwrlock)(pthread_rwlock_t *, clockid_t,
                               const struct timespec *);

static int try_rd(void *rw) { return real_tryrdlock(rw); }
static int try_wr(void *rw) { return real_trywrlock(rw); }

static const struct shim_acquire_spec rd_spec = {
    TRACE_EV_RWLOCK_RDWAIT, TRACE_EV_RWLOCK_RDACQUIRE,
    TRACE_EV_RWLOCK_FAIL,   EBUSY,
    SHIM_RC_PTHREAD,        try_rd,
};

static const struct shim_acquire_spec wr_spec = {
    TRACE_EV_RWLOCK_WRWAIT, TRACE_EV_RWLOCK_WRACQUIRE,
    TRACE_EV_RWLOCK_FAIL,   EBUSY,
    SHIM_RC_PTHREAD,        try_wr,
};

/* The real blocking calls, in shim_block_call's shape (b: the clock). */
static int block_rd(void *rw, const void *abstime, long clock)
{
    (void)abstime;
    (void)clock;
    return real_rdlock(rw);
}

static int block_wr(void *rw, const void *abstime, long clock)
{
    (void)abstime;
    (void)clock;
    return real_wrlock(rw);
}

static int block_timedrd(void *rw, const void *abstime, long clock)
{
    (void)clock;
    return real_timedrdlock(rw, abstime);
}

static int block_timedwr(void *rw, const void *abstime, long clock)
{
    (void)clock;
    return real_timedwrlock(rw, abstime);
}

static int block_clockrd(void *rw, const void *abstime, long clock)
{
    return real_clockrdlock(rw, (clockid_t)clock, abstime);
}

static int block_clockwr(void *rw, const void *abstime, long clock)
{
    return real_clockwrlock(rw, (clockid_t)clock, abstime);
}

static void resolve_try(void)
{
    SHIM_RESOLVE(real_tryrdlock, "pthread_rwlock_tryrdlock");
    SHIM_RESOLVE(real_trywrlock, "pthread_rwlock_trywrlock");
}

/* Shared body of the blocking wrappers. */
static int rw_acquire(const struct shim_acquire_spec *spec,
                      pthread_rwlock_t *rw, uint64_t site,
                      const struct shim_block_call *call)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return call->fn(rw, call->a, call->b);
    resolve_try();
    return shim_acquire_checked(w, spec, rw, site, call);
}

SHIM_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
    SHIM_RESOLVE(real_rdlock, "pthread_rwlock_rdlock");
    const struct shim_block_call call = {block_rd, NULL, 0, 0};
    return rw_acquire(&rd_spec, rw, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
    SHIM_RESOLVE(real_wrlock, "pthread_rwlock_wrlock");
    const struct shim_block_call call = {block_wr, NULL, 0, 0};
    return rw_acquire(&wr_spec, rw, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *rw,
                                           const struct timespec *abstime)
{
    SHIM_RESOLVE(real_timedrdlock, "pthread_rwlock_timedrdlock");
    const struct shim_block_call call = {block_timedrd, abstime, CLOCK_REALTIME,
                                         1};
    return rw_acquire(&rd_spec, rw, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *rw,
                                           const struct timespec *abstime)
{
    SHIM_RESOLVE(real_timedwrlock, "pthread_rwlock_timedwrlock");
    const struct shim_block_call call = {block_timedwr, abstime, CLOCK_REALTIME,
                                         1};
    return rw_acquire(&wr_spec, rw, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *rw,
                                           clockid_t clock,
                                           const struct timespec *abstime)
{
    SHIM_RESOLVE(real_clockrdlock, "pthread_rwlock_clockrdlock");
    const struct shim_block_call call = {block_clockrd, abstime, clock, 1};
    return rw_acquire(&rd_spec, rw, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *rw,
                                           clockid_t clock,
                                           const struct timespec *abstime)
{
    SHIM_RESOLVE(real_clockwrlock, "pthread_rwlock_clockwrlock");
    const struct shim_block_call call = {block_clockwr, abstime, clock, 1};
    return rw_acquire(&wr_spec, rw, SHIM_SITE, &call);
}

/* Shared body of the try wrappers: the program's own attempt. */
static int rw_try(const struct shim_acquire_spec *spec, pthread_rwlock_t *rw,
                  uint64_t site)
{
    resolve_try();
    int rc = spec->try_fn(rw);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return rc;
    return shim_try_result(w, spec, rw, site, rc);
}

SHIM_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw)
{
    return rw_try(&rd_spec, rw, SHIM_SITE);
}

SHIM_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *rw)
{
    return rw_try(&wr_spec, rw, SHIM_SITE);
}

SHIM_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
    static int (*real)(pthread_rwlock_t *);
    SHIM_RESOLVE(real, "pthread_rwlock_unlock");
    shim_record_release(TRACE_EV_RWLOCK_RELEASE, rw, SHIM_SITE, 0);
    return real(rw);
}

SHIM_EXPORT int pthread_rwlock_init(pthread_rwlock_t *rw,
                                    const pthread_rwlockattr_t *attr)
{
    static int (*real)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
    SHIM_RESOLVE(real, "pthread_rwlock_init");
    int rc = real(rw, attr);
    if (rc == 0) {
        int pshared = PTHREAD_PROCESS_PRIVATE;
        if (attr)
            pthread_rwlockattr_getpshared(attr, &pshared);
        shim_record(TRACE_EV_RWLOCK_INIT, rw, SHIM_SITE,
                    pshared == PTHREAD_PROCESS_SHARED);
    }
    return rc;
}

SHIM_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
    static int (*real)(pthread_rwlock_t *);
    SHIM_RESOLVE(real, "pthread_rwlock_destroy");
    int rc = real(rw);
    shim_record(TRACE_EV_RWLOCK_DESTROY, rw, SHIM_SITE, (uint32_t)rc);
    return rc;
}
