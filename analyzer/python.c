/* Python in the analyzer (see python.h, docs/python.md).
 *
 * Per process image: CPython's code range, from its python-runtime event
 * or, for a forked child, its parent's.  Per thread: the Python frames of
 * its latest py-frames event, interned as a stack of tokens, and the
 * object they belong to.
 *
 * The shim records py-frames just before the event it describes; when
 * Python's Lock.acquire has to wait, the frames come with its first try
 * (made with the GIL) and must also cover the wait and the acquisition
 * that follow without the GIL:
 *
 *   py-frames obj=L     Lock.acquire at app.py:12
 *   sem-fail  obj=L     EAGAIN: busy (the try)         \
 *   mutex-*   GIL       drop the GIL (gil.c)            | app.py:12
 *   sem-wait  obj=L                                     |
 *   sem-acquire obj=L   the operation is over here     /
 *
 * So frames apply to the thread's events on their object until one that
 * ends the operation (anything but a busy try or a wait), and frames for
 * object 0 to the thread's next fork or thread-create. */
#include "python.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gil.h"
#include "lifecycle.h"
#include "pyframes.h"
#include "pystack.h"
#include "state.h"
#include "sync.h"

struct py_range {
    uint64_t lo, hi;
    uint8_t state; /* 0 unknown yet, 1 known (hi 0: not Python) */
};

struct py_thread {
    uint32_t stack; /* tokens of its latest frames (interned), or 0 */
    uint64_t obj;   /* what they belong to */
    uint8_t live;
    uint32_t last_c, last_out; /* the latest decoration, reused */
};

struct python_state {
    struct py_range *procs;
    size_t nprocs, procs_cap;
    struct py_thread *threads;
    size_t nthreads, threads_cap;
};

static struct python_state *py_state(struct analyzer *a)
{
    if (!a->py) {
        a->py = calloc(1, sizeof *a->py);
        if (!a->py)
            abort();
    }
    return a->py;
}

void python_state_free(struct python_state *py)
{
    if (!py)
        return;
    free(py->procs);
    free(py->threads);
    free(py);
}

static struct py_thread *py_thread(struct python_state *py, uint32_t ti)
{
    if (ti >= py->nthreads) {
        an_grow(&py->threads, &py->threads_cap, (size_t)ti + 1,
                sizeof *py->threads);
        memset(py->threads + py->nthreads, 0,
               ((size_t)ti + 1 - py->nthreads) * sizeof *py->threads);
        py->nthreads = (size_t)ti + 1;
    }
    return &py->threads[ti];
}

static struct py_range *py_range_slot(struct python_state *py, uint32_t proc)
{
    if (proc >= py->nprocs) {
        an_grow(&py->procs, &py->procs_cap, (size_t)proc + 1,
                sizeof *py->procs);
        memset(py->procs + py->nprocs, 0,
               ((size_t)proc + 1 - py->nprocs) * sizeof *py->procs);
        py->nprocs = (size_t)proc + 1;
    }
    return &py->procs[proc];
}

/* CPython's range in an image: its own event, or its forking parent's
 * (the same code at the same addresses).  Settled on first use. */
static const struct py_range *py_range(struct analyzer *a, uint32_t proc)
{
    struct python_state *py = a->py;
    struct py_range *r = py_range_slot(py, proc);
    if (r->state)
        return r;
    r->state = 1;
    if (proc < a->nprocs && (a->procs[proc].flags & TRACE_FILE_FORKED) &&
        a->procs[proc].parent >= 0) {
        const struct py_range *pr =
            py_range(a, (uint32_t)a->procs[proc].parent);
        r = &py->procs[proc]; /* the array may have moved */
        r->lo = pr->lo;
        r->hi = pr->hi;
    }
    return r;
}

bool python_in_runtime(struct analyzer *a, uint32_t proc, uint64_t pc)
{
    if (!a->py)
        return false;
    const struct py_range *r = py_range(a, proc);
    return pc >= r->lo && pc < r->hi;
}

static void py_runtime_event(struct analyzer *a, const struct trace_event *ev)
{
    struct trace_pyruntime_info info;
    if (!ev->payload || ev->payload_len < sizeof info)
        return;
    memcpy(&info, ev->payload, sizeof info);
    struct py_range *r = py_range_slot(py_state(a), ev->proc);
    r->lo = info.lo;
    r->hi = info.hi;
    r->state = 1;
}

/* ---- frames ---- */

static void py_frames_event(struct analyzer *a, uint32_t ti,
                            const struct trace_event *ev)
{
    struct trace_pyframe_view fr[STACK_MAX_FRAMES];
    size_t n = trace_pyframes_decode(ev->payload, ev->payload_len, fr,
                                     STACK_MAX_FRAMES);
    uint64_t tokens[STACK_MAX_FRAMES];
    uint32_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = pystack_intern(fr[i].func, fr[i].file, fr[i].line);
        if (t)
            tokens[depth++] = t;
    }
    struct py_thread *pt = py_thread(a->py, ti);
    uint32_t image = ev->proc < a->nprocs ? a->procs[ev->proc].root : ev->proc;
    pt->stack = an_stack_intern(a, image, tokens, depth);
    pt->obj = ev->obj;
    pt->live = pt->stack != 0;
}

/* Does the thread's latest Python position belong to this event? */
static bool py_frames_apply(const struct py_thread *pt,
                            const struct trace_event *ev)
{
    if (!pt->live)
        return false;
    if (pt->obj)
        return ev->obj == pt->obj && (an_event_flags(ev->type) & TF_OBJ);
    return ev->type == TRACE_EV_FORK || ev->type == TRACE_EV_THREAD_CREATE;
}

uint32_t python_stack_decorate(struct analyzer *a, const struct trace_event *ev,
                               uint32_t c_stack)
{
    if (!a->py || ev->thread >= a->py->nthreads)
        return c_stack;
    struct py_thread *pt = &a->py->threads[ev->thread];
    if (!py_frames_apply(pt, ev))
        return c_stack;
    if (pt->last_out && pt->last_c == c_stack)
        return pt->last_out;
    uint64_t pcs[STACK_MAX_FRAMES];
    uint32_t np, nc;
    const uint64_t *py = an_stack_pcs(a, pt->stack, &np);
    const uint64_t *c = an_stack_pcs(a, c_stack, &nc);
    uint32_t depth = 0;
    for (uint32_t i = 0; i < np && depth < STACK_MAX_FRAMES; i++)
        pcs[depth++] = py[i];
    for (uint32_t i = 0; i < nc && depth < STACK_MAX_FRAMES; i++)
        pcs[depth++] = c[i];
    uint32_t image = ev->proc < a->nprocs ? a->procs[ev->proc].root : ev->proc;
    pt->last_c = c_stack;
    pt->last_out = an_stack_intern(a, image, pcs, depth);
    return pt->last_out;
}

/* An event that does not end the operation its frames describe: a busy
 * try (the blocking call follows) or the beginning of a wait. */
static bool py_operation_goes_on(const struct trace_event *ev)
{
    switch (ev->type) {
    case TRACE_EV_SEM_FAIL:
        return ev->arg == EAGAIN;
    case TRACE_EV_MUTEX_FAIL:
        return ev->arg == EBUSY;
    default:
        return (an_event_flags(ev->type) & TF_BLOCK) != 0;
    }
}

void python_after(struct analyzer *a, uint32_t ti, const struct trace_event *ev)
{
    if (!a->py || ti >= a->py->nthreads || ev->type == TRACE_EV_PY_FRAMES)
        return;
    struct py_thread *pt = &a->py->threads[ti];
    if (pt->live && py_frames_apply(pt, ev) && !py_operation_goes_on(ev)) {
        pt->live = 0;
        pt->last_out = 0;
    }
}

/* ---- Python locks ---- */

/* The Python lock an event names, looking through a forked child's
 * parents as the lock state does; AN_NONE when it is not one. */
static uint32_t py_lock_of(struct analyzer *a, const struct trace_event *ev)
{
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi != AN_NONE)
        return an_obj_is_pylock(&a->objs[oi]) ? oi : AN_NONE;
    for (uint32_t p = ev->proc; p < a->nprocs;) {
        const struct an_proc *pp = &a->procs[p];
        if (!(pp->flags & TRACE_FILE_FORKED) || pp->parent < 0)
            return AN_NONE;
        p = (uint32_t)pp->parent;
        uint32_t pi = an_obj_lookup(a, p, ev->obj);
        if (pi != AN_NONE) {
            if (!an_obj_is_pylock(&a->objs[pi]))
                return AN_NONE;
            bool created;
            return an_obj_find(a, ev->proc, ev->obj, AN_MUTEX, &created);
        }
    }
    return AN_NONE;
}

/* The mutex event a Python lock's semaphore event stands for; 0 when it
 * has none (the event changes nothing). */
static uint32_t py_lock_translate(const struct trace_event *ev, uint32_t *arg)
{
    *arg = ev->arg;
    switch (ev->type) {
    case TRACE_EV_SEM_DESTROY:
        return TRACE_EV_MUTEX_DESTROY;
    case TRACE_EV_SEM_WAIT:
        return TRACE_EV_MUTEX_WAIT;
    case TRACE_EV_SEM_ACQUIRE:
        /* Lock.acquire() takes a free lock with sem_trywait: a blocking
         * acquisition all the same, which orders locks */
        if ((ev->arg & TRACE_ACQ_HOW_MASK) == TRACE_ACQ_TRY)
            *arg = (ev->arg & ~TRACE_ACQ_HOW_MASK) | TRACE_ACQ_LOCK;
        return TRACE_EV_MUTEX_ACQUIRE;
    case TRACE_EV_SEM_FAIL:
        if (ev->arg == EAGAIN)
            *arg = EBUSY;
        return TRACE_EV_MUTEX_FAIL;
    case TRACE_EV_SEM_POST:
        *arg = 0;
        return TRACE_EV_MUTEX_RELEASE;
    case TRACE_EV_SEM_POST_FAIL:
        return TRACE_EV_MUTEX_RELEASE_FAIL;
    default:
        return 0;
    }
}

static bool py_str_ends(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n >= m && strcmp(s + n - m, end) == 0;
}

/* Is the lock this sem-init makes threading's sentinel of a thread (the
 * lock held for the thread's whole life, which join() waits for)?  It is
 * made by Thread._set_tstate_lock, or anew in a forked child by
 * Thread._reset_internal_locks: the innermost Python frame says. */
static bool py_makes_sentinel(struct analyzer *a, uint32_t ti,
                              const struct trace_event *ev)
{
    if (ti >= a->py->nthreads || !py_frames_apply(&a->py->threads[ti], ev))
        return false;
    uint32_t n;
    const uint64_t *t = an_stack_pcs(a, a->py->threads[ti].stack, &n);
    const char *func, *file;
    uint32_t line;
    if (!n || !pystack_lookup(t[0], &func, &file, &line))
        return false;
    return py_str_ends(file, "/threading.py") &&
           (strcmp(func, "Thread._set_tstate_lock") == 0 ||
            strcmp(func, "Thread._reset_internal_locks") == 0);
}

/* A sentinel is never in its holder's held set: holding it for life is
 * no lock order (every lock the thread takes would come after it), while
 * a join still waits for its owner (waitfor.c reads the owner). */
static void py_sentinel_unhold(struct analyzer *a, uint32_t ti, uint32_t oi)
{
    struct an_thread *t = &a->threads[ti];
    struct an_held *h = an_held_find(t, oi);
    if (h)
        an_held_remove(t, h);
}

static bool py_lock_init(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev)
{
    /* PyThread_allocate_lock: sem_init(lock, 0, 1) */
    if (ev->arg != 1 || !python_in_runtime(a, ev->proc, ev->site))
        return false;
    struct trace_event e = *ev;
    e.type = TRACE_EV_MUTEX_INIT;
    e.arg = 0; /* PTHREAD_MUTEX_NORMAL */
    sync_lock_event(a, ti, &e);
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi != AN_NONE)
        a->objs[oi].mtype = py_makes_sentinel(a, ti, ev) ? AN_MTYPE_PYSENTINEL
                                                         : AN_MTYPE_PYLOCK;
    return true;
}

static bool py_lock_event(struct analyzer *a, uint32_t ti,
                          const struct trace_event *ev)
{
    if (ev->type == TRACE_EV_SEM_INIT)
        return py_lock_init(a, ti, ev);
    uint32_t oi;
    if (ev->type > TRACE_EV_SEM_POST_FAIL ||
        (oi = py_lock_of(a, ev)) == AN_NONE)
        return false;
    struct trace_event e = *ev;
    e.type = py_lock_translate(ev, &e.arg);
    if (!e.type)
        return true;
    sync_lock_event(a, ti, &e);
    if (e.type == TRACE_EV_MUTEX_ACQUIRE &&
        a->objs[oi].mtype == AN_MTYPE_PYSENTINEL)
        py_sentinel_unhold(a, ti, oi);
    return true;
}

/* A lock's creation site as a Python user sees it: the innermost frame of
 * the program's own code among its creation frames (threading.RLock()
 * and logging's createLock() are where every lock is made), else the
 * innermost. */
static uint64_t py_creation_token(const struct analyzer *a, uint32_t stack)
{
    uint32_t n;
    const uint64_t *pcs = an_stack_pcs(a, stack, &n);
    uint64_t first = 0;
    for (uint32_t i = 0; i < n && pystack_is_token(pcs[i]); i++) {
        const char *func, *file;
        uint32_t line;
        if (!pystack_lookup(pcs[i], &func, &file, &line))
            continue;
        if (!first)
            first = pcs[i];
        if (!pystack_file_is_stdlib(file))
            return pcs[i];
    }
    return first;
}

void python_object_decorate(const struct analyzer *a, uint32_t oi,
                            struct finding_object *fo)
{
    if (!a->py || oi >= a->nobjs || !an_obj_is_pylock(&a->objs[oi]))
        return;
    snprintf(fo->kind, sizeof fo->kind, "python-lock");
    uint64_t t = py_creation_token(a, a->objs[oi].create_stack);
    if (t)
        fo->create_pc = t;
}

/* ---- threads the interpreter ends ---- */

/* A Python thread only leaves through pthread_exit when the interpreter
 * shuts down while it runs (a daemon thread that wants the GIL back is
 * ended in take_gil), holding whatever it held: the process is ending,
 * like an exit of the process, and the interpreter frees what it held. */
static bool py_shutdown_exit(struct analyzer *a, uint32_t ti,
                             const struct trace_event *ev)
{
    if (ev->type != TRACE_EV_THREAD_EXIT ||
        ev->arg != TRACE_EXIT_PTHREAD_EXIT || !py_range(a, ev->proc)->hi)
        return false;
    struct trace_event e = *ev;
    e.arg = TRACE_EXIT_PROCESS;
    life_thread_event(a, ti, &e);
    struct an_thread *t = &a->threads[ti];
    for (size_t i = t->nheld; i-- > 0;)
        if (i < t->nheld && an_obj_is_pylock(&a->objs[t->held[i].obj]))
            sync_drop_holders(a, t->held[i].obj, ev->ts_ns);
    return true;
}

/* ---- dispatch ---- */

static bool py_is_gil_family(uint32_t type)
{
    return (type >= TRACE_EV_MUTEX_INIT &&
            type <= TRACE_EV_MUTEX_RELEASE_FAIL) ||
           (type >= TRACE_EV_COND_INIT && type <= TRACE_EV_COND_WAKE);
}

enum python_fed python_feed(struct analyzer *a, uint32_t ti,
                            const struct trace_event *ev)
{
    if (ev->type == TRACE_EV_PY_RUNTIME) {
        py_runtime_event(a, ev);
        return PYTHON_HANDLED;
    }
    if (!a->py)
        return PYTHON_NOT_MINE;
    if (ev->type == TRACE_EV_PY_FRAMES) {
        py_frames_event(a, ti, ev);
        return PYTHON_HANDLED;
    }
    if (py_is_gil_family(ev->type) &&
        python_in_runtime(a, ev->proc, ev->site)) {
        gil_feed(a, ti, ev);
        return PYTHON_GIL;
    }
    if (ev->type >= TRACE_EV_SEM_INIT && ev->type <= TRACE_EV_SEM_POST_FAIL &&
        py_lock_event(a, ti, ev))
        return PYTHON_HANDLED;
    if (py_shutdown_exit(a, ti, ev))
        return PYTHON_HANDLED;
    return PYTHON_NOT_MINE;
}
