/* Data races (see race.h; docs/races.md has the algorithm with an
 * example).
 *
 * Every mem-* record is a run of accesses by one thread at one epoch
 * (its own entry of its vector clock, hb.h).  For each 8-byte granule
 * the run touches, the cells already there are checked against the
 * thread's clock: a cell of another thread whose epoch the clock does not
 * cover, where one of the two writes and not both are atomic, is a race.
 * Then the shadow is updated, FastTrack-style: cells that the access
 * makes redundant (ordered before it, no weaker than it) lose the bytes
 * it touched, and the access becomes a cell (or widens the cell of the
 * same thread, epoch and code).  Reads of several threads that are not
 * ordered stay side by side, as FastTrack's read vector clocks.
 *
 * Atomics add happens-before: every atomic has a clock that releases
 * join into and acquires join from (release sequences are never broken
 * by another thread's relaxed store: an over-approximation that can hide
 * a race, never invent one).  A release fence makes the thread's later
 * relaxed stores publish its clock of the fence; an acquire fence joins
 * the clocks of the atomics the thread read relaxed since its previous
 * one.
 *
 * Reporting: a race is reported once per pair of code locations (the
 * two accesses' pcs), counting later occurrences, and once per granule
 * (later races on the same memory count into the first finding, as
 * ThreadSanitizer reports one race per address).  A finding names both
 * accesses (kind, size, address), the memory (global by symbol, heap
 * block with its size, offset and allocation, thread stack), both
 * stacks, the locks each thread held and where both threads were
 * created.
 *
 * Bounds: the shadow is collected when it grows past a threshold (cells
 * that every live thread of the process is ordered after can never race
 * again), and evicted down to a cap if that is not enough. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hb.h"
#include "pass.h"
#include "race.h"
#include "race_shadow.h"
#include "state.h"

#define RACE_MAX_CELLS 16u
/* Shadow budget, in bytes of shadow blocks (race_shadow.h): a first
 * collection at 64 MiB, at most 512 MiB (about 100 MiB of the program's
 * memory accessed by threads that are not yet ordered). */
#define RACE_GC_FIRST ((64u << 20) / RACE_SBLOCK_BYTES)
#define RACE_SHADOW_CAP ((512u << 20) / RACE_SBLOCK_BYTES)
#define RACE_RECENT                                                            \
    8u /* relaxed atomic reads an acquire fence                                \
          may join */
#define RACE_STACK_CACHE 64u
#define PC_MASK ((1ull << 48) - 1)

/* What a cell points to: enough to report the access later. */
struct race_info {
    uint32_t stack;   /* interned; its first pc is the access */
    uint32_t lockset; /* locks held */
    uint8_t size_log; /* 7: a range */
    uint8_t flags;    /* RC_* */
    uint32_t size;    /* bytes of one access */
};

/* A heap block or a thread's stack. */
struct race_block {
    uint64_t addr, size;
    uint32_t proc, thread, stack;
    uint8_t stackblock; /* a thread stack, not a heap block */
    uint8_t live;
};

struct race_thread {
    uint32_t held_n; /* lockset cache: the held locks it was */
    uint32_t held_obj[8];
    uint32_t lockset;
    struct vclock fence; /* clock at its latest release fence */
    bool fenced;
    uint64_t recent[RACE_RECENT]; /* atomics read relaxed since the last
                                     acquire fence */
    uint32_t nrecent;
    struct {
        uint64_t site;
        const uint64_t *ptr;
        uint32_t depth, id;
    } scache[RACE_STACK_CACHE];
};

struct race {
    struct race_shadow shadow;
    size_t gc_at;
    struct race_info *infos;
    size_t ninfos, infos_cap;
    struct an_map info_map; /* (stack | lockset << 32, size | flags) */
    uint32_t *locksets;     /* [n, obj...] runs */
    size_t nlocksets, locksets_cap;
    struct an_map lockset_map; /* (hash, salt) -> offset */
    struct race_thread *threads;
    size_t nthreads;
    struct vclock *syncs; /* atomics' clocks */
    size_t nsyncs, syncs_cap;
    struct an_map sync_map; /* (proc + 1, addr) -> sync */
    uint32_t *free_syncs;   /* slots of atomics whose memory was freed */
    size_t nfree_syncs, free_syncs_cap;
    struct race_block *blocks;
    size_t nblocks, blocks_cap;
    struct an_map block_map; /* (proc + 1, addr) -> block */
    uint32_t free_block;
    struct race_stats stats;
};

/* The access being analysed. */
struct race_access {
    const struct trace_event *ev;
    uint32_t thread, proc;
    uint64_t epoch;
    unsigned flags;     /* RC_* */
    uint32_t size_log;  /* of one access; 7 for a range */
    uint32_t size;      /* bytes of one access */
    uint64_t addr, len; /* what the record covers */
    uint32_t info;      /* AN_NONE until needed */
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static void *race_create(struct analyzer *a)
{
    if (a->opt.no_races)
        return NULL;
    struct race *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->gc_at = RACE_GC_FIRST;
    r->free_block = AN_NONE;
    return r;
}

static struct race_thread *race_thread(struct race *r, uint32_t t)
{
    if (t >= r->nthreads) {
        size_t n = r->nthreads ? r->nthreads : 8;
        while (n <= t)
            n *= 2;
        r->threads = xrealloc(r->threads, n * sizeof *r->threads);
        memset(r->threads + r->nthreads, 0,
               (n - r->nthreads) * sizeof *r->threads);
        r->nthreads = n;
    }
    return &r->threads[t];
}

/* ---- interning: stacks, locksets, access infos ---- */

/* The stack of a mem event: its site-stack (the access first), or the
 * site alone without the context tag. */
static uint32_t race_stack(struct analyzer *a, struct race *r,
                           const struct trace_event *ev)
{
    struct race_thread *rt = race_thread(r, ev->thread);
    unsigned way = (unsigned)((ev->site * 0x9e3779b97f4a7c15ull) >> 58) &
                   (RACE_STACK_CACHE - 1);
    if (rt->scache[way].site == ev->site &&
        rt->scache[way].ptr == ev->site_stack &&
        rt->scache[way].depth == ev->site_depth && rt->scache[way].id)
        return rt->scache[way].id;
    uint64_t pc = ev->site & PC_MASK;
    const uint64_t *pcs = &pc;
    uint32_t depth = 1;
    if (ev->site_stack && ev->site_depth && ev->site_stack[0] == pc) {
        pcs = ev->site_stack;
        depth = ev->site_depth;
    }
    uint32_t image = ev->proc < a->nprocs ? a->procs[ev->proc].root : ev->proc;
    uint32_t id = pc ? an_stack_intern(a, image, pcs, depth) : 0;
    rt->scache[way].site = ev->site;
    rt->scache[way].ptr = ev->site_stack;
    rt->scache[way].depth = ev->site_depth;
    rt->scache[way].id = id;
    return id;
}

/* The set of locks the thread holds now: an offset into r->locksets
 * (0: none). */
static uint32_t race_lockset(struct analyzer *a, struct race *r, uint32_t t)
{
    const struct an_thread *th = &a->threads[t];
    struct race_thread *rt = race_thread(r, t);
    uint32_t n = th->nheld < 8 ? (uint32_t)th->nheld : 8;
    if (n == 0)
        return 0;
    bool same = rt->held_n == n && rt->lockset;
    for (uint32_t i = 0; same && i < n; i++)
        same = rt->held_obj[i] == th->held[i].obj;
    if (same)
        return rt->lockset;
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < n; i++) {
        rt->held_obj[i] = th->held[i].obj;
        h = (h ^ th->held[i].obj) * 0x100000001b3ull;
    }
    rt->held_n = n;
    uint32_t off;
    for (uint64_t salt = 0;; salt++) {
        off = an_map_get(&r->lockset_map, h ^ n, salt);
        if (off == AN_NONE) {
            if (r->nlocksets == 0)
                r->nlocksets = 1; /* offset 0: the empty set */
            an_grow(&r->locksets, &r->locksets_cap, r->nlocksets + n + 1,
                    sizeof *r->locksets);
            off = (uint32_t)r->nlocksets;
            r->locksets[off] = n;
            memcpy(r->locksets + off + 1, rt->held_obj, n * sizeof(uint32_t));
            r->nlocksets += n + 1;
            an_map_put(&r->lockset_map, h ^ n, salt, off);
            break;
        }
        if (r->locksets[off] == n && memcmp(r->locksets + off + 1, rt->held_obj,
                                            n * sizeof(uint32_t)) == 0)
            break;
    }
    rt->lockset = off;
    return off;
}

static uint32_t race_info_of(struct analyzer *a, struct race *r,
                             struct race_access *x)
{
    if (x->info != AN_NONE)
        return x->info;
    uint32_t stack = race_stack(a, r, x->ev);
    uint32_t lockset = race_lockset(a, r, x->thread);
    uint64_t k1 = stack | (uint64_t)lockset << 32;
    uint64_t k2 =
        x->size | (uint64_t)x->size_log << 32 | (uint64_t)x->flags << 40;
    uint32_t id = an_map_get(&r->info_map, k1, k2);
    if (id == AN_NONE) {
        an_grow(&r->infos, &r->infos_cap, r->ninfos + 1, sizeof *r->infos);
        id = (uint32_t)r->ninfos++;
        struct race_info *in = &r->infos[id];
        in->stack = stack;
        in->lockset = lockset;
        in->size_log = (uint8_t)x->size_log;
        in->flags = (uint8_t)x->flags;
        in->size = x->size;
        an_map_put(&r->info_map, k1, k2, id);
    }
    x->info = id;
    return id;
}

/* ---- heap blocks and stacks ---- */

static struct race_block *block_find(struct race *r, uint32_t proc,
                                     uint64_t addr)
{
    uint32_t i = an_map_get(&r->block_map, proc + 1, addr);
    return i == AN_NONE ? NULL : &r->blocks[i];
}

static void block_remove(struct race *r, struct race_block *b)
{
    an_map_del(&r->block_map, b->proc + 1, b->addr);
    b->live = 0;
    uint32_t i = (uint32_t)(b - r->blocks);
    b->thread = r->free_block;
    r->free_block = i;
}

static void block_add(struct race *r, uint32_t proc, uint64_t addr,
                      uint64_t size, uint32_t thread, uint32_t stack,
                      bool stackblock)
{
    struct race_block *b = block_find(r, proc, addr);
    if (!b) {
        uint32_t i = r->free_block;
        if (i != AN_NONE) {
            r->free_block = r->blocks[i].thread;
        } else {
            an_grow(&r->blocks, &r->blocks_cap, r->nblocks + 1,
                    sizeof *r->blocks);
            i = (uint32_t)r->nblocks++;
        }
        b = &r->blocks[i];
        an_map_put(&r->block_map, proc + 1, addr, i);
    }
    b->addr = addr;
    b->size = size;
    b->proc = proc;
    b->thread = thread;
    b->stack = stack;
    b->stackblock = stackblock;
    b->live = 1;
}

/* The block holding `addr` (reports only: a scan). */
static const struct race_block *block_containing(const struct race *r,
                                                 uint32_t proc, uint64_t addr)
{
    const struct race_block *best = NULL;
    for (size_t i = 0; i < r->nblocks; i++) {
        const struct race_block *b = &r->blocks[i];
        if (b->live && b->proc == proc && addr >= b->addr &&
            addr - b->addr < b->size && (!best || b->size < best->size))
            best = b;
    }
    return best;
}

/* ---- reports ---- */

static const char *race_verb(unsigned flags, bool past)
{
    if (flags & RC_FREE)
        return past ? "freed" : "frees";
    if (flags & RC_WRITE)
        return past ? "wrote" : "writes";
    return past ? "read" : "reads";
}

static size_t race_locks_text(struct analyzer *a, struct finding *f,
                              const uint32_t *objs, uint32_t n, char *buf,
                              size_t cap)
{
    size_t at =
        (size_t)snprintf(buf, cap, "%s", n ? "holding " : "holding no lock");
    for (uint32_t i = 0; i < n && at < cap; i++) {
        size_t o = an_finding_object(a, f, objs[i]);
        at += (size_t)snprintf(buf + at, cap - at, "%s%s " AN_O, i ? ", " : "",
                               an_obj_kind_name(a->objs[objs[i]].kind), o);
    }
    return at;
}

/* The memory a finding is about: object 0, and words for the message.
 * Returns its heap block or stack, if any. */
static const struct race_block *race_location(struct analyzer *a,
                                              struct race *r, struct finding *f,
                                              uint32_t proc, uint64_t addr,
                                              char *extra, size_t cap)
{
    struct finding_object *o = &f->objects[f->nobjects++];
    memset(o, 0, sizeof *o);
    o->addr = addr;
    o->proc = proc;
    extra[0] = '\0';
    const struct race_block *b = block_containing(r, proc, addr);
    if (b && b->stackblock) {
        snprintf(o->kind, sizeof o->kind, "stack");
        an_finding_thread(f, b->thread);
        snprintf(extra, cap, " (on the stack of " AN_T ")", b->thread);
    } else if (b) {
        snprintf(o->kind, sizeof o->kind, "heap block");
        o->create_pc = an_stack_top(a, b->stack);
        an_finding_thread(f, b->thread);
        snprintf(extra, cap,
                 " (%" PRIu64 " bytes, offset %" PRIu64 ", allocated by " AN_T
                 ")",
                 b->size, addr - b->addr, b->thread);
    } else {
        snprintf(o->kind, sizeof o->kind, "memory");
    }
    return b;
}

static void race_creation_stack(struct analyzer *a, struct finding *f,
                                uint32_t t)
{
    const struct an_thread *th = &a->threads[t];
    if (th->creator == AN_NONE || !th->create_stack)
        return;
    an_finding_thread(f, th->creator);
    an_finding_stack(a, f, th->create_stack, th->creator,
                     AN_T " created by " AN_T " here", t, th->creator);
}

static uint64_t race_unit_addr(uint64_t gran, unsigned mask, uint32_t size)
{
    uint64_t byte = gran * 8 + (unsigned)__builtin_ctz(mask);
    return size && size <= 8 && !(size & (size - 1))
               ? byte & ~(uint64_t)(size - 1)
               : byte;
}

static void race_report(struct analyzer *a, struct race *r,
                        struct race_access *x, uint64_t gran,
                        struct race_gran *e, const struct race_cell *c,
                        unsigned overlap)
{
    if (e->finding1 && e->finding1 - 1 < a->findings.n) {
        a->findings.v[e->finding1 - 1].count++;
        return;
    }
    const struct race_info *xi = &r->infos[race_info_of(a, r, x)];
    const struct race_info *pi = &r->infos[c->info];
    uint64_t pcx = an_stack_top(a, xi->stack), pcc = an_stack_top(a, pi->stack);
    uint64_t key[3] = {x->proc < a->nprocs ? a->procs[x->proc].root : x->proc,
                       pcx < pcc ? pcx : pcc, pcx < pcc ? pcc : pcx};
    struct finding *f =
        an_report(a, FINDING_DATA_RACE, x->proc, x->ev->ts_ns, key, 3);
    if (!f) {
        f = an_report_find(a, FINDING_DATA_RACE, key, 3);
        e->finding1 = f ? (uint32_t)(f - a->findings.v) + 1 : 0;
        return;
    }
    e->finding1 = (uint32_t)(f - a->findings.v) + 1;
    uint64_t ax = race_unit_addr(gran, overlap, xi->size);
    uint64_t ac = race_unit_addr(gran, rc_mask(c) & overlap, pi->size);
    an_finding_thread(f, x->thread);
    an_finding_thread(f, c->thread);
    char where[200];
    const struct race_block *blk =
        race_location(a, r, f, x->proc, ax, where, sizeof where);
    char lx[200], lc[200];
    uint32_t heldx[8], nx = 0;
    const struct an_thread *tx = &a->threads[x->thread];
    for (size_t i = 0; i < tx->nheld && nx < 8; i++)
        heldx[nx++] = tx->held[i].obj;
    race_locks_text(a, f, heldx, nx, lx, sizeof lx);
    const uint32_t *lsc = pi->lockset ? r->locksets + pi->lockset + 1 : NULL;
    race_locks_text(a, f, lsc, pi->lockset ? r->locksets[pi->lockset] : 0, lc,
                    sizeof lc);
    const char *atx = (xi->flags & RC_ATOMIC) ? "atomic " : "";
    const char *atc = (pi->flags & RC_ATOMIC) ? "atomic " : "";
    an_finding_message(
        f,
        "data race on {object:0}%s: " AN_T " %s%s %u bytes at 0x%" PRIx64
        " (%s) and " AN_T " %s%s %u bytes at 0x%" PRIx64
        " (%s), with no synchronization ordering them",
        where, x->thread, atx, race_verb(xi->flags, false), xi->size, ax, lx,
        c->thread, atc, race_verb(pi->flags, true), pi->size, ac, lc);
    an_finding_stack(a, f, xi->stack, x->thread,
                     AN_T " %s%s %u bytes at 0x%" PRIx64, x->thread, atx,
                     race_verb(xi->flags, false), xi->size, ax);
    an_finding_stack(a, f, pi->stack, c->thread,
                     "earlier, " AN_T " %s%s %u bytes at 0x%" PRIx64, c->thread,
                     atc, race_verb(pi->flags, true), pi->size, ac);
    if (blk && !blk->stackblock && blk->stack)
        an_finding_stack(a, f, blk->stack, blk->thread,
                         "heap block of %" PRIu64 " bytes allocated by " AN_T,
                         blk->size, blk->thread);
    for (size_t i = 0; i < tx->nheld; i++) {
        size_t o = an_finding_object(a, f, tx->held[i].obj);
        if (tx->held[i].stack)
            an_finding_stack(a, f, tx->held[i].stack, x->thread,
                             AN_T " took " AN_O " here", x->thread, o);
    }
    race_creation_stack(a, f, x->thread);
    race_creation_stack(a, f, c->thread);
}

/* ---- the shadow update ---- */

static inline bool cell_ordered(const struct analyzer *a,
                                const struct vclock *vc, uint32_t t,
                                const struct race_cell *c)
{
    return c->thread == t || hb_get(a, vc, c->thread) >= rc_epoch(c);
}

static inline bool cells_conflict(unsigned f1, unsigned f2)
{
    return ((f1 | f2) & RC_WRITE) && !((f1 & f2) & RC_ATOMIC);
}

/* Whether access flags `x` make a cell with flags `c` redundant when the
 * cell is ordered before it: no weaker (a write, or a read over a read;
 * plain over anything, atomic over atomic). */
static inline bool supersedes(unsigned x, unsigned c)
{
    if (!(x & RC_WRITE) && (c & RC_WRITE))
        return false;
    return !(x & RC_ATOMIC) || (c & RC_ATOMIC);
}

static void race_granule(struct analyzer *a, struct race *r,
                         struct race_access *x, uint64_t gran, unsigned mask)
{
    const struct vclock *vc = &a->threads[x->thread].vc;
    struct race_gran *e = shadow_get(&r->shadow, x->proc, gran << 3);
    struct race_cell *c = shadow_cells(e);
    for (unsigned i = 0; i < e->n; i++) {
        unsigned overlap = rc_mask(&c[i]) & mask;
        if (overlap && cells_conflict(rc_flags(&c[i]), x->flags) &&
            !cell_ordered(a, vc, x->thread, &c[i])) {
            struct race_cell copy = c[i];
            race_report(a, r, x, gran, e, &copy, overlap);
        }
    }
    /* Cells this access makes redundant lose the bytes it touched. */
    for (unsigned i = e->n; i-- > 0;) {
        unsigned m = rc_mask(&c[i]);
        if (!(m & mask) || !cell_ordered(a, vc, x->thread, &c[i]) ||
            !supersedes(x->flags, rc_flags(&c[i])))
            continue;
        if ((m & ~mask) == 0)
            shadow_cell_remove(e, i);
        else
            rc_set_mask(&c[i], m & ~mask);
    }
    /* The same access of the same epoch widens its cell. */
    for (unsigned i = 0; i < e->n; i++) {
        if (c[i].thread == x->thread && c[i].info == x->info &&
            rc_epoch(&c[i]) == x->epoch && rc_flags(&c[i]) == x->flags) {
            rc_set_mask(&c[i], rc_mask(&c[i]) | mask);
            return;
        }
    }
    struct race_cell nc = {rc_pack(x->epoch, x->flags, mask), x->thread,
                           x->info};
    if (!shadow_cell_add(e, &nc, RACE_MAX_CELLS)) {
        shadow_cell_remove(e, 0); /* the oldest goes */
        r->stats.cells_dropped++;
        shadow_cell_add(e, &nc, RACE_MAX_CELLS);
    }
}

/* Walk the granules of [addr, addr + len). */
static void race_access_range(struct analyzer *a, struct race *r,
                              struct race_access *x)
{
    uint64_t lo = x->addr, hi = x->addr + x->len;
    if (hi <= lo)
        return;
    race_info_of(a, r, x);
    for (uint64_t g = lo >> 3; g <= (hi - 1) >> 3; g++) {
        uint64_t b0 = g * 8 > lo ? g * 8 : lo;
        uint64_t b1 = g * 8 + 8 < hi ? g * 8 + 8 : hi;
        unsigned mask = ((1u << (b1 - b0)) - 1) << (b0 & 7);
        race_granule(a, r, x, g, mask & 0xffu);
    }
}

/* ---- collection ---- */

/* The frontier of a process: per thread u, the least entry of u over the
 * clocks of its live threads and pending creates; a cell at or below it
 * is known to every thread that could still race with it.  Worked out
 * lazily per thread a cell names (clocks are sparse: a dense pass over
 * every thread ever created would cost threads x clocks per sweep). */
struct gc_front {
    const struct vclock **clocks;
    size_t n;
    uint64_t *min; /* per thread, valid where known[] is set */
    uint8_t *known;
};

struct gc_ctx {
    struct analyzer *a;
    struct gc_front **front; /* per process, built on first use */
    size_t nprocs;
};

static void *gc_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static struct gc_front *gc_frontier(struct gc_ctx *g, uint32_t proc)
{
    if (proc >= g->nprocs)
        return NULL;
    if (g->front[proc])
        return g->front[proc];
    struct analyzer *a = g->a;
    const struct an_proc *p = &a->procs[proc];
    struct gc_front *f = gc_alloc(1, sizeof *f);
    f->clocks = gc_alloc(p->nthreads + a->ncreates, sizeof *f->clocks);
    for (size_t i = 0; i < p->nthreads; i++) {
        const struct an_thread *t = &a->threads[p->threads[i]];
        if (t->state != TS_EXITED)
            f->clocks[f->n++] = &t->vc;
    }
    for (size_t i = 0; i < a->ncreates; i++) {
        const struct an_create *c = &a->creates[i];
        if (c->used && c->creator < a->nthreads &&
            a->threads[c->creator].proc == proc)
            f->clocks[f->n++] = &c->vc;
    }
    f->min = gc_alloc(a->nthreads, sizeof *f->min);
    f->known = gc_alloc(a->nthreads, sizeof *f->known);
    g->front[proc] = f;
    return f;
}

static uint64_t gc_min(const struct analyzer *a, struct gc_front *f, uint32_t u)
{
    if (f->known[u])
        return f->min[u];
    uint64_t m = UINT64_MAX;
    for (size_t i = 0; i < f->n && m; i++) {
        uint64_t v = hb_get(a, f->clocks[i], u);
        if (v < m)
            m = v;
    }
    f->known[u] = 1;
    f->min[u] = m;
    return m;
}

static bool gc_keep(void *ctx, uint32_t proc, const struct race_cell *c)
{
    struct gc_ctx *g = ctx;
    struct gc_front *f = gc_frontier(g, proc);
    return !f || c->thread >= g->a->nthreads ||
           rc_epoch(c) > gc_min(g->a, f, c->thread);
}

static void gc_free(struct gc_front *f)
{
    if (!f)
        return;
    free(f->clocks);
    free(f->min);
    free(f->known);
    free(f);
}

static void race_collect(struct analyzer *a, struct race *r)
{
    struct gc_ctx g = {a, gc_alloc(a->nprocs, sizeof(struct gc_front *)),
                       a->nprocs};
    shadow_sweep(&r->shadow, gc_keep, &g);
    for (size_t i = 0; i < g.nprocs; i++)
        gc_free(g.front[i]);
    free(g.front);
    if (r->shadow.n > RACE_SHADOW_CAP)
        r->stats.evicted += shadow_evict(&r->shadow, RACE_SHADOW_CAP / 4 * 3);
    r->gc_at =
        r->shadow.n * 2 > RACE_GC_FIRST ? r->shadow.n * 2 : RACE_GC_FIRST;
    if (r->gc_at > RACE_SHADOW_CAP)
        r->gc_at = RACE_SHADOW_CAP;
}

/* ---- atomics ---- */

static struct vclock *race_sync(struct race *r, uint32_t proc, uint64_t addr,
                                bool create)
{
    uint32_t i = an_map_get(&r->sync_map, proc + 1, addr);
    if (i != AN_NONE)
        return &r->syncs[i];
    if (!create)
        return NULL;
    if (r->nfree_syncs) {
        i = r->free_syncs[--r->nfree_syncs];
    } else {
        an_grow(&r->syncs, &r->syncs_cap, r->nsyncs + 1, sizeof *r->syncs);
        i = (uint32_t)r->nsyncs++;
        memset(&r->syncs[i], 0, sizeof r->syncs[i]);
    }
    an_map_put(&r->sync_map, proc + 1, addr, i);
    return &r->syncs[i];
}

/* The atomics of a heap block that ends or starts a new life (naturally
 * aligned ones of 4 bytes and more; small blocks only, where atomics
 * such as reference counts churn): their clocks go. */
#define RACE_SYNC_SCAN_MAX 4096u
static void race_sync_forget(struct race *r, uint32_t proc, uint64_t addr,
                             uint64_t size)
{
    if (r->sync_map.n == 0 || size > RACE_SYNC_SCAN_MAX)
        return;
    for (uint64_t a = (addr + 3) & ~3ull; a + 4 <= addr + size; a += 4) {
        uint32_t i = an_map_get(&r->sync_map, proc + 1, a);
        if (i == AN_NONE)
            continue;
        an_map_del(&r->sync_map, proc + 1, a);
        hb_vc_clear(&r->syncs[i]);
        an_grow(&r->free_syncs, &r->free_syncs_cap, r->nfree_syncs + 1,
                sizeof *r->free_syncs);
        r->free_syncs[r->nfree_syncs++] = i;
    }
}

static void race_recent_add(struct race_thread *rt, uint64_t addr)
{
    for (uint32_t i = 0; i < rt->nrecent; i++)
        if (rt->recent[i] == addr)
            return;
    if (rt->nrecent < RACE_RECENT)
        rt->recent[rt->nrecent++] = addr;
    else
        rt->recent[addr % RACE_RECENT] = addr;
}

static void race_fence(struct analyzer *a, struct race *r, uint32_t t,
                       const struct trace_event *ev)
{
    unsigned mo = ev->arg;
    struct race_thread *rt = race_thread(r, t);
    if (mo == 2 || mo >= 4 ||
        mo == 1) { /* acquire, consume, acq_rel, seq_cst */
        for (uint32_t i = 0; i < rt->nrecent; i++) {
            struct vclock *s = race_sync(r, ev->proc, rt->recent[i], false);
            if (s)
                hb_receive(a, t, s);
        }
        rt->nrecent = 0;
    }
    if (mo >= 3) { /* release, acq_rel, seq_cst */
        struct an_thread *th = &a->threads[t];
        hb_vc_copy(&rt->fence, &th->vc);
        rt->fenced = true;
        hb_vc_tick(&th->vc, t);
    }
}

/* ---- events ---- */

static void access_init(struct race_access *x, struct analyzer *a, uint32_t t,
                        const struct trace_event *ev)
{
    x->ev = ev;
    x->thread = t;
    x->proc = ev->proc;
    x->epoch = analyzer_hb_epoch(a, t);
    x->info = AN_NONE;
}

static void race_mem(struct analyzer *a, struct race *r, uint32_t t,
                     const struct trace_event *ev)
{
    struct race_access x;
    access_init(&x, a, t, ev);
    uint32_t arg = ev->arg;
    x.addr = ev->obj + TRACE_MEM_OFF(arg);
    switch (ev->type) {
    case TRACE_EV_MEM_RANGE_READ:
    case TRACE_EV_MEM_RANGE_WRITE:
        x.size_log = 7;
        x.len = x.size = TRACE_MEM_RANGE_LEN(arg);
        x.flags = ev->type == TRACE_EV_MEM_RANGE_WRITE ? RC_WRITE : 0;
        break;
    default:
        x.size_log = TRACE_MEM_SIZE_LOG(arg);
        x.size = 1u << x.size_log;
        x.len = (uint64_t)x.size * TRACE_MEM_COUNT(arg);
        x.flags = (ev->type == TRACE_EV_MEM_WRITE ||
                   ev->type == TRACE_EV_MEM_ATOMIC_WRITE)
                      ? RC_WRITE
                      : 0;
        if (ev->type == TRACE_EV_MEM_ATOMIC_READ ||
            ev->type == TRACE_EV_MEM_ATOMIC_WRITE)
            x.flags |= RC_ATOMIC;
        if (ev->type == TRACE_EV_MEM_ATOMIC_READ)
            race_recent_add(race_thread(r, t), x.addr);
        break;
    }
    race_access_range(a, r, &x);
}

static void race_atomic(struct analyzer *a, struct race *r, uint32_t t,
                        const struct trace_event *ev)
{
    unsigned op = TRACE_ATOMIC_OP(ev->arg), mo = TRACE_ATOMIC_ORDER(ev->arg);
    bool release = ev->type == TRACE_EV_ATOMIC_RELEASE;
    /* The access itself, once: a read-modify-write that also releases
     * (acq_rel, seq_cst) was an access at its release, before the epoch
     * moved on; its acquire half must not count it again later. */
    bool counted = !release && op == TRACE_ATOMIC_RMW && mo >= 4;
    if (op != TRACE_ATOMIC_ANNOTATE && !counted) {
        struct race_access x;
        access_init(&x, a, t, ev);
        x.addr = ev->obj;
        x.size_log = TRACE_ATOMIC_SIZE_LOG(ev->arg);
        x.len = x.size = 1u << x.size_log;
        x.flags = RC_ATOMIC;
        if (op != TRACE_ATOMIC_LOAD && op != TRACE_ATOMIC_CAS_FAIL)
            x.flags |= RC_WRITE;
        race_access_range(a, r, &x);
    }
    struct vclock *s = race_sync(r, ev->proc, ev->obj, release);
    if (!release) {
        if (s)
            hb_receive(a, t, s);
        return;
    }
    struct race_thread *rt = race_thread(r, t);
    if (op == TRACE_ATOMIC_FENCED && rt->fenced)
        hb_vc_join(s, &rt->fence);
    else
        hb_send(a, t, s);
}

static void race_block_event(struct analyzer *a, struct race *r, uint32_t t,
                             const struct trace_event *ev)
{
    struct trace_mem_block b;
    if (ev->payload_len < sizeof b)
        return;
    memcpy(&b, ev->payload, sizeof b);
    uint32_t proc = ev->proc;
    if (ev->type == TRACE_EV_MEM_FREE) {
        struct race_block *blk = block_find(r, proc, b.addr);
        uint64_t size = blk && !blk->stackblock ? blk->size : b.size;
        if (size) {
            struct race_access x;
            access_init(&x, a, t, ev);
            x.addr = b.addr;
            x.len = size;
            x.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
            x.size_log = 7;
            x.flags = RC_WRITE | RC_FREE;
            race_access_range(a, r, &x);
            shadow_clear_range(&r->shadow, proc, b.addr, b.addr + size);
            race_sync_forget(r, proc, b.addr, size);
        }
        if (blk)
            block_remove(r, blk);
        return;
    }
    if (b.addr + b.size < b.addr)
        return;
    shadow_clear_range(&r->shadow, proc, b.addr, b.addr + b.size);
    race_sync_forget(r, proc, b.addr, b.size);
    bool stack = ev->type == TRACE_EV_MEM_STACK;
    block_add(r, proc, b.addr, b.size, t, stack ? 0 : race_stack(a, r, ev),
              stack);
}

static void race_stats_event(struct race *r, const struct trace_event *ev)
{
    struct trace_mem_stats s;
    if (ev->payload_len < sizeof s)
        return;
    memcpy(&s, ev->payload, sizeof s);
    r->stats.accesses += s.accesses;
    r->stats.filtered += s.filtered;
    r->stats.merged += s.merged;
    r->stats.records += s.records;
    r->stats.dropped += s.dropped;
}

static void race_event(struct analyzer *a, void *self,
                       const struct trace_event *ev)
{
    struct race *r = self;
    uint32_t thread = ev->thread;
    if (!r || thread >= a->nthreads)
        return;
    r->stats.mem_events++;
    switch (ev->type) {
    case TRACE_EV_ATOMIC_ACQUIRE:
    case TRACE_EV_ATOMIC_RELEASE:
        race_atomic(a, r, thread, ev);
        break;
    case TRACE_EV_ATOMIC_FENCE:
        race_fence(a, r, thread, ev);
        break;
    case TRACE_EV_MEM_ALLOC:
    case TRACE_EV_MEM_FREE:
    case TRACE_EV_MEM_STACK:
        race_block_event(a, r, thread, ev);
        break;
    case TRACE_EV_MEM_STATS:
        race_stats_event(r, ev);
        break;
    default:
        race_mem(a, r, thread, ev);
        break;
    }
    if (r->shadow.n > r->gc_at)
        race_collect(a, r);
}

static void race_finish(struct analyzer *a, void *self,
                        struct analysis_result *out)
{
    (void)out;
    struct race *r = self;
    if (!r)
        return;
    if (r->stats.evicted)
        an_note(a,
                "data races: shadow memory was capped at %zu MiB; the past "
                "accesses of %" PRIu64 " KiB of memory were forgotten, and "
                "races on them may be missing",
                (size_t)RACE_SHADOW_CAP * RACE_SBLOCK_BYTES >> 20,
                r->stats.evicted << RACE_BLOCK_SHIFT >> 10);
    if (r->stats.dropped)
        an_note(a,
                "data races: %" PRIu64 " accesses made by signal handlers "
                "while their thread was recording another were not recorded",
                r->stats.dropped);
}

void race_get_stats(const struct analyzer *a, struct race_stats *out)
{
    memset(out, 0, sizeof *out);
    const struct race *r = an_pass_state(a, &race_pass);
    if (!r)
        return;
    *out = r->stats;
    out->shadow_bytes_max = r->shadow.peak * RACE_SBLOCK_BYTES;
}

static void race_free(void *self)
{
    struct race *r = self;
    if (!r)
        return;
    shadow_free(&r->shadow);
    free(r->infos);
    an_map_free(&r->info_map);
    free(r->locksets);
    an_map_free(&r->lockset_map);
    for (size_t i = 0; i < r->nthreads; i++)
        hb_vc_free(&r->threads[i].fence);
    free(r->threads);
    for (size_t i = 0; i < r->nsyncs; i++)
        hb_vc_free(&r->syncs[i]);
    free(r->syncs);
    free(r->free_syncs);
    an_map_free(&r->sync_map);
    free(r->blocks);
    an_map_free(&r->block_map);
    free(r);
}

const struct an_pass race_pass = {
    .name = "race",
    .families = AN_FAMILY_BIT(TRACE_FAM_MEMORY),
    .create = race_create,
    .event = race_event,
    .finish = race_finish,
    .destroy = race_free,
};
