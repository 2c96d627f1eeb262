/* Timer interception: alarm, ualarm, setitimer, timer_create,
 * timer_settime and timer_delete, recorded as timer-create, timer-arm
 * and timer-delete (trace/events.def).
 *
 * Why: a process whose threads are all blocked is not hung while a timer
 * is still to fire into a handler of its (or start a SIGEV_THREAD
 * function): the handler may post the semaphore they wait on (docs/analysis.md,
 * "Deadlock and hang", analyzer/wakeup.c).  The analyzer needs when each timer
 * fires next and whether it repeats; the signal dispositions come from
 * signal.c.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  All of these calls are
 * async-signal-safe (alarm and timer_settime are called from handlers),
 * so the wrappers are too: nothing but the real call, a timer_gettime,
 * and one record.  Results and errno are the real call's. */
#include "lockwait.h"

#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ms until expiry, rounded up so that a pending timer never reads 0
 * (0 means disarmed), saturated at TRACE_TIMER_MS_MAX. */
static uint32_t timer_ms(uint64_t sec, uint64_t nsec)
{
    if (sec == 0 && nsec == 0)
        return 0;
    if (sec >= TRACE_TIMER_MS_MAX / 1000)
        return TRACE_TIMER_MS_MAX;
    uint64_t ms = sec * 1000 + (nsec + 999999) / 1000000;
    return ms > TRACE_TIMER_MS_MAX ? TRACE_TIMER_MS_MAX : (uint32_t)ms;
}

static void timer_arm_record(uint64_t key, uint32_t ms, bool repeats,
                             bool by_alarm, uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (w)
        shim_event(w, TRACE_EV_TIMER_ARM, (const void *)(uintptr_t)key, site,
                   TRACE_TIMER_ARM_ARG(ms, repeats, by_alarm));
}

SHIM_EXPORT unsigned int alarm(unsigned int seconds)
{
    static unsigned int (*real)(unsigned int);
    SHIM_RESOLVE(real, "alarm");
    unsigned int left = real(seconds);
    int saved = errno;
    timer_arm_record(TRACE_TIMER_ITIMER(ITIMER_REAL), timer_ms(seconds, 0),
                     false, true, SHIM_SITE);
    errno = saved;
    return left;
}

SHIM_EXPORT useconds_t ualarm(useconds_t value, useconds_t interval)
{
    static useconds_t (*real)(useconds_t, useconds_t);
    SHIM_RESOLVE(real, "ualarm");
    useconds_t left = real(value, interval);
    int saved = errno;
    timer_arm_record(TRACE_TIMER_ITIMER(ITIMER_REAL),
                     timer_ms(value / 1000000, (value % 1000000) * 1000ull),
                     interval != 0, false, SHIM_SITE);
    errno = saved;
    return left;
}

SHIM_EXPORT int setitimer(__itimer_which_t which, const struct itimerval *nv,
                          struct itimerval *ov)
{
    static int (*real)(__itimer_which_t, const struct itimerval *,
                       struct itimerval *);
    SHIM_RESOLVE(real, "setitimer");
    int rc = real(which, nv, ov);
    if (rc == 0 && nv) {
        const struct timeval *v = &nv->it_value, *iv = &nv->it_interval;
        timer_arm_record(
            TRACE_TIMER_ITIMER((int)which),
            timer_ms((uint64_t)v->tv_sec, (uint64_t)v->tv_usec * 1000),
            iv->tv_sec != 0 || iv->tv_usec != 0, false, SHIM_SITE);
    }
    return rc;
}

/* How a sigevent notifies, as timer-create's arg (NULL: SIGALRM). */
static uint32_t notify_arg(const struct sigevent *sev)
{
    if (!sev)
        return TRACE_TIMER_NOTIFY_ARG(SIGALRM, TRACE_TIMER_SIGNAL);
    switch (sev->sigev_notify) {
    case SIGEV_NONE:
        return TRACE_TIMER_NOTIFY_ARG(0, TRACE_TIMER_NONE);
    case SIGEV_THREAD:
        return TRACE_TIMER_NOTIFY_ARG(0, TRACE_TIMER_THREAD);
    default: /* SIGEV_SIGNAL, SIGEV_THREAD_ID */
        return TRACE_TIMER_NOTIFY_ARG(sev->sigev_signo & 0xff,
                                      TRACE_TIMER_SIGNAL);
    }
}

SHIM_EXPORT int timer_create(clockid_t clock, struct sigevent *sev, timer_t *id)
{
    static int (*real)(clockid_t, struct sigevent *, timer_t *);
    SHIM_RESOLVE(real, "timer_create");
    int rc = real(clock, sev, id);
    bool cpu = clock == CLOCK_PROCESS_CPUTIME_ID ||
               clock == CLOCK_THREAD_CPUTIME_ID || clock < 0;
    if (rc == 0)
        shim_record(TRACE_EV_TIMER_CREATE, *id, SHIM_SITE,
                    notify_arg(sev) | (cpu ? TRACE_TIMER_CPU : 0));
    return rc;
}

SHIM_EXPORT int timer_settime(timer_t id, int flags,
                              const struct itimerspec *nv,
                              struct itimerspec *ov)
{
    static int (*real)(timer_t, int, const struct itimerspec *,
                       struct itimerspec *);
    static int (*real_get)(timer_t, struct itimerspec *);
    SHIM_RESOLVE(real, "timer_settime");
    SHIM_RESOLVE(real_get, "timer_gettime");
    int rc = real(id, flags, nv, ov);
    if (rc != 0 || !nv)
        return rc;
    /* An absolute expiry (TIMER_ABSTIME) is on the timer's own clock: the
     * kernel tells what is left, relative, whatever the flags. */
    int saved = errno;
    struct itimerspec now;
    if (real_get(id, &now) == 0) {
        const struct timespec *iv = &nv->it_interval;
        timer_arm_record((uint64_t)(uintptr_t)id,
                         timer_ms((uint64_t)now.it_value.tv_sec,
                                  (uint64_t)now.it_value.tv_nsec),
                         iv->tv_sec != 0 || iv->tv_nsec != 0, false, SHIM_SITE);
    }
    errno = saved;
    return rc;
}

SHIM_EXPORT int timer_delete(timer_t id)
{
    static int (*real)(timer_t);
    SHIM_RESOLVE(real, "timer_delete");
    int rc = real(id);
    if (rc == 0)
        shim_record(TRACE_EV_TIMER_DELETE, id, SHIM_SITE, 0);
    return rc;
}
