/* Condition variable interception: init, destroy, signal, broadcast,
 * wait, timedwait and clockwait.  A wait is recorded as the release of
 * its mutex plus cond-wait before the real call, and cond-wake plus the
 * re-acquisition of the mutex after it (shim_cond_wait, shared with the
 * C11 cnd_* wrappers in c11.c).
 *
 * glibc exports two ABIs of pthread_cond_*: the old GLIBC_2.2.5 one (a
 * different, smaller pthread_cond_t) and the current GLIBC_2.3.2 one.
 * Programs link to the current one; an unversioned dlsym could hand us
 * the old one, so every real function is looked up by version.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "lockwait.h"

#include <pthread.h>

#define COND_ABI "GLIBC_2.3.2"

static int (*real_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_timedwait)(pthread_cond_t *, pthread_mutex_t *,
                             const struct timespec *);
static int (*real_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                             const struct timespec *);

static void *cond_dlsym(const char *name) { return shim_dlsym(name, COND_ABI); }

/* ---- the wait, shared with c11.c ---- */

struct cond_frame {
    struct trace_thread_writer *w;
    void *cond, *mutex;
    uint64_t site;
};

/* EPERM: the thread did not own the (error-checking, recursive or
 * robust) mutex, and glibc returned before releasing it, so it takes
 * nothing back either. */
static void cond_wait_end(const struct cond_frame *f, uint32_t err)
{
    shim_event_acquire(f->w, TRACE_EV_COND_WAKE, f->cond, f->site, err);
    if (err != EPERM)
        shim_event_acquire(f->w, TRACE_EV_MUTEX_ACQUIRE, f->mutex, f->site,
                           TRACE_ACQ_LOCK);
}

/* Cancelled inside the wait: the mutex is held again by now. */
static void cond_wait_cancelled(void *f) { cond_wait_end(f, ECANCELED); }

int shim_cond_wait(struct trace_thread_writer *w, enum shim_result_style style,
                   void *cond, void *mutex, uint64_t site,
                   const struct shim_cond_call *call)
{
    struct cond_frame f = {w, cond, mutex, site};
    shim_event_release(w, TRACE_EV_MUTEX_RELEASE, mutex, site, TRACE_REL_COND);
    shim_event(w, TRACE_EV_COND_WAIT, cond, site,
               call->timed ? TRACE_WAIT_TIMED : 0);
    int rc;
    pthread_cleanup_push(cond_wait_cancelled, &f);
    rc = call->fn(cond, mutex, call->abstime, call->clock);
    pthread_cleanup_pop(0);
    cond_wait_end(&f, (uint32_t)shim_result_error(style, rc));
    return rc;
}

/* ---- pthread_cond_* ---- */

static int call_wait(void *c, void *m, const void *abstime, long clock)
{
    (void)abstime;
    (void)clock;
    return real_wait(c, m);
}

static int call_timedwait(void *c, void *m, const void *abstime, long clock)
{
    (void)clock;
    return real_timedwait(c, m, abstime);
}

static int call_clockwait(void *c, void *m, const void *abstime, long clock)
{
    return real_clockwait(c, m, (clockid_t)clock, abstime);
}

SHIM_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    if (SHIM_UNLIKELY(!real_wait))
        real_wait = cond_dlsym("pthread_cond_wait");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_wait(c, m);
    const struct shim_cond_call call = {call_wait, NULL, 0, 0};
    return shim_cond_wait(w, SHIM_RC_PTHREAD, c, m, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                       const struct timespec *abstime)
{
    if (SHIM_UNLIKELY(!real_timedwait))
        real_timedwait = cond_dlsym("pthread_cond_timedwait");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_timedwait(c, m, abstime);
    const struct shim_cond_call call = {call_timedwait, abstime, CLOCK_REALTIME,
                                        1};
    return shim_cond_wait(w, SHIM_RC_PTHREAD, c, m, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
                                       clockid_t clock,
                                       const struct timespec *abstime)
{
    if (SHIM_UNLIKELY(!real_clockwait))
        real_clockwait = shim_dlsym("pthread_cond_clockwait", "GLIBC_2.30");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_clockwait(c, m, clock, abstime);
    const struct shim_cond_call call = {call_clockwait, abstime, clock, 1};
    return shim_cond_wait(w, SHIM_RC_PTHREAD, c, m, SHIM_SITE, &call);
}

SHIM_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    static int (*real)(pthread_cond_t *);
    if (SHIM_UNLIKELY(!real))
        real = cond_dlsym("pthread_cond_signal");
    shim_record_release(TRACE_EV_COND_SIGNAL, c, SHIM_SITE, 0);
    return real(c);
}

SHIM_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    static int (*real)(pthread_cond_t *);
    if (SHIM_UNLIKELY(!real))
        real = cond_dlsym("pthread_cond_broadcast");
    shim_record_release(TRACE_EV_COND_BROADCAST, c, SHIM_SITE, 0);
    return real(c);
}

SHIM_EXPORT int pthread_cond_init(pthread_cond_t *c,
                                  const pthread_condattr_t *attr)
{
    static int (*real)(pthread_cond_t *, const pthread_condattr_t *);
    if (SHIM_UNLIKELY(!real))
        real = cond_dlsym("pthread_cond_init");
    int rc = real(c, attr);
    if (rc == 0) {
        int pshared = PTHREAD_PROCESS_PRIVATE;
        if (attr)
            pthread_condattr_getpshared(attr, &pshared);
        shim_record(TRACE_EV_COND_INIT, c, SHIM_SITE,
                    pshared == PTHREAD_PROCESS_SHARED);
    }
    return rc;
}

SHIM_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
    static int (*real)(pthread_cond_t *);
    if (SHIM_UNLIKELY(!real))
        real = cond_dlsym("pthread_cond_destroy");
    int rc = real(c);
    shim_record(TRACE_EV_COND_DESTROY, c, SHIM_SITE, (uint32_t)rc);
    return rc;
}
