/* POSIX semaphore interception: init, destroy, open, close, wait,
 * trywait, timedwait, clockwait, post and unlink (a named semaphore
 * other processes can still open can be posted from outside the trace).  A wait
 * tries first (shim_acquire, acquire.h) and records sem-wait only when the
 * count is zero; a wait interrupted by a signal is a sem-fail EINTR.
 *
 * This is a hot family: CPython 3.11's threading.Lock is a sem_t.
 * sem_post is async-signal-safe, so its wrapper is too: its real
 * function is resolved by a constructor, never from a handler.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  Results follow the errno
 * convention; the error numbers recorded are errno values. */
#include "lockwait.h"
#include "python.h"

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <string.h>

static int (*real_trywait)(sem_t *);
static int (*real_wait)(sem_t *);
static int (*real_timedwait)(sem_t *, const struct timespec *);
static int (*real_clockwait)(sem_t *, clockid_t, const struct timespec *);
static int (*real_post)(sem_t *);

static int try_sem(void *s) { return real_trywait(s); }

static const struct shim_acquire_spec sem_spec = {
    TRACE_EV_SEM_WAIT, TRACE_EV_SEM_ACQUIRE,
    TRACE_EV_SEM_FAIL, EAGAIN,
    SHIM_RC_ERRNO,     try_sem,
};

static void sem_resolve(void)
{
    SHIM_RESOLVE(real_trywait, "sem_trywait");
    SHIM_RESOLVE(real_post, "sem_post");
}

__attribute__((constructor(102))) static void sem_constructor(void)
{
    sem_resolve();
}

static int block_wait(void *s, const void *abstime, long clock)
{
    (void)abstime;
    (void)clock;
    return real_wait(s);
}

static int block_timedwait(void *s, const void *abstime, long clock)
{
    (void)clock;
    return real_timedwait(s, abstime);
}

static int block_clockwait(void *s, const void *abstime, long clock)
{
    return real_clockwait(s, (clockid_t)clock, abstime);
}

/* Shared body of the blocking waits. */
static int sem_acquire(sem_t *s, uint64_t site,
                       const struct shim_block_call *call)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return call->fn(s, call->a, call->b);
    sem_resolve();
    /* The real waits are cancellation points that act before they look
     * at the count; the try first must not let a cancelled thread take
     * one. */
    pthread_testcancel();
    shim_python_frames(w, s, site);
    return shim_acquire_checked(w, &sem_spec, s, site, call);
}

SHIM_EXPORT int sem_wait(sem_t *s)
{
    SHIM_RESOLVE(real_wait, "sem_wait");
    const struct shim_block_call call = {block_wait, NULL, 0, 0};
    return sem_acquire(s, SHIM_SITE, &call);
}

SHIM_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    SHIM_RESOLVE(real_timedwait, "sem_timedwait");
    const struct shim_block_call call = {block_timedwait, abstime,
                                         CLOCK_REALTIME, 1};
    return sem_acquire(s, SHIM_SITE, &call);
}

SHIM_EXPORT int sem_clockwait(sem_t *s, clockid_t clock,
                              const struct timespec *abstime)
{
    SHIM_RESOLVE(real_clockwait, "sem_clockwait");
    const struct shim_block_call call = {block_clockwait, abstime, clock, 1};
    return sem_acquire(s, SHIM_SITE, &call);
}

SHIM_EXPORT int sem_trywait(sem_t *s)
{
    sem_resolve();
    int rc = real_trywait(s);
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return rc;
    shim_python_frames(w, s, SHIM_SITE);
    return shim_try_result(w, &sem_spec, s, SHIM_SITE, rc);
}

SHIM_EXPORT int sem_post(sem_t *s)
{
    sem_resolve();
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_post(s);
    uint64_t site = SHIM_SITE;
    shim_python_frames(w, s, site);
    shim_event_release(w, TRACE_EV_SEM_POST, s, site, 0);
    int rc = real_post(s);
    if (SHIM_UNLIKELY(rc != 0))
        shim_event(w, TRACE_EV_SEM_POST_FAIL, s, site, (uint32_t)errno);
    return rc;
}

/* 0, or the errno of a failed call. */
static uint32_t errno_result(int rc) { return rc == 0 ? 0 : (uint32_t)errno; }

SHIM_EXPORT int sem_init(sem_t *s, int pshared, unsigned int value)
{
    static int (*real)(sem_t *, int, unsigned int);
    SHIM_RESOLVE(real, "sem_init");
    int rc = real(s, pshared, value);
    struct trace_thread_writer *w = rc == 0 ? shim_writer() : NULL;
    if (w) {
        shim_python_frames(w, s, SHIM_SITE);
        shim_event(w, TRACE_EV_SEM_INIT, s, SHIM_SITE, value);
    }
    return rc;
}

SHIM_EXPORT int sem_destroy(sem_t *s)
{
    static int (*real)(sem_t *);
    SHIM_RESOLVE(real, "sem_destroy");
    int rc = real(s);
    shim_record(TRACE_EV_SEM_DESTROY, s, SHIM_SITE, errno_result(rc));
    return rc;
}

/* A semaphore's name as a NUL-terminated payload, cut to fit. */
static uint32_t sem_name_copy(const char *name, char *buf, size_t cap)
{
    size_t n = strnlen(name, cap - 1);
    memcpy(buf, name, n);
    buf[n] = '\0';
    return (uint32_t)n + 1;
}

SHIM_EXPORT sem_t *sem_open(const char *name, int oflag, ...)
{
    static sem_t *(*real)(const char *, int, ...);
    SHIM_RESOLVE(real, "sem_open");
    mode_t mode = 0;
    unsigned int value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = va_arg(ap, mode_t);
        value = va_arg(ap, unsigned int);
        va_end(ap);
    }
    sem_t *s = real(name, oflag, mode, value);
    struct trace_thread_writer *w = shim_writer();
    if (w && s != SEM_FAILED) {
        char buf[256];
        uint32_t len = sem_name_copy(name, buf, sizeof buf);
        shim_event_payload(w, TRACE_EV_SEM_OPEN, s, SHIM_SITE, buf, len);
    }
    return s;
}

SHIM_EXPORT int sem_unlink(const char *name)
{
    static int (*real)(const char *);
    SHIM_RESOLVE(real, "sem_unlink");
    int rc = real(name);
    struct trace_thread_writer *w = rc == 0 ? shim_writer() : NULL;
    if (w) {
        char buf[256];
        uint32_t len = sem_name_copy(name, buf, sizeof buf);
        shim_event_payload(w, TRACE_EV_SEM_UNLINK, NULL, SHIM_SITE, buf, len);
    }
    return rc;
}

SHIM_EXPORT int sem_close(sem_t *s)
{
    static int (*real)(sem_t *);
    SHIM_RESOLVE(real, "sem_close");
    int rc = real(s);
    shim_record(TRACE_EV_SEM_CLOSE, s, SHIM_SITE, errno_result(rc));
    return rc;
}
