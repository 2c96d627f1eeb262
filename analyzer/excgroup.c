/* Exception groups: collecting failures from the event stream and
 * merging them by signature (see excgroup.h and
 * docs/exception-groups.md).
 *
 * Three ideas to read this file by:
 *  - a failure is described once, as a `struct eg_failure` (whatever
 *    event or end-of-trace fact it came from), and eg_record() is the one
 *    place that turns it into a group member;
 *  - a thread that failed fatally is "dying": the abort() and SIGABRT that
 *    follow its failed assert or std::terminate belong to the same
 *    failure and are not counted again; a process with a fatal failure
 *    is "failed", so its exit status or its parent's "killed by SIGABRT"
 *    is not a second failure either;
 *  - exit statuses are decided at the end, per process image that was
 *    not replaced by exec: the parent's wait status first, then the
 *    process-exit event, then the file header; none of them and no crash
 *    means the process died without a trace (SIGKILL, the OOM killer).
 *
 * This file is part of the analysis core, which does not symbolize: here
 * a stack is keyed by module and offset (module-load events tell which
 * file every pc is in, so forked and exec'd copies of one program agree).
 * excgroup_symbolize() (excgroup_report.c) then names the frames and
 * merges groups whose symbolized signatures are equal.
 */
#include "excgroup.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pyframes.h"
#include "pystack.h"
#include "state.h"

/* libstdc++'s demangler, for C++ type names.  Weak: the analysis core
 * does not need libstdc++ (the report layer links it, see
 * analyzer/meson.build); without it type names stay mangled. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
                            int *status) __attribute__((weak));

#define EG_KEY_FRAMES 16  /* frames of a stack in a group's raw key */
#define EG_SHOWN_FRAMES 3 /* frames named in a raw signature */
#define EG_PY_FRAMES 3    /* Python frames in a signature */
#define EG_BLOCK_PCS 8    /* pcs kept of a blocking call */
#define EG_EXIT_PCS 16    /* pcs kept of an exit() call */
#define EG_NONE UINT32_MAX

/* A cxx-throw whose fate (caught, or std::terminate) is not known yet. */
struct eg_throw {
    char type[256];
    char what[768];
    uint64_t ts;
    uint32_t depth;
    uint64_t pcs[STACK_MAX_FRAMES];
};

struct eg_thread {
    bool seen, exited, dying;
    uint32_t proc, tid, pid;
    uint32_t sig_depth; /* inside user signal handlers */
    uint64_t self;      /* pthread_t */
    /* the blocking call it is in: blk_event 0 when running */
    uint32_t blk_event;
    uint64_t blk_obj, blk_arg, blk_since;
    uint32_t blk_depth;
    uint64_t blk_pcs[EG_BLOCK_PCS];
    struct eg_throw *pending;
    /* its latest Python frames (py-frames, pystack.h tokens) and their
     * object: they lead the stack of a wait on that object */
    uint64_t py_obj;
    uint32_t py_n;
    uint64_t py_pcs[4];
};

/* A distinct module file (build id, else path). */
struct eg_modfile {
    uint64_t id;
    char name[64]; /* basename */
};

/* A module as mapped in one image. */
struct eg_module {
    uint64_t lo, hi, base;
    uint32_t file;
};

struct eg_proc {
    struct eg_module *mods;
    size_t nmods, mods_cap;
    bool seen, info, failed, exit_seen, exec_pending, hdr_exited;
    uint32_t pid, ppid, image, flags, hdr_status;
    char *exe;
    int32_t exit_status; /* of the process-exit event */
    uint32_t exit_thread, exit_tid;
    uint64_t exit_ts, end_ts;
    uint32_t exit_depth;
    uint64_t exit_pcs[EG_EXIT_PCS];
    int32_t crash_signo; /* what its fatal failure raises */
};

/* The latest wait status a parent got for a pid. */
struct eg_reap {
    uint32_t pid;
    int32_t status;
    uint64_t ts;
};

struct excgroup {
    const struct trace_reader *r;
    bool all_throws;
    struct eg_modfile *files;
    size_t nfiles, files_cap;
    struct an_map file_by_id; /* (id, 0) -> file */
    struct eg_thread *threads;
    size_t nthreads, threads_cap;
    struct eg_proc *procs;
    size_t nprocs, procs_cap;
    struct eg_reap *reaps;
    size_t nreaps, reaps_cap;
    struct an_map reap_by_pid; /* (pid, 0) -> reap */
    struct an_map self_map;    /* (proc, pthread_t) -> thread */
    struct exception_group *groups;
    size_t ngroups, groups_cap;
    struct an_map group_by_sig; /* (hash, hash2) -> group */
    struct an_map failed_pids;  /* (pid, 0) -> 1 */
    struct an_map kills;        /* (pid, signo) -> 1: a traced process
                                   sent it (signal-send) */
    uint64_t failures;
};

/* One failure, whatever it came from; zeroed fields mean "not known". */
struct eg_failure {
    enum exception_kind kind;
    uint32_t pid, tid, proc, thread;
    uint64_t ts;
    const uint64_t *pcs;
    uint32_t depth;
    bool exact_first; /* pcs[0] is a faulting pc (signals) */
    int32_t signo, code, status;
    uint64_t addr;
    const char *type, *what; /* C++ and Python */
    bool caught;
    const char *expr, *file, *func; /* assert */
    uint32_t line;
    const char *pykind, *traceback;
    bool fatal; /* the process dies of it */
};

/* ---- names ---- */

const char *exception_kind_name(enum exception_kind k)
{
    switch (k) {
    case EXC_SIGNAL:
        return "signal";
    case EXC_ASSERT:
        return "assert";
    case EXC_ABORT:
        return "abort";
    case EXC_CXX:
        return "cxx-exception";
    case EXC_EXIT:
        return "exit-status";
    case EXC_PYTHON:
        return "python-exception";
    }
    return "signal";
}

static const struct {
    int signo;
    const char *name, *what;
} eg_signals[] = {
    {SIGHUP, "SIGHUP", "hangup"},
    {SIGINT, "SIGINT", "interrupt"},
    {SIGQUIT, "SIGQUIT", "quit"},
    {SIGILL, "SIGILL", "illegal instruction"},
    {SIGTRAP, "SIGTRAP", "trace/breakpoint trap"},
    {SIGABRT, "SIGABRT", "aborted"},
    {SIGBUS, "SIGBUS", "bus error"},
    {SIGFPE, "SIGFPE", "arithmetic exception"},
    {SIGKILL, "SIGKILL", "killed"},
    {SIGUSR1, "SIGUSR1", "user signal 1"},
    {SIGSEGV, "SIGSEGV", "segmentation fault"},
    {SIGUSR2, "SIGUSR2", "user signal 2"},
    {SIGPIPE, "SIGPIPE", "broken pipe"},
    {SIGALRM, "SIGALRM", "alarm clock"},
    {SIGTERM, "SIGTERM", "terminated"},
    {SIGXCPU, "SIGXCPU", "CPU time limit exceeded"},
    {SIGXFSZ, "SIGXFSZ", "file size limit exceeded"},
    {SIGSYS, "SIGSYS", "bad system call"},
};

const char *excgroup_signal_name(int signo, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof eg_signals / sizeof eg_signals[0]; i++)
        if (eg_signals[i].signo == signo)
            return eg_signals[i].name;
    snprintf(buf, len, "signal %d", signo);
    return buf;
}

static const char *eg_signal_what(int signo)
{
    for (size_t i = 0; i < sizeof eg_signals / sizeof eg_signals[0]; i++)
        if (eg_signals[i].signo == signo)
            return eg_signals[i].what;
    return "signal";
}

/* What si_code says, for the signals whose codes mean something. */
static const char *eg_signal_code(int signo, int code)
{
    if (code == SI_USER)
        return "sent by kill()";
    if (code == SI_TKILL)
        return "sent by tgkill()/raise()";
    if (code == SI_QUEUE)
        return "sent by sigqueue()";
    if (code <= 0)
        return NULL;
    switch (signo) {
    case SIGSEGV:
        return code == SEGV_MAPERR   ? "address not mapped"
               : code == SEGV_ACCERR ? "invalid permissions for the address"
                                     : NULL;
    case SIGBUS:
        return code == BUS_ADRALN   ? "misaligned address"
               : code == BUS_ADRERR ? "nonexistent physical address"
               : code == BUS_OBJERR ? "object-specific hardware error"
                                    : NULL;
    case SIGFPE:
        return code == FPE_INTDIV   ? "integer divide by zero"
               : code == FPE_INTOVF ? "integer overflow"
               : code == FPE_FLTDIV ? "floating-point divide by zero"
                                    : NULL;
    case SIGILL:
        return code == ILL_ILLOPC ? "illegal opcode" : NULL;
    }
    return NULL;
}

/* Whether si_addr means something for this signal. */
static bool eg_signal_has_addr(int signo, int code)
{
    return code > 0 && (signo == SIGSEGV || signo == SIGBUS ||
                        signo == SIGFPE || signo == SIGILL);
}

const char *excgroup_block_call(uint32_t event)
{
    switch (event) {
    case TRACE_EV_MUTEX_WAIT:
        return "pthread_mutex_lock";
    case TRACE_EV_RWLOCK_RDWAIT:
        return "pthread_rwlock_rdlock";
    case TRACE_EV_RWLOCK_WRWAIT:
        return "pthread_rwlock_wrlock";
    case TRACE_EV_SPIN_WAIT:
        return "pthread_spin_lock";
    case TRACE_EV_COND_WAIT:
        return "pthread_cond_wait";
    case TRACE_EV_SEM_WAIT:
        return "sem_wait";
    case TRACE_EV_BARRIER_WAIT:
        return "pthread_barrier_wait";
    case TRACE_EV_THREAD_JOIN_WAIT:
        return "pthread_join";
    case TRACE_EV_PROCESS_WAIT:
        return "waitpid";
    }
    const char *n = trace_event_name(event);
    return n ? n : "a blocking call";
}

/* The kind of object a blocking event waits on, "" when none. */
static const char *eg_block_object_kind(uint32_t event)
{
    switch (event) {
    case TRACE_EV_MUTEX_WAIT:
        return "mutex";
    case TRACE_EV_RWLOCK_RDWAIT:
    case TRACE_EV_RWLOCK_WRWAIT:
        return "rwlock";
    case TRACE_EV_SPIN_WAIT:
        return "spinlock";
    case TRACE_EV_COND_WAIT:
        return "cond";
    case TRACE_EV_SEM_WAIT:
        return "sem";
    case TRACE_EV_BARRIER_WAIT:
        return "barrier";
    }
    return "";
}

/* ---- small helpers ---- */

static uint64_t eg_hash(const char *s, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 31);
}

/* Copy a counted, maybe unterminated string of the payload. */
static void eg_copy(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = 0;
    while (n < len && n + 1 < cap && src[n])
        n++;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static char *eg_strdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

/* A C++ type name as people write it (the shim may give the mangled
 * typeinfo name, "St13runtime_error"). */
static void eg_demangle(char *type, size_t cap)
{
    if (!__cxa_demangle || !type[0] || strchr(type, ':') || strchr(type, ' '))
        return;
    int status = -1;
    char *d = __cxa_demangle(type, NULL, NULL, &status);
    if (status == 0 && d)
        snprintf(type, cap, "%s", d);
    free(d);
}

/* ---- tables ---- */

static void eg_proc_grow(struct excgroup *g, uint32_t proc)
{
    an_grow(&g->procs, &g->procs_cap, (size_t)proc + 1, sizeof *g->procs);
    for (size_t i = g->nprocs; i <= proc; i++) {
        g->procs[i].exit_thread = EG_NONE;
        g->procs[i].exit_status = -1;
    }
    g->nprocs = (size_t)proc + 1;
}

static inline struct eg_proc *eg_proc_get(struct excgroup *g, uint32_t proc)
{
    if (__builtin_expect(proc >= g->nprocs, 0))
        eg_proc_grow(g, proc);
    return &g->procs[proc];
}

static void eg_proc_fill(struct eg_proc *p, const struct trace_process *tp)
{
    p->info = true;
    p->pid = tp->pid;
    p->ppid = tp->ppid;
    p->image = tp->image;
    p->flags = tp->flags;
    p->hdr_exited = tp->exited;
    p->hdr_status = tp->exit_status;
    if (tp->end_ns > p->end_ts)
        p->end_ts = tp->end_ns;
    if (!p->exe && tp->exe)
        p->exe = eg_strdup(tp->exe);
}

void excgroup_set_process(struct excgroup *g, uint32_t proc,
                          const struct trace_process *p)
{
    eg_proc_fill(eg_proc_get(g, proc), p);
}

static __attribute__((cold)) void
eg_proc_first_seen(struct excgroup *g, struct eg_proc *p,
                   const struct trace_event *ev)
{
    p->seen = true;
    p->pid = ev->pid;
    const struct trace_process *tp =
        g->r && ev->proc < trace_reader_process_count(g->r)
            ? trace_reader_process(g->r, ev->proc)
            : NULL;
    if (tp && !p->exe && tp->exe)
        p->exe = eg_strdup(tp->exe);
}

static struct eg_proc *eg_proc_touch(struct excgroup *g,
                                     const struct trace_event *ev)
{
    struct eg_proc *p = eg_proc_get(g, ev->proc);
    if (!p->seen)
        eg_proc_first_seen(g, p, ev);
    if (ev->ts_ns > p->end_ts)
        p->end_ts = ev->ts_ns;
    return p;
}

static struct eg_thread *eg_thread_touch(struct excgroup *g,
                                         const struct trace_event *ev)
{
    if (ev->thread >= g->nthreads) {
        an_grow(&g->threads, &g->threads_cap, (size_t)ev->thread + 1,
                sizeof *g->threads);
        g->nthreads = (size_t)ev->thread + 1;
    }
    struct eg_thread *t = &g->threads[ev->thread];
    if (!t->seen) {
        t->seen = true;
        t->proc = ev->proc;
        t->tid = ev->tid;
        t->pid = ev->pid;
    }
    return t;
}

struct excgroup *excgroup_new(const struct trace_reader *r, bool all_throws)
{
    struct excgroup *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    g->r = r;
    g->all_throws = all_throws;
    return g;
}

static void eg_group_free(struct exception_group *gr)
{
    for (size_t i = 0; i < gr->nmembers; i++)
        free(gr->members[i].others);
    free(gr->members);
    free(gr->pyframes);
    free(gr->traceback);
}

void excgroup_free(struct excgroup *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nthreads; i++)
        free(g->threads[i].pending);
    for (size_t i = 0; i < g->nprocs; i++) {
        free(g->procs[i].exe);
        free(g->procs[i].mods);
    }
    for (size_t i = 0; i < g->ngroups; i++)
        eg_group_free(&g->groups[i]);
    free(g->groups);
    free(g->threads);
    free(g->procs);
    free(g->reaps);
    an_map_free(&g->reap_by_pid);
    an_map_free(&g->self_map);
    an_map_free(&g->group_by_sig);
    an_map_free(&g->failed_pids);
    an_map_free(&g->kills);
    an_map_free(&g->file_by_id);
    free(g->files);
    free(g);
}

void excgroup_result_free(struct analysis_result *res)
{
    for (size_t i = 0; i < res->nexc_groups; i++)
        eg_group_free(&res->exc_groups[i]);
    free(res->exc_groups);
    free(res->outcomes);
    res->exc_groups = NULL;
    res->nexc_groups = 0;
    res->outcomes = NULL;
    res->noutcomes = 0;
    res->exc_failures = res->exc_processes = 0;
}

/* ---- modules and raw signatures ---- */

static uint64_t eg_hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static const char *eg_basename(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void eg_on_module(struct excgroup *g, struct eg_proc *p,
                         const struct trace_event *ev)
{
    const struct trace_module_info *m = ev->payload;
    if (!m || ev->payload_len < sizeof *m)
        return;
    char path[1024];
    eg_copy(path, sizeof path, (const char *)(m + 1),
            ev->payload_len - sizeof *m);
    if (!path[0] && p->exe)
        snprintf(path, sizeof path, "%s", p->exe);
    uint64_t id =
        m->build_id_len
            ? eg_hash_bytes(m->build_id,
                            m->build_id_len < 32 ? m->build_id_len : 32,
                            0xcbf29ce484222325ull)
            : eg_hash(path, 2);
    uint32_t fi = an_map_get(&g->file_by_id, id, 0);
    if (fi == AN_NONE) {
        an_grow(&g->files, &g->files_cap, g->nfiles + 1, sizeof *g->files);
        fi = (uint32_t)g->nfiles++;
        g->files[fi].id = id;
        const char *base = eg_basename(path);
        eg_copy(g->files[fi].name, sizeof g->files[fi].name, base,
                strlen(base));
        an_map_put(&g->file_by_id, id, 0, fi);
    }
    for (size_t i = 0; i < p->nmods; i++)
        if (p->mods[i].base == m->base && p->mods[i].file == fi)
            return; /* dlopen records every module again */
    an_grow(&p->mods, &p->mods_cap, p->nmods + 1, sizeof *p->mods);
    p->mods[p->nmods++] = (struct eg_module){m->lo, m->hi, m->base, fi};
}

/* The module of pc in image proc, or NULL. */
static const struct eg_module *eg_module_of(const struct excgroup *g,
                                            uint32_t proc, uint64_t pc)
{
    if (proc >= g->nprocs)
        return NULL;
    const struct eg_proc *p = &g->procs[proc];
    for (size_t i = 0; i < p->nmods; i++)
        if (pc >= p->mods[i].lo && pc <= p->mods[i].hi)
            return &p->mods[i];
    return NULL;
}

size_t excgroup_signature_head(enum exception_kind kind, int32_t signo,
                               const char *detail, bool caught, char *buf,
                               size_t len)
{
    char sb[32];
    const char *k = exception_kind_name(kind);
    switch (kind) {
    case EXC_SIGNAL:
        snprintf(buf, len, "%s:%s:", k,
                 signo ? excgroup_signal_name(signo, sb, sizeof sb)
                       : "unknown");
        break;
    case EXC_CXX:
        snprintf(buf, len, "%s:%s%s:", k, caught ? "caught " : "",
                 detail && detail[0] ? detail : "terminate");
        break;
    default:
        snprintf(buf, len, "%s:%s:", k, detail ? detail : "");
        break;
    }
    return strlen(buf);
}

/* The detail part of a failure's signature. */
static const char *eg_detail(const struct eg_failure *f, char *buf, size_t len)
{
    switch (f->kind) {
    case EXC_ASSERT:
        return f->expr ? f->expr : "";
    case EXC_CXX:
    case EXC_PYTHON:
        return f->type ? f->type : "";
    case EXC_EXIT:
        snprintf(buf, len, "%" PRId32, f->status);
        return buf;
    case EXC_SIGNAL:
    case EXC_ABORT:
        break;
    }
    return "";
}

/* Signature and key of a failure before symbolization: the head, then
 * the frames as module+offset (Python: function names).  The key covers
 * EG_KEY_FRAMES frames, the text names the first few. */
static void eg_raw_signature(const struct excgroup *g,
                             const struct eg_failure *f,
                             const struct exception_pyframe *py, size_t npy,
                             char *sig, size_t len, uint64_t key[2])
{
    char buf[32];
    size_t used = excgroup_signature_head(
        f->kind, f->signo, eg_detail(f, buf, sizeof buf), f->caught, sig, len);
    for (size_t i = 0; i < npy && i < EG_PY_FRAMES; i++) {
        snprintf(sig + used, len - used, "%s%s", i ? ";" : "", py[i].function);
        used = strlen(sig);
    }
    key[0] = eg_hash(sig, 0);
    key[1] = eg_hash(sig, 1);
    if (f->kind == EXC_EXIT || f->kind == EXC_PYTHON)
        return; /* exit statuses group by status, wherever exit() was */
    if (f->depth == 0 && f->kind == EXC_ASSERT && f->func) {
        snprintf(sig + used, len - used, "%s", f->func);
        key[0] = eg_hash(sig, 0);
        key[1] = eg_hash(sig, 1);
        return;
    }
    for (uint32_t i = 0; i < f->depth && i < EG_KEY_FRAMES; i++) {
        const struct eg_module *m = eg_module_of(g, f->proc, f->pcs[i]);
        uint64_t id = m ? g->files[m->file].id : 0;
        uint64_t off = m ? f->pcs[i] - m->base : f->pcs[i];
        key[0] = eg_hash_bytes(&id, sizeof id, key[0]);
        key[0] = eg_hash_bytes(&off, sizeof off, key[0]);
        key[1] = eg_hash_bytes(&off, sizeof off, key[1] * 31 + id);
        if (i >= EG_SHOWN_FRAMES)
            continue;
        if (m)
            snprintf(sig + used, len - used, "%s%s+0x%" PRIx64, i ? ";" : "",
                     g->files[m->file].name, off);
        else
            snprintf(sig + used, len - used, "%s0x%" PRIx64, i ? ";" : "", off);
        used = strlen(sig);
    }
}

/* Parse `  File "x.py", line 12, in work` lines of a Python traceback,
 * innermost frame first.  Returns the count. */
static size_t eg_py_frames(const char *tb, struct exception_pyframe *out,
                           size_t max)
{
    struct exception_pyframe all[EXC_MAX_PYFRAMES];
    size_t n = 0;
    for (const char *s = tb; s && *s;) {
        const char *eol = strchr(s, '\n');
        size_t linelen = eol ? (size_t)(eol - s) : strlen(s);
        char line[768];
        eg_copy(line, sizeof line, s, linelen);
        s = eol ? eol + 1 : s + linelen;
        const char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, "File \"", 6) != 0)
            continue;
        p += 6;
        const char *q = strstr(p, "\", line ");
        if (!q)
            continue;
        struct exception_pyframe fr;
        memset(&fr, 0, sizeof fr);
        eg_copy(fr.file, sizeof fr.file, p, (size_t)(q - p));
        fr.line = atoi(q + 8);
        const char *in = strstr(q, ", in ");
        if (in)
            snprintf(fr.function, sizeof fr.function, "%s", in + 5);
        if (n == EXC_MAX_PYFRAMES) { /* keep the innermost ones */
            memmove(all, all + 1, (n - 1) * sizeof all[0]);
            n--;
        }
        all[n++] = fr;
    }
    size_t k = 0;
    for (size_t i = n; i-- > 0 && k < max;)
        out[k++] = all[i];
    return k;
}

/* ---- groups ---- */

/* Headline and one-line message of a new group. */
static void eg_describe(struct exception_group *gr, const struct eg_failure *f)
{
    char buf[32];
    const char *sname = excgroup_signal_name(f->signo, buf, sizeof buf);
    const char *code = eg_signal_code(f->signo, f->code);
    switch (f->kind) {
    case EXC_SIGNAL:
        if (f->signo == 0) {
            snprintf(gr->title, sizeof gr->title,
                     "died without a trace of why (SIGKILL?)");
            snprintf(gr->message, sizeof gr->message,
                     "the process ended with no exit status, no crash and "
                     "no parent's wait status: killed by SIGKILL or the OOM "
                     "killer, or still running when the trace was read");
        } else if (f->depth == 0) {
            snprintf(gr->title, sizeof gr->title, "killed by %s", sname);
            snprintf(gr->message, sizeof gr->message,
                     "killed by %s (%s) with no stack recorded%s", sname,
                     eg_signal_what(f->signo),
                     f->signo == SIGKILL
                         ? ": kill -9 from another process, or the OOM "
                           "killer"
                         : "");
        } else {
            snprintf(gr->title, sizeof gr->title, "%s", sname);
            int n = snprintf(gr->message, sizeof gr->message, "%s (%s)", sname,
                             eg_signal_what(f->signo));
            if (eg_signal_has_addr(f->signo, f->code))
                n += snprintf(gr->message + n, sizeof gr->message - (size_t)n,
                              " at address 0x%" PRIx64, f->addr);
            if (code)
                snprintf(gr->message + n, sizeof gr->message - (size_t)n,
                         ": %s", code);
        }
        break;
    case EXC_ASSERT:
        snprintf(gr->title, sizeof gr->title, "assert `%s` failed",
                 f->expr ? f->expr : "?");
        snprintf(gr->message, sizeof gr->message,
                 "%s:%" PRIu32 ": %s: Assertion `%s' failed.",
                 f->file ? f->file : "?", f->line, f->func ? f->func : "?",
                 f->expr ? f->expr : "?");
        break;
    case EXC_ABORT:
        snprintf(gr->title, sizeof gr->title, "abort()");
        snprintf(gr->message, sizeof gr->message, "abort() called");
        break;
    case EXC_CXX: {
        const char *type = f->type && f->type[0] ? f->type : NULL;
        snprintf(gr->type, sizeof gr->type, "%s", type ? type : "");
        if (!type) {
            snprintf(gr->title, sizeof gr->title, "std::terminate()");
            snprintf(gr->message, sizeof gr->message,
                     "std::terminate() called with no exception recorded");
            break;
        }
        snprintf(gr->title, sizeof gr->title, "%s %s",
                 f->caught ? "caught" : "uncaught", type);
        int n = snprintf(gr->message, sizeof gr->message,
                         f->caught ? "%s thrown and caught"
                                   : "terminate called after throwing an "
                                     "instance of '%s'",
                         type);
        if (f->what && f->what[0])
            snprintf(gr->message + n, sizeof gr->message - (size_t)n,
                     ": what(): %s", f->what);
        break;
    }
    case EXC_EXIT:
        gr->status = f->status;
        snprintf(gr->title, sizeof gr->title, "exit status %" PRId32,
                 f->status);
        snprintf(gr->message, sizeof gr->message, "exited with status %" PRId32,
                 f->status);
        break;
    case EXC_PYTHON: {
        const char *type = f->type && f->type[0] ? f->type : "Exception";
        snprintf(gr->type, sizeof gr->type, "%s", type);
        snprintf(gr->title, sizeof gr->title, "%s", type);
        snprintf(gr->message, sizeof gr->message, "%s%s%s%s%s%s", type,
                 f->what && f->what[0] ? ": " : "", f->what ? f->what : "",
                 f->pykind && f->pykind[0] ? " (" : "",
                 f->pykind ? f->pykind : "",
                 f->pykind && f->pykind[0] ? ")" : "");
        break;
    }
    }
    gr->signo = f->kind == EXC_SIGNAL ? f->signo : 0;
    gr->caught = f->caught;
}

static struct exception_group *eg_group_new(struct excgroup *g,
                                            const struct eg_failure *f,
                                            const char *sig,
                                            const uint64_t key[2])
{
    an_grow(&g->groups, &g->groups_cap, g->ngroups + 1, sizeof *g->groups);
    struct exception_group *gr = &g->groups[g->ngroups];
    memset(gr, 0, sizeof *gr);
    an_map_put(&g->group_by_sig, key[0], key[1], (uint32_t)g->ngroups);
    g->ngroups++;
    gr->kind = f->kind;
    snprintf(gr->signature, sizeof gr->signature, "%s", sig);
    eg_describe(gr, f);
    if (f->kind == EXC_ASSERT)
        snprintf(gr->detail, sizeof gr->detail, "%s", f->expr ? f->expr : "");
    gr->first_ns = f->ts;
    gr->exact_frame = f->exact_first && f->depth ? 0 : UINT32_MAX;
    gr->stack.proc = f->proc;
    gr->stack.thread = f->thread;
    gr->stack.depth = f->depth < STACK_MAX_FRAMES ? f->depth : STACK_MAX_FRAMES;
    if (gr->stack.depth)
        memcpy(gr->stack.pcs, f->pcs, gr->stack.depth * sizeof f->pcs[0]);
    if (f->kind == EXC_PYTHON) {
        gr->pyframes = calloc(EXC_MAX_PYFRAMES, sizeof *gr->pyframes);
        if (!gr->pyframes)
            abort();
        gr->npyframes =
            eg_py_frames(f->traceback, gr->pyframes, EXC_MAX_PYFRAMES);
        gr->traceback = eg_strdup(f->traceback);
    }
    return gr;
}

/* Add v to a distinct list capped at EXC_MAX_IDS. */
static void eg_id_add(uint32_t *list, size_t *n, bool *truncated, uint32_t v)
{
    for (size_t i = 0; i < *n; i++)
        if (list[i] == v)
            return;
    if (*n == EXC_MAX_IDS) {
        *truncated = true;
        return;
    }
    list[(*n)++] = v;
}

static void eg_member_add(struct exception_group *gr,
                          const struct eg_failure *f)
{
    if (gr->nmembers == EXC_MAX_MEMBERS)
        return;
    if (!gr->members) {
        gr->members = calloc(EXC_MAX_MEMBERS, sizeof *gr->members);
        if (!gr->members)
            abort();
    }
    struct exception_member *m = &gr->members[gr->nmembers++];
    m->pid = f->pid;
    m->tid = f->tid;
    m->proc = f->proc;
    m->thread = f->thread;
    m->ts_ns = f->ts;
    m->addr = f->addr;
    m->code = f->code;
}

/* The one place a failure becomes a group member. */
static void eg_record(struct excgroup *g, const struct eg_failure *f)
{
    struct exception_pyframe py[EG_PY_FRAMES];
    size_t npy = f->kind == EXC_PYTHON
                     ? eg_py_frames(f->traceback, py, EG_PY_FRAMES)
                     : 0;
    char sig[512];
    uint64_t key[2];
    eg_raw_signature(g, f, py, npy, sig, sizeof sig, key);
    uint32_t i = an_map_get(&g->group_by_sig, key[0], key[1]);
    struct exception_group *gr =
        i == AN_NONE ? eg_group_new(g, f, sig, key) : &g->groups[i];
    gr->count++;
    if (f->ts < gr->first_ns)
        gr->first_ns = f->ts;
    if (f->ts > gr->last_ns)
        gr->last_ns = f->ts;
    eg_id_add(gr->pids, &gr->npids, &gr->ids_truncated, f->pid);
    if (f->tid)
        eg_id_add(gr->tids, &gr->ntids, &gr->ids_truncated, f->tid);
    eg_member_add(gr, f);
    g->failures++;
    if (an_map_get(&g->failed_pids, f->pid, 0) == AN_NONE)
        an_map_put(&g->failed_pids, f->pid, 0, 1);
    if (f->fatal && f->proc < g->nprocs)
        g->procs[f->proc].failed = true;
}

/* ---- merging (excgroup_symbolize) and order ---- */

void excgroup_merge(struct exception_group *into, struct exception_group *from)
{
    into->count += from->count;
    if (from->first_ns < into->first_ns)
        into->first_ns = from->first_ns;
    if (from->last_ns > into->last_ns)
        into->last_ns = from->last_ns;
    for (size_t i = 0; i < from->npids; i++)
        eg_id_add(into->pids, &into->npids, &into->ids_truncated,
                  from->pids[i]);
    for (size_t i = 0; i < from->ntids; i++)
        eg_id_add(into->tids, &into->ntids, &into->ids_truncated,
                  from->tids[i]);
    into->ids_truncated |= from->ids_truncated;
    for (size_t i = 0; i < from->nmembers; i++) {
        if (into->nmembers == EXC_MAX_MEMBERS) {
            free(from->members[i].others);
            continue;
        }
        if (!into->members) {
            into->members = calloc(EXC_MAX_MEMBERS, sizeof *into->members);
            if (!into->members)
                abort();
        }
        into->members[into->nmembers++] = from->members[i];
    }
    from->nmembers = 0;
    eg_group_free(from);
    memset(from, 0, sizeof *from);
}

/* Crashes first, in order of appearance; then exit statuses and deaths
 * without a stack (the branches of exit statuses). */
static int eg_group_cmp(const void *a, const void *b)
{
    const struct exception_group *x = a, *y = b;
    bool xe = excgroup_is_exit_branch(x), ye = excgroup_is_exit_branch(y);
    if (xe != ye)
        return xe ? 1 : -1;
    if (x->first_ns != y->first_ns)
        return x->first_ns < y->first_ns ? -1 : 1;
    return strcmp(x->signature, y->signature);
}

bool excgroup_is_exit_branch(const struct exception_group *gr)
{
    return gr->kind == EXC_EXIT ||
           (gr->kind == EXC_SIGNAL && gr->stack.depth == 0);
}

static int eg_u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void excgroup_sort(struct exception_group *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        qsort(v[i].pids, v[i].npids, sizeof v[i].pids[0], eg_u32_cmp);
        qsort(v[i].tids, v[i].ntids, sizeof v[i].tids[0], eg_u32_cmp);
    }
    if (n > 1)
        qsort(v, n, sizeof *v, eg_group_cmp);
}

/* ---- failures from events ---- */

static void eg_failure_init(struct eg_failure *f, enum exception_kind kind,
                            const struct trace_event *ev)
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->pid = ev->pid;
    f->tid = ev->tid;
    f->proc = ev->proc;
    f->thread = ev->thread;
    f->ts = ev->ts_ns;
    f->fatal = true;
}

/* The pcs at `off` of a payload: as many whole u64 as are there, at most
 * `want` (UINT32_MAX: all). */
static const uint64_t *eg_payload_pcs(const struct trace_event *ev, size_t off,
                                      uint32_t want, uint32_t *depth)
{
    *depth = 0;
    if (!ev->payload || off >= ev->payload_len)
        return NULL;
    size_t n = (ev->payload_len - off) / sizeof(uint64_t);
    if (n > want)
        n = want;
    if (n > STACK_MAX_FRAMES)
        n = STACK_MAX_FRAMES;
    *depth = (uint32_t)n;
    return (const uint64_t *)((const char *)ev->payload + off);
}

/* The failure's process raises `signo` (crash) when it dies of it. */
static void eg_mark_dying(struct excgroup *g, struct eg_thread *t,
                          int32_t signo)
{
    t->dying = true;
    struct eg_proc *p = eg_proc_get(g, t->proc);
    if (!p->crash_signo)
        p->crash_signo = signo;
}

static void eg_on_signal(struct excgroup *g, struct eg_thread *t,
                         const struct trace_event *ev)
{
    const struct trace_signal_info *si = ev->payload;
    if (!si || ev->payload_len < sizeof *si)
        return;
    if (t->dying) { /* the SIGABRT of an abort/assert already counted */
        eg_proc_get(g, t->proc)->crash_signo = si->signo;
        return;
    }
    struct eg_failure f;
    eg_failure_init(&f, EXC_SIGNAL, ev);
    f.signo = si->signo;
    f.code = si->code;
    f.addr = si->addr;
    f.pcs = eg_payload_pcs(ev, sizeof *si, si->nframes, &f.depth);
    f.exact_first = true;
    eg_record(g, &f);
    eg_mark_dying(g, t, si->signo);
}

static void eg_on_assert(struct excgroup *g, struct eg_thread *t,
                         const struct trace_event *ev)
{
    const struct trace_assert_info *ai = ev->payload;
    if (!ai || ev->payload_len < sizeof *ai || t->dying)
        return;
    const char *s = (const char *)(ai + 1);
    size_t room = ev->payload_len - sizeof *ai;
    char expr[512], file[256], func[256];
    size_t lens[3] = {ai->expr_len, ai->file_len, ai->func_len};
    char *outs[3] = {expr, file, func};
    size_t caps[3] = {sizeof expr, sizeof file, sizeof func};
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = lens[i] < room - off ? lens[i] : room - off;
        eg_copy(outs[i], caps[i], s + off, n);
        off += n;
    }
    off = (sizeof *ai + off + 7) & ~(size_t)7;
    struct eg_failure f;
    eg_failure_init(&f, EXC_ASSERT, ev);
    f.expr = expr;
    f.file = file;
    f.func = func;
    f.line = ai->line;
    f.pcs = eg_payload_pcs(ev, off, ai->nframes, &f.depth);
    eg_record(g, &f);
    eg_mark_dying(g, t, SIGABRT);
}

/* A pending throw met its end: std::terminate (uncaught) or the thread
 * went on (caught). */
static void eg_throw_settle(struct excgroup *g, struct eg_thread *t,
                            const struct trace_event *ev, bool uncaught)
{
    struct eg_throw *th = t->pending;
    t->pending = NULL;
    if (uncaught || g->all_throws) {
        struct eg_failure f;
        eg_failure_init(&f, EXC_CXX, ev);
        f.ts = th->ts;
        f.type = th->type;
        f.what = th->what;
        f.caught = !uncaught;
        f.fatal = uncaught;
        f.pcs = th->pcs;
        f.depth = th->depth;
        eg_record(g, &f);
    }
    free(th);
}

/* Decode a cxx-throw or cxx-terminate payload (struct trace_throw_info,
 * type, what, pcs).  Returns false when it is too short. */
static bool eg_throw_parse(const struct trace_event *ev, struct eg_throw *th)
{
    const struct trace_throw_info *ti = ev->payload;
    memset(th, 0, sizeof *th);
    th->ts = ev->ts_ns;
    if (!ti || ev->payload_len < sizeof *ti)
        return false;
    const char *s = (const char *)(ti + 1);
    size_t room = ev->payload_len - sizeof *ti;
    size_t tl = ti->type_len < room ? ti->type_len : room;
    eg_copy(th->type, sizeof th->type, s, tl);
    size_t wl = ti->what_len < room - tl ? ti->what_len : room - tl;
    eg_copy(th->what, sizeof th->what, s + tl, wl);
    eg_demangle(th->type, sizeof th->type);
    size_t off = (sizeof *ti + tl + wl + 7) & ~(size_t)7;
    uint32_t depth;
    const uint64_t *pcs = eg_payload_pcs(ev, off, ti->nframes, &depth);
    if (depth)
        memcpy(th->pcs, pcs, depth * sizeof *pcs);
    th->depth = depth;
    return true;
}

static void eg_on_throw(struct excgroup *g, struct eg_thread *t,
                        const struct trace_event *ev)
{
    if (t->pending) /* a new throw: the last one was caught */
        eg_throw_settle(g, t, ev, false);
    struct eg_throw *th = malloc(sizeof *th);
    if (!th)
        abort();
    if (!eg_throw_parse(ev, th)) {
        free(th);
        return;
    }
    t->pending = th;
}

/* std::terminate.  The shim records the exception in flight with it:
 * when that is the pending throw, the throw was never caught (and its
 * stack, where it was thrown, is the one to show); otherwise the pending
 * throw was caught long ago and terminate has a reason of its own (the
 * exception it names, or none). */
static void eg_on_terminate(struct excgroup *g, struct eg_thread *t,
                            const struct trace_event *ev)
{
    if (t->dying)
        return;
    struct eg_throw *cur = malloc(sizeof *cur);
    if (!cur)
        abort();
    eg_throw_parse(ev, cur);
    if (t->pending &&
        (!cur->type[0] || strcmp(t->pending->type, cur->type) != 0))
        eg_throw_settle(g, t, ev, false);
    if (t->pending) {
        if (!t->pending->what[0])
            memcpy(t->pending->what, cur->what, sizeof cur->what);
        free(cur);
    } else {
        t->pending = cur;
    }
    eg_throw_settle(g, t, ev, true);
    eg_mark_dying(g, t, SIGABRT);
}

/* abort(): a failure of its own unless the thread is already dying (an
 * assert or std::terminate calls it).  An uncaught exception reaches
 * std::terminate first, so a pending throw here was caught. */
static void eg_on_abort(struct excgroup *g, struct eg_thread *t,
                        const struct trace_event *ev)
{
    if (t->dying)
        return;
    if (t->pending)
        eg_throw_settle(g, t, ev, false);
    struct eg_failure f;
    eg_failure_init(&f, EXC_ABORT, ev);
    f.pcs = eg_payload_pcs(ev, 0, UINT32_MAX, &f.depth);
    eg_record(g, &f);
    eg_mark_dying(g, t, SIGABRT);
}

/* Read one string of a python-exception payload. */
static const char *eg_py_string(const char **s, size_t *room, size_t len,
                                char *out, size_t cap)
{
    size_t n = len < *room ? len : *room;
    eg_copy(out, cap, *s, n);
    *s += n;
    *room -= n;
    return out;
}

static void eg_on_python(struct excgroup *g, struct eg_thread *t,
                         const struct trace_event *ev)
{
    const struct trace_pyexc_info *pi = ev->payload;
    if (!pi || ev->payload_len < sizeof *pi)
        return;
    const char *s = (const char *)(pi + 1);
    size_t room = ev->payload_len - sizeof *pi;
    char kind[64], type[256], message[1024];
    char *tb = malloc(TRACE_PAYLOAD_MAX + 1);
    if (!tb)
        abort();
    struct eg_failure f;
    eg_failure_init(&f, EXC_PYTHON, ev);
    f.pykind = eg_py_string(&s, &room, pi->kind_len, kind, sizeof kind);
    f.type = eg_py_string(&s, &room, pi->type_len, type, sizeof type);
    f.what = eg_py_string(&s, &room, pi->message_len, message, sizeof message);
    f.traceback =
        eg_py_string(&s, &room, pi->traceback_len, tb, TRACE_PAYLOAD_MAX + 1);
    /* only an uncaught exception ends the process (its exit status 1 is
       the same failure) */
    f.fatal = strcmp(kind, "uncaught") == 0 || kind[0] == '\0';
    eg_record(g, &f);
    if (f.fatal)
        t->dying = true;
    free(tb);
}

static void eg_on_exit(struct eg_proc *p, struct eg_thread *t,
                       const struct trace_event *ev)
{
    if (p->exit_seen)
        return;
    p->exit_seen = true;
    p->exit_status = (int32_t)(ev->arg & 0xff);
    p->exit_ts = ev->ts_ns;
    p->exit_thread = ev->thread;
    p->exit_tid = t->tid;
    uint32_t n = 0;
    if (ev->site)
        p->exit_pcs[n++] = ev->site;
    for (uint32_t i = 0; ev->site_stack && i < ev->site_depth; i++) {
        if (n == EG_EXIT_PCS)
            break;
        if (i == 0 && ev->site_stack[0] == ev->site)
            continue;
        p->exit_pcs[n++] = ev->site_stack[i];
    }
    p->exit_depth = n;
}

static void eg_on_reap(struct excgroup *g, const struct trace_event *ev)
{
    const struct trace_reap_info *ri = ev->payload;
    if (!ri || ev->payload_len < sizeof *ri || ri->pid <= 0)
        return;
    uint32_t i = an_map_get(&g->reap_by_pid, (uint64_t)ri->pid, 0);
    if (i == AN_NONE) {
        an_grow(&g->reaps, &g->reaps_cap, g->nreaps + 1, sizeof *g->reaps);
        i = (uint32_t)g->nreaps++;
        an_map_put(&g->reap_by_pid, (uint64_t)ri->pid, 0, i);
    }
    g->reaps[i] = (struct eg_reap){(uint32_t)ri->pid, ri->status, ev->ts_ns};
}

/* ---- what each thread is doing ---- */

/* The thread begins a blocking call: remember it and its stack (out of
 * line, like eg_on_event). */
static __attribute__((noinline)) void
eg_block_begin(struct eg_thread *t, const struct trace_event *ev)
{
    t->blk_event = ev->type;
    t->blk_obj = ev->obj;
    t->blk_arg = ev->arg;
    t->blk_since = ev->ts_ns;
    uint32_t n = 0;
    for (uint32_t i = 0;
         ev->obj && ev->obj == t->py_obj && i < t->py_n && n < EG_BLOCK_PCS;
         i++)
        t->blk_pcs[n++] = t->py_pcs[i];
    if (ev->site && n < EG_BLOCK_PCS)
        t->blk_pcs[n++] = ev->site;
    for (uint32_t i = 0; ev->site_stack && i < ev->site_depth; i++) {
        if (n == EG_BLOCK_PCS)
            break;
        if (i == 0 && ev->site_stack[0] == ev->site)
            continue;
        t->blk_pcs[n++] = ev->site_stack[i];
    }
    t->blk_depth = n;
}

static void eg_track_block(struct eg_thread *t, const struct trace_event *ev,
                           uint32_t flags)
{
    /* a handler that runs while the thread waits leaves it waiting */
    if (flags & TF_META || t->sig_depth || ev->type == TRACE_EV_SIGNAL_ENTER ||
        ev->type == TRACE_EV_SIGNAL_LEAVE)
        return;
    if (flags & TF_BLOCK)
        eg_block_begin(t, ev);
    else
        t->blk_event = 0;
}

/* py-frames: remember the innermost Python frames (docs/python.md). */
static void eg_on_pyframes(struct eg_thread *t, const struct trace_event *ev)
{
    struct trace_pyframe_view fr[4];
    size_t n = trace_pyframes_decode(ev->payload, ev->payload_len, fr, 4);
    t->py_obj = ev->obj;
    t->py_n = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t tok = pystack_intern(fr[i].func, fr[i].file, fr[i].line);
        if (tok)
            t->py_pcs[t->py_n++] = tok;
    }
}

/* Events after which a thread is not dying any more: it went on with
 * its work (a program handler caught the fatal signal, say).  The
 * events a failure brings along (abort after assert, SIGABRT, thread and
 * process exit, handler bracketing) are not among them. */
static bool eg_goes_on(uint32_t type)
{
    return (type >= TRACE_EV_FORK && type <= TRACE_EV_PROCESS_REAP) ||
           (type >= TRACE_EV_THREAD_CREATE && type != TRACE_EV_THREAD_EXIT);
}

/* What a process, thread or failure event means here.  Out of line, so
 * that the per-event path in excgroup_feed (mostly lock events) stays
 * small and saves few registers. */
static __attribute__((noinline)) void eg_on_event(struct excgroup *g,
                                                  struct eg_proc *p,
                                                  struct eg_thread *t,
                                                  const struct trace_event *ev)
{
    switch (ev->type) {
    case TRACE_EV_MODULE_LOAD:
        eg_on_module(g, p, ev);
        break;
    case TRACE_EV_THREAD_START:
        t->self = ev->obj;
        an_map_put(&g->self_map, ev->proc, ev->obj, ev->thread);
        break;
    case TRACE_EV_THREAD_EXIT:
        t->exited = true;
        if (t->pending) /* the thread ended normally: it was caught */
            eg_throw_settle(g, t, ev, false);
        break;
    case TRACE_EV_SIGNAL_ENTER:
        t->sig_depth++;
        break;
    case TRACE_EV_SIGNAL_LEAVE:
        if (t->sig_depth)
            t->sig_depth--;
        break;
    case TRACE_EV_SIGNAL:
        eg_on_signal(g, t, ev);
        break;
    case TRACE_EV_ASSERT:
        eg_on_assert(g, t, ev);
        break;
    case TRACE_EV_ABORT:
        eg_on_abort(g, t, ev);
        break;
    case TRACE_EV_CXX_THROW:
        eg_on_throw(g, t, ev);
        break;
    case TRACE_EV_CXX_TERMINATE:
        eg_on_terminate(g, t, ev);
        break;
    case TRACE_EV_PY_EXCEPTION:
        eg_on_python(g, t, ev);
        break;
    case TRACE_EV_PY_FRAMES:
        eg_on_pyframes(t, ev);
        break;
    case TRACE_EV_PROCESS_EXIT:
        if (t->pending)
            eg_throw_settle(g, t, ev, false);
        eg_on_exit(p, t, ev);
        break;
    case TRACE_EV_PROCESS_REAP:
        eg_on_reap(g, ev);
        break;
    case TRACE_EV_SIGNAL_SEND: {
        const struct trace_kill_info *k = ev->payload;
        if (k && ev->payload_len >= sizeof *k && k->pid > 0)
            an_map_put(&g->kills, (uint64_t)k->pid, (uint64_t)k->signo, 1);
        break;
    }
    case TRACE_EV_EXEC:
        p->exec_pending = true;
        break;
    case TRACE_EV_EXEC_FAIL:
        p->exec_pending = false;
        break;
    }
}

void excgroup_feed(struct excgroup *g, const struct trace_event *ev)
{
    struct eg_proc *p = eg_proc_touch(g, ev);
    struct eg_thread *t = eg_thread_touch(g, ev);
    if (eg_goes_on(ev->type))
        t->dying = false;
    eg_track_block(t, ev, an_event_flags(ev->type));
    if (ev->type <= TRACE_EV_THREAD_EXIT) /* sync events: nothing more */
        eg_on_event(g, p, t, ev);
}

/* ---- the end: exit statuses ---- */

/* Whether image i was replaced by an exec'd image of its pid:
 * `images` maps (pid, image number) to the image. */
static bool eg_proc_replaced(const struct excgroup *g,
                             const struct an_map *images, size_t i)
{
    const struct eg_proc *p = &g->procs[i];
    uint32_t j = an_map_get(images, p->pid, (uint64_t)p->image + 1);
    return j != AN_NONE && (g->procs[j].flags & TRACE_FILE_EXECED);
}

/* How image i ended.  Returns false when nothing tells. */
static bool eg_proc_outcome(const struct excgroup *g, size_t i,
                            struct process_outcome *o, uint64_t *ts)
{
    const struct eg_proc *p = &g->procs[i];
    uint32_t ri = an_map_get(&g->reap_by_pid, p->pid, 0);
    o->known = true;
    o->exit_status = -1;
    o->signal = 0;
    *ts = p->end_ts;
    if (ri != AN_NONE) {
        int st = g->reaps[ri].status;
        *ts = g->reaps[ri].ts;
        if (WIFEXITED(st)) {
            o->exit_status = WEXITSTATUS(st);
            return true;
        }
        if (WIFSIGNALED(st)) {
            o->signal = WTERMSIG(st);
            return true;
        }
    }
    if (p->exit_seen) {
        o->exit_status = p->exit_status;
        *ts = p->exit_ts;
        return true;
    }
    if (p->hdr_exited) {
        o->exit_status = (int32_t)(p->hdr_status & 0xff);
        return true;
    }
    if (p->failed && p->crash_signo) {
        o->signal = p->crash_signo;
        return true;
    }
    o->known = false;
    return false;
}

/* Ended by a request to terminate that a traced process sent it
 * (Pool.terminate()'s SIGTERM, a supervisor stopping a worker): the
 * sender's decision, not a failure.  SIGKILL stays one: it looks the same
 * as the OOM killer's. */
static bool eg_killed_on_purpose(const struct excgroup *g, uint32_t pid,
                                 int32_t signo)
{
    return (signo == SIGTERM || signo == SIGINT || signo == SIGHUP) &&
           an_map_get(&g->kills, pid, (uint64_t)signo) != AN_NONE;
}

/* A process that ended badly with no failure recorded in it. */
static void eg_exit_failure(struct excgroup *g, size_t i,
                            const struct process_outcome *o, bool known,
                            uint64_t ts)
{
    struct eg_proc *p = &g->procs[i];
    struct eg_failure f;
    memset(&f, 0, sizeof f);
    f.pid = p->pid;
    f.proc = (uint32_t)i;
    f.thread = EG_NONE;
    f.ts = ts;
    if (known && o->signal == 0) {
        f.kind = EXC_EXIT;
        f.status = o->exit_status;
        if (p->exit_seen && o->exit_status == p->exit_status) {
            f.thread = p->exit_thread;
            f.tid = p->exit_tid;
            f.pcs = p->exit_pcs;
            f.depth = p->exit_depth;
        }
    } else {
        f.kind = EXC_SIGNAL;
        f.signo = known ? o->signal : 0;
    }
    eg_record(g, &f);
}

static void eg_finish_processes(struct excgroup *g, struct analysis_result *out)
{
    if (g->r)
        for (size_t i = 0; i < trace_reader_process_count(g->r); i++)
            eg_proc_fill(eg_proc_get(g, (uint32_t)i),
                         trace_reader_process(g->r, i));
    out->outcomes = calloc(g->nprocs ? g->nprocs : 1, sizeof *out->outcomes);
    if (!out->outcomes)
        abort();
    out->noutcomes = g->nprocs;
    struct an_map images;
    memset(&images, 0, sizeof images);
    for (size_t i = 0; i < g->nprocs; i++)
        if (g->procs[i].seen || g->procs[i].info)
            an_map_put(&images, g->procs[i].pid, g->procs[i].image,
                       (uint32_t)i);
    for (size_t i = 0; i < g->nprocs; i++) {
        struct eg_proc *p = &g->procs[i];
        if ((!p->seen && !p->info) || eg_proc_replaced(g, &images, i))
            continue;
        uint64_t ts;
        bool known = eg_proc_outcome(g, i, &out->outcomes[i], &ts);
        if (p->failed)
            continue;
        if (!known && p->exec_pending) /* became an untraced program */
            continue;
        if (known && out->outcomes[i].signal == 0 &&
            out->outcomes[i].exit_status == 0)
            continue;
        if (known && eg_killed_on_purpose(g, p->pid, out->outcomes[i].signal))
            continue;
        eg_exit_failure(g, i, &out->outcomes[i], known, ts);
    }
    an_map_free(&images);
}

/* Reaped children that were never traced (a static binary, a setuid
 * one) still tell their exit status. */
static void eg_finish_untraced(struct excgroup *g)
{
    struct an_map traced;
    memset(&traced, 0, sizeof traced);
    for (size_t i = 0; i < g->nprocs; i++)
        if (g->procs[i].seen || g->procs[i].info)
            an_map_put(&traced, g->procs[i].pid, 0, 1);
    for (size_t r = 0; r < g->nreaps; r++) {
        const struct eg_reap *rp = &g->reaps[r];
        if (an_map_get(&traced, rp->pid, 0) != AN_NONE)
            continue;
        struct eg_failure f;
        memset(&f, 0, sizeof f);
        f.pid = rp->pid;
        f.proc = EG_NONE;
        f.thread = EG_NONE;
        f.ts = rp->ts;
        if (WIFEXITED(rp->status) && WEXITSTATUS(rp->status) != 0) {
            f.kind = EXC_EXIT;
            f.status = WEXITSTATUS(rp->status);
        } else if (WIFSIGNALED(rp->status) &&
                   !eg_killed_on_purpose(g, rp->pid, WTERMSIG(rp->status))) {
            f.kind = EXC_SIGNAL;
            f.signo = WTERMSIG(rp->status);
        } else {
            continue;
        }
        eg_record(g, &f);
    }
    an_map_free(&traced);
}

/* ---- the end: other threads of crashed processes ---- */

static void eg_other_fill(struct excgroup *g, struct exception_thread *o,
                          uint32_t idx)
{
    const struct eg_thread *t = &g->threads[idx];
    memset(o, 0, sizeof *o);
    o->thread = idx;
    o->obj.proc = t->proc; /* also the image of pcs[] */
    o->blocked_event = t->blk_event;
    if (!t->blk_event)
        return;
    o->since_ns = t->blk_since;
    o->depth = t->blk_depth;
    memcpy(o->pcs, t->blk_pcs, t->blk_depth * sizeof t->blk_pcs[0]);
    o->target = UINT64_MAX;
    if (t->blk_event == TRACE_EV_THREAD_JOIN_WAIT) {
        uint32_t j = an_map_get(&g->self_map, t->proc, t->blk_obj);
        o->target = j == AN_NONE ? UINT64_MAX : j;
    } else if (t->blk_event == TRACE_EV_PROCESS_WAIT) {
        o->target = (uint64_t)(int64_t)(int32_t)t->blk_arg;
    } else {
        o->obj.addr = t->blk_obj;
        snprintf(o->obj.kind, sizeof o->obj.kind, "%s",
                 eg_block_object_kind(t->blk_event));
    }
}

static void eg_member_others(struct excgroup *g, struct exception_member *m)
{
    if (m->proc == EG_NONE)
        return;
    for (size_t i = 0; i < g->nthreads && m->nothers < EXC_MAX_OTHERS; i++) {
        const struct eg_thread *t = &g->threads[i];
        if (!t->seen || t->exited || t->proc != m->proc || i == m->thread)
            continue;
        if (!m->others) {
            m->others = calloc(EXC_MAX_OTHERS, sizeof *m->others);
            if (!m->others)
                abort();
        }
        eg_other_fill(g, &m->others[m->nothers++], (uint32_t)i);
    }
}

static bool eg_group_dies(const struct exception_group *gr)
{
    switch (gr->kind) {
    case EXC_SIGNAL:
    case EXC_ASSERT:
    case EXC_ABORT:
        return true;
    case EXC_CXX:
        return !gr->caught;
    case EXC_EXIT:
    case EXC_PYTHON:
        return false;
    }
    return false;
}

void excgroup_finish(struct excgroup *g, struct analysis_result *out)
{
    for (size_t i = 0; i < g->nthreads; i++) /* throws still pending */
        if (g->threads[i].pending) {
            struct trace_event ev;
            memset(&ev, 0, sizeof ev);
            ev.pid = g->threads[i].pid;
            ev.tid = g->threads[i].tid;
            ev.proc = g->threads[i].proc;
            ev.thread = (uint32_t)i;
            eg_throw_settle(g, &g->threads[i], &ev, false);
        }
    eg_finish_processes(g, out);
    eg_finish_untraced(g);
    for (size_t i = 0; i < g->ngroups; i++)
        if (eg_group_dies(&g->groups[i]))
            for (size_t k = 0; k < g->groups[i].nmembers; k++)
                eg_member_others(g, &g->groups[i].members[k]);
    excgroup_sort(g->groups, g->ngroups);
    out->exc_groups = g->groups;
    out->nexc_groups = g->ngroups;
    out->exc_failures = g->failures;
    out->exc_processes = g->failed_pids.n;
    g->groups = NULL;
    g->ngroups = g->groups_cap = 0;
    an_map_free(&g->group_by_sig);
}

/* ---- as an analysis pass (pass.h): every event but the GIL's ---- */

static void *excgroup_pass_create(struct analyzer *a)
{
    return excgroup_new(a->reader, a->opt.exceptions_all);
}

static void excgroup_pass_event(struct analyzer *a, void *self,
                                const struct trace_event *ev)
{
    (void)a;
    excgroup_feed(self, ev);
}

static void excgroup_pass_finish(struct analyzer *a, void *self,
                                 struct analysis_result *out)
{
    (void)a;
    excgroup_finish(self, out);
}

static void excgroup_pass_destroy(void *self) { excgroup_free(self); }

const struct an_pass excgroup_pass = {
    .name = "excgroup",
    .families = ~AN_FAMILY_BIT(TRACE_FAM_META),
    .create = excgroup_pass_create,
    .event = excgroup_pass_event,
    .finish = excgroup_pass_finish,
    .destroy = excgroup_pass_destroy,
};
