/* The analyzer's internal state: what it knows about every process image,
 * thread and synchronization object so far, and the small containers that
 * hold it (hash maps, interned stacks).  Every analysis module
 * (hb, lockgraph, waitfor, misuse, forkhazard, contention) reads and
 * updates this state; nothing outside analyzer/ sees it.
 *
 * Two ideas to read it by:
 *  - indexes, not pointers: threads and processes are indexed by the
 *    reader's thread and process indexes; objects, stacks, lock-graph
 *    nodes and fork snapshots by their position in growing arrays.  An
 *    index stays valid for the analyzer's whole life (arrays only grow),
 *    so state can refer to state without dangling.
 *  - memory is bounded by threads, objects, distinct stacks and distinct
 *    findings, never by events: nothing is appended per event.
 */
#ifndef CTRACE_ANALYZER_STATE_H
#define CTRACE_ANALYZER_STATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "analyzer.h"
#include "finding.h"
#include "pass_run.h"
#include "reader.h"
#include "vclock.h"

#define AN_NONE UINT32_MAX

/* ---- a hash map: two-word key -> u32 value (open addressing) ---- */

struct an_map_slot {
    uint64_t k1, k2;
    uint32_t val; /* AN_NONE: empty */
};

struct an_map {
    struct an_map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;
};

uint32_t an_map_get(const struct an_map *m, uint64_t k1, uint64_t k2);
void an_map_put(struct an_map *m, uint64_t k1, uint64_t k2, uint32_t val);
void an_map_del(struct an_map *m, uint64_t k1, uint64_t k2);
void an_map_free(struct an_map *m);

/* Grow `*p` (elements of `size` bytes, capacity `*cap`) to hold `need`. */
void an_grow(void *p, size_t *cap, size_t need, size_t size);

/* ---- interned stacks: id 0 is "no stack" ---- */

struct an_stack {
    uint32_t off, depth; /* pcs[off .. off+depth) in the store */
};

struct an_stacks {
    uint64_t *pcs;
    size_t npcs, pcs_cap;
    struct an_stack *v;
    size_t n, cap;
    struct an_map by_hash; /* (content hash, salt) -> id */
    struct an_map by_site; /* (image, site) -> id last seen there */
};

/* ---- objects ---- */

enum an_obj_kind {
    AN_OBJ_NONE,
    AN_MUTEX,
    AN_RWLOCK,
    AN_SPIN,
    AN_COND,
    AN_SEM,
    AN_BARRIER,
    AN_ONCE,
};

static inline bool an_kind_is_lock(uint8_t k)
{
    return k == AN_MUTEX || k == AN_RWLOCK || k == AN_SPIN;
}

/* an_obj.mtype of a mutex that is a CPython lock (a semaphore made by
 * PyThread_allocate_lock, python.c): any thread may release it, and its
 * owner waiting on it again is a wait for another thread's release
 * (Condition.wait), not a double lock.  A thread's own sentinel (the
 * lock threading holds for the thread's whole life, which join() waits
 * for) is one too, kept out of its holder's held set (python.c). */
#define AN_MTYPE_PYLOCK 0x10
#define AN_MTYPE_PYSENTINEL 0x11

#define AN_BARRIER_RING 4

/* Barrier rounds and waiters (only barriers carry one). */
struct an_barrier {
    uint32_t count;                      /* from barrier-init; 0 when unknown */
    uint32_t arrivals;                   /* in the open round */
    uint32_t round;                      /* number of the open round */
    struct vclock ring[AN_BARRIER_RING]; /* arrivals' clocks per round */
    uint32_t *waiters; /* distinct threads that ever waited (this gen) */
    size_t nwaiters, waiters_cap;
    uint32_t blocked; /* threads inside barrier-wait right now */
};

struct an_obj {
    /* hot: read by every lock event (first cache lines) */
    uint64_t addr;
    uint32_t proc;     /* image it lives in (for shared ones: creator) */
    uint32_t gen;      /* init/destroy generation */
    uint8_t kind;      /* enum an_obj_kind */
    uint8_t mtype;     /* PTHREAD_MUTEX_* type */
    uint8_t pshared;   /* shared across processes */
    uint8_t inited;    /* explicit init seen (else static / first use) */
    uint8_t destroyed; /* destroyed and not initialised since */
    uint8_t recursive; /* seen re-acquired by its owner without waiting */
    uint8_t destroy_reported;
    uint32_t node;       /* lock-graph node of this generation, or AN_NONE */
    uint32_t owner;      /* exclusive holder (thread), or AN_NONE */
    uint32_t nreaders;   /* rwlock read holds (threads) */
    uint32_t ghost;      /* fork snapshot that left it locked, or AN_NONE */
    uint32_t rel_thread; /* last exclusive releaser, its epoch, and its */
    uint64_t rel_epoch;  /* clock's joins when vw was copied from it */
    uint64_t rel_joins;
    struct vclock vw; /* release clock (write side / signals / posts) */
    /* first acquisitions inside and outside signal handlers */
    uint32_t sig_stack, plain_stack, sig_thread, plain_thread;
    /* cold */
    uint32_t ghost_holder, ghost_stack; /* parent thread and its stack */
    uint64_t create_pc;
    uint32_t create_stack, create_thread;
    uint32_t destroy_stack, destroy_thread;
    uint64_t destroy_ts; /* when (a forked child's copy is destroyed only
                            if this was before the child began) */
    struct vclock vr;    /* rwlock read releases since the last writer */
    /* cond and sem */
    uint32_t cond_mutex; /* mutex bound by current waiters, or AN_NONE */
    uint32_t waiters;    /* threads blocked on it (cond, sem) */
    uint32_t wake_seq;   /* cond: broadcasts (and lone signals) so far */
    struct an_barrier *bar;
};

/* ---- threads ---- */

enum an_blk {
    BLK_NONE,
    BLK_MUTEX,
    BLK_RDLOCK,
    BLK_WRLOCK,
    BLK_SPIN,
    BLK_COND,
    BLK_SEM,
    BLK_BARRIER,
    BLK_JOIN,
    BLK_PROCWAIT,
};

enum an_thread_state { TS_UNSEEN, TS_RUNNING, TS_EXITED };

/* Per-thread caches of the two lookups every lock event makes, direct
 * mapped.  Objects get more slots than sites: a thread cycling through
 * 16 locks missed on one lookup in ten with 16 slots. */
#define AN_OCACHE_BITS 6
#define AN_SCACHE_BITS 4
struct an_objcache {
    uint64_t addr;
    uint32_t idx, epoch; /* valid while epoch == analyzer.obj_epoch; a
                            zeroed entry (epoch 0) is empty: obj_epoch is
                            never 0 once an object exists, and the lookup
                            never trusts epoch 0 */
};
struct an_stackcache {
    uint64_t site;
    const uint64_t *ptr; /* the reader's site_stack it was made from */
    uint64_t last;       /* and its last frame */
    uint32_t depth, id;
};

/* A lock a thread holds. */
struct an_held {
    uint32_t obj;
    uint32_t node;  /* lock-graph node of the acquisition */
    uint32_t stack; /* where it was taken */
    uint32_t count; /* recursion depth */
    uint64_t ts;    /* when (hold time) */
    uint8_t write;  /* exclusive / write side */
    uint8_t trylock;
};

struct an_thread {
    uint8_t state; /* enum an_thread_state */
    uint8_t info;  /* proc/tid/serial known from the reader or caller */
    uint8_t detached, joined, exit_how;
    uint8_t started;     /* thread-start seen */
    uint8_t dl_reported; /* double-lock reported for the current wait */
    uint8_t join_reported;
    uint8_t cond_unheld; /* the cond wait released a mutex it did not hold */
    uint32_t proc, tid, serial;
    uint32_t creator;      /* thread that created it, or AN_NONE */
    uint32_t create_stack; /* where pthread_create was called */
    uint32_t start_stack;  /* the start routine */
    uint32_t exit_stack;
    uint64_t self; /* pthread_t */
    uint64_t first_ts, last_ts, exit_ts;
    uint32_t sig_depth;
    struct an_held *held;
    size_t nheld, held_cap;
    struct vclock vc;
    uint64_t vc_joins;   /* changes to vc other than its own ticks (hb.c) */
    struct hb_fold fold; /* once joined: what stands for its entries */
    /* what it is blocked in (TF_BLOCK event without its completion) */
    uint8_t blk, blk_timed;
    uint32_t blk_obj;      /* object, or AN_NONE */
    uint32_t blk_aux;      /* cond: the mutex it released */
    uint32_t blk_wake_seq; /* cond: wake_seq when it began */
    uint64_t blk_target;   /* join: pthread_t; process-wait: pid */
    uint64_t blk_since;
    uint32_t blk_stack;
    uint32_t cond_mutex; /* mutex released by a cond wait, AN_NONE */
    uint32_t barrier_round;
    uint32_t last_create; /* serial of its latest thread-create */
    struct an_objcache ocache[1u << AN_OCACHE_BITS];
    struct an_stackcache scache[1u << AN_SCACHE_BITS];
};

/* ---- process images ---- */

/* Why an image needs no hang finding: a deadlock already says why its
 * threads wait; so does a fork error offline, but live the child's hang
 * is still reported, since it is what lets the monitor end the run. */
enum { AN_SERIOUS_DEADLOCK = 1, AN_SERIOUS_FORK = 2 };

struct an_proc {
    uint8_t seen, info;
    uint8_t started; /* process-start seen */
    uint8_t exited;  /* process-exit seen */
    uint8_t crashed; /* fatal signal, abort, assert, terminate */
    uint8_t execd;   /* replaced by a successful exec */
    uint8_t reaped;  /* its parent reaped it */
    uint8_t hang_reported;
    uint8_t serious; /* AN_SERIOUS_*: a deadlock or fork error was found
                        in it */
    uint32_t pid, ppid, flags;
    int parent;               /* parent image index, -1 */
    uint32_t root;            /* first image of its fork family (dedup keys) */
    uint32_t exec_thread;     /* thread inside exec, or AN_NONE */
    uint32_t snap;            /* fork snapshot it came from, or AN_NONE */
    uint32_t pending_creates; /* thread-create without thread-start */
    uint64_t first_ts, end_ts, reap_ts, hang_since;
    uint32_t *threads; /* thread indexes, in order of appearance */
    size_t nthreads, threads_cap;
};

/* ---- fork snapshots (forkhazard.c) ---- */

struct an_snap_lock {
    uint64_t addr;
    uint32_t obj;    /* the parent's object */
    uint32_t holder; /* parent thread holding it */
    uint32_t stack;  /* where the holder took it */
    uint8_t write;
    uint8_t forker; /* held by the forking thread itself */
};

struct an_fork_snap {
    uint32_t parent_proc, parent_thread;
    uint32_t child_pid, child_proc;
    uint64_t ts;
    uint32_t fork_stack;
    struct vclock vc;
    struct an_snap_lock *locks;
    size_t nlocks;
    uint32_t finding;  /* index of its warning finding, or AN_NONE */
    uint8_t fork_seen; /* the parent's fork event was processed */
    uint8_t error_reported;
};

/* ---- thread-create records waiting for their thread-start ---- */

struct an_create {
    uint32_t creator;
    uint32_t stack;
    struct vclock vc;
    uint8_t used;
};

/* ---- findings being collected ---- */

struct an_findings {
    struct finding *v;
    size_t n, cap;
    struct an_map by_key; /* (key hash, kind) -> index */
    size_t live_reported; /* v[0..live_reported) already handed out */
};

/* ---- lock graph (lockgraph.c) ---- */
struct lockgraph;
/* ---- Python (python.c, gil.c) ---- */
struct python_state;
struct gil_state;
/* ---- outside wakers (wakeup.c) ---- */
struct wakeup_state;

struct analyzer {
    struct analyzer_options opt;
    const struct trace_reader *reader;

    struct an_thread *threads;
    size_t nthreads, threads_cap;
    struct an_proc *procs;
    size_t nprocs, procs_cap;
    struct an_obj *objs;
    size_t nobjs, objs_cap;
    struct an_map obj_map;    /* (proc, addr) -> object */
    uint32_t obj_epoch;       /* bumped whenever obj_map changes */
    struct an_map sem_names;  /* (name hash, 0) -> object */
    struct an_map serial_map; /* (proc, serial) -> thread */
    struct an_map self_map;   /* (proc, pthread_t) -> thread */
    struct an_map detach_map; /* (proc, pthread_t) -> 1: detached early */
    struct an_map pid_map;    /* (pid, 0) -> latest image */
    struct an_map create_map; /* (proc, serial) -> an_create */
    struct an_map spawn_map;  /* (child pid, 0) -> an_create of a spawn */
    struct an_map exec_map;   /* (pid, 0) -> thread inside exec */
    struct an_create *creates;
    size_t ncreates, creates_cap;
    uint32_t free_create; /* a reusable an_create, or AN_NONE */
    struct an_fork_snap *snaps;
    size_t nsnaps, snaps_cap;
    struct an_map snap_by_pid; /* (child pid, 0) -> snapshot not matched */

    struct an_stacks stacks;
    struct lockgraph *graph;
    struct python_state *py; /* Python runtimes, frames (python.c); NULL
                                until a python-runtime event */
    struct gil_state *gil;   /* GIL waits (gil.c); NULL without one */
    struct an_findings findings;
    struct an_passes passes; /* the analyses (pass.h) */

    uint64_t events, lost_events;
    uint64_t first_ts, last_ts;
    bool have_ts;
    bool finished;
    uint64_t lock_cycles, lock_cycles_kept;
    bool lock_cycles_truncated;
    char **notes;
    size_t nnotes, notes_cap;
};

/* ---- the event table's flags ---- */

/* TF_* of each event type, expanded from events.def here as well so that
 * the per-event paths read them without a call into the reader. */
extern const uint8_t an_event_flags_table[TRACE_EV_LIMIT];
static inline uint32_t an_event_flags(uint32_t type)
{
    return type < TRACE_EV_LIMIT ? an_event_flags_table[type] : 0;
}
/* The same for the event's family (TRACE_FAM_*). */
extern const uint8_t an_event_family_table[TRACE_EV_LIMIT];
static inline uint32_t an_event_family(uint32_t type)
{
    return type < TRACE_EV_LIMIT ? an_event_family_table[type] : TRACE_FAM_META;
}

/* ---- tables ---- */

struct an_thread *an_thread_get(struct analyzer *a, uint32_t idx);
struct an_proc *an_proc_get(struct analyzer *a, uint32_t idx);
/* Make sure the thread and its process are known; first sight of a
 * thread fills its identity from the reader when there is one. */
struct an_thread *an_thread_touch_slow(struct analyzer *a,
                                       const struct trace_event *ev);

static inline struct an_thread *an_thread_touch(struct analyzer *a,
                                                const struct trace_event *ev)
{
    if (ev->thread < a->nthreads && a->threads[ev->thread].state != TS_UNSEEN) {
        struct an_thread *t = &a->threads[ev->thread];
        t->last_ts = ev->ts_ns;
        return t;
    }
    return an_thread_touch_slow(a, ev);
}

/* The object an event names: the process's own, an inherited shared
 * one, or a new one of `kind` (statically initialised).  `created` is set
 * when it did not exist anywhere. */
uint32_t an_obj_lookup(struct analyzer *a, uint32_t proc, uint64_t addr);
/* The same through the event thread's cache (inline: every lock event
 * makes this lookup, and it nearly always hits). */
static inline unsigned an_cache_way(uint64_t v, unsigned bits)
{
    return (unsigned)((v * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}
static inline struct an_objcache *an_ocache(struct analyzer *a,
                                            const struct trace_event *ev)
{
    return &a->threads[ev->thread]
                .ocache[an_cache_way(ev->obj, AN_OCACHE_BITS)];
}
static inline struct an_stackcache *an_scache(struct analyzer *a,
                                              const struct trace_event *ev)
{
    return &a->threads[ev->thread]
                .scache[an_cache_way(ev->site, AN_SCACHE_BITS)];
}
uint32_t an_obj_lookup_ev_slow(struct analyzer *a, const struct trace_event *ev,
                               struct an_objcache *c);
static inline uint32_t an_obj_lookup_ev(struct analyzer *a,
                                        const struct trace_event *ev)
{
    struct an_objcache *c = an_ocache(a, ev);
    if (c->addr == ev->obj && c->epoch == a->obj_epoch && c->epoch)
        return c->idx;
    return an_obj_lookup_ev_slow(a, ev, c);
}
/* Map (proc, addr) to object i (new object or alias). */
void an_obj_map(struct analyzer *a, uint32_t proc, uint64_t addr, uint32_t i);
uint32_t an_obj_find(struct analyzer *a, uint32_t proc, uint64_t addr,
                     uint8_t kind, bool *created);
uint32_t an_obj_new(struct analyzer *a, uint32_t proc, uint64_t addr,
                    uint8_t kind);
static inline struct an_obj *an_obj(struct analyzer *a, uint32_t i)
{
    return &a->objs[i];
}
static inline bool an_obj_is_pylock(const struct an_obj *o)
{
    return o->kind == AN_MUTEX && (o->mtype & ~1u) == AN_MTYPE_PYLOCK;
}
const char *an_obj_kind_name(uint8_t kind);

/* A thread's held locks, innermost last. */
static inline struct an_held *an_held_find(struct an_thread *t, uint32_t obj)
{
    for (size_t i = t->nheld; i-- > 0;)
        if (t->held[i].obj == obj)
            return &t->held[i];
    return NULL;
}
void an_held_grow(struct an_thread *t);
/* Append a hold, filled in by the caller (a struct copy: a memset of the
 * slot first cost a slow `rep stos` per acquisition). */
static inline void an_held_add(struct an_thread *t, struct an_held h)
{
    if (t->nheld == t->held_cap)
        an_held_grow(t);
    t->held[t->nheld++] = h;
}
void an_held_remove_inner(struct an_thread *t, struct an_held *h);
/* Locks are mostly released innermost first: then nothing moves. */
static inline void an_held_remove(struct an_thread *t, struct an_held *h)
{
    if (h == &t->held[t->nheld - 1])
        t->nheld--;
    else
        an_held_remove_inner(t, h);
}

/* The proc index of the image `pid` is now, or AN_NONE. */
uint32_t an_proc_by_pid(struct analyzer *a, uint32_t pid);
/* The thread of `proc` with this serial, or AN_NONE. */
uint32_t an_thread_by_serial(struct analyzer *a, uint32_t proc,
                             uint32_t serial);

/* ---- stacks ---- */

/* The stack a thread's cache entry holds for this event, or 0: it
 * answers when the reader handed the same stack record again (same site,
 * address, depth and last frame). */
static inline uint64_t an_stack_last(const struct trace_event *ev)
{
    return ev->site_stack && ev->site_depth ? ev->site_stack[ev->site_depth - 1]
                                            : 0;
}
static inline uint32_t an_stackcache_hit(const struct an_stackcache *c,
                                         const struct trace_event *ev)
{
    bool same = c->site == ev->site && c->ptr == ev->site_stack &&
                c->depth == ev->site_depth && c->last == an_stack_last(ev);
    return same ? c->id : 0;
}

/* Intern the stack of an event: site first, then its deeper frames, with
 * the thread's Python frames on top when it has some for this event.
 * Inline: every acquisition asks, and a C-only trace nearly always finds
 * the answer in the thread's cache. */
uint32_t an_stack_of_slow(struct analyzer *a, const struct trace_event *ev);
static inline uint32_t an_stack_of(struct analyzer *a,
                                   const struct trace_event *ev)
{
    if (!a->py && ev->site && ev->thread < a->nthreads) {
        uint32_t id = an_stackcache_hit(an_scache(a, ev), ev);
        if (id)
            return id;
    }
    return an_stack_of_slow(a, ev);
}
uint32_t an_stack_intern(struct analyzer *a, uint32_t image,
                         const uint64_t *pcs, uint32_t depth);
const uint64_t *an_stack_pcs(const struct analyzer *a, uint32_t id,
                             uint32_t *depth);
/* First pc of a stack (its site), 0 for none. */
uint64_t an_stack_top(const struct analyzer *a, uint32_t id);

/* ---- findings ---- */

/* Start a finding, or count one more occurrence of an existing one with
 * the same kind and key (returns NULL then).  `key` is whatever makes
 * two occurrences "the same" (sites, threads, objects). */
struct finding *an_report(struct analyzer *a, enum finding_kind kind,
                          uint32_t proc, uint64_t ts, const uint64_t *key,
                          size_t nkey);
/* The finding with that kind and key, or NULL. */
struct finding *an_report_find(struct analyzer *a, enum finding_kind kind,
                               const uint64_t *key, size_t nkey);
void an_finding_message(struct finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Add a thread (once); returns its position. */
size_t an_finding_thread(struct finding *f, uint32_t thread);
/* Add an object (once); returns its position, for "{object:N}". */
size_t an_finding_object(struct analyzer *a, struct finding *f, uint32_t obj);
/* Add an interned stack with a label (printf format). */
void an_finding_stack(struct analyzer *a, struct finding *f, uint32_t stack,
                      uint32_t thread, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A note for the report ("lock-order cycle search stopped at ..."). */
void an_note(struct analyzer *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Placeholders used in messages and labels (expanded by
 * finding_message_format). */
#define AN_T "{thread:%u}"
#define AN_O "{object:%zu}"

/* ---- passes (pass.h) ---- */

/* Hand a step to the passes that want it. */
static inline void an_emit_step(struct analyzer *a, const struct an_step *s)
{
    const struct an_step_hook *h = a->passes.by_step[s->kind];
    const struct an_step_hook *end = h + a->passes.nby_step[s->kind];
    for (; h < end; h++)
        h->fn(a, h->self, s);
}

/* Hand a raw event to the passes that want its family. */
static inline void an_emit_event(struct analyzer *a, uint32_t family,
                                 const struct trace_event *ev)
{
    const struct an_event_hook *h = a->passes.by_family[family];
    const struct an_event_hook *end = h + a->passes.nby_family[family];
    for (; h < end; h++)
        h->fn(a, h->self, ev);
}

void an_state_free(struct analyzer *a);

#endif
