/* Taking a snapshot of live processes (snapshot.h): read /proc while the
 * process runs, stop it (stop.c), unwind every thread (unwind.c), read
 * what each blocked thread waits for (classify.c) and its Python frames
 * (pyframes.c), hand the modules to the symbolizer, and let it go. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "pyframes.h"
#include "snapshot.h"
#include "stop.h"
#include "symbols.h"
#include "unwind.h"

/* Function names looked at to classify a wait: a wait's libc frames
 * (syscall wrapper, futex helper, the pthread call) and, for CPython,
 * its lock functions a few frames further out. */
#define SNAP_CLASSIFY_FRAMES 8

static double snap_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct snap_thread *snap_thread_new(struct snapshot *s, uint32_t proc)
{
    struct snap_thread *t =
        realloc(s->threads, (s->nthreads + 1) * sizeof *s->threads);
    if (!t)
        abort();
    s->threads = t;
    t = &s->threads[s->nthreads++];
    memset(t, 0, sizeof *t);
    t->proc = proc;
    t->fd = -1;
    return t;
}

struct snap_tid_ctx {
    const struct stopped *st;
};

static bool snap_is_tid(void *ctx, pid_t tid)
{
    const struct stopped *st = ((struct snap_tid_ctx *)ctx)->st;
    for (size_t i = 0; i < st->n; i++)
        if (st->threads[i].tid == tid)
            return true;
    return false;
}

/* Unwind and classify one stopped thread, whose /proc state was read
 * before the stop (`pre`, NULL for a thread born since). */
static void snap_thread_fill(struct snapshot *s, uint32_t pi, struct unwind *u,
                             const struct stopped *st, pid_t tid,
                             const struct procfs_thread *pre)
{
    struct snap_proc *p = &s->procs[pi];
    struct snap_thread *t = snap_thread_new(s, pi);
    if (pre)
        t->pt = *pre;
    else if (!procfs_thread_read(p->pid, tid, &t->pt))
        t->pt.tid = tid;
    if (!pre) /* it was running a moment ago */
        t->pt.sc.running = true;
    t->depth = unwind_thread(u, tid, t->pcs, SNAP_MAX_FRAMES);
    const char *funcs[SNAP_CLASSIFY_FRAMES] = {0};
    size_t nf =
        t->depth < SNAP_CLASSIFY_FRAMES ? t->depth : SNAP_CLASSIFY_FRAMES;
    for (size_t i = 0; i < nf; i++)
        funcs[i] = unwind_function(u, t->pcs[i], i > 0);
    struct snap_tid_ctx ctx = {st};
    classify_thread(p->pid, t, funcs, nf, snap_is_tid, &ctx);
}

struct snap_mod_ctx {
    struct symbolizer *sym;
    uint32_t proc;
};

static void snap_module(void *ctx, const struct trace_module_info *m,
                        const char *path)
{
    struct snap_mod_ctx *c = ctx;
    sym_add_module(c->sym, c->proc, m, path);
}

static int snap_stop_error(pid_t pid, int e, char *err, size_t errlen)
{
    if (e == ESRCH)
        snprintf(err, errlen, "process %d exited while ctrace attached to it",
                 (int)pid);
    else if (e == EPERM)
        snprintf(err, errlen,
                 "not allowed to attach to process %d (ptrace: %s): it must "
                 "run as your user and not be traced already (gdb, strace), "
                 "and with /proc/sys/kernel/yama/ptrace_scope at 1 only its "
                 "parent, root or a user with CAP_SYS_PTRACE may attach (2: "
                 "only root; 3: nobody); try sudo",
                 (int)pid, strerror(e));
    else
        snprintf(err, errlen, "cannot stop process %d: %s", (int)pid,
                 strerror(e));
    return -1;
}

/* The threads as /proc shows them before the stop. */
static size_t snap_preread(pid_t pid, struct procfs_thread **out)
{
    pid_t *tids;
    size_t n = procfs_tids(pid, &tids), k = 0;
    *out = calloc(n + 1, sizeof **out);
    if (!*out)
        abort();
    for (size_t i = 0; i < n; i++)
        if (procfs_thread_read(pid, tids[i], &(*out)[k]))
            k++;
    free(tids);
    return k;
}

static const struct procfs_thread *snap_pre_find(const struct procfs_thread *v,
                                                 size_t n, pid_t tid)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].tid == tid)
            return &v[i];
    return NULL;
}

/* Read one process, already in s->procs[pi], while it is stopped. */
static int snap_read_stopped(struct snapshot *s, uint32_t pi,
                             const struct stopped *st,
                             const struct procfs_thread *pre, size_t npre,
                             char *err, size_t errlen)
{
    struct snap_proc *p = &s->procs[pi];
    struct unwind *u = unwind_open(p->pid, err, errlen);
    if (!u)
        return -1;
    p->first_thread = s->nthreads;
    for (size_t i = 0; i < st->n; i++)
        snap_thread_fill(s, pi, u, st, st->threads[i].tid,
                         snap_pre_find(pre, npre, st->threads[i].tid));
    p = &s->procs[pi];
    p->nthreads = s->nthreads - p->first_thread;
    p->no_symbols = !unwind_exe_has_symbols(u);
    pyframes_read(s, pi, u);
    struct snap_mod_ctx mc = {s->sym, pi};
    unwind_modules(u, snap_module, &mc);
    unwind_close(u);
    return 0;
}

static int snap_process(struct snapshot *s, pid_t pid, int parent, char *err,
                        size_t errlen)
{
    struct snap_proc p;
    memset(&p, 0, sizeof p);
    p.pid = pid;
    p.parent = parent;
    if (!procfs_process_read(pid, &p.ppid, p.exe, sizeof p.exe, p.cmdline,
                             sizeof p.cmdline)) {
        snprintf(err, errlen, "no such process: %d", (int)pid);
        return -1;
    }
    struct procfs_thread *pre;
    size_t npre = snap_preread(pid, &pre);
    double t0 = snap_now_ms();
    struct stopped st;
    int e = stop_process(pid, &st);
    if (e != 0) {
        free(pre);
        return snap_stop_error(pid, e, err, errlen);
    }
    struct snap_proc *v = realloc(s->procs, (s->nprocs + 1) * sizeof *v);
    if (!v)
        abort();
    s->procs = v;
    s->procs[s->nprocs++] = p;
    int rc = snap_read_stopped(s, (uint32_t)(s->nprocs - 1), &st, pre, npre,
                               err, errlen);
    stop_release(&st);
    s->stopped_ms += snap_now_ms() - t0;
    free(pre);
    if (rc != 0)
        s->nprocs--;
    return rc;
}

/* Every process below s->procs[0], breadth first. */
static void snap_children(struct snapshot *s)
{
    for (size_t i = 0; i < s->nprocs; i++) {
        pid_t *kids = NULL;
        size_t nk = 0;
        procfs_children(s->procs[i].pid, &kids, &nk);
        for (size_t k = 0; k < nk; k++) {
            char ignored[512];
            /* a child that ends meanwhile is simply not there */
            snap_process(s, kids[k], (int)i, ignored, sizeof ignored);
        }
        free(kids);
    }
}

int snapshot_take(pid_t pid, bool children, struct snapshot *s, char *err,
                  size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->sym = sym_new();
    if (snap_process(s, pid, -1, err, errlen) != 0) {
        snapshot_free(s);
        return -1;
    }
    if (children)
        snap_children(s);
    return 0;
}

void snapshot_free(struct snapshot *s)
{
    free(s->procs);
    free(s->threads);
    if (s->sym)
        sym_free(s->sym);
    memset(s, 0, sizeof *s);
}

const char *snapshot_wait_call(enum snap_wait w)
{
    static const char *const names[] = {
        [SW_RUNNING] = "running",
        [SW_MUTEX] = "pthread_mutex_lock",
        [SW_RDLOCK] = "pthread_rwlock_rdlock",
        [SW_WRLOCK] = "pthread_rwlock_wrlock",
        [SW_COND] = "pthread_cond_wait",
        [SW_SEM] = "sem_wait",
        [SW_BARRIER] = "pthread_barrier_wait",
        [SW_JOIN] = "pthread_join",
        [SW_PYLOCK] = "Lock.acquire",
        [SW_FUTEX] = "futex",
        [SW_READ] = "read",
        [SW_WRITE] = "write",
        [SW_POLL] = "poll",
        [SW_ACCEPT] = "accept",
        [SW_WAITPID] = "waitpid",
        [SW_SLEEP] = "sleep",
        [SW_SIGNAL] = "a signal wait",
        [SW_SYSCALL] = "a system call",
        [SW_STOPPED] = "stopped",
        [SW_OTHER] = "the kernel",
    };
    return (size_t)w < sizeof names / sizeof names[0] ? names[w] : "?";
}

long snapshot_thread_of(const struct snapshot *s, uint32_t proc, pid_t tid)
{
    const struct snap_proc *p = &s->procs[proc];
    for (size_t i = p->first_thread; i < p->first_thread + p->nthreads; i++)
        if (s->threads[i].pt.tid == tid)
            return (long)i;
    return -1;
}
