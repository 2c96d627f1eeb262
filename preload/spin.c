/* pthread spinlock interception: init, destroy, lock, trylock, unlock.
 * A lock tries first (shim_acquire, acquire.h) and records spin-wait only
 * when the lock is busy.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "lockwait.h"

#include <pthread.h>

static int (*real_trylock)(pthread_spinlock_t *);
static int (*real_lock)(pthread_spinlock_t *);

static int try_spin(void *s) { return real_trylock(s); }

static int block_spin(void *s, const void *a, long b)
{
    (void)a;
    (void)b;
    return real_lock(s);
}

static const struct shim_acquire_spec spin_spec = {
    TRACE_EV_SPIN_WAIT, TRACE_EV_SPIN_ACQUIRE,
    TRACE_EV_SPIN_FAIL, EBUSY,
    SHIM_RC_PTHREAD,    try_spin,
};

SHIM_EXPORT int pthread_spin_lock(pthread_spinlock_t *s)
{
    SHIM_RESOLVE(real_lock, "pthread_spin_lock");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_lock(s);
    SHIM_RESOLVE(real_trylock, "pthread_spin_trylock");
    const struct shim_block_call call = {block_spin, NULL, 0, 0};
    return shim_acquire(w, &spin_spec, (void *)s, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_spin_trylock(pthread_spinlock_t *s)
{
    SHIM_RESOLVE(real_trylock, "pthread_spin_trylock");
    int rc = real_trylock(s);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return rc;
    return shim_try_result(w, &spin_spec, (void *)s, SHIM_SITE, rc);
}

SHIM_EXPORT int pthread_spin_unlock(pthread_spinlock_t *s)
{
    static int (*real)(pthread_spinlock_t *);
    SHIM_RESOLVE(real, "pthread_spin_unlock");
    shim_record_release(TRACE_EV_SPIN_RELEASE, (void *)s, SHIM_SITE, 0);
    return real(s);
}

SHIM_EXPORT int pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
    static int (*real)(pthread_spinlock_t *, int);
    SHIM_RESOLVE(real, "pthread_spin_init");
    int rc = real(s, pshared);
    if (rc == 0)
        shim_record(TRACE_EV_SPIN_INIT, (void *)s, SHIM_SITE,
                    pshared == PTHREAD_PROCESS_SHARED);
    return rc;
}

SHIM_EXPORT int pthread_spin_destroy(pthread_spinlock_t *s)
{
    static int (*real)(pthread_spinlock_t *);
    SHIM_RESOLVE(real, "pthread_spin_destroy");
    int rc = real(s);
    shim_record(TRACE_EV_SPIN_DESTROY, (void *)s, SHIM_SITE, (uint32_t)rc);
    return rc;
}
