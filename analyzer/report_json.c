/* The JSON report (`ctrace report --format=json`): one object with
 * `findings`, `exception_groups`, `contention`, `processes` and `stats`.
 * docs/report-schema.json is the contract; the tests validate this
 * writer's output against it with a real JSON Schema validator, so a
 * field added here is added there too. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctrace_config.h"
#include "excgroup_report.h"
#include "gil_report.h"
#include "pystack.h"
#include "report_internal.h"

#define REPORT_JSON_VERSION 1

void json_frame(struct jsonw *w, const char *key, const struct sym_frame *f)
{
    jsonw_begin_object(w, key);
    jsonw_hex(w, "pc", f->pc);
    jsonw_string(w, "function", f->function);
    jsonw_string(w, "file", f->file);
    if (f->file && f->line > 0)
        jsonw_int(w, "line", f->line);
    else
        jsonw_null(w, "line");
    if (f->file && f->column > 0)
        jsonw_int(w, "column", f->column);
    else
        jsonw_null(w, "column");
    jsonw_string(w, "module", f->module);
    if (f->module)
        jsonw_hex(w, "offset", f->offset);
    else
        jsonw_null(w, "offset");
    jsonw_bool(w, "inlined", f->inlined);
    jsonw_bool(w, "system", f->in_system);
    jsonw_bool(w, "ctrace", f->in_ctrace);
    if (f->binary_changed)
        jsonw_bool(w, "binary_changed", true);
    if (pystack_is_token(f->pc))
        jsonw_bool(w, "python", true);
    jsonw_end_object(w);
}

/* The frame of a single pc (creation sites, call sites): the innermost
 * one in the program's own code. */
static void json_pc_frame(struct jsonw *w, const struct report_input *in,
                          const char *key, uint32_t proc, uint64_t pc)
{
    if (!pc) {
        jsonw_null(w, key);
        return;
    }
    struct sym_frame f;
    report_pc_frame(in, proc, pc, &f);
    json_frame(w, key, &f);
}

void json_thread_ref(struct jsonw *w, const struct report_input *in,
                     const char *key, uint32_t thread)
{
    const struct trace_thread *t = report_thread(in, thread);
    jsonw_begin_object(w, key);
    jsonw_uint(w, "index", thread);
    if (t) {
        jsonw_uint(w, "tid", t->tid);
        jsonw_string(w, "name", t->name);
        jsonw_uint(w, "pid", report_pid(in, t->proc));
        jsonw_uint(w, "serial", t->serial);
    } else {
        jsonw_null(w, "tid");
        jsonw_null(w, "name");
        jsonw_null(w, "pid");
        jsonw_null(w, "serial");
    }
    jsonw_end_object(w);
}

void json_object_ref(struct jsonw *w, const struct report_input *in,
                     const char *key, const struct finding_object *o)
{
    char name[256];
    report_object_name(in, o, name, sizeof(name));
    jsonw_begin_object(w, key);
    jsonw_hex(w, "addr", o->addr);
    jsonw_string(w, "kind", o->kind[0] ? o->kind : "object");
    jsonw_string(w, "name", name);
    jsonw_uint(w, "pid", report_pid(in, o->proc));
    jsonw_uint(w, "generation", o->generation);
    json_pc_frame(w, in, "created_at", o->proc, o->create_pc);
    jsonw_end_object(w);
}

static void json_stack(struct jsonw *w, const struct report_input *in,
                       const struct finding *f, const struct finding_stack *st)
{
    struct sym_frame frames[REPORT_MAX_FRAMES];
    char label[512];
    size_t n = report_stack_frames(in, st, frames, REPORT_MAX_FRAMES);
    report_finding_text(in, f, st->label, label, sizeof(label));
    jsonw_begin_object(w, NULL);
    jsonw_string(w, "label", label);
    json_thread_ref(w, in, "thread", st->thread);
    jsonw_uint(w, "pid", report_pid(in, st->proc));
    jsonw_begin_array(w, "frames");
    for (size_t i = 0; i < n; i++)
        json_frame(w, NULL, &frames[i]);
    jsonw_end_array(w);
    jsonw_end_object(w);
}

static void json_finding(struct jsonw *w, const struct report_input *in,
                         const struct finding *f)
{
    char message[1024];
    report_finding_text(in, f, f->message, message, sizeof(message));
    jsonw_begin_object(w, NULL);
    jsonw_string(w, "kind", finding_kind_name(f->kind));
    jsonw_string(w, "severity", finding_severity_name(f->severity));
    jsonw_string(w, "category",
                 report_category_name(finding_kind_category(f->kind)));
    jsonw_string(w, "message", message);
    jsonw_string(w, "why", finding_kind_why(f->kind));
    jsonw_uint(w, "pid", f->pid);
    jsonw_uint(w, "ts_ns", f->ts_ns);
    jsonw_uint(w, "count", f->count ? f->count : 1);
    jsonw_begin_array(w, "threads");
    for (size_t i = 0; i < f->nthreads && i < FINDING_MAX_THREADS; i++)
        json_thread_ref(w, in, NULL, f->threads[i]);
    jsonw_end_array(w);
    jsonw_begin_array(w, "objects");
    for (size_t i = 0; i < f->nobjects && i < 32; i++)
        json_object_ref(w, in, NULL, &f->objects[i]);
    jsonw_end_array(w);
    jsonw_begin_array(w, "stacks");
    for (size_t i = 0; i < f->nstacks; i++)
        json_stack(w, in, f, &f->stacks[i]);
    jsonw_end_array(w);
    jsonw_end_object(w);
}

static void json_contention_entry(struct jsonw *w,
                                  const struct report_input *in,
                                  const struct contention_entry *e)
{
    jsonw_begin_object(w, NULL);
    json_object_ref(w, in, "lock", &e->lock);
    jsonw_uint(w, "acquisitions", e->acquisitions);
    jsonw_uint(w, "contended", e->contended);
    jsonw_double(w, "contended_pct",
                 e->acquisitions
                     ? 100.0 * (double)e->contended / (double)e->acquisitions
                     : 0.0);
    jsonw_uint(w, "wait_total_ns", e->wait_total_ns);
    jsonw_uint(w, "wait_max_ns", e->wait_max_ns);
    jsonw_uint(w, "hold_total_ns", e->hold_total_ns);
    jsonw_uint(w, "hold_max_ns", e->hold_max_ns);
    jsonw_begin_array(w, "sites");
    for (size_t i = 0; i < e->nsites && i < 8; i++) {
        jsonw_begin_object(w, NULL);
        json_pc_frame(w, in, "frame", e->lock.proc, e->sites[i].pc);
        jsonw_uint(w, "acquisitions", e->sites[i].acquisitions);
        jsonw_uint(w, "wait_ns", e->sites[i].wait_ns);
        jsonw_end_object(w);
    }
    jsonw_end_array(w);
    jsonw_end_object(w);
}

static void json_process(struct jsonw *w, const struct report_input *in,
                         size_t idx)
{
    const struct trace_process *p = &in->procs[idx];
    jsonw_begin_object(w, NULL);
    jsonw_uint(w, "index", idx);
    jsonw_uint(w, "pid", p->pid);
    jsonw_uint(w, "ppid", p->ppid);
    jsonw_uint(w, "image", p->image);
    if (p->parent >= 0)
        jsonw_uint(w, "parent", (uint64_t)p->parent);
    else
        jsonw_null(w, "parent");
    jsonw_string(w, "exe", p->exe);
    jsonw_string(w, "cmdline", p->cmdline);
    jsonw_bool(w, "forked", (p->flags & TRACE_FILE_FORKED) != 0);
    jsonw_bool(w, "execed", (p->flags & TRACE_FILE_EXECED) != 0);
    excgroup_json_outcome(w, in, idx); /* exit_status, signal */
    jsonw_uint(w, "lost_events", p->lost_events);
    jsonw_uint(w, "start_ns", p->start_ns);
    jsonw_uint(w, "end_ns", p->end_ns);
    jsonw_begin_array(w, "threads");
    for (size_t t = 0; t < in->nthreads; t++) {
        const struct trace_thread *th = &in->threads[t];
        if (th->proc != idx)
            continue;
        jsonw_begin_object(w, NULL);
        jsonw_uint(w, "index", t);
        jsonw_uint(w, "tid", th->tid);
        jsonw_string(w, "name", th->name);
        jsonw_uint(w, "serial", th->serial);
        jsonw_uint(w, "events", th->events);
        jsonw_uint(w, "lost_events", th->lost_events);
        jsonw_end_object(w);
    }
    jsonw_end_array(w);
    jsonw_end_object(w);
}

static void json_stats(struct jsonw *w, const struct report_input *in)
{
    const struct analysis_result *res = in->res;
    jsonw_begin_object(w, "stats");
    jsonw_uint(w, "events", res->events);
    jsonw_uint(w, "lost_events", res->lost_events);
    jsonw_uint(w, "duration_ns", res->duration_ns);
    jsonw_uint(w, "findings", res->nfindings);
    jsonw_uint(w, "suppressed", in->suppressed);
    jsonw_uint(w, "processes", in->nprocs);
    jsonw_uint(w, "threads", in->nthreads);
    jsonw_end_object(w);
}

int report_write_json(FILE *out, const struct report_input *in)
{
    const struct analysis_result *res = in->res;
    struct jsonw w;
    jsonw_init(&w, out, true);
    jsonw_begin_object(&w, NULL);
    jsonw_uint(&w, "version", REPORT_JSON_VERSION);
    jsonw_string(&w, "tool", "ctrace " CTRACE_VERSION);
    size_t *order = report_finding_order(res);
    jsonw_begin_array(&w, "findings");
    for (size_t i = 0; i < res->nfindings; i++)
        json_finding(&w, in, &res->findings[order[i]]);
    jsonw_end_array(&w);
    free(order);
    excgroup_write_json(&w, in, "exception_groups");
    jsonw_begin_array(&w, "contention");
    for (size_t i = 0; i < res->ncontention; i++)
        json_contention_entry(&w, in, &res->contention[i]);
    jsonw_end_array(&w);
    gil_write_json(&w, in, "gil");
    jsonw_begin_array(&w, "processes");
    for (size_t i = 0; i < in->nprocs; i++)
        json_process(&w, in, i);
    jsonw_end_array(&w);
    json_stats(&w, in);
    jsonw_begin_array(&w, "notes");
    for (size_t i = 0; i < res->nnotes; i++)
        jsonw_string(&w, NULL, res->notes[i]);
    jsonw_end_array(&w);
    jsonw_end_object(&w);
    fflush(out);
    return ferror(out) ? -1 : 0;
}
