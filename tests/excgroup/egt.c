/* Helpers of the exception-group tests (see egt.h). */
#include "egt.h"

#include <criterion/criterion.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"

/* ---- events ---- */

uint32_t egt_pid(uint32_t proc) { return 1000 + proc; }

struct trace_event egt_event(uint32_t type, uint32_t proc, uint32_t thread,
                             bool main, uint64_t ts)
{
    struct trace_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.proc = proc;
    ev.thread = thread;
    ev.pid = egt_pid(proc);
    ev.tid = main ? ev.pid : 20000 + thread;
    ev.ts_ns = ts;
    ev.clock = ts;
    return ev;
}

struct trace_event egt_event_p(uint32_t type, uint32_t proc, uint32_t thread,
                               bool main, uint64_t ts,
                               const struct egt_payload *p)
{
    struct trace_event ev = egt_event(type, proc, thread, main, ts);
    ev.payload = p->bytes;
    ev.payload_len = p->len;
    ev.arg = p->len;
    return ev;
}

/* ---- payloads ---- */

static void put(struct egt_payload *p, const void *data, size_t n)
{
    cr_assert_leq(p->len + n, sizeof p->bytes);
    memcpy(p->bytes + p->len, data, n);
    p->len += (uint32_t)n;
}

static uint16_t put_str(struct egt_payload *p, const char *s)
{
    size_t n = strlen(s) + 1;
    put(p, s, n);
    return (uint16_t)n;
}

static void put_pcs(struct egt_payload *p, const uint64_t *pcs, uint32_t n)
{
    p->len = (p->len + 7u) & ~7u;
    put(p, pcs, n * sizeof *pcs);
}

void egt_signal(struct egt_payload *p, int signo, int code, uint64_t addr,
                const uint64_t *pcs, uint32_t n)
{
    struct trace_signal_info si = {signo, code, addr, n, 0};
    p->len = 0;
    put(p, &si, sizeof si);
    put_pcs(p, pcs, n);
}

void egt_assert(struct egt_payload *p, const char *expr, const char *file,
                uint32_t line, const char *func, const uint64_t *pcs,
                uint32_t n)
{
    struct trace_assert_info ai;
    memset(&ai, 0, sizeof ai);
    p->len = sizeof ai;
    ai.line = line;
    ai.expr_len = put_str(p, expr);
    ai.file_len = put_str(p, file);
    ai.func_len = put_str(p, func);
    ai.nframes = (uint16_t)n;
    put_pcs(p, pcs, n);
    memcpy(p->bytes, &ai, sizeof ai);
}

void egt_throw(struct egt_payload *p, const char *type, const char *what,
               const uint64_t *pcs, uint32_t n)
{
    struct trace_throw_info ti;
    memset(&ti, 0, sizeof ti);
    p->len = sizeof ti;
    ti.type_len = type ? put_str(p, type) : 0;
    ti.what_len = what ? put_str(p, what) : 0;
    ti.nframes = (uint16_t)n;
    put_pcs(p, pcs, n);
    memcpy(p->bytes, &ti, sizeof ti);
}

void egt_pcs(struct egt_payload *p, const uint64_t *pcs, uint32_t n)
{
    p->len = 0;
    put_pcs(p, pcs, n);
}

void egt_reap(struct egt_payload *p, int32_t pid, int32_t status)
{
    struct trace_reap_info ri = {pid, status, 0, 1};
    p->len = 0;
    put(p, &ri, sizeof ri);
}

void egt_pyexc(struct egt_payload *p, const char *kind, const char *type,
               const char *message, const char *traceback)
{
    struct trace_pyexc_info pi;
    memset(&pi, 0, sizeof pi);
    p->len = sizeof pi;
    pi.kind_len = put_str(p, kind);
    pi.type_len = put_str(p, type);
    pi.message_len = put_str(p, message);
    pi.traceback_len = put_str(p, traceback);
    memcpy(p->bytes, &pi, sizeof pi);
}

void egt_process(struct excgroup *g, uint32_t proc, uint32_t image,
                 uint32_t flags)
{
    struct trace_process tp;
    memset(&tp, 0, sizeof tp);
    tp.pid = egt_pid(proc);
    tp.ppid = 1;
    tp.image = image;
    tp.flags = flags;
    tp.parent = -1;
    tp.exec_from = -1;
    tp.exe = "/bin/egt";
    excgroup_set_process(g, proc, &tp);
}

/* ---- this process's modules ---- */

struct egt_walk {
    struct excgroup *g;
    struct symbolizer *sym;
    uint32_t proc;
    uint64_t ts;
    char exe[1024];
};

static int egt_module_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct egt_walk *w = arg;
    struct egt_payload p;
    struct trace_module_info m;
    memset(&m, 0, sizeof m);
    m.base = info->dlpi_addr;
    m.lo = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr;
        if (lo < m.lo)
            m.lo = lo;
        if (lo + ph->p_memsz - 1 > m.hi)
            m.hi = lo + ph->p_memsz - 1;
    }
    const char *path =
        info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : w->exe;
    if (m.lo == UINT64_MAX || strncmp(path, "linux-vdso", 10) == 0)
        return 0;
    p.len = sizeof m;
    m.path_len = put_str(&p, path);
    memcpy(p.bytes, &m, sizeof m);
    struct trace_event ev =
        egt_event_p(TRACE_EV_MODULE_LOAD, w->proc, 0, true, w->ts, &p);
    if (w->g)
        excgroup_feed(w->g, &ev);
    if (w->sym)
        sym_add_event(w->sym, &ev, w->exe);
    return 0;
}

void egt_self_modules(struct excgroup *g, struct symbolizer *sym, uint32_t proc,
                      uint64_t ts)
{
    struct egt_walk w = {g, sym, proc, ts, {0}};
    ssize_t n = readlink("/proc/self/exe", w.exe, sizeof w.exe - 1);
    cr_assert_gt(n, 0);
    dl_iterate_phdr(egt_module_one, &w);
}

/* ---- a recorded trace ---- */

void egt_analyse(struct egt_run *x, const char *dir, bool exceptions_all)
{
    memset(x, 0, sizeof *x);
    struct trace_error err;
    x->r = trace_reader_open(dir, &err);
    cr_assert_not_null(x->r, "cannot read %s: %s", dir, err.msg);
    struct analyzer_options ao;
    analyzer_options_default(&ao);
    ao.exceptions_all = exceptions_all;
    struct analyzer *a = analyzer_new(&ao, x->r);
    x->sym = sym_new();
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(x->r, &ev, &err)) != 0) {
        cr_assert_gt(rc, 0, "corrupt trace %s: %s", dir, err.msg);
        if (ev.type == TRACE_EV_MODULE_LOAD) {
            const struct trace_process *p = trace_reader_process(x->r, ev.proc);
            sym_add_event(x->sym, &ev, p ? p->exe : NULL);
        }
        analyzer_feed(a, &ev);
    }
    analyzer_finish(a, &x->res);
    analyzer_free(a);
    excgroup_symbolize(&x->res, x->sym);
    size_t np = trace_reader_process_count(x->r);
    size_t nt = trace_reader_thread_count(x->r);
    x->procs = calloc(np + 1, sizeof *x->procs);
    x->threads = calloc(nt + 1, sizeof *x->threads);
    cr_assert(x->procs && x->threads);
    for (size_t i = 0; i < np; i++)
        x->procs[i] = *trace_reader_process(x->r, i);
    for (size_t i = 0; i < nt; i++)
        x->threads[i] = *trace_reader_thread(x->r, i);
    x->in = (struct report_input){.res = &x->res,
                                  .procs = x->procs,
                                  .nprocs = np,
                                  .threads = x->threads,
                                  .nthreads = nt,
                                  .sym = x->sym};
}

void egt_run_free(struct egt_run *x)
{
    analysis_result_free(&x->res);
    sym_free(x->sym);
    free(x->procs);
    free(x->threads);
    trace_reader_close(x->r);
    memset(x, 0, sizeof *x);
}

const struct exception_group *egt_find(const struct analysis_result *res,
                                       enum exception_kind kind,
                                       const char *detail)
{
    for (size_t i = 0; i < res->nexc_groups; i++) {
        const struct exception_group *gr = &res->exc_groups[i];
        if (gr->kind != kind)
            continue;
        const char *d = kind == EXC_ASSERT ? gr->detail : gr->type;
        if (!detail || strcmp(d, detail) == 0)
            return gr;
    }
    return NULL;
}

struct sym_frame egt_top(struct symbolizer *sym,
                         const struct exception_group *gr)
{
    static struct sym_frame f[256];
    size_t n = excgroup_stack_frames(sym, gr, f, 256);
    cr_assert_gt(n, 0, "group %s has no stack", gr->signature);
    for (size_t i = 0; i < n; i++)
        if (!f[i].in_system && !f[i].in_ctrace)
            return f[i];
    return f[0];
}

int egt_marker_line(const char *rel, const char *marker)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    cr_assert_not_null(root, "CTRACE_SOURCE_ROOT is not set");
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot read %s", path);
    for (int n = 1; fgets(line, sizeof line, f); n++)
        if (strstr(line, marker)) {
            fclose(f);
            return n;
        }
    fclose(f);
    cr_assert_fail("%s: no line with %s", path, marker);
    return -1;
}
