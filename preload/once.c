/* pthread_once interception, and the one-time-initialisation recording
 * shared with C11 call_once (c11.c).
 *
 * The user's init routine is run through a trampoline, so that the thread
 * that runs it records once-run before it and once-done (arg 1: the
 * release) right after it, before the real call publishes "done" and
 * wakes the other callers: their once-done (arg 0: the acquire, recorded
 * after the real call) always gets a later sequence number.  The real
 * call runs the routine synchronously in the calling thread, so the
 * trampoline finds it through a thread-local pointer to the wrapper's
 * frame (saved and restored around the call: a routine may itself call
 * pthread_once).
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "lockwait.h"

#include <pthread.h>

struct once_frame {
    void (*init)(void);
    void *flag;
    uint64_t site;
    uint32_t ran;
};

static __thread struct once_frame *once_current
    __attribute__((tls_model("initial-exec")));

static void once_trampoline(void)
{
    struct once_frame *f = once_current;
    f->ran = 1;
    struct trace_thread_writer *w = shim_writer();
    if (w)
        shim_event(w, TRACE_EV_ONCE_RUN, f->flag, f->site, 0);
    f->init();
    w = shim_writer();
    if (w)
        shim_event_release(w, TRACE_EV_ONCE_DONE, f->flag, f->site, 1);
}

int shim_once(struct trace_thread_writer *w, void *flag, void (*init)(void),
              uint64_t site, int (*call)(void *flag, void (*init)(void)))
{
    shim_event(w, TRACE_EV_ONCE_ENTER, flag, site, 0);
    struct once_frame f = {init, flag, site, 0};
    struct once_frame *outer = once_current;
    once_current = &f;
    int rc = call(flag, once_trampoline);
    once_current = outer;
    if (!f.ran && (w = shim_writer()) != NULL)
        shim_event_acquire(w, TRACE_EV_ONCE_DONE, flag, site, 0);
    return rc;
}

static int (*real_once)(pthread_once_t *, void (*)(void));

static int call_pthread_once(void *flag, void (*init)(void))
{
    return real_once(flag, init);
}

SHIM_EXPORT int pthread_once(pthread_once_t *once, void (*init)(void))
{
    SHIM_RESOLVE(real_once, "pthread_once");
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real_once(once, init);
    return shim_once(w, once, init, SHIM_SITE, call_pthread_once);
}
