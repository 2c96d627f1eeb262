/* Synthetic trace builder for the analyzer tests (see builder.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"

void tb_init(struct tb *b, const struct analyzer_options *opt)
{
    memset(b, 0, sizeof *b);
    b->a = analyzer_new(opt, NULL);
    b->now = 1000;
    b->step = 10;
    for (size_t i = 0; i < TB_MAX_THREADS; i++)
        b->thread_proc[i] = 0;
    for (size_t i = 0; i < TB_MAX_PROCS; i++)
        b->proc_pid[i] = 100 + (uint32_t)i;
}

void tb_finish(struct tb *b, struct analysis_result *res)
{
    analyzer_finish(b->a, res);
    analyzer_free(b->a);
    b->a = NULL;
}

void tb_process(struct tb *b, uint32_t proc, uint32_t pid, uint32_t ppid,
                int parent)
{
    b->proc_pid[proc] = pid;
    analyzer_set_process(b->a, proc, pid, ppid, parent);
}

void tb_thread(struct tb *b, uint32_t thread, uint32_t proc, uint32_t serial)
{
    b->thread_proc[thread] = proc;
    b->thread_serial[thread] = serial;
    analyzer_set_thread(b->a, thread, proc, 1000 + thread, serial);
}

void tb_ev_payload(struct tb *b, uint32_t thread, uint32_t type, uint64_t obj,
                   uint32_t arg, uint64_t site, const void *payload,
                   uint32_t len)
{
    struct trace_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_ns = b->now;
    ev.clock = b->now;
    ev.type = type;
    ev.arg = arg;
    ev.proc = b->thread_proc[thread];
    ev.pid = b->proc_pid[ev.proc];
    ev.thread = thread;
    ev.tid = 1000 + thread;
    ev.obj = obj;
    ev.site = site;
    ev.site_stack = b->stack;
    ev.site_depth = b->stack ? b->depth : 0;
    ev.payload = payload;
    ev.payload_len = len;
    b->stack = NULL;
    b->depth = 0;
    analyzer_feed(b->a, &ev);
    b->nevents++;
    b->now += b->step;
}

void tb_ev(struct tb *b, uint32_t thread, uint32_t type, uint64_t obj,
           uint32_t arg, uint64_t site)
{
    tb_ev_payload(b, thread, type, obj, arg, site, NULL, 0);
}

void tb_lock(struct tb *b, uint32_t t, uint64_t m, uint64_t site)
{
    tb_ev(b, t, TRACE_EV_MUTEX_ACQUIRE, m, TRACE_ACQ_LOCK, site);
}

void tb_lock_wait(struct tb *b, uint32_t t, uint64_t m, uint64_t site)
{
    tb_ev(b, t, TRACE_EV_MUTEX_WAIT, m, 0, site);
}

void tb_lock_contended(struct tb *b, uint32_t t, uint64_t m, uint64_t site)
{
    tb_lock_wait(b, t, m, site);
    tb_ev(b, t, TRACE_EV_MUTEX_ACQUIRE, m, TRACE_ACQ_LOCK | TRACE_ACQ_CONTENDED,
          site);
}

void tb_trylock(struct tb *b, uint32_t t, uint64_t m, uint64_t site)
{
    tb_ev(b, t, TRACE_EV_MUTEX_ACQUIRE, m, TRACE_ACQ_TRY, site);
}

void tb_unlock(struct tb *b, uint32_t t, uint64_t m, uint64_t site)
{
    tb_ev(b, t, TRACE_EV_MUTEX_RELEASE, m, 0, site);
}

void tb_main(struct tb *b, uint32_t proc, uint32_t thread, uint32_t pid)
{
    tb_process(b, proc, pid, 1, -1);
    tb_thread(b, thread, proc, 0);
    struct trace_process_info info = {pid, 1, UINT32_MAX, 0};
    tb_ev_payload(b, thread, TRACE_EV_PROCESS_START, 0, sizeof info, 0, &info,
                  sizeof info);
    tb_ev(b, thread, TRACE_EV_THREAD_START, 0x7000000 + thread, UINT32_MAX, 0);
}

void tb_create(struct tb *b, uint32_t parent, uint32_t child, uint64_t self,
               uint64_t start_routine)
{
    tb_ev(b, parent, TRACE_EV_THREAD_CREATE, 0, b->thread_serial[child],
          0x400000 + child);
    tb_ev(b, child, TRACE_EV_THREAD_START, self, b->thread_serial[parent],
          start_routine);
}

void tb_exit(struct tb *b, uint32_t t, uint64_t self)
{
    tb_ev(b, t, TRACE_EV_THREAD_EXIT, self, TRACE_EXIT_RETURN, 0);
}

void tb_join(struct tb *b, uint32_t t, uint64_t self, uint64_t site)
{
    tb_ev(b, t, TRACE_EV_THREAD_JOIN_WAIT, self, 0, site);
    tb_ev(b, t, TRACE_EV_THREAD_JOIN, self, 0, site);
}

size_t tb_count(const struct analysis_result *r, enum finding_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].kind == k)
            n++;
    return n;
}

const struct finding *tb_find(const struct analysis_result *r,
                              enum finding_kind k, size_t nth)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].kind == k && nth-- == 0)
            return &r->findings[i];
    return NULL;
}

bool tb_has_thread(const struct finding *f, uint32_t thread)
{
    for (size_t i = 0; i < f->nthreads; i++)
        if (f->threads[i] == thread)
            return true;
    return false;
}

bool tb_has_object(const struct finding *f, uint64_t addr)
{
    for (size_t i = 0; i < f->nobjects; i++)
        if (f->objects[i].addr == addr)
            return true;
    return false;
}

bool tb_has_site(const struct finding *f, uint64_t pc)
{
    for (size_t i = 0; i < f->nstacks; i++)
        if (f->stacks[i].depth && f->stacks[i].pcs[0] == pc)
            return true;
    return false;
}

const char *tb_message(const struct finding *f)
{
    static char buf[1024];
    finding_message_format(f, f->message, NULL, NULL, buf, sizeof buf);
    return buf;
}

void tb_dump(const struct analysis_result *r)
{
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct finding *f = &r->findings[i];
        fprintf(stderr, "  [%s %s x%u] %s\n",
                finding_severity_name(f->severity), finding_kind_name(f->kind),
                f->count, tb_message(f));
        for (size_t s = 0; s < f->nstacks; s++) {
            char lab[512];
            finding_message_format(f, f->stacks[s].label, NULL, NULL, lab,
                                   sizeof lab);
            fprintf(stderr, "      %s: pc0=0x%" PRIx64 " depth %u\n", lab,
                    f->stacks[s].depth ? f->stacks[s].pcs[0] : 0,
                    f->stacks[s].depth);
        }
    }
}
