/* The runtime's per-thread state and its life, the shadow stack
 * (__tsan_func_entry/exit), __tsan_init, and the annotation entry points
 * (ignore, acquire/release).  See tsan.h.
 *
 * A thread's state is mmap'ed on its first instrumented call when the
 * shim records, bound to the thread's writer; after fork the child's
 * writer is a new one, and the state starts over (new epoch, no site
 * known, counters at zero).  A thread created with pthread_create first
 * records its stack (mem-stack): glibc hands the stacks of finished
 * threads to new ones, and accesses made by a finished thread in that
 * memory are no race with the new thread's.  At the thread's end, and at
 * the process's end for the thread that exits, the counters go into the
 * trace (mem-stats).
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "tsan.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

__thread struct tsan_thread *tsan_self
    __attribute__((tls_model("initial-exec")));
static __thread int tsan_dead __attribute__((tls_model("initial-exec")));
int tsan_enabled;
int tsan_off;

static pthread_key_t tsan_key;
static pthread_once_t tsan_key_once = PTHREAD_ONCE_INIT;

/* ---- counters ---- */

static void tsan_stats_emit(struct tsan_thread *t)
{
    struct trace_thread_writer *w = shim_tls.w;
    if (!w || w != t->w || !t->accesses)
        return;
    struct trace_mem_stats s = t->stats;
    s.accesses = t->accesses;
    uint64_t seen = s.records + s.merged + s.dropped;
    s.filtered = s.accesses > seen ? s.accesses - seen : 0;
    tsan_emit_payload(t, w, TRACE_EV_MEM_STATS, 0, &s, sizeof s);
    t->accesses = 0;
    memset(&t->stats, 0, sizeof t->stats);
}

/* ---- thread state ---- */

static void tsan_thread_free(struct tsan_thread *t)
{
    if (tsan_self == t)
        tsan_self = NULL;
    munmap(t, sizeof *t);
}

/* Among the thread's TLS destructors: the counters go out in the first
 * round (the shim's writer is freed in the last one), the state stays
 * until the last round for the instrumented destructors of others. */
static void tsan_key_destructor(void *p)
{
    static __thread int rounds;
    struct tsan_thread *t = p;
    if (t && t == tsan_self && rounds == 0)
        tsan_stats_emit(t);
    if (++rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
        pthread_setspecific(tsan_key, p);
        return;
    }
    if (t && t == tsan_self) {
        tsan_dead = 1;
        tsan_thread_free(t);
    }
}

static void tsan_key_create(void)
{
    pthread_key_create(&tsan_key, tsan_key_destructor);
}

/* A thread made by pthread_create: say where its stack is. */
static void tsan_stack_record(struct tsan_thread *t,
                              struct trace_thread_writer *w)
{
    pthread_attr_t attr;
    void *lo = NULL;
    size_t size = 0;
    shim_enter();
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &lo, &size) != 0)
            size = 0;
        pthread_attr_destroy(&attr);
    }
    shim_leave();
    if (!size)
        return;
    struct trace_mem_block b = {(uint64_t)(uintptr_t)lo, size};
    tsan_emit_payload(t, w, TRACE_EV_MEM_STACK, 0, &b, sizeof b);
}

/* Start over with writer `w` (a new thread, or the child after fork). */
static void tsan_thread_bind(struct tsan_thread *t,
                             struct trace_thread_writer *w)
{
    t->w = w;
    t->chunk = w->chunk;
    t->pos = w->pos;
    t->last = NULL;
    t->acq = NULL;
    t->sites_chunk = NULL;
    t->accesses = 0;
    memset(&t->stats, 0, sizeof t->stats);
}

static struct tsan_thread *tsan_thread_new(struct trace_thread_writer *w)
{
    int saved = errno;
    void *m = mmap(NULL, sizeof(struct tsan_thread), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved;
    if (m == MAP_FAILED)
        return NULL;
    struct tsan_thread *t = m;
    t->epoch = 1;
    tsan_thread_bind(t, w);
    tsan_self = t;
    shim_enter();
    pthread_once(&tsan_key_once, tsan_key_create);
    pthread_setspecific(tsan_key, t);
    shim_leave();
    if (w->serial != 0)
        tsan_stack_record(t, w);
    return t;
}

struct tsan_thread *tsan_thread_sync(void)
{
    if (tsan_off || tsan_dead)
        return NULL;
    struct tsan_thread *t = tsan_self;
    if (t && t->ignore)
        return NULL;
    struct trace_thread_writer *w = shim_writer();
    if (!w) {
        if (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) == 2)
            tsan_off = 1;
        return NULL;
    }
    if (!t) {
        t = tsan_thread_new(w);
        if (!t)
            return NULL;
    } else if (t->w != w) {
        tsan_thread_bind(t, w);
    }
    if (++t->epoch == 0)
        t->epoch = 1;
    t->last = NULL;
    t->pos = w->pos;
    t->chunk = w->chunk;
    return t;
}

/* The state for the shadow stack: made on the thread's first call. */
static inline struct tsan_thread *tsan_stack_owner(void)
{
    struct tsan_thread *t = tsan_self;
    if (SHIM_LIKELY(t))
        return t;
    return tsan_off ? NULL : tsan_thread_sync();
}

/* ---- entry points ---- */

SHIM_EXPORT void __tsan_init(void)
{
    /* Called by every instrumented module's constructor, possibly from
     * .preinit_array before any library is initialised: only say that
     * this process is instrumented; recording starts with the first
     * access. */
    __atomic_store_n(&tsan_enabled, 1, __ATOMIC_RELAXED);
}

SHIM_EXPORT void __tsan_func_entry(void *pc)
{
    struct tsan_thread *t = tsan_stack_owner();
    if (!t)
        return;
    uint32_t d = t->depth++;
    if (SHIM_LIKELY(d < TSAN_STACK_MAX)) {
        t->pcs[d] = (uint64_t)(uintptr_t)pc;
        t->ctx[d + 1] = tsan_mix(t->ctx[d], (uint64_t)(uintptr_t)pc);
    }
}

SHIM_EXPORT void __tsan_func_exit(void)
{
    struct tsan_thread *t = tsan_self;
    if (SHIM_LIKELY(t && t->depth))
        t->depth--;
}

SHIM_EXPORT void __tsan_ignore_thread_begin(void)
{
    struct tsan_thread *t = tsan_stack_owner();
    if (t && t->ignore++ == 0) {
        t->w_bound = t->w;
        t->w = NULL; /* the fast check fails, the slow one says no */
    }
}

SHIM_EXPORT void __tsan_ignore_thread_end(void)
{
    struct tsan_thread *t = tsan_self;
    if (t && t->ignore && --t->ignore == 0)
        t->w = t->w_bound;
}

/* Whole-program hooks the ABI has and ctrace needs no work for. */
SHIM_EXPORT void __tsan_flush_memory(void) {}
SHIM_EXPORT void __tsan_on_thread_idle(void) {}

/* The calling thread's counters, at the process's end (other threads
 * write theirs when they end). */
__attribute__((destructor)) static void tsan_process_end(void)
{
    struct tsan_thread *t = tsan_self;
    if (t && !tsan_off)
        tsan_stats_emit(t);
}
