/* The text report: what a developer reads after `ctrace run` or
 * `ctrace report`.  Findings grouped by kind, most severe first; each
 * with a headline, the specific message, why it is a bug, the threads and
 * objects involved, and symbolized stacks (`#0 func (file.c:42)`); then
 * exception groups (docs/exception-groups.md), the contention table, and one
 * summary line that scripts and people can both rely on. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "excgroup_report.h"
#include "gil_report.h"
#include "report_internal.h"

/* Escape sequences, all empty without colour. */
struct text_style {
    const char *error, *warning, *note, *bold, *dim, *reset;
};

static const struct text_style text_color = {
    "\033[1;31m", "\033[1;33m", "\033[1;36m", "\033[1m", "\033[2m", "\033[0m",
};
static const struct text_style text_plain = {"", "", "", "", "", ""};

static const char *text_severity_color(const struct text_style *st,
                                       enum finding_severity s)
{
    return s == SEV_ERROR     ? st->error
           : s == SEV_WARNING ? st->warning
                              : st->note;
}

/* ---- one frame, one stack ---- */

static void text_frame(FILE *out, const struct text_style *st, size_t i,
                       const struct sym_frame *f)
{
    bool faint = f->in_system || f->in_ctrace;
    char path[512];
    fprintf(out, "    %s#%zu ", faint ? st->dim : "", i);
    if (f->function)
        fprintf(out, "%s ", f->function);
    if (f->file && f->line > 0)
        fprintf(out, "(%s:%d)",
                report_display_path(f->file, path, sizeof(path)), f->line);
    else if (f->module)
        fprintf(out, "(%s+0x%" PRIx64 ")", f->module_short, f->offset);
    else
        fprintf(out, "(0x%" PRIx64 ")", f->pc);
    if (f->inlined)
        fputs(" [inlined]", out);
    if (f->lib && faint)
        fprintf(out, " (%s)", f->lib);
    if (f->binary_changed)
        fputs(" (binary changed since recording)", out);
    fprintf(out, "%s\n", faint ? st->reset : "");
}

static void text_stack(FILE *out, const struct report_input *in,
                       const struct text_style *st, const struct finding *f,
                       const struct finding_stack *stack)
{
    struct sym_frame frames[REPORT_MAX_FRAMES];
    char title[1024];
    report_stack_title(in, f, stack, title, sizeof(title));
    fprintf(out, "\n  %s%s%s:\n", st->bold, title, st->reset);
    size_t n = report_stack_frames(in, stack, frames, REPORT_MAX_FRAMES);
    if (n == 0)
        fputs("    (no stack recorded)\n", out);
    for (size_t i = 0; i < n; i++)
        text_frame(out, st, i, &frames[i]);
}

/* ---- one finding ---- */

static void text_threads(FILE *out, const struct report_input *in,
                         const struct finding *f)
{
    char who[256];
    if (f->nthreads == 0)
        return;
    fputs("  threads: ", out);
    for (size_t i = 0; i < f->nthreads && i < FINDING_MAX_THREADS; i++) {
        report_thread_label(in, f->threads[i], who, sizeof(who));
        fprintf(out, "%s%s", i ? ", " : "", who);
    }
    fputc('\n', out);
}

static void text_objects(FILE *out, const struct report_input *in,
                         const struct finding *f)
{
    char name[256];
    if (f->nobjects == 0)
        return;
    fputs("  objects: ", out);
    for (size_t i = 0; i < f->nobjects && i < 32; i++) {
        const struct finding_object *o = &f->objects[i];
        report_object_name(in, o, name, sizeof(name));
        fprintf(out, "%s%s (%s 0x%" PRIx64 ")", i ? ", " : "", name,
                o->kind[0] ? o->kind : "object", o->addr);
    }
    fputc('\n', out);
}

static void text_finding(FILE *out, const struct report_input *in,
                         const struct text_style *st, const struct finding *f)
{
    fprintf(out, "%s%s: %s%s", text_severity_color(st, f->severity),
            finding_severity_name(f->severity), finding_kind_name(f->kind),
            st->reset);
    if (f->pid)
        fprintf(out, " in pid %" PRIu32, f->pid);
    if (f->count > 1)
        fprintf(out, " (seen %" PRIu32 " times)", f->count);
    char message[1024];
    report_finding_text(in, f, f->message, message, sizeof(message));
    report_sanitize(message);
    fprintf(out, "\n  %s%s%s\n", st->bold, message, st->reset);
    fprintf(out, "  %swhy: %s%s\n", st->dim, finding_kind_why(f->kind),
            st->reset);
    text_threads(out, in, f);
    text_objects(out, in, f);
    for (size_t i = 0; i < f->nstacks; i++)
        text_stack(out, in, st, f, &f->stacks[i]);
    fputc('\n', out);
}

static void text_findings(FILE *out, const struct report_input *in,
                          const struct text_style *st)
{
    const struct analysis_result *res = in->res;
    size_t *order = report_finding_order(res);
    for (size_t i = 0; i < res->nfindings; i++) {
        const struct finding *f = &res->findings[order[i]];
        bool new_group = i == 0 || res->findings[order[i - 1]].kind != f->kind;
        if (new_group) {
            size_t n = 0;
            for (size_t j = i;
                 j < res->nfindings && res->findings[order[j]].kind == f->kind;
                 j++)
                n++;
            fprintf(out, "%s== %s: %zu finding%s ==%s\n\n",
                    text_severity_color(st, f->severity),
                    finding_kind_name(f->kind), n, n == 1 ? "" : "s",
                    st->reset);
        }
        text_finding(out, in, st, f);
    }
    free(order);
}

/* Exception groups (fatal signals, aborts, asserts, throws, non-zero
 * exits) are shown here, between the findings and the contention table:
 * one tree, drawn by excgroup_report.c. */
static void text_exception_groups(FILE *out, const struct report_input *in,
                                  const struct text_style *st)
{
    struct excgroup_style es = {st->error, st->bold, st->dim, st->reset};
    excgroup_write_text(out, in, &es, excgroup_utf8_locale());
}

/* ---- contention ---- */

/* Locks shown in the text table; JSON has them all. */
#define TEXT_CONTENTION_MAX 10
#define TEXT_SITES_MAX 3

static void text_site(FILE *out, const struct report_input *in, uint32_t proc,
                      const struct contention_site *s)
{
    struct sym_frame f;
    char where[768], wait[32];
    report_pc_frame(in, proc, s->pc, &f);
    sym_frame_format(&f, true, where, sizeof(where));
    report_format_duration(s->wait_ns, wait, sizeof(wait));
    fprintf(out, "      %" PRIu64 " acquisition%s, %s waited: %s\n",
            s->acquisitions, s->acquisitions == 1 ? "" : "s", wait, where);
}

static void text_contention_entry(FILE *out, const struct report_input *in,
                                  const struct text_style *st,
                                  const struct contention_entry *e)
{
    char name[256], wt[32], wm[32], ht[32], hm[32];
    report_object_name(in, &e->lock, name, sizeof(name));
    report_format_duration(e->wait_total_ns, wt, sizeof(wt));
    report_format_duration(e->wait_max_ns, wm, sizeof(wm));
    report_format_duration(e->hold_total_ns, ht, sizeof(ht));
    report_format_duration(e->hold_max_ns, hm, sizeof(hm));
    double pct = e->acquisitions
                     ? 100.0 * (double)e->contended / (double)e->acquisitions
                     : 0.0;
    fprintf(out, "  %s%s%s (%s 0x%" PRIx64 ", pid %" PRIu32 ")\n", st->bold,
            name, st->reset, e->lock.kind[0] ? e->lock.kind : "lock",
            e->lock.addr, report_pid(in, e->lock.proc));
    fprintf(out,
            "    %" PRIu64 " acquisition%s, %" PRIu64 " contended (%.1f%%)\n"
            "    wait %s total, %s max; hold %s total, %s max\n",
            e->acquisitions, e->acquisitions == 1 ? "" : "s", e->contended, pct,
            wt, wm, ht, hm);
    if (e->lock.create_pc) {
        struct sym_frame f;
        char where[768];
        report_pc_frame(in, e->lock.proc, e->lock.create_pc, &f);
        sym_frame_format(&f, true, where, sizeof(where));
        fprintf(out, "    created at %s\n", where);
    }
    if (e->nsites)
        fputs("    top call sites:\n", out);
    for (size_t i = 0; i < e->nsites && i < TEXT_SITES_MAX; i++)
        text_site(out, in, e->lock.proc, &e->sites[i]);
}

static void text_contention(FILE *out, const struct report_input *in,
                            const struct text_style *st)
{
    const struct analysis_result *res = in->res;
    if (res->ncontention == 0)
        return;
    fprintf(out, "%s== contention: hottest locks first ==%s\n", st->bold,
            st->reset);
    for (size_t i = 0; i < res->ncontention && i < TEXT_CONTENTION_MAX; i++)
        text_contention_entry(out, in, st, &res->contention[i]);
    if (res->ncontention > TEXT_CONTENTION_MAX)
        fprintf(out, "  ... and %zu more locks (all in --format=json)\n",
                res->ncontention - TEXT_CONTENTION_MAX);
    fputc('\n', out);
}

/* Remarks of the analysis (a capped search, lost events). */
static void text_notes(FILE *out, const struct report_input *in,
                       const struct text_style *st)
{
    for (size_t i = 0; i < in->res->nnotes; i++)
        fprintf(out, "%snote:%s %s\n", st->note, st->reset, in->res->notes[i]);
}

int report_write_text(FILE *out, const struct report_input *in, bool color)
{
    const struct text_style *st = color ? &text_color : &text_plain;
    char summary[512];
    text_findings(out, in, st);
    text_exception_groups(out, in, st);
    text_contention(out, in, st);
    gil_write_text(out, in, st->bold, st->reset);
    text_notes(out, in, st);
    report_summary_line(in, summary, sizeof(summary));
    fprintf(out, "%s%s%s\n", st->bold, summary, st->reset);
    fflush(out);
    return ferror(out) ? -1 : 0;
}
