/* The analyzer's tables (see state.h): the hash map, threads, process
 * images, objects (with the rules for which object an address names in
 * which process) and interned stacks. */
#include <stdlib.h>
#include <string.h>

#include "hb.h"
#include "python.h"
#include "state.h"

const uint8_t an_event_flags_table[TRACE_EV_LIMIT] = {
#define EV(id, num, name, fam, flags, doc) [num] = (flags),
#include "events.def"
#undef EV
};

const uint8_t an_event_family_table[TRACE_EV_LIMIT] = {
#define EV(id, num, name, fam, flags, doc) [num] = TRACE_FAM_##fam,
#include "events.def"
#undef EV
};

/* ---- growing arrays ---- */

void an_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void **pp = p;
    void *q = realloc(*pp, n * size);
    if (!q)
        abort(); /* the analyzer cannot go on without memory */
    memset((char *)q + *cap * size, 0, (n - *cap) * size);
    *pp = q;
    *cap = n;
}

/* ---- hash map ---- */

static inline uint64_t map_hash(uint64_t k1, uint64_t k2)
{
    uint64_t h = k1 * 0x9e3779b97f4a7c15ull ^
                 (k2 + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    return h ^ (h >> 29);
}

static void map_rehash(struct an_map *m, size_t cap)
{
    struct an_map_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->slots = malloc(cap * sizeof *m->slots);
    if (!m->slots)
        abort();
    for (size_t i = 0; i < cap; i++)
        m->slots[i].val = AN_NONE;
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].val != AN_NONE)
            an_map_put(m, old[i].k1, old[i].k2, old[i].val);
    free(old);
}

uint32_t an_map_get(const struct an_map *m, uint64_t k1, uint64_t k2)
{
    if (!m->cap)
        return AN_NONE;
    size_t mask = m->cap - 1;
    for (size_t i = map_hash(k1, k2) & mask;; i = (i + 1) & mask) {
        const struct an_map_slot *s = &m->slots[i];
        if (s->val == AN_NONE)
            return AN_NONE;
        if (s->k1 == k1 && s->k2 == k2)
            return s->val;
    }
}

void an_map_put(struct an_map *m, uint64_t k1, uint64_t k2, uint32_t val)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        map_rehash(m, m->cap ? m->cap * 2 : 16);
    size_t mask = m->cap - 1;
    for (size_t i = map_hash(k1, k2) & mask;; i = (i + 1) & mask) {
        struct an_map_slot *s = &m->slots[i];
        if (s->val == AN_NONE) {
            s->k1 = k1;
            s->k2 = k2;
            s->val = val;
            m->n++;
            return;
        }
        if (s->k1 == k1 && s->k2 == k2) {
            s->val = val;
            return;
        }
    }
}

/* Linear probing deletion by backward shift: no tombstones. */
void an_map_del(struct an_map *m, uint64_t k1, uint64_t k2)
{
    if (!m->cap)
        return;
    size_t mask = m->cap - 1;
    size_t i = map_hash(k1, k2) & mask;
    for (;; i = (i + 1) & mask) {
        if (m->slots[i].val == AN_NONE)
            return;
        if (m->slots[i].k1 == k1 && m->slots[i].k2 == k2)
            break;
    }
    m->slots[i].val = AN_NONE;
    m->n--;
    for (size_t j = (i + 1) & mask; m->slots[j].val != AN_NONE;
         j = (j + 1) & mask) {
        size_t home = map_hash(m->slots[j].k1, m->slots[j].k2) & mask;
        /* Move j into the hole at i when its home is not in (i, j]. */
        bool between =
            i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            m->slots[i] = m->slots[j];
            m->slots[j].val = AN_NONE;
            i = j;
        }
    }
}

void an_map_free(struct an_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ---- processes and threads ---- */

struct an_proc *an_proc_get(struct analyzer *a, uint32_t idx)
{
    if (idx >= a->nprocs) {
        size_t old = a->nprocs;
        an_grow(&a->procs, &a->procs_cap, (size_t)idx + 1, sizeof *a->procs);
        for (size_t i = old; i <= idx; i++) {
            struct an_proc *p = &a->procs[i];
            p->parent = -1;
            p->root = (uint32_t)i;
            p->exec_thread = AN_NONE;
            p->snap = AN_NONE;
        }
        a->nprocs = (size_t)idx + 1;
    }
    struct an_proc *p = &a->procs[idx];
    if (!p->info && a->reader && idx < trace_reader_process_count(a->reader)) {
        const struct trace_process *rp = trace_reader_process(a->reader, idx);
        p->info = 1;
        p->pid = rp->pid;
        p->ppid = rp->ppid;
        p->flags = rp->flags;
        p->parent = rp->parent;
        uint32_t pid = p->pid;
        if (rp->parent >= 0 && (uint32_t)rp->parent < idx &&
            (rp->flags & TRACE_FILE_FORKED)) {
            uint32_t root = an_proc_get(a, (uint32_t)rp->parent)->root;
            p = &a->procs[idx]; /* an_proc_get may have moved the array */
            p->root = root;
        }
        an_map_put(&a->pid_map, pid, 0, idx);
    }
    return p;
}

void analyzer_set_process(struct analyzer *a, uint32_t proc, uint32_t pid,
                          uint32_t ppid, int parent)
{
    struct an_proc *p = an_proc_get(a, proc);
    p->info = 1;
    p->pid = pid;
    p->ppid = ppid;
    p->parent = parent;
    an_map_put(&a->pid_map, pid, 0, proc);
}

uint32_t an_proc_by_pid(struct analyzer *a, uint32_t pid)
{
    return an_map_get(&a->pid_map, pid, 0);
}

struct an_thread *an_thread_get(struct analyzer *a, uint32_t idx)
{
    if (idx >= a->nthreads) {
        size_t old = a->nthreads;
        an_grow(&a->threads, &a->threads_cap, (size_t)idx + 1,
                sizeof *a->threads);
        for (size_t i = old; i <= idx; i++) {
            struct an_thread *t = &a->threads[i];
            t->proc = AN_NONE;
            t->serial = AN_NONE;
            t->creator = AN_NONE;
            t->blk_obj = AN_NONE;
            t->blk_aux = AN_NONE;
            t->cond_mutex = AN_NONE;
            t->last_create = AN_NONE;
        }
        a->nthreads = (size_t)idx + 1;
    }
    return &a->threads[idx];
}

static void thread_set_identity(struct analyzer *a, uint32_t idx, uint32_t proc,
                                uint32_t tid, uint32_t serial)
{
    struct an_thread *t = an_thread_get(a, idx);
    t->info = 1;
    t->proc = proc;
    t->tid = tid;
    t->serial = serial;
    if (serial != AN_NONE)
        an_map_put(&a->serial_map, proc, serial, idx);
}

void analyzer_set_thread(struct analyzer *a, uint32_t thread, uint32_t proc,
                         uint32_t tid, uint32_t serial)
{
    thread_set_identity(a, thread, proc, tid, serial);
}

uint32_t an_thread_by_serial(struct analyzer *a, uint32_t proc, uint32_t serial)
{
    return an_map_get(&a->serial_map, proc, serial);
}

struct an_thread *an_thread_touch_slow(struct analyzer *a,
                                       const struct trace_event *ev)
{
    uint32_t idx = ev->thread;
    struct an_thread *t = an_thread_get(a, idx);
    if (!t->info) {
        if (a->reader && idx < trace_reader_thread_count(a->reader)) {
            const struct trace_thread *rt = trace_reader_thread(a->reader, idx);
            thread_set_identity(a, idx, rt->proc, rt->tid, rt->serial);
        } else {
            thread_set_identity(a, idx, ev->proc, ev->tid, AN_NONE);
        }
    }
    t->proc = ev->proc; /* the event is the authority */
    t->state = TS_RUNNING;
    t->first_ts = t->last_ts = ev->ts_ns;
    struct an_proc *p = an_proc_get(a, ev->proc);
    if (!p->seen) {
        p->seen = 1;
        p->first_ts = ev->ts_ns;
        if (!p->info) {
            p->pid = ev->pid;
            an_map_put(&a->pid_map, ev->pid, 0, ev->proc);
        }
    }
    an_grow(&p->threads, &p->threads_cap, p->nthreads + 1, sizeof(uint32_t));
    p->threads[p->nthreads++] = idx;
    hb_thread_init(a, idx);
    return t;
}

/* ---- held locks ---- */

void an_held_grow(struct an_thread *t)
{
    an_grow(&t->held, &t->held_cap, t->nheld + 1, sizeof *t->held);
}

/* A lock released out of order: the later ones move down, keeping
 * acquisition order. */
void an_held_remove_inner(struct an_thread *t, struct an_held *h)
{
    size_t i = (size_t)(h - t->held);
    memmove(&t->held[i], &t->held[i + 1], (t->nheld - i - 1) * sizeof *t->held);
    t->nheld--;
}

/* ---- objects ---- */

const char *an_obj_kind_name(uint8_t kind)
{
    switch (kind) {
    case AN_MUTEX:
        return "mutex";
    case AN_RWLOCK:
        return "rwlock";
    case AN_SPIN:
        return "spinlock";
    case AN_COND:
        return "cond";
    case AN_SEM:
        return "sem";
    case AN_BARRIER:
        return "barrier";
    case AN_ONCE:
        return "once";
    }
    return "object";
}

static void obj_reset(struct an_obj *o)
{
    o->owner = AN_NONE;
    o->nreaders = 0;
    o->ghost = AN_NONE;
    o->ghost_holder = AN_NONE;
    o->node = AN_NONE;
    o->cond_mutex = AN_NONE;
    o->rel_thread = AN_NONE;
    o->waiters = 0;
}

uint32_t an_obj_new(struct analyzer *a, uint32_t proc, uint64_t addr,
                    uint8_t kind)
{
    an_grow(&a->objs, &a->objs_cap, a->nobjs + 1, sizeof *a->objs);
    uint32_t i = (uint32_t)a->nobjs++;
    struct an_obj *o = &a->objs[i];
    memset(o, 0, sizeof *o);
    o->addr = addr;
    o->proc = proc;
    o->kind = kind;
    o->create_thread = AN_NONE;
    o->destroy_thread = AN_NONE;
    obj_reset(o);
    if (kind == AN_BARRIER) {
        o->bar = calloc(1, sizeof *o->bar);
        if (!o->bar)
            abort();
    }
    an_obj_map(a, proc, addr, i);
    return i;
}

void an_obj_map(struct analyzer *a, uint32_t proc, uint64_t addr, uint32_t i)
{
    an_map_put(&a->obj_map, proc, addr, i);
    if (++a->obj_epoch == 0) {
        /* wrapped: entries stamped long ago would match again */
        for (size_t t = 0; t < a->nthreads; t++)
            memset(a->threads[t].ocache, 0, sizeof a->threads[t].ocache);
        a->obj_epoch = 1;
    }
}

uint32_t an_obj_lookup(struct analyzer *a, uint32_t proc, uint64_t addr)
{
    return an_map_get(&a->obj_map, proc, addr);
}

uint32_t an_obj_lookup_ev_slow(struct analyzer *a, const struct trace_event *ev,
                               struct an_objcache *c)
{
    uint32_t i = an_map_get(&a->obj_map, ev->proc, ev->obj);
    if (i != AN_NONE) {
        c->addr = ev->obj;
        c->idx = i;
        c->epoch = a->obj_epoch;
    }
    return i;
}

/* Objects a forked image shares with its parent rather than copies:
 * process-shared locks and conds (their init said so) and semaphores
 * (sem_init's pshared flag is not recorded; a semaphore a child uses at
 * its parent's address without initialising it is taken to be in shared
 * memory, which is the only way such a use is meaningful). */
static bool obj_shared_with_child(const struct an_obj *o)
{
    return o->pshared || o->kind == AN_SEM;
}

/* A forked child's first use of an address: the parent's object, shared
 * or copied as it was then (a copy keeps type and init facts; its lock
 * state comes from the fork snapshot, see forkhazard.c). */
static uint32_t obj_inherit(struct analyzer *a, uint32_t proc, uint64_t addr)
{
    struct an_proc *p = &a->procs[proc];
    int parent = p->parent;
    if (parent < 0 || !(p->flags & TRACE_FILE_FORKED))
        return AN_NONE;
    uint32_t pi = an_obj_lookup(a, (uint32_t)parent, addr);
    if (pi == AN_NONE)
        pi = obj_inherit(a, (uint32_t)parent, addr);
    if (pi == AN_NONE)
        return AN_NONE;
    if (obj_shared_with_child(&a->objs[pi])) {
        a->objs[pi].pshared = 1;
        an_obj_map(a, proc, addr, pi);
        return pi;
    }
    uint32_t ci = an_obj_new(a, proc, addr, a->objs[pi].kind);
    struct an_obj *c = &a->objs[ci], *po = &a->objs[pi];
    c->mtype = po->mtype;
    c->inited = po->inited;
    /* the copy is as the parent's object was at the fork: a destroy the
     * parent made since is its own (the child may begin to record well
     * after the parent's fork event) */
    uint64_t forked = p->snap != AN_NONE && p->snap < a->nsnaps
                          ? a->snaps[p->snap].ts
                          : p->first_ts;
    c->destroyed = po->destroyed && po->destroy_ts <= forked;
    c->recursive = po->recursive;
    c->create_pc = po->create_pc;
    c->create_stack = po->create_stack;
    if (c->bar && po->bar)
        c->bar->count = po->bar->count;
    return ci;
}

uint32_t an_obj_find(struct analyzer *a, uint32_t proc, uint64_t addr,
                     uint8_t kind, bool *created)
{
    *created = false;
    uint32_t i = an_obj_lookup(a, proc, addr);
    if (i == AN_NONE && proc < a->nprocs)
        i = obj_inherit(a, proc, addr);
    if (i != AN_NONE) {
        struct an_obj *o = &a->objs[i];
        if (o->kind == kind || kind == AN_OBJ_NONE)
            return i;
        /* The memory now holds another kind of object (freed and
         * reused without destroy): a new object. */
        uint32_t gen = o->gen + 1;
        i = an_obj_new(a, proc, addr, kind);
        a->objs[i].gen = gen;
        *created = true;
        return i;
    }
    *created = true;
    return an_obj_new(a, proc, addr, kind);
}

/* ---- stacks ---- */

static uint64_t stack_hash(uint32_t image, const uint64_t *pcs, uint32_t depth)
{
    uint64_t h = 0xcbf29ce484222325ull ^ image;
    for (uint32_t i = 0; i < depth; i++) {
        h ^= pcs[i];
        h *= 0x100000001b3ull;
        h ^= h >> 32;
    }
    return h ^ depth;
}

static bool stack_equal(const struct analyzer *a, uint32_t id,
                        const uint64_t *pcs, uint32_t depth)
{
    const struct an_stack *s = &a->stacks.v[id];
    return s->depth == depth &&
           memcmp(a->stacks.pcs + s->off, pcs, depth * sizeof *pcs) == 0;
}

uint32_t an_stack_intern(struct analyzer *a, uint32_t image,
                         const uint64_t *pcs, uint32_t depth)
{
    struct an_stacks *st = &a->stacks;
    if (depth == 0)
        return 0;
    if (depth > STACK_MAX_FRAMES)
        depth = STACK_MAX_FRAMES;
    uint64_t h = stack_hash(image, pcs, depth);
    uint64_t salt = 0;
    for (;; salt++) {
        uint32_t id = an_map_get(&st->by_hash, h, salt);
        if (id == AN_NONE)
            break;
        if (stack_equal(a, id, pcs, depth))
            return id;
    }
    if (st->n == 0) {
        an_grow(&st->v, &st->cap, 1, sizeof *st->v);
        st->n = 1; /* id 0: no stack */
    }
    an_grow(&st->v, &st->cap, st->n + 1, sizeof *st->v);
    an_grow(&st->pcs, &st->pcs_cap, st->npcs + depth, sizeof *st->pcs);
    uint32_t id = (uint32_t)st->n++;
    st->v[id].off = (uint32_t)st->npcs;
    st->v[id].depth = depth;
    memcpy(st->pcs + st->npcs, pcs, depth * sizeof *pcs);
    st->npcs += depth;
    an_map_put(&st->by_hash, h, salt, id);
    return id;
}

static uint32_t stack_of_site(struct analyzer *a, const struct trace_event *ev);

/* The C stack through the thread's cache (see an_stackcache_hit). */
static uint32_t stack_of_c(struct analyzer *a, const struct trace_event *ev)
{
    if (!ev->site)
        return 0;
    struct an_stackcache *c =
        ev->thread < a->nthreads ? an_scache(a, ev) : NULL;
    uint32_t id = c ? an_stackcache_hit(c, ev) : 0;
    if (id)
        return id;
    id = stack_of_site(a, ev);
    if (c) {
        c->site = ev->site;
        c->ptr = ev->site_stack;
        c->depth = ev->site_depth;
        c->last = an_stack_last(ev);
        c->id = id;
    }
    return id;
}

/* With the thread's Python frames on top when it has some for this
 * event (python.c). */
uint32_t an_stack_of_slow(struct analyzer *a, const struct trace_event *ev)
{
    uint32_t id = stack_of_c(a, ev);
    return a->py ? python_stack_decorate(a, ev, id) : id;
}

static uint32_t stack_of_site(struct analyzer *a, const struct trace_event *ev)
{
    uint32_t image = ev->proc < a->nprocs ? a->procs[ev->proc].root : ev->proc;
    uint64_t buf[STACK_MAX_FRAMES];
    const uint64_t *pcs = buf;
    uint32_t depth;
    if (ev->site_stack && ev->site_depth && ev->site_stack[0] == ev->site) {
        pcs = ev->site_stack;
        depth = ev->site_depth;
    } else {
        buf[0] = ev->site;
        depth = 1;
        for (uint32_t i = 0;
             ev->site_stack && i < ev->site_depth && depth < STACK_MAX_FRAMES;
             i++)
            buf[depth++] = ev->site_stack[i];
    }
    if (depth > STACK_MAX_FRAMES)
        depth = STACK_MAX_FRAMES;
    /* Fast path: the stack this site had last time. */
    uint32_t id = an_map_get(&a->stacks.by_site, image, ev->site);
    if (id != AN_NONE && stack_equal(a, id, pcs, depth))
        return id;
    id = an_stack_intern(a, image, pcs, depth);
    an_map_put(&a->stacks.by_site, image, ev->site, id);
    return id;
}

const uint64_t *an_stack_pcs(const struct analyzer *a, uint32_t id,
                             uint32_t *depth)
{
    if (id == 0 || id >= a->stacks.n) {
        *depth = 0;
        return NULL;
    }
    *depth = a->stacks.v[id].depth;
    return a->stacks.pcs + a->stacks.v[id].off;
}

uint64_t an_stack_top(const struct analyzer *a, uint32_t id)
{
    uint32_t d;
    const uint64_t *pcs = an_stack_pcs(a, id, &d);
    return d ? pcs[0] : 0;
}

/* ---- teardown ---- */

void an_state_free(struct analyzer *a)
{
    for (size_t i = 0; i < a->nthreads; i++) {
        free(a->threads[i].held);
        hb_vc_free(&a->threads[i].vc);
    }
    free(a->threads);
    for (size_t i = 0; i < a->nprocs; i++)
        free(a->procs[i].threads);
    free(a->procs);
    for (size_t i = 0; i < a->nobjs; i++) {
        struct an_obj *o = &a->objs[i];
        hb_vc_free(&o->vw);
        hb_vc_free(&o->vr);
        if (o->bar) {
            for (int r = 0; r < AN_BARRIER_RING; r++)
                hb_vc_free(&o->bar->ring[r]);
            free(o->bar->waiters);
            free(o->bar);
        }
    }
    free(a->objs);
    for (size_t i = 0; i < a->ncreates; i++)
        hb_vc_free(&a->creates[i].vc);
    free(a->creates);
    for (size_t i = 0; i < a->nsnaps; i++) {
        hb_vc_free(&a->snaps[i].vc);
        free(a->snaps[i].locks);
    }
    free(a->snaps);
    an_map_free(&a->obj_map);
    an_map_free(&a->sem_names);
    an_map_free(&a->serial_map);
    an_map_free(&a->self_map);
    an_map_free(&a->detach_map);
    an_map_free(&a->pid_map);
    an_map_free(&a->create_map);
    an_map_free(&a->spawn_map);
    an_map_free(&a->exec_map);
    an_map_free(&a->snap_by_pid);
    free(a->stacks.pcs);
    free(a->stacks.v);
    an_map_free(&a->stacks.by_hash);
    an_map_free(&a->stacks.by_site);
    for (size_t i = 0; i < a->findings.n; i++)
        free(a->findings.v[i].stacks);
    free(a->findings.v);
    an_map_free(&a->findings.by_key);
    for (size_t i = 0; i < a->nnotes; i++)
        free(a->notes[i]);
    free(a->notes);
}
