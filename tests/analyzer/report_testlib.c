/* Code with known lines for the symbolizer tests, and the test process's
 * own module list (see report_testlib.h).  The line variables are set in
 * the same expression as the call they describe, so a test never
 * hard-codes a line number. */
#include "report_testlib.h"
#include "module.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int testlib_plain_line;
volatile int testlib_inline_line;
volatile int testlib_outer_line;
volatile uint64_t testlib_sink;

pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t testlib_locks[4] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

/* Call testlib_capture() and note the line of the call in `var`. */
#define TESTLIB_CALL(var) ((var) = __LINE__, testlib_capture())

/* The caller's return address, as the shim records a call site. */
__attribute__((noinline, noclone)) uint64_t testlib_capture(void)
{
    uint64_t ra = (uint64_t)__builtin_return_address(0);
    testlib_sink = ra;
    return ra;
}

__attribute__((noinline)) uint64_t testlib_plain(void)
{
    uint64_t r = TESTLIB_CALL(testlib_plain_line);
    testlib_sink = r;
    return r;
}

static inline __attribute__((always_inline)) uint64_t
testlib_inline_helper(void)
{
    uint64_t r = TESTLIB_CALL(testlib_inline_line);
    testlib_sink = r;
    return r;
}

__attribute__((noinline)) uint64_t testlib_outer(void)
{
    uint64_t r = (testlib_outer_line = __LINE__, testlib_inline_helper());
    testlib_sink = r;
    return r;
}

/* ---- modules ---- */

static void testlib_self_path(char *path, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", path, len - 1);
    path[n > 0 ? n : 0] = '\0';
}

struct testlib_walk {
    struct symbolizer *s;
    uint32_t proc;
    struct trace_module_info *exe; /* when set: only the main program */
    char *exe_path;
    size_t exe_len;
};

static int testlib_one(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct testlib_walk *w = data;
    struct trace_module_info m;
    char path[4096];
    trace_module_describe(info, &m);
    if (info->dlpi_name && info->dlpi_name[0])
        snprintf(path, sizeof(path), "%s", info->dlpi_name);
    else
        testlib_self_path(path, sizeof(path));
    if (w->exe) {
        *w->exe = m;
        snprintf(w->exe_path, w->exe_len, "%s", path);
        return 1; /* the main program comes first */
    }
    sym_add_module(w->s, w->proc, &m, path);
    return 0;
}

void testlib_add_self_modules(struct symbolizer *s, uint32_t proc)
{
    struct testlib_walk w = {.s = s, .proc = proc};
    dl_iterate_phdr(testlib_one, &w);
}

void testlib_exe_module(struct trace_module_info *m, char *path, size_t len)
{
    struct testlib_walk w = {.exe = m, .exe_path = path, .exe_len = len};
    dl_iterate_phdr(testlib_one, &w);
}

uint64_t testlib_exe_base(void)
{
    struct trace_module_info m;
    char path[4096];
    testlib_exe_module(&m, path, sizeof(path));
    return m.base;
}

uint64_t testlib_libc_pc(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *lock = libc ? dlsym(libc, "pthread_mutex_lock") : NULL;
    if (libc)
        dlclose(libc);
    return lock ? (uint64_t)lock + 4 : 0; /* inside it, not a call site */
}

void testlib_stack(struct finding_stack *st, uint32_t thread, const char *label,
                   const uint64_t *pcs, uint32_t n)
{
    memset(st, 0, sizeof(*st));
    st->proc = 0;
    st->thread = thread;
    st->depth = n;
    memcpy(st->pcs, pcs, n * sizeof(*pcs));
    snprintf(st->label, sizeof(st->label), "%s", label);
}

/* ---- the hand-built analysis (report_testlib.h) ---- */

static void testlib_object(struct finding_object *o, uint64_t addr,
                           uint64_t create_pc)
{
    memset(o, 0, sizeof(*o));
    o->addr = addr;
    o->proc = 0;
    snprintf(o->kind, sizeof(o->kind), "mutex");
    o->create_pc = create_pc;
}

static struct finding *testlib_finding(struct analysis_result *res,
                                       enum finding_kind kind, uint32_t proc,
                                       uint32_t pid, const char *message)
{
    struct finding *f = &res->findings[res->nfindings++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->severity = finding_kind_severity(kind);
    f->proc = proc;
    f->pid = pid;
    f->count = 1;
    snprintf(f->message, sizeof(f->message), "%s", message);
    f->stacks = calloc(4, sizeof(*f->stacks));
    return f;
}

static void testlib_processes(struct testlib_fixture *fx)
{
    fx->procs[0] = (struct trace_process){.pid = 4242,
                                          .ppid = 1,
                                          .parent = -1,
                                          .exec_from = -1,
                                          .exited = true,
                                          .exit_status = 0,
                                          .exe = "/usr/bin/app",
                                          .cmdline = "app --flag",
                                          .path = "p4242.0.ctrace"};
    fx->procs[1] = (struct trace_process){.pid = 4250,
                                          .ppid = 4242,
                                          .parent = 0,
                                          .exec_from = -1,
                                          .flags = TRACE_FILE_FORKED,
                                          .exe = "/usr/bin/app",
                                          .cmdline = "app --flag",
                                          .path = "p4250.0.ctrace"};
    fx->threads[0] = (struct trace_thread){
        .proc = 0, .tid = 4242, .serial = 0, .name = "app"};
    fx->threads[1] = (struct trace_thread){
        .proc = 0, .tid = 4243, .serial = 1, .name = "worker-1"};
    fx->threads[2] = (struct trace_thread){.proc = 1, .tid = 4250, .serial = 0};
}

static void testlib_findings(struct testlib_fixture *fx)
{
    struct analysis_result *res = &fx->res;
    res->findings = calloc(3, sizeof(*res->findings));

    struct finding *f =
        testlib_finding(res, FINDING_LOCK_ORDER_INVERSION, 0, 4242,
                        "table_lock and a heap mutex "
                        "are taken in both orders");
    f->nthreads = 2;
    f->threads[0] = 1;
    f->threads[1] = 0;
    f->nobjects = 2;
    testlib_object(&f->objects[0], (uint64_t)&table_lock, 0);
    testlib_object(&f->objects[1], 0x602000000010ull, fx->pc_plain);
    uint64_t s0[] = {fx->pc_outer, fx->pc_plain};
    testlib_stack(&f->stacks[0], 1,
                  "{object:1} taken while holding "
                  "{object:0}",
                  s0, 2);
    testlib_stack(&f->stacks[1], 0,
                  "table_lock taken while holding the "
                  "heap mutex",
                  &fx->pc_cxx, 1);
    f->nstacks = 2;

    f = testlib_finding(res, FINDING_DEADLOCK, 0, 4242,
                        "{thread:0} and {thread:1} wait for each other");
    f->nthreads = 2;
    f->threads[0] = 0;
    f->threads[1] = 1;
    uint64_t s1[] = {fx->pc_libc, fx->pc_plain};
    testlib_stack(&f->stacks[0], 0, "blocked in pthread_mutex_lock", s1, 2);
    testlib_stack(&f->stacks[1], 1, "blocked in pthread_mutex_lock", s1, 2);
    f->nstacks = 2;

    f = testlib_finding(res, FINDING_DOUBLE_LOCK, 1, 4250,
                        TESTLIB_TRICKY_MESSAGE);
    f->nthreads = 1;
    f->threads[0] = 2;
    testlib_stack(&f->stacks[0], 2, "second lock", &fx->pc_outer, 1);
    f->stacks[0].proc = 1;
    f->nstacks = 1;
}

static void testlib_contention(struct testlib_fixture *fx)
{
    struct analysis_result *res = &fx->res;
    res->contention = calloc(2, sizeof(*res->contention));
    res->ncontention = 2;
    struct contention_entry *e = &res->contention[0];
    testlib_object(&e->lock, (uint64_t)&table_lock, 0);
    e->acquisitions = 1000;
    e->contended = 250;
    e->wait_total_ns = 1500000;
    e->wait_max_ns = 20000;
    e->hold_total_ns = 2500000000ull;
    e->hold_max_ns = 900;
    e->nsites = 2;
    e->sites[0] = (struct contention_site){fx->pc_plain, 700, 1000000};
    e->sites[1] = (struct contention_site){fx->pc_outer, 300, 500000};
    e = &res->contention[1];
    testlib_object(&e->lock, 0x602000000010ull, fx->pc_plain);
    e->acquisitions = 10;
}

void testlib_fixture_init(struct testlib_fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    fx->sym = sym_new();
    testlib_add_self_modules(fx->sym, 0);
    testlib_add_self_modules(fx->sym, 1); /* the forked child */
    fx->pc_outer = testlib_outer();
    fx->pc_plain = testlib_plain();
    fx->pc_cxx = testlib_cxx();
    fx->pc_libc = testlib_libc_pc();
    testlib_processes(fx);
    testlib_findings(fx);
    testlib_contention(fx);
    fx->res.notes = calloc(1, sizeof(char *));
    fx->res.notes[0] = strdup("lock-order search stopped after 1000 cycles");
    fx->res.nnotes = 1;
    fx->res.events = 12345;
    fx->res.duration_ns = 2000000000ull;
    fx->in = (struct report_input){.res = &fx->res,
                                   .procs = fx->procs,
                                   .nprocs = 2,
                                   .threads = fx->threads,
                                   .nthreads = 3,
                                   .sym = fx->sym};
}

void testlib_fixture_fini(struct testlib_fixture *fx)
{
    analysis_result_free(&fx->res);
    sym_free(fx->sym);
}

char *testlib_capture_report(int (*fn)(FILE *, const struct report_input *),
                             const struct report_input *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f || fn(f, in) != 0)
        abort();
    fclose(f);
    return buf;
}

char *testlib_capture_text(const struct report_input *in, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f || report_write_text(f, in, color) != 0)
        abort();
    fclose(f);
    return buf;
}
