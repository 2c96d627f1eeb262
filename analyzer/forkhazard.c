/* Fork hazards (see forkhazard.h): snapshots of held locks at fork, the
 * warning, ghost locks in the child, and the error when a child thread
 * waits for one. */
#include <stdlib.h>
#include <string.h>

#include "forkhazard.h"
#include "hb.h"
#include "lockgraph.h"
#include "state.h"

/* The locks held in the forking thread's process (by any thread, also
 * finished ones: their locks stay locked too), and the fork's clock. */
static uint32_t snap_take(struct analyzer *a, uint32_t forker,
                          uint32_t child_pid, uint64_t ts)
{
    an_grow(&a->snaps, &a->snaps_cap, a->nsnaps + 1, sizeof *a->snaps);
    uint32_t si = (uint32_t)a->nsnaps++;
    struct an_fork_snap *s = &a->snaps[si];
    memset(s, 0, sizeof *s);
    s->parent_thread = forker;
    s->parent_proc = a->threads[forker].proc;
    s->child_pid = child_pid;
    s->child_proc = AN_NONE;
    s->finding = AN_NONE;
    s->ts = ts;
    hb_vc_copy(&s->vc, &a->threads[forker].vc);
    hb_vc_tick(&a->threads[forker].vc, forker);
    const struct an_proc *p = &a->procs[s->parent_proc];
    size_t cap = 0;
    for (size_t i = 0; i < p->nthreads; i++) {
        uint32_t u = p->threads[i];
        const struct an_thread *ut = &a->threads[u];
        for (size_t k = 0; k < ut->nheld; k++) {
            const struct an_held *h = &ut->held[k];
            const struct an_obj *o = &a->objs[h->obj];
            if (o->pshared)
                continue; /* shared, not copied */
            an_grow(&s->locks, &cap, s->nlocks + 1, sizeof *s->locks);
            struct an_snap_lock *l = &s->locks[s->nlocks++];
            l->addr = o->addr;
            l->obj = h->obj;
            l->holder = u;
            l->stack = h->stack;
            l->write = h->write;
            l->forker = u == forker;
        }
    }
    an_map_put(&a->snap_by_pid, child_pid, 0, si);
    return si;
}

static void snap_warn(struct analyzer *a, uint32_t si)
{
    struct an_fork_snap *s = &a->snaps[si];
    uint64_t key[12];
    size_t nkey = 0, others = 0;
    key[nkey++] = a->procs[s->parent_proc].root;
    key[nkey++] = an_stack_top(a, s->fork_stack);
    for (size_t i = 0; i < s->nlocks; i++) {
        /* Python locks held by other threads are not a warning: CPython
         * and the stdlib re-create theirs in the child (every thread's
         * tstate lock, logging's); one the child does wait on is the
         * error (forkhazard_child_waits) */
        if (s->locks[i].forker || an_obj_is_pylock(&a->objs[s->locks[i].obj]))
            continue;
        others++;
        if (nkey < 12)
            key[nkey++] = an_stack_top(a, s->locks[i].stack);
    }
    if (!others)
        return;
    struct finding *f = an_report(a, FINDING_FORK_WITH_LOCK_HELD,
                                  s->parent_proc, s->ts, key, nkey);
    if (!f)
        return;
    s->finding = (uint32_t)(f - a->findings.v);
    uint32_t forker = s->parent_thread;
    an_finding_thread(f, forker);
    char list[300];
    size_t n = 0;
    list[0] = '\0';
    if (s->fork_stack)
        an_finding_stack(a, f, s->fork_stack, forker, AN_T " forks here",
                         forker);
    for (size_t i = 0; i < s->nlocks; i++) {
        const struct an_snap_lock *l = &s->locks[i];
        if (l->forker || an_obj_is_pylock(&a->objs[l->obj]))
            continue;
        an_finding_thread(f, l->holder);
        size_t o = an_finding_object(a, f, l->obj);
        if (n < sizeof list)
            n += (size_t)snprintf(list + n, sizeof list - n,
                                  "%s" AN_T " holds " AN_O, n ? ", " : "",
                                  l->holder, o);
        an_finding_stack(a, f, l->stack, l->holder, AN_T " took " AN_O " here",
                         l->holder, o);
    }
    an_finding_message(f,
                       AN_T " forks (child pid %u) while %s: in the child "
                            "%s locked forever",
                       forker, s->child_pid, list,
                       others == 1 ? "it stays" : "they stay");
}

void forkhazard_on_fork(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev)
{
    uint32_t pid = ev->arg;
    uint32_t si = an_map_get(&a->snap_by_pid, pid, 0);
    if (si == AN_NONE || a->snaps[si].fork_seen ||
        a->snaps[si].parent_thread != ti)
        si = snap_take(a, ti, pid, ev->ts_ns);
    struct an_fork_snap *s = &a->snaps[si];
    s->fork_seen = 1;
    s->fork_stack = an_stack_of(a, ev);
    s->ts = ev->ts_ns;
    if (s->child_proc != AN_NONE)
        an_map_del(&a->snap_by_pid, pid, 0);
    if (!s->error_reported)
        snap_warn(a, si);
}

/* The child's copy of a lock held at fork. */
static void child_lock(struct analyzer *a, uint32_t si, size_t li,
                       uint32_t proc, uint32_t thread, uint64_t ts)
{
    const struct an_snap_lock l = a->snaps[si].locks[li];
    const struct an_obj po = a->objs[l.obj];
    uint32_t ci = an_obj_new(a, proc, l.addr, po.kind);
    struct an_obj *c = &a->objs[ci];
    c->mtype = po.mtype;
    c->inited = po.inited;
    c->recursive = po.recursive;
    c->create_pc = po.create_pc;
    c->create_stack = po.create_stack;
    if (!l.forker) {
        c->ghost = si;
        c->ghost_holder = l.holder;
        c->ghost_stack = l.stack;
        return;
    }
    uint32_t node = lockgraph_node(a, ci);
    an_held_add(&a->threads[thread], (struct an_held){.obj = ci,
                                                      .node = node,
                                                      .stack = l.stack,
                                                      .count = 1,
                                                      .ts = ts,
                                                      .write = l.write});
    c = &a->objs[ci];
    if (l.write)
        c->owner = thread;
    else
        c->nreaders++;
}

void forkhazard_child_start(struct analyzer *a, uint32_t proc, uint32_t ti,
                            uint32_t parent_serial,
                            const struct trace_event *ev)
{
    uint32_t pid = a->procs[proc].pid;
    uint32_t si = an_map_get(&a->snap_by_pid, pid, 0);
    if (si != AN_NONE && a->snaps[si].child_proc != AN_NONE)
        si = AN_NONE; /* a stale one for an earlier process with this pid */
    if (si == AN_NONE) {
        int parent = a->procs[proc].parent;
        if (parent < 0)
            return;
        uint32_t forker =
            an_thread_by_serial(a, (uint32_t)parent, parent_serial);
        if (forker == AN_NONE || forker >= a->nthreads)
            return;
        si = snap_take(a, forker, pid, ev->ts_ns);
    } else {
        an_map_del(&a->snap_by_pid, pid, 0);
    }
    a->snaps[si].child_proc = proc;
    a->procs[proc].snap = si;
    hb_receive(a, ti, &a->snaps[si].vc);
    for (size_t i = 0; i < a->snaps[si].nlocks; i++)
        child_lock(a, si, i, proc, ti, ev->ts_ns);
}

static const struct an_snap_lock *snap_lock_at(const struct an_fork_snap *s,
                                               uint64_t addr)
{
    for (size_t i = 0; i < s->nlocks; i++)
        if (s->locks[i].addr == addr && !s->locks[i].forker)
            return &s->locks[i];
    return NULL;
}

static void child_error_fill(struct analyzer *a, struct finding *f, uint32_t si,
                             uint32_t ti, uint32_t oi,
                             const struct trace_event *ev)
{
    const struct an_fork_snap *s = &a->snaps[si];
    const struct an_snap_lock *l = snap_lock_at(s, a->objs[oi].addr);
    uint32_t holder = l ? l->holder : a->objs[oi].ghost_holder;
    uint32_t hstack = l ? l->stack : a->objs[oi].ghost_stack;
    uint32_t forker = s->parent_thread;
    f->severity = SEV_ERROR;
    f->proc = a->threads[ti].proc;
    f->pid = a->procs[f->proc].pid;
    f->ts_ns = ev->ts_ns;
    f->nthreads = f->nobjects = 0;
    free(f->stacks);
    f->stacks = NULL;
    f->nstacks = 0;
    an_finding_thread(f, ti);
    an_finding_thread(f, holder);
    an_finding_thread(f, forker);
    size_t o = an_finding_object(a, f, oi);
    an_finding_message(f,
                       AN_T
                       " (child pid %u) waits forever for " AN_O ": " AN_T
                       " held it when " AN_T
                       " forked, and no thread of the child will release it",
                       ti, f->pid, o, holder, forker);
    an_finding_stack(a, f, an_stack_of(a, ev), ti,
                     AN_T " waits for " AN_O " here, in the child", ti, o);
    an_finding_stack(a, f, hstack, holder,
                     AN_T " took " AN_O " here, in the parent", holder, o);
    if (s->fork_stack)
        an_finding_stack(a, f, s->fork_stack, forker, AN_T " forks here",
                         forker);
}

void forkhazard_child_waits(struct analyzer *a, uint32_t ti, uint32_t oi,
                            const struct trace_event *ev)
{
    uint32_t si = a->objs[oi].ghost;
    struct an_fork_snap *s = &a->snaps[si];
    struct finding *f = NULL;
    if (s->finding != AN_NONE && a->findings.v[s->finding].count == 1 &&
        a->findings.v[s->finding].severity != SEV_ERROR) {
        f = &a->findings.v[s->finding]; /* the warning comes true */
    } else {
        const struct an_snap_lock *l = snap_lock_at(s, a->objs[oi].addr);
        uint64_t key[5] = {a->procs[s->parent_proc].root,
                           an_stack_top(a, s->fork_stack),
                           an_stack_top(a, l ? l->stack : 0), ev->site, 1};
        f = an_report(a, FINDING_FORK_WITH_LOCK_HELD, ev->proc, ev->ts_ns, key,
                      5);
    }
    s->error_reported = 1;
    a->procs[a->threads[ti].proc].serious = AN_SERIOUS_FORK;
    if (f)
        child_error_fill(a, f, si, ti, oi, ev);
}

void forkhazard_finish(struct analyzer *a)
{
    for (size_t i = 0; i < a->nsnaps; i++)
        if (!a->snaps[i].fork_seen && !a->snaps[i].error_reported)
            snap_warn(a, (uint32_t)i);
}
