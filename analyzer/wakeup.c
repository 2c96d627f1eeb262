/* What can still end a process's waits from outside (see wakeup.h).
 *
 * Per process image: the disposition of every signal as the program last
 * set it (a forked child inherits its parent's, an exec'd image starts
 * afresh), and its timers with the time they were armed.  Per thread:
 * the signal whose handler runs, so that a sem-post inside a handler
 * marks the semaphore as one a signal can post.  Named semaphores: their
 * name, and whether it is still linked.  Memory grows with processes,
 * threads, timers and names, never with events. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "pass.h"
#include "state.h"
#include "wakeup.h"

#define WK_NSIG 65

struct wk_timer {
    uint64_t key;      /* timer_t, or TRACE_TIMER_ITIMER(which) */
    uint64_t armed_ts; /* when it was last armed */
    uint32_t ms;       /* then due in ms; 0: disarmed */
    uint32_t notify;   /* timer-create's arg */
    uint8_t repeats, by_alarm, created;
};

struct wk_proc {
    uint8_t disp[WK_NSIG]; /* TRACE_SIGACT_* + 1; 0: not set in this image */
    struct wk_timer *timers;
    size_t ntimers, timers_cap;
};

struct wk_named {
    uint32_t obj;
    uint8_t linked;
    char name[64];
};

struct wakeup_state {
    struct wk_proc *procs;
    size_t procs_cap;
    uint8_t *tsig; /* per thread: signal whose handler runs, 0: none */
    size_t tsig_cap;
    struct wk_named *named;
    size_t nnamed, named_cap;
    struct an_map posted; /* (semaphore, 0) -> signal whose handler posted it */
    bool used;            /* an event of ours was seen */
};

/* The pass's state once one of its events was seen, else NULL. */
static struct wakeup_state *wk_state(struct analyzer *a)
{
    struct wakeup_state *w = an_pass_state(a, &wakeup_pass);
    return w && w->used ? w : NULL;
}

static void *wakeup_create(struct analyzer *a)
{
    (void)a;
    struct wakeup_state *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    return w;
}

static void wakeup_state_free(void *self)
{
    struct wakeup_state *w = self;
    if (!w)
        return;
    for (size_t i = 0; i < w->procs_cap; i++)
        free(w->procs[i].timers);
    free(w->procs);
    free(w->tsig);
    free(w->named);
    an_map_free(&w->posted);
    free(w);
}

static struct wk_proc *wk_proc(struct wakeup_state *w, uint32_t proc)
{
    an_grow(&w->procs, &w->procs_cap, (size_t)proc + 1, sizeof *w->procs);
    return &w->procs[proc];
}

static bool wakeup_handles(uint32_t type)
{
    switch (type) {
    case TRACE_EV_SIGNAL_ACTION:
    case TRACE_EV_TIMER_CREATE:
    case TRACE_EV_TIMER_ARM:
    case TRACE_EV_TIMER_DELETE:
    case TRACE_EV_SEM_OPEN:
    case TRACE_EV_SEM_UNLINK:
    case TRACE_EV_SEM_POST:
    case TRACE_EV_SIGNAL_ENTER:
    case TRACE_EV_SIGNAL_LEAVE:
        return true;
    }
    return false;
}

/* ---- recording ---- */

static struct wk_timer *timer_get(struct wk_proc *p, uint64_t key)
{
    for (size_t i = 0; i < p->ntimers; i++)
        if (p->timers[i].key == key)
            return &p->timers[i];
    an_grow(&p->timers, &p->timers_cap, p->ntimers + 1, sizeof *p->timers);
    struct wk_timer *t = &p->timers[p->ntimers++];
    memset(t, 0, sizeof *t);
    t->key = key;
    return t;
}

static void timer_event(struct wk_proc *p, const struct trace_event *ev)
{
    struct wk_timer *t = timer_get(p, ev->obj);
    switch (ev->type) {
    case TRACE_EV_TIMER_CREATE:
        memset(t, 0, sizeof *t);
        t->key = ev->obj;
        t->notify = ev->arg;
        t->created = 1;
        break;
    case TRACE_EV_TIMER_ARM:
        t->armed_ts = ev->ts_ns;
        t->ms = TRACE_TIMER_MS(ev->arg);
        t->repeats = TRACE_TIMER_REPEATS(ev->arg) != 0;
        t->by_alarm = TRACE_TIMER_BY_ALARM(ev->arg) != 0;
        break;
    case TRACE_EV_TIMER_DELETE:
        *t = p->timers[--p->ntimers];
        break;
    }
}

static struct wk_named *named_of(struct wakeup_state *w, uint32_t obj)
{
    for (size_t i = 0; i < w->nnamed; i++)
        if (w->named[i].obj == obj)
            return &w->named[i];
    return NULL;
}

/* The payload string, cut to `cap` - 1 bytes. */
static void payload_name(const struct trace_event *ev, char *buf, size_t cap)
{
    size_t n = ev->payload ? strnlen((const char *)ev->payload,
                                     ev->payload_len < cap - 1 ? ev->payload_len
                                                               : cap - 1)
                           : 0;
    memcpy(buf, ev->payload ? (const char *)ev->payload : "", n);
    buf[n] = '\0';
}

static void named_open(struct analyzer *a, struct wakeup_state *w,
                       const struct trace_event *ev)
{
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi == AN_NONE)
        return;
    struct wk_named *n = named_of(w, oi);
    if (!n) {
        an_grow(&w->named, &w->named_cap, w->nnamed + 1, sizeof *w->named);
        n = &w->named[w->nnamed++];
        n->obj = oi;
    }
    payload_name(ev, n->name, sizeof n->name);
    n->linked = 1;
}

static void named_unlink(struct wakeup_state *w, const struct trace_event *ev)
{
    char name[64];
    payload_name(ev, name, sizeof name);
    for (size_t i = 0; i < w->nnamed; i++)
        if (strcmp(w->named[i].name, name) == 0)
            w->named[i].linked = 0;
}

static void thread_signal(struct wakeup_state *w, uint32_t ti,
                          const struct trace_event *ev)
{
    an_grow(&w->tsig, &w->tsig_cap, (size_t)ti + 1, 1);
    w->tsig[ti] = ev->type == TRACE_EV_SIGNAL_ENTER && ev->arg < WK_NSIG
                      ? (uint8_t)ev->arg
                      : 0;
}

static void sem_posted(struct analyzer *a, struct wakeup_state *w, uint32_t ti,
                       const struct trace_event *ev)
{
    if (ti >= w->tsig_cap || !w->tsig[ti])
        return;
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi != AN_NONE)
        an_map_put(&w->posted, oi, 0, w->tsig[ti]);
}

static void wakeup_event(struct analyzer *a, void *self,
                         const struct trace_event *ev)
{
    struct wakeup_state *w = self;
    uint32_t ti = ev->thread;
    if (!wakeup_handles(ev->type))
        return;
    /* a sem-post outside any handler is the common case: no state */
    if (ev->type == TRACE_EV_SEM_POST && !w->used)
        return;
    w->used = true;
    switch (ev->type) {
    case TRACE_EV_SIGNAL_ACTION: {
        int sig = TRACE_SIGACT_SIG(ev->arg);
        if (sig > 0 && sig < WK_NSIG)
            wk_proc(w, ev->proc)->disp[sig] =
                (uint8_t)(TRACE_SIGACT_DISP(ev->arg) + 1);
        break;
    }
    case TRACE_EV_TIMER_CREATE:
    case TRACE_EV_TIMER_ARM:
    case TRACE_EV_TIMER_DELETE:
        timer_event(wk_proc(w, ev->proc), ev);
        break;
    case TRACE_EV_SEM_OPEN:
        named_open(a, w, ev);
        break;
    case TRACE_EV_SEM_UNLINK:
        named_unlink(w, ev);
        break;
    case TRACE_EV_SEM_POST:
        sem_posted(a, w, ti, ev);
        break;
    case TRACE_EV_SIGNAL_ENTER:
    case TRACE_EV_SIGNAL_LEAVE:
        thread_signal(w, ti, ev);
        break;
    }
}

/* ---- questions ---- */

/* Whether `sig` runs a handler of the program's in image `proc`: set
 * there, or inherited through fork. */
static bool has_handler(struct analyzer *a, uint32_t proc, int sig)
{
    struct wakeup_state *w = wk_state(a);
    for (int depth = 0; depth < 64 && proc < a->nprocs; depth++) {
        uint8_t d = proc < w->procs_cap ? w->procs[proc].disp[sig] : 0;
        if (d)
            return d == TRACE_SIGACT_HANDLER + 1;
        const struct an_proc *p = &a->procs[proc];
        if (p->parent < 0 || !(p->flags & TRACE_FILE_FORKED))
            return false;
        proc = (uint32_t)p->parent;
    }
    return false;
}

static void sig_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(buf, len, "SIG%s", abbrev);
    else
        snprintf(buf, len, "signal %d", sig);
}

/* The signal a timer sends (0: none that can fire while all wait). */
static int timer_signal(const struct wk_timer *t, bool *thread)
{
    *thread = false;
    if (t->key == TRACE_TIMER_ITIMER(ITIMER_REAL))
        return SIGALRM;
    if (t->key & (1ull << 63))
        return 0; /* ITIMER_VIRTUAL, ITIMER_PROF: CPU time */
    if (!t->created)
        return SIGALRM; /* created before recording: the default sigevent */
    if (t->notify & TRACE_TIMER_CPU)
        return 0;
    if (TRACE_TIMER_HOW(t->notify) == TRACE_TIMER_THREAD) {
        *thread = true;
        return 0;
    }
    if (TRACE_TIMER_HOW(t->notify) == TRACE_TIMER_NONE)
        return 0;
    return TRACE_TIMER_SIG(t->notify);
}

/* A timer that just fired may have run a handler whose events (its
 * sem-post, the waiter's wakeup) are still on their way to the reader:
 * it counts as pending for this long after it was due, so that the live
 * monitor never stops a program that its alarm was waking. */
#define WK_FIRE_GRACE_NS 1000000000ull

static bool timer_pending(const struct wk_timer *t, uint64_t now)
{
    if (!t->ms)
        return false;
    uint64_t due = t->armed_ts + (uint64_t)t->ms * 1000000u;
    return t->repeats || due + WK_FIRE_GRACE_NS > now;
}

/* "alarm(15)", "a setitimer timer (due in 2.5 s)", ... */
static void timer_describe(const struct wk_timer *t, uint64_t now, char *buf,
                           size_t len)
{
    const char *who =
        t->key & (1ull << 63) ? "an interval timer" : "a POSIX timer";
    uint64_t due = t->armed_ts + (uint64_t)t->ms * 1000000u;
    double left = due > now ? (double)(due - now) / 1e9 : 0;
    if (t->by_alarm)
        snprintf(buf, len, "alarm(%u) is pending (due in %.1f s)",
                 (t->ms + 999) / 1000, left);
    else if (t->repeats)
        snprintf(buf, len, "%s repeats every so often", who);
    else
        snprintf(buf, len, "%s is pending (due in %.1f s)", who, left);
}

static bool explain_timers(struct analyzer *a, uint32_t proc, uint64_t now,
                           char *buf, size_t len)
{
    struct wakeup_state *w = wk_state(a);
    if (proc >= w->procs_cap)
        return false;
    const struct wk_proc *p = &w->procs[proc];
    for (size_t i = 0; i < p->ntimers; i++) {
        const struct wk_timer *t = &p->timers[i];
        bool thread;
        int sig = timer_signal(t, &thread);
        if (!timer_pending(t, now) ||
            (!thread && (!sig || sig >= WK_NSIG || !has_handler(a, proc, sig))))
            continue;
        char what[96], name[32];
        timer_describe(t, now, what, sizeof what);
        if (thread) {
            snprintf(buf, len, "%s will start its SIGEV_THREAD function", what);
        } else {
            sig_name(sig, name, sizeof name);
            snprintf(buf, len, "a %s handler is installed and %s", name, what);
        }
        return true;
    }
    return false;
}

/* A thread's semaphore that something outside can post. */
static bool explain_sem(struct analyzer *a, uint32_t proc,
                        const struct an_thread *t, char *buf, size_t len)
{
    struct wakeup_state *w = wk_state(a);
    if (t->blk != BLK_SEM || t->blk_obj == AN_NONE)
        return false;
    const struct wk_named *n = named_of(w, t->blk_obj);
    if (n && n->linked) {
        snprintf(buf, len,
                 "named semaphore %s can be posted by other processes",
                 n->name);
        return true;
    }
    uint32_t sig = an_map_get(&w->posted, t->blk_obj, 0);
    if (sig != AN_NONE && sig < WK_NSIG && has_handler(a, proc, (int)sig)) {
        char name[32];
        sig_name((int)sig, name, sizeof name);
        snprintf(buf, len,
                 "its %s handler posts the semaphore, and another process "
                 "can send %s",
                 name, name);
        return true;
    }
    return false;
}

bool wakeup_explain(struct analyzer *a, uint32_t proc, uint64_t now, char *buf,
                    size_t len)
{
    if (!wk_state(a) || proc >= a->nprocs)
        return false;
    const struct an_proc *p = &a->procs[proc];
    for (size_t i = 0; i < p->nthreads; i++) {
        const struct an_thread *t = &a->threads[p->threads[i]];
        if (t->state == TS_RUNNING && explain_sem(a, proc, t, buf, len))
            return true;
    }
    return explain_timers(a, proc, now, buf, len);
}

const struct an_pass wakeup_pass = {
    .name = "wakeup",
    .families = AN_FAMILY_BIT(TRACE_FAM_PROCESS) | AN_FAMILY_BIT(TRACE_FAM_SEM),
    .create = wakeup_create,
    .event = wakeup_event,
    .destroy = wakeup_state_free,
};
