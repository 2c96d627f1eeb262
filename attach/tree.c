/* Waits between processes (tree.h).  The graph is small (one node per
 * process of the tree), so a cycle is found by a plain depth-first walk
 * from each stuck process. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

/* One wait of a thread for a process. */
struct tree_edge {
    uint32_t thread; /* snapshot thread that waits */
    uint32_t to;     /* process it waits for */
};

struct tree {
    const struct snapshot *s;
    struct tree_edge *e;
    size_t n;
    bool *stuck; /* per process: every thread blocked for good */
};

static bool tree_blocked(const struct snap_thread *t)
{
    return !t->timed && t->wait != SW_RUNNING && t->wait != SW_STOPPED &&
           t->wait != SW_SLEEP && t->wait != SW_OTHER && t->wait != SW_SYSCALL;
}

static void tree_edge_add(struct tree *g, uint32_t thread, uint32_t to)
{
    struct tree_edge *v = realloc(g->e, (g->n + 1) * sizeof *v);
    if (!v)
        abort();
    g->e = v;
    g->e[g->n++] = (struct tree_edge){thread, to};
}

/* The end of the pipe or socket a thread needs another process to use:
 * writers for a reader, readers for a writer. */
static int tree_peer_end(const struct snap_thread *t, char *kind, size_t klen,
                         uint64_t *ino)
{
    if ((t->wait != SW_READ && t->wait != SW_WRITE) ||
        !procfs_fd_inode(t->fd_what, kind, klen, ino))
        return 0;
    return t->wait == SW_READ ? PROCFS_END_WRITE : PROCFS_END_READ;
}

static bool tree_waits_for_child(const struct snapshot *s,
                                 const struct snap_thread *t, uint32_t q)
{
    const struct snap_proc *c = &s->procs[q];
    if (t->wait != SW_WAITPID || c->parent != (int)t->proc)
        return false;
    return t->wait_pid <= 0 || t->wait_pid == c->pid;
}

static void tree_build(struct tree *g)
{
    const struct snapshot *s = g->s;
    for (size_t i = 0; i < s->nthreads; i++) {
        const struct snap_thread *t = &s->threads[i];
        char kind[16];
        uint64_t ino;
        int end = tree_peer_end(t, kind, sizeof kind, &ino);
        for (uint32_t q = 0; q < s->nprocs; q++) {
            if (tree_waits_for_child(s, t, q) ||
                (end && (procfs_inode_ends(s->procs[q].pid, kind, ino) & end)))
                tree_edge_add(g, (uint32_t)i, q);
        }
    }
    for (uint32_t p = 0; p < s->nprocs; p++) {
        const struct snap_proc *sp = &s->procs[p];
        g->stuck[p] = sp->nthreads > 0;
        for (size_t i = sp->first_thread; i < sp->first_thread + sp->nthreads;
             i++)
            if (!tree_blocked(&s->threads[i]))
                g->stuck[p] = false;
    }
}

/* A cycle of stuck processes through p: edges in path[], returns its
 * length (0: none).  on[] marks processes on the current path. */
static size_t tree_cycle_from(const struct tree *g, uint32_t p, uint32_t start,
                              size_t depth, size_t *path, bool *on)
{
    on[p] = true;
    for (size_t k = 0; k < g->n; k++) {
        const struct tree_edge *e = &g->e[k];
        if (g->s->threads[e->thread].proc != p || !g->stuck[e->to])
            continue;
        path[depth] = k;
        if (e->to == start)
            return depth + 1;
        if (!on[e->to] && e->to > start) {
            size_t n = tree_cycle_from(g, e->to, start, depth + 1, path, on);
            if (n)
                return n;
        }
    }
    on[p] = false;
    return 0;
}

static void tree_edge_text(const struct tree *g, const struct tree_edge *e,
                           char *buf, size_t len)
{
    const struct snap_thread *t = &g->s->threads[e->thread];
    pid_t to = g->s->procs[e->to].pid;
    if (t->wait == SW_WAITPID)
        snprintf(buf, len,
                 "{thread:%" PRIu32 "} waits in waitpid for process %d",
                 e->thread, (int)to);
    else
        snprintf(buf, len,
                 "{thread:%" PRIu32 "} waits to %s %s, whose %s end process %d "
                 "holds",
                 e->thread, t->wait == SW_READ ? "read" : "write", t->fd_what,
                 t->wait == SW_READ ? "write" : "read", (int)to);
}

static void tree_stack(const struct snapshot *s, struct finding *f, uint32_t ti)
{
    const struct snap_thread *t = &s->threads[ti];
    struct finding_stack *v =
        realloc(f->stacks, (f->nstacks + 1) * sizeof *f->stacks);
    if (!v)
        abort();
    f->stacks = v;
    struct finding_stack *st = &f->stacks[f->nstacks++];
    memset(st, 0, sizeof *st);
    st->proc = t->proc;
    st->thread = ti;
    for (size_t k = 0; k < t->npy && st->depth < STACK_MAX_FRAMES; k++)
        st->pcs[st->depth++] = t->py[k];
    for (size_t k = 0; k < t->depth && st->depth < STACK_MAX_FRAMES; k++)
        st->pcs[st->depth++] = t->pcs[k];
    snprintf(st->label, sizeof st->label, "{thread:%" PRIu32 "} blocked in %s",
             ti, snapshot_wait_call(t->wait));
}

/* The finding, worded like the analyzer's deadlocks (waitfor.c). */
static void tree_report(const struct tree *g, const size_t *path, size_t len,
                        struct analysis_result *res)
{
    struct finding *v =
        realloc(res->findings, (res->nfindings + 1) * sizeof *v);
    if (!v)
        abort();
    res->findings = v;
    struct finding *f = &res->findings[res->nfindings++];
    memset(f, 0, sizeof *f);
    f->kind = FINDING_DEADLOCK;
    f->severity = finding_kind_severity(FINDING_DEADLOCK);
    f->count = 1;
    const struct snap_thread *t0 = &g->s->threads[g->e[path[0]].thread];
    f->proc = t0->proc;
    f->pid = (uint32_t)g->s->procs[t0->proc].pid;
    size_t n = (size_t)snprintf(f->message, sizeof f->message, "deadlock: ");
    for (size_t i = 0; i < len && n < sizeof f->message; i++) {
        const struct tree_edge *e = &g->e[path[i]];
        char part[400];
        tree_edge_text(g, e, part, sizeof part);
        n += (size_t)snprintf(f->message + n, sizeof f->message - n, "%s%s",
                              i ? "; " : "", part);
        if (f->nthreads < FINDING_MAX_THREADS)
            f->threads[f->nthreads++] = e->thread;
        tree_stack(g->s, f, e->thread);
    }
}

void tree_check(const struct snapshot *s, struct replay *r)
{
    struct tree g = {.s = s};
    g.stuck = calloc(s->nprocs + 1, sizeof *g.stuck);
    bool *on = calloc(s->nprocs + 1, sizeof *on);
    size_t *path = calloc(s->nprocs + 1, sizeof *path);
    if (!g.stuck || !on || !path)
        abort();
    tree_build(&g);
    /* one finding per cycle, found from its lowest process */
    for (uint32_t p = 0; p < s->nprocs; p++) {
        if (!g.stuck[p])
            continue;
        memset(on, 0, (s->nprocs + 1) * sizeof *on);
        size_t len = tree_cycle_from(&g, p, p, 0, path, on);
        if (len)
            tree_report(&g, path, len, &r->res);
    }
    free(g.e);
    free(g.stuck);
    free(on);
    free(path);
}

void tree_describe_peer(const struct snapshot *s, const struct snap_thread *t,
                        char *buf, size_t len)
{
    char kind[16];
    uint64_t ino;
    int end = tree_peer_end(t, kind, sizeof kind, &ino);
    if (!end || strcmp(kind, "pipe") != 0)
        return;
    size_t n = strlen(buf), holders = 0;
    for (uint32_t q = 0; q < s->nprocs && n < len; q++) {
        if (!(procfs_inode_ends(s->procs[q].pid, kind, ino) & end))
            continue;
        n += (size_t)snprintf(buf + n, len - n, "%s%d",
                              holders++ ? ", " : ", whose other end pid ",
                              (int)s->procs[q].pid);
    }
    if (holders && n < len)
        snprintf(buf + n, len - n, " hold%s", holders == 1 ? "s" : "");
}
