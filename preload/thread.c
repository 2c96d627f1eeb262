/* Thread interception: creation (through a start trampoline that gives
 * the new thread its writer and records its start and end), pthread_exit,
 * joins, detach and names.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h for the rules.  The
 * trampoline's small argument block is malloc'ed by the creator, as
 * pthread_create itself mallocs; nothing here runs in signal context. */
#include "python.h"
#include "shim.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

struct shim_start {
    void *(*fn)(void *);
    int (*c11_fn)(void *); /* thrd_create's routine (c11.c), when !fn */
    void *arg;
    uint32_t serial;
    uint32_t creator_serial;
    sigset_t mask; /* the creator's signal mask, which the thread gets */
};

void shim_stack_learn(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    shim_enter(); /* pthread_getattr_np mallocs */
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            shim_tls.stack_lo = (uintptr_t)addr;
            shim_tls.stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    shim_leave();
}

static void thread_exit_emit(uint32_t how)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    shim_event_seq(w, TRACE_EV_THREAD_EXIT, (void *)pthread_self(), 0, how);
}

/* The cleanup handler: pthread_exit (which says so) or cancellation.
 * (TRACE_EXIT_RETURN is 0, so a return cannot be told by exit_how.) */
static void thread_exit_record(void *unused)
{
    (void)unused;
    thread_exit_emit(shim_tls.exit_how ? shim_tls.exit_how : TRACE_EXIT_CANCEL);
}

void *shim_thread_main(void *p)
{
    struct shim_start st = *(struct shim_start *)p;
    free(p);
    shim_stack_learn();
    shim_thread_adopt(st.serial, st.creator_serial,
                      st.fn ? (uint64_t)(uintptr_t)st.fn
                            : (uint64_t)(uintptr_t)st.c11_fn);
    /* Only now, with its writer in place, may a signal handler run here:
     * earlier, its events would have made a second writer (and a second
     * thread in the trace) for this thread. */
    pthread_sigmask(SIG_SETMASK, &st.mask, NULL);
    void *ret;
    pthread_cleanup_push(thread_exit_record, NULL);
    /* A C11 routine's int result travels as a pointer, as glibc does. */
    ret = st.fn ? st.fn(st.arg) : (void *)(intptr_t)st.c11_fn(st.arg);
    pthread_cleanup_pop(0);
    shim_tls.exit_how = TRACE_EXIT_RETURN;
    thread_exit_emit(TRACE_EXIT_RETURN);
    return ret;
}

struct shim_start *shim_thread_prepare(struct trace_thread_writer *w,
                                       void *(*fn)(void *),
                                       int (*c11_fn)(void *), void *arg,
                                       uint64_t site, sigset_t *saved_mask)
{
    struct shim_start *st = malloc(sizeof *st);
    if (!st)
        return NULL;
    st->fn = fn;
    st->c11_fn = c11_fn;
    st->arg = arg;
    st->serial = trace_writer_next_serial(&shim_proc);
    st->creator_serial = w->serial;
    shim_event(w, TRACE_EV_THREAD_CREATE, NULL, site, st->serial);
    /* The new thread starts with every signal blocked (a thread inherits
     * its creator's mask); the trampoline restores the program's. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, saved_mask);
    st->mask = *saved_mask;
    return st;
}

void shim_thread_launched(const sigset_t *saved_mask)
{
    pthread_sigmask(SIG_SETMASK, saved_mask, NULL);
}

void shim_thread_create_failed(struct trace_thread_writer *w,
                               struct shim_start *st, uint64_t site,
                               uint32_t err)
{
    free(st);
    shim_event(w, TRACE_EV_THREAD_CREATE_FAIL, NULL, site, err);
}

SHIM_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                               void *(*fn)(void *), void *arg)
{
    SHIM_REAL(pthread_create);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(thread, attr, fn, arg);
    sigset_t mask;
    shim_python_frames(w, NULL, SHIM_SITE);
    struct shim_start *st =
        shim_thread_prepare(w, fn, NULL, arg, SHIM_SITE, &mask);
    if (!st)
        return real(thread, attr, fn, arg);
    int rc = real(thread, attr, shim_thread_main, st);
    shim_thread_launched(&mask);
    int detached = PTHREAD_CREATE_JOINABLE;
    if (rc == 0 && attr && pthread_attr_getdetachstate(attr, &detached) == 0 &&
        detached == PTHREAD_CREATE_DETACHED) /* never to be joined: say so */
        shim_event(w, TRACE_EV_THREAD_DETACH, (void *)*thread, SHIM_SITE, 0);
    if (rc != 0)
        shim_thread_create_failed(w, st, SHIM_SITE, (uint32_t)rc);
    return rc;
}

SHIM_EXPORT void pthread_exit(void *retval)
{
    SHIM_REAL(pthread_exit);
    shim_tls.exit_how = TRACE_EXIT_PTHREAD_EXIT;
    real(retval);
    __builtin_unreachable();
}

/* Shared body of the join family: `call` performs the real join;
 * `timed` says whether it can give up by itself. */
#define JOIN_BODY(call, thread, timed)                                         \
    struct trace_thread_writer *w = shim_writer();                             \
    if (!w)                                                                    \
        return call;                                                           \
    shim_event(w, TRACE_EV_THREAD_JOIN_WAIT, (void *)(thread), SHIM_SITE,      \
               timed);                                                         \
    int rc = call;                                                             \
    shim_event_seq(w, TRACE_EV_THREAD_JOIN, (void *)(thread), SHIM_SITE,       \
                   (uint32_t)rc);                                              \
    return rc

SHIM_EXPORT int pthread_join(pthread_t thread, void **retval)
{
    SHIM_REAL(pthread_join);
    JOIN_BODY(real(thread, retval), thread, 0);
}

SHIM_EXPORT int pthread_tryjoin_np(pthread_t thread, void **retval)
{
    SHIM_REAL(pthread_tryjoin_np);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(thread, retval);
    int rc = real(thread, retval);
    int saved = errno;
    if (rc == 0) /* EBUSY: nothing happened */
        shim_event_seq(w, TRACE_EV_THREAD_JOIN, (void *)thread, SHIM_SITE, 0);
    errno = saved;
    return rc;
}

SHIM_EXPORT int pthread_timedjoin_np(pthread_t thread, void **retval,
                                     const struct timespec *abstime)
{
    SHIM_REAL(pthread_timedjoin_np);
    JOIN_BODY(real(thread, retval, abstime), thread, 1);
}

SHIM_EXPORT int pthread_clockjoin_np(pthread_t thread, void **retval,
                                     clockid_t clock,
                                     const struct timespec *abstime)
{
    SHIM_REAL(pthread_clockjoin_np);
    JOIN_BODY(real(thread, retval, clock, abstime), thread, 1);
}

SHIM_EXPORT int pthread_detach(pthread_t thread)
{
    SHIM_REAL(pthread_detach);
    int rc = real(thread);
    struct trace_thread_writer *w = shim_writer();
    if (w) {
        int saved = errno;
        shim_event(w, TRACE_EV_THREAD_DETACH, (void *)thread, SHIM_SITE,
                   (uint32_t)rc);
        errno = saved;
    }
    return rc;
}

void shim_thread_name(pthread_t thread, const char *name, uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w || !name)
        return;
    int saved = errno;
    char buf[64];
    size_t n = strnlen(name, sizeof buf - 1);
    memcpy(buf, name, n);
    buf[n] = '\0';
    shim_event_payload(w, TRACE_EV_THREAD_NAME, (void *)thread, site, buf,
                       (uint32_t)n + 1);
    errno = saved;
}

SHIM_EXPORT int pthread_setname_np(pthread_t thread, const char *name)
{
    SHIM_REAL(pthread_setname_np);
    int rc = real(thread, name);
    if (rc == 0)
        shim_thread_name(thread, name, SHIM_SITE);
    return rc;
}

SHIM_EXPORT int prctl(int option, ...)
{
    SHIM_REAL(prctl);
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long);
    unsigned long a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long);
    unsigned long a5 = va_arg(ap, unsigned long);
    va_end(ap);
    int rc = real(option, a2, a3, a4, a5);
    if (rc == 0 && option == PR_SET_NAME)
        shim_thread_name(pthread_self(), (const char *)a2, SHIM_SITE);
    return rc;
}
