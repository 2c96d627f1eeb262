/* C11 threads interception: thrd_create/join/detach/exit, mtx_*, cnd_*
 * and call_once.  Since glibc 2.34 these call the pthread functions
 * inside libc, not through the PLT, so the pthread wrappers never see
 * them: each is wrapped here and records exactly the events of its
 * pthread equivalent (thread-*, mutex-*, cond-*, once-*), with the same
 * shared helpers (thread.c's start trampoline, acquire.h, cond.c's and
 * once.c's recorders).  thrd_* results are mapped to error numbers
 * (shim_thrd_error) wherever an event carries one.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "lockwait.h"

#include <pthread.h>
#include <threads.h>

/* ---- threads ---- */

/* thrd_create's start routine: runs the shared trampoline, which calls
 * the user's int routine and hands its result back as a pointer. */
static int c11_thread_main(void *st)
{
    return (int)(intptr_t)shim_thread_main(st);
}

SHIM_EXPORT int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    SHIM_REAL(thrd_create);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(thr, fn, arg);
    uint64_t site = SHIM_SITE;
    sigset_t mask;
    struct shim_start *st = shim_thread_prepare(w, NULL, fn, arg, site, &mask);
    if (!st)
        return real(thr, fn, arg);
    int rc = real(thr, c11_thread_main, st);
    shim_thread_launched(&mask);
    if (rc != thrd_success)
        shim_thread_create_failed(w, st, site, (uint32_t)shim_thrd_error(rc));
    return rc;
}

SHIM_EXPORT int thrd_join(thrd_t thr, int *res)
{
    SHIM_REAL(thrd_join);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(thr, res);
    uint64_t site = SHIM_SITE;
    shim_event(w, TRACE_EV_THREAD_JOIN_WAIT, (void *)thr, site, 0);
    int rc = real(thr, res);
    shim_event_acquire(w, TRACE_EV_THREAD_JOIN, (void *)thr, site,
                       (uint32_t)shim_thrd_error(rc));
    return rc;
}

SHIM_EXPORT int thrd_detach(thrd_t thr)
{
    SHIM_REAL(thrd_detach);
    int rc = real(thr);
    shim_record(TRACE_EV_THREAD_DETACH, (void *)thr, SHIM_SITE,
                (uint32_t)shim_thrd_error(rc));
    return rc;
}

SHIM_EXPORT void thrd_exit(int res)
{
    SHIM_REAL(thrd_exit);
    shim_tls.exit_how = TRACE_EXIT_PTHREAD_EXIT;
    real(res);
    __builtin_unreachable();
}

/* ---- mutexes ---- */

static int (*real_mtx_trylock)(mtx_t *);
static int (*real_mtx_lock)(mtx_t *);
static int (*real_mtx_timedlock)(mtx_t *, const struct timespec *);

static int try_mtx(void *m) { return real_mtx_trylock(m); }

static int block_mtx_lock(void *m, const void *abstime, long clock)
{
    (void)abstime;
    (void)clock;
    return real_mtx_lock(m);
}

static int block_mtx_timedlock(void *m, const void *abstime, long clock)
{
    (void)clock;
    return real_mtx_timedlock(m, abstime);
}

static const struct shim_acquire_spec mtx_spec = {
    TRACE_EV_MUTEX_WAIT, TRACE_EV_MUTEX_ACQUIRE,
    TRACE_EV_MUTEX_FAIL, EBUSY,
    SHIM_RC_THRD,        try_mtx,
};

/* Shared body of mtx_lock and mtx_timedlock.  Like pthread_mutex_timedlock,
 * mtx_timedlock takes a free mutex without looking at the timeout, so
 * there is nothing to check before trying. */
static int mtx_acquire(mtx_t *m, uint64_t site,
                       const struct shim_block_call *call)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return call->fn(m, call->a, call->b);
    SHIM_RESOLVE(real_mtx_trylock, "mtx_trylock");
    return shim_acquire(w, &mtx_spec, m, site, call);
}

SHIM_EXPORT int mtx_lock(mtx_t *m)
{
    SHIM_RESOLVE(real_mtx_lock, "mtx_lock");
    const struct shim_block_call call = {block_mtx_lock, NULL, 0, 0};
    return mtx_acquire(m, SHIM_SITE, &call);
}

SHIM_EXPORT int mtx_timedlock(mtx_t *restrict m,
                              const struct timespec *restrict abstime)
{
    SHIM_RESOLVE(real_mtx_timedlock, "mtx_timedlock");
    const struct shim_block_call call = {block_mtx_timedlock, abstime,
                                         CLOCK_REALTIME, 1};
    return mtx_acquire(m, SHIM_SITE, &call);
}

SHIM_EXPORT int mtx_trylock(mtx_t *m)
{
    SHIM_RESOLVE(real_mtx_trylock, "mtx_trylock");
    int rc = real_mtx_trylock(m);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return rc;
    return shim_try_result(w, &mtx_spec, m, SHIM_SITE, rc);
}

SHIM_EXPORT int mtx_unlock(mtx_t *m)
{
    SHIM_REAL(mtx_unlock);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(m);
    uint64_t site = SHIM_SITE;
    shim_event_release(w, TRACE_EV_MUTEX_RELEASE, m, site, 0);
    int rc = real(m);
    if (SHIM_UNLIKELY(rc != thrd_success))
        shim_event(w, TRACE_EV_MUTEX_RELEASE_FAIL, m, site,
                   (uint32_t)shim_thrd_error(rc));
    return rc;
}

SHIM_EXPORT int mtx_init(mtx_t *m, int type)
{
    SHIM_REAL(mtx_init);
    int rc = real(m, type);
    if (rc == thrd_success) /* mutex-init's type bits, as pthread's */
        shim_record(TRACE_EV_MUTEX_INIT, m, SHIM_SITE,
                    (type & mtx_recursive) ? PTHREAD_MUTEX_RECURSIVE
                                           : PTHREAD_MUTEX_DEFAULT);
    return rc;
}

SHIM_EXPORT void mtx_destroy(mtx_t *m)
{
    SHIM_REAL(mtx_destroy);
    real(m);
    shim_record(TRACE_EV_MUTEX_DESTROY, m, SHIM_SITE, 0);
}

/* ---- condition variables ---- */

static int (*real_cnd_wait)(cnd_t *, mtx_t *);
static int (*real_cnd_timedwait)(cnd_t *, mtx_t *, const struct timespec *);

static int call_cnd_wait(void *c, void *m, const void *abstime, long clock)
{
    (void)abstime;
    (void)clock;
    return real_cnd_wait(c, m);
}

static int call_cnd_timedwait(void *c, void *m, const void *abstime, long clock)
{
    (void)clock;
    return real_cnd_timedwait(c, m, abstime);
}

SHIM_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    SHIM_RESOLVE(real_cnd_wait, "cnd_wait");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_cnd_wait(c, m);
    const struct shim_cond_call call = {call_cnd_wait, NULL, 0, 0};
    return shim_cond_wait(w, SHIM_RC_THRD, c, m, SHIM_SITE, &call);
}

SHIM_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                              const struct timespec *restrict abstime)
{
    SHIM_RESOLVE(real_cnd_timedwait, "cnd_timedwait");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_cnd_timedwait(c, m, abstime);
    const struct shim_cond_call call = {call_cnd_timedwait, abstime,
                                        CLOCK_REALTIME, 1};
    return shim_cond_wait(w, SHIM_RC_THRD, c, m, SHIM_SITE, &call);
}

SHIM_EXPORT int cnd_signal(cnd_t *c)
{
    SHIM_REAL(cnd_signal);
    shim_record_release(TRACE_EV_COND_SIGNAL, c, SHIM_SITE, 0);
    return real(c);
}

SHIM_EXPORT int cnd_broadcast(cnd_t *c)
{
    SHIM_REAL(cnd_broadcast);
    shim_record_release(TRACE_EV_COND_BROADCAST, c, SHIM_SITE, 0);
    return real(c);
}

SHIM_EXPORT int cnd_init(cnd_t *c)
{
    SHIM_REAL(cnd_init);
    int rc = real(c);
    if (rc == thrd_success)
        shim_record(TRACE_EV_COND_INIT, c, SHIM_SITE, 0);
    return rc;
}

SHIM_EXPORT void cnd_destroy(cnd_t *c)
{
    SHIM_REAL(cnd_destroy);
    real(c);
    shim_record(TRACE_EV_COND_DESTROY, c, SHIM_SITE, 0);
}

/* ---- call_once ---- */

static void (*real_call_once)(once_flag *, void (*)(void));

static int call_call_once(void *flag, void (*init)(void))
{
    real_call_once(flag, init);
    return 0;
}

SHIM_EXPORT void call_once(once_flag *flag, void (*init)(void))
{
    SHIM_RESOLVE(real_call_once, "call_once");
    struct trace_thread_writer *w = shim_writer();
    if (!w) {
        real_call_once(flag, init);
        return;
    }
    shim_once(w, flag, init, SHIM_SITE, call_call_once);
}
