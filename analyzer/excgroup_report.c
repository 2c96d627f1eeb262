/* Exception groups in the report: symbolized signatures, the text tree
 * and the JSON array (see excgroup_report.h).
 *
 * A group's stack holds raw pcs of its first occurrence; every pc is a
 * return address except `exact_frame`, the faulting pc of a signal, which
 * is looked up as is (a return address is looked up at pc-1, inside the
 * call instruction).
 */
#include "excgroup_report.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "excgroup.h"
#include "reader.h"
#include "symbols.h"

#define EXR_SIG_FRAMES 3   /* program frames in a signature */
#define EXR_TEXT_FRAMES 12 /* frames shown per group in the text */
#define EXR_TEXT_IDS 8     /* pids listed per group in the text */
#define EXR_TEXT_MEMBERS 3 /* crashed processes whose threads are shown */

/* ---- frames of a group ---- */

/* Frames of pc i of a stack, with the exact pc looked up as is. */
static int exr_pc_frames(struct symbolizer *sym, const struct finding_stack *st,
                         uint32_t i, uint32_t exact, struct sym_frame *out,
                         int max)
{
    if (sym)
        return sym_lookup(sym, st->proc, st->pcs[i], i != exact, out, max);
    memset(out, 0, sizeof *out);
    out->pc = st->pcs[i];
    return 1;
}

/* All frames of a group's stack (inline frames expanded).  The first pc
 * of an exit is where exit() was called from, or, when main returned,
 * main itself (preload/process.c): looked up as a return address it then
 * falls before main, in no function, so it is looked up again as is. */
static size_t exr_frames(struct symbolizer *sym,
                         const struct exception_group *gr,
                         struct sym_frame *out, size_t max)
{
    size_t n = 0;
    for (uint32_t i = 0; i < gr->stack.depth && n < max; i++) {
        if (!gr->stack.pcs[i])
            continue;
        size_t room = max - n;
        int m = room < SYM_MAX_INLINE ? (int)room : SYM_MAX_INLINE;
        int got =
            exr_pc_frames(sym, &gr->stack, i, gr->exact_frame, &out[n], m);
        if (i == 0 && gr->kind == EXC_EXIT && !out[n].function)
            got = exr_pc_frames(sym, &gr->stack, i, 0, &out[n], m);
        n += (size_t)got;
    }
    return n;
}

/* A Python frame as a symbolized one (no pc, no module). */
static void exr_pyframe(const struct exception_pyframe *p, struct sym_frame *f)
{
    memset(f, 0, sizeof *f);
    f->function = p->function[0] ? p->function : NULL;
    f->file = p->file[0] ? p->file : NULL;
    f->line = p->line > 0 ? p->line : 0;
}

size_t excgroup_stack_frames(struct symbolizer *sym,
                             const struct exception_group *gr,
                             struct sym_frame *out, size_t max)
{
    if (gr->kind != EXC_PYTHON)
        return exr_frames(sym, gr, out, max);
    size_t n = gr->npyframes < max ? gr->npyframes : max;
    for (size_t i = 0; i < n; i++)
        exr_pyframe(&gr->pyframes[i], &out[i]);
    return n;
}

/* ---- symbolized signatures ---- */

/* A signal's stack may start in the handler: then the frame after the
 * kernel's trampoline (__restore_rt) is the faulting one. */
static void exr_fix_exact(struct symbolizer *sym, struct exception_group *gr)
{
    if (gr->exact_frame != 0)
        return;
    for (uint32_t i = 0; i + 1 < gr->stack.depth && i < 8; i++) {
        struct sym_frame f[SYM_MAX_INLINE];
        int n = sym_lookup(sym, gr->stack.proc, gr->stack.pcs[i], i != 0, f,
                           SYM_MAX_INLINE);
        const char *fn = f[n - 1].function;
        if (fn && strcmp(fn, "__restore_rt") == 0) {
            gr->exact_frame = i + 1;
            return;
        }
    }
}

/* The name a frame goes by in a signature. */
static void exr_frame_name(const struct sym_frame *f, char *buf, size_t len)
{
    if (f->function)
        snprintf(buf, len, "%s", f->function);
    else if (f->module)
        snprintf(buf, len, "%s+0x%" PRIx64, f->module_short, f->offset);
    else
        snprintf(buf, len, "0x%" PRIx64, f->pc);
}

/* Append the names of up to EXR_SIG_FRAMES frames; with `program`, only
 * frames outside system libraries and ctrace.  Returns how many. */
static size_t exr_sig_frames(const struct sym_frame *f, size_t n, bool program,
                             char *sig, size_t len)
{
    size_t named = 0, used = strlen(sig);
    for (size_t i = 0; i < n && named < EXR_SIG_FRAMES; i++) {
        if (program && (f[i].in_system || f[i].in_ctrace))
            continue;
        char name[256];
        exr_frame_name(&f[i], name, sizeof name);
        snprintf(sig + used, len - used, "%s%s", named ? ";" : "", name);
        used = strlen(sig);
        named++;
    }
    return named;
}

static bool exr_resignable(const struct exception_group *gr)
{
    return gr->stack.depth > 0 && gr->kind != EXC_EXIT &&
           gr->kind != EXC_PYTHON;
}

static void exr_resign(struct symbolizer *sym, struct exception_group *gr)
{
    if (gr->kind == EXC_SIGNAL)
        exr_fix_exact(sym, gr);
    struct sym_frame frames[REPORT_MAX_FRAMES];
    size_t n = exr_frames(sym, gr, frames, REPORT_MAX_FRAMES);
    char sig[sizeof gr->signature];
    const char *detail = gr->kind == EXC_ASSERT ? gr->detail : gr->type;
    excgroup_signature_head(gr->kind, gr->signo, detail, gr->caught, sig,
                            sizeof sig);
    if (exr_sig_frames(frames, n, true, sig, sizeof sig) == 0)
        exr_sig_frames(frames, n, false, sig, sizeof sig);
    memcpy(gr->signature, sig, sizeof sig);
}

static int exr_sig_cmp(const void *a, const void *b)
{
    const struct exception_group *x = *(const struct exception_group *const *)a;
    const struct exception_group *y = *(const struct exception_group *const *)b;
    int c = strcmp(x->signature, y->signature);
    if (c)
        return c;
    return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

void excgroup_symbolize(struct analysis_result *res, struct symbolizer *sym)
{
    size_t n = res->nexc_groups;
    if (!sym || n == 0)
        return;
    struct exception_group **order = malloc(n * sizeof *order);
    if (!order)
        abort();
    for (size_t i = 0; i < n; i++) {
        order[i] = &res->exc_groups[i];
        if (exr_resignable(order[i]))
            exr_resign(sym, order[i]);
    }
    /* equal signatures are adjacent, the earliest first: merge into it */
    qsort(order, n, sizeof *order, exr_sig_cmp);
    for (size_t i = 1, keep = 0; i < n; i++) {
        if (strcmp(order[keep]->signature, order[i]->signature) == 0)
            excgroup_merge(order[keep], order[i]);
        else
            keep = i;
    }
    free(order);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (res->exc_groups[i].count)
            res->exc_groups[k++] = res->exc_groups[i];
    res->nexc_groups = k;
    excgroup_sort(res->exc_groups, k);
}

/* ---- text ---- */

struct exr_tree {
    const char *branch, *last, *pipe, *space;
};

static const struct exr_tree exr_utf8 = {"\u251c\u2500 ", "\u2514\u2500 ",
                                         "\u2502    ", "     "};
static const struct exr_tree exr_ascii = {"+- ", "`- ", "|    ", "     "};

bool excgroup_utf8_locale(void)
{
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !*v)
            continue;
        const char *dot = strchr(v, '.');
        const char *cs = dot ? dot + 1 : v;
        return strncasecmp(cs, "utf-8", 5) == 0 ||
               strncasecmp(cs, "utf8", 4) == 0;
    }
    return false;
}

/* "func (file.c:42)" of the first program frame, "" when none. */
static void exr_top_text(const struct sym_frame *f, size_t n, char *buf,
                         size_t len)
{
    buf[0] = '\0';
    if (n == 0)
        return;
    size_t top = report_top_frame(f, n);
    sym_frame_format(&f[top], true, buf, len);
}

static void exr_ids(FILE *out, const char *what, const uint32_t *ids, size_t n,
                    bool truncated)
{
    fprintf(out, "   %s%s ", what, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < EXR_TEXT_IDS; i++)
        fprintf(out, "%s%" PRIu32, i ? ", " : "", ids[i]);
    if (n > EXR_TEXT_IDS || truncated)
        fprintf(out, ", ...");
}

/* tids worth showing: some occurrence was not in a main thread. */
static bool exr_tids_differ(const struct exception_group *gr)
{
    for (size_t i = 0; i < gr->ntids; i++) {
        bool is_pid = false;
        for (size_t k = 0; k < gr->npids && !is_pid; k++)
            is_pid = gr->pids[k] == gr->tids[i];
        if (!is_pid)
            return true;
    }
    return false;
}

static void exr_text_headline(FILE *out, const struct exception_group *gr,
                              const char *at, const struct excgroup_style *st)
{
    char title[sizeof gr->title];
    snprintf(title, sizeof title, "%s", gr->title);
    report_sanitize(title);
    fprintf(out, "%s[%" PRIu32 "x] %s%s%s%s", st->bold, gr->count, title,
            at[0] ? " at " : "", at, st->reset);
    exr_ids(out, "pid", gr->pids, gr->npids, gr->ids_truncated);
    if (exr_tids_differ(gr))
        exr_ids(out, "tid", gr->tids, gr->ntids, gr->ids_truncated);
    fputc('\n', out);
}

static void exr_text_frame(FILE *out, const char *pipe, size_t i,
                           const struct sym_frame *f,
                           const struct excgroup_style *st)
{
    char where[768];
    bool faint = f->in_system || f->in_ctrace;
    sym_frame_format(f, true, where, sizeof where);
    report_sanitize(where);
    fprintf(out, "%s%s#%zu %s%s", pipe, faint ? st->dim : "", i, where,
            f->inlined ? " [inlined]" : "");
    if (faint && f->lib)
        fprintf(out, " (%s)", f->lib);
    fprintf(out, "%s\n", faint ? st->reset : "");
}

static void exr_text_frames(FILE *out, const char *pipe,
                            const struct sym_frame *f, size_t n,
                            const struct excgroup_style *st)
{
    size_t from = report_top_frame(f, n);
    size_t shown = 0;
    for (size_t i = from; i < n && shown < EXR_TEXT_FRAMES; i++, shown++)
        exr_text_frame(out, pipe, shown, &f[i], st);
    if (n - from > shown)
        fprintf(out, "%s%s... %zu more frames%s\n", pipe, st->dim,
                n - from - shown, st->reset);
}

/* Frames of a few pcs (return addresses) of image proc. */
static size_t exr_pcs_frames(const struct report_input *in, uint32_t proc,
                             const uint64_t *pcs, uint32_t depth,
                             struct sym_frame *out, size_t max)
{
    size_t n = 0;
    for (uint32_t i = 0; i < depth && n + SYM_MAX_INLINE <= max; i++)
        n +=
            (size_t)report_pc_frames(in, proc, pcs[i], &out[n], SYM_MAX_INLINE);
    return n;
}

/* "blocked in pthread_mutex_lock on mutex table_lock at x.c:30". */
static void exr_other_text(const struct report_input *in,
                           const struct exception_thread *o, char *buf,
                           size_t len)
{
    if (!o->blocked_event) {
        snprintf(buf, len, "running");
        return;
    }
    int n = snprintf(buf, len, "blocked in %s",
                     excgroup_block_call(o->blocked_event));
    char what[256];
    if (o->blocked_event == TRACE_EV_THREAD_JOIN_WAIT) {
        if (o->target != UINT64_MAX) {
            report_thread_short(in, (uint32_t)o->target, what, sizeof what);
            n += snprintf(buf + n, len - (size_t)n, " waiting for %s", what);
        }
    } else if (o->blocked_event == TRACE_EV_PROCESS_WAIT) {
        if ((int64_t)o->target > 0)
            n += snprintf(buf + n, len - (size_t)n, " for pid %" PRId64,
                          (int64_t)o->target);
        else
            n += snprintf(buf + n, len - (size_t)n, " for any child");
    } else if (o->obj.addr) {
        /* "mutex table_lock", but not "mutex mutex created at x.c:3" */
        report_object_name(in, &o->obj, what, sizeof what);
        bool named_by_kind =
            strncmp(what, o->obj.kind, strlen(o->obj.kind)) == 0;
        n += snprintf(buf + n, len - (size_t)n, " on %s%s%s",
                      named_by_kind ? "" : o->obj.kind,
                      named_by_kind ? "" : " ", what);
    }
    if (o->depth && (size_t)n < len) {
        struct sym_frame f[REPORT_MAX_FRAMES];
        size_t nf = exr_pcs_frames(in, o->obj.proc, o->pcs, o->depth, f,
                                   REPORT_MAX_FRAMES);
        char at[768];
        exr_top_text(f, nf, at, sizeof at);
        snprintf(buf + n, len - (size_t)n, " at %s", at);
    }
}

static void exr_text_others(FILE *out, const struct report_input *in,
                            const char *pipe, const struct exception_member *m,
                            const struct excgroup_style *st)
{
    if (!m->nothers)
        return;
    fprintf(out, "%s%swhen pid %" PRIu32 " died, its other threads were:%s\n",
            pipe, st->dim, m->pid, st->reset);
    for (size_t i = 0; i < m->nothers; i++) {
        char who[256], what[1280];
        report_thread_label(in, m->others[i].thread, who, sizeof who);
        exr_other_text(in, &m->others[i], what, sizeof what);
        report_sanitize(what);
        fprintf(out, "%s  %s: %s\n", pipe, who, what);
    }
}

static void exr_text_group(FILE *out, const struct report_input *in,
                           const struct exception_group *gr, bool last,
                           const struct exr_tree *tr,
                           const struct excgroup_style *st)
{
    struct sym_frame f[REPORT_MAX_FRAMES];
    size_t n = excgroup_stack_frames(in->sym, gr, f, REPORT_MAX_FRAMES);
    const char *pipe = last ? tr->space : tr->pipe;
    char at[768] = "";
    if (gr->kind != EXC_EXIT)
        exr_top_text(f, n, at, sizeof at);
    fputs(last ? tr->last : tr->branch, out);
    exr_text_headline(out, gr, at, st);
    char msg[sizeof gr->message];
    snprintf(msg, sizeof msg, "%s", gr->message);
    report_sanitize(msg);
    if (strcmp(msg, gr->title) != 0 && gr->kind != EXC_EXIT)
        fprintf(out, "%s%s%s\n", pipe, msg, st->reset);
    if (gr->kind == EXC_EXIT && n) {
        char where[768];
        exr_top_text(f, n, where, sizeof where);
        fprintf(out, "%s%sexited at %s%s\n", pipe, st->dim, where, st->reset);
    } else {
        exr_text_frames(out, pipe, f, n, st);
    }
    for (size_t i = 0; i < gr->nmembers && i < EXR_TEXT_MEMBERS; i++)
        exr_text_others(out, in, pipe, &gr->members[i], st);
}

void excgroup_write_text(FILE *out, const struct report_input *in,
                         const struct excgroup_style *st, bool utf8)
{
    const struct analysis_result *res = in->res;
    if (res->nexc_groups == 0)
        return;
    const struct exr_tree *tr = utf8 ? &exr_utf8 : &exr_ascii;
    fprintf(out,
            "%sExceptionGroup: %" PRIu64 " failure%s in %" PRIu64
            " process%s (%zu distinct)%s\n",
            st->head, res->exc_failures, res->exc_failures == 1 ? "" : "s",
            res->exc_processes, res->exc_processes == 1 ? "" : "es",
            res->nexc_groups, st->reset);
    for (size_t i = 0; i < res->nexc_groups; i++)
        exr_text_group(out, in, &res->exc_groups[i], i + 1 == res->nexc_groups,
                       tr, st);
    fputc('\n', out);
}

/* ---- JSON ---- */

static void exr_json_stack(struct jsonw *w, const struct report_input *in,
                           const struct exception_group *gr)
{
    struct sym_frame f[REPORT_MAX_FRAMES];
    size_t n = excgroup_stack_frames(in->sym, gr, f, REPORT_MAX_FRAMES);
    jsonw_begin_array(w, "stack");
    for (size_t i = 0; i < n; i++)
        json_frame(w, NULL, &f[i]);
    jsonw_end_array(w);
}

static void exr_json_ids(struct jsonw *w, const char *key, const uint32_t *ids,
                         size_t n)
{
    jsonw_begin_array(w, key);
    for (size_t i = 0; i < n; i++)
        jsonw_uint(w, NULL, ids[i]);
    jsonw_end_array(w);
}

static void exr_json_other(struct jsonw *w, const struct report_input *in,
                           const struct exception_thread *o)
{
    jsonw_begin_object(w, NULL);
    json_thread_ref(w, in, "thread", o->thread);
    jsonw_string(w, "state", o->blocked_event ? "blocked" : "running");
    if (!o->blocked_event) {
        jsonw_null(w, "call");
        jsonw_null(w, "object");
        jsonw_null(w, "frame");
        jsonw_end_object(w);
        return;
    }
    jsonw_string(w, "call", excgroup_block_call(o->blocked_event));
    jsonw_uint(w, "since_ns", o->since_ns);
    if (o->obj.addr)
        json_object_ref(w, in, "object", &o->obj);
    else
        jsonw_null(w, "object");
    if (o->blocked_event == TRACE_EV_THREAD_JOIN_WAIT &&
        o->target != UINT64_MAX)
        json_thread_ref(w, in, "joining", (uint32_t)o->target);
    if (o->blocked_event == TRACE_EV_PROCESS_WAIT)
        jsonw_int(w, "waiting_for_pid", (int64_t)o->target);
    char text[1280];
    exr_other_text(in, o, text, sizeof text);
    jsonw_string(w, "text", text);
    if (o->depth) {
        struct sym_frame f[REPORT_MAX_FRAMES];
        size_t nf = exr_pcs_frames(in, o->obj.proc, o->pcs, o->depth, f,
                                   REPORT_MAX_FRAMES);
        json_frame(w, "frame", &f[report_top_frame(f, nf)]);
    } else {
        jsonw_null(w, "frame");
    }
    jsonw_end_object(w);
}

static void exr_json_member(struct jsonw *w, const struct report_input *in,
                            const struct exception_group *gr,
                            const struct exception_member *m)
{
    jsonw_begin_object(w, NULL);
    jsonw_uint(w, "pid", m->pid);
    if (m->tid)
        jsonw_uint(w, "tid", m->tid);
    else
        jsonw_null(w, "tid");
    if (m->thread != UINT32_MAX)
        json_thread_ref(w, in, "thread", m->thread);
    else
        jsonw_null(w, "thread");
    jsonw_uint(w, "ts_ns", m->ts_ns);
    if (gr->kind == EXC_SIGNAL && gr->stack.depth) {
        jsonw_hex(w, "addr", m->addr);
        jsonw_int(w, "code", m->code);
    }
    jsonw_begin_array(w, "other_threads");
    for (size_t i = 0; i < m->nothers; i++)
        exr_json_other(w, in, &m->others[i]);
    jsonw_end_array(w);
    jsonw_end_object(w);
}

static void exr_json_group(struct jsonw *w, const struct report_input *in,
                           const struct exception_group *gr)
{
    jsonw_begin_object(w, NULL);
    jsonw_string(w, "kind", exception_kind_name(gr->kind));
    jsonw_string(w, "signature", gr->signature);
    jsonw_uint(w, "count", gr->count);
    exr_json_ids(w, "pids", gr->pids, gr->npids);
    exr_json_ids(w, "tids", gr->tids, gr->ntids);
    jsonw_bool(w, "ids_truncated", gr->ids_truncated);
    jsonw_string(w, "title", gr->title);
    jsonw_string(w, "message", gr->message);
    if (gr->kind == EXC_SIGNAL && gr->signo)
        jsonw_int(w, "signal", gr->signo);
    else
        jsonw_null(w, "signal");
    if (gr->kind == EXC_EXIT)
        jsonw_int(w, "exit_status", gr->status);
    else
        jsonw_null(w, "exit_status");
    if (gr->kind == EXC_CXX || gr->kind == EXC_PYTHON)
        jsonw_string(w, "type", gr->type);
    else
        jsonw_null(w, "type");
    if (gr->kind == EXC_ASSERT)
        jsonw_string(w, "expression", gr->detail);
    if (gr->kind == EXC_CXX)
        jsonw_bool(w, "caught", gr->caught);
    if (gr->kind == EXC_PYTHON)
        jsonw_string(w, "traceback", gr->traceback);
    jsonw_uint(w, "first_ns", gr->first_ns);
    jsonw_uint(w, "last_ns", gr->last_ns);
    exr_json_stack(w, in, gr);
    jsonw_begin_array(w, "members");
    for (size_t i = 0; i < gr->nmembers; i++)
        exr_json_member(w, in, gr, &gr->members[i]);
    jsonw_end_array(w);
    jsonw_end_object(w);
}

void excgroup_write_json(struct jsonw *w, const struct report_input *in,
                         const char *key)
{
    jsonw_begin_array(w, key);
    for (size_t i = 0; i < in->res->nexc_groups; i++)
        exr_json_group(w, in, &in->res->exc_groups[i]);
    jsonw_end_array(w);
}

void excgroup_json_outcome(struct jsonw *w, const struct report_input *in,
                           size_t proc)
{
    const struct analysis_result *res = in->res;
    const struct trace_process *p = &in->procs[proc];
    if (res->outcomes && proc < res->noutcomes && res->outcomes[proc].known) {
        const struct process_outcome *o = &res->outcomes[proc];
        if (o->exit_status >= 0)
            jsonw_uint(w, "exit_status", (uint64_t)o->exit_status);
        else
            jsonw_null(w, "exit_status");
        if (o->signal > 0)
            jsonw_int(w, "signal", o->signal);
        else
            jsonw_null(w, "signal");
        return;
    }
    if (p->exited)
        jsonw_uint(w, "exit_status", p->exit_status);
    else
        jsonw_null(w, "exit_status");
    jsonw_null(w, "signal");
}
