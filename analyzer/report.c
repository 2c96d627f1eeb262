/* Shared by the report writers: option names, the summary line, naming
 * threads and objects as a person would, symbolizing recorded stacks,
 * display order and durations.  See report.h and report_internal.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_internal.h"

/* ---- options ---- */

static int report_name_index(const char *const *names, size_t n,
                             const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

int report_format_from_name(const char *name)
{
    static const char *const names[] = {"text", "json", "sarif"};
    return report_name_index(names, 3, name);
}

int report_color_from_name(const char *name)
{
    static const char *const names[] = {"auto", "always", "never"};
    return report_name_index(names, 3, name);
}

bool report_color_enabled(enum report_color c, FILE *out)
{
    if (c == REPORT_COLOR_ALWAYS)
        return true;
    if (c == REPORT_COLOR_NEVER)
        return false;
    const char *no = getenv("NO_COLOR");
    if (no && *no)
        return false;
    const char *term = getenv("TERM"); /* a terminal that has no colours */
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(out)) != 0;
}

int report_write(FILE *out, const struct report_input *in,
                 const struct report_options *opts)
{
    switch (opts->format) {
    case REPORT_FORMAT_JSON:
        return report_write_json(out, in);
    case REPORT_FORMAT_SARIF:
        return report_write_sarif(out, in);
    case REPORT_FORMAT_TEXT:
    default:
        return report_write_text(out, in,
                                 report_color_enabled(opts->color, out));
    }
}

/* ---- processes and threads ---- */

const struct trace_thread *report_thread(const struct report_input *in,
                                         uint32_t thread)
{
    return thread < in->nthreads ? &in->threads[thread] : NULL;
}

const struct trace_process *report_process(const struct report_input *in,
                                           uint32_t proc)
{
    return proc < in->nprocs ? &in->procs[proc] : NULL;
}

uint32_t report_pid(const struct report_input *in, uint32_t proc)
{
    const struct trace_process *p = report_process(in, proc);
    return p ? p->pid : 0;
}

void report_thread_short(const struct report_input *in, uint32_t thread,
                         char *buf, size_t len)
{
    const struct trace_thread *t = report_thread(in, thread);
    if (!t) {
        snprintf(buf, len, "T? (thread #%" PRIu32 ")", thread);
    } else if (t->name[0]) {
        char name[sizeof(t->name)];
        snprintf(name, sizeof(name), "%s", t->name);
        report_sanitize(name); /* a program chooses its thread names */
        snprintf(buf, len, "T%" PRIu32 " '%s'", t->serial, name);
    } else {
        snprintf(buf, len, "T%" PRIu32, t->serial);
    }
}

void report_thread_label(const struct report_input *in, uint32_t thread,
                         char *buf, size_t len)
{
    const struct trace_thread *t = report_thread(in, thread);
    char shortname[128];
    report_thread_short(in, thread, shortname, sizeof(shortname));
    if (!t)
        snprintf(buf, len, "%s", shortname);
    else
        snprintf(buf, len, "%s (tid %" PRIu32 ", pid %" PRIu32 ")", shortname,
                 t->tid, report_pid(in, t->proc));
}

/* ---- objects ---- */

int report_pc_frames(const struct report_input *in, uint32_t proc, uint64_t pc,
                     struct sym_frame *out, int max)
{
    if (in->sym)
        return sym_lookup(in->sym, proc, pc, true, out, max);
    memset(out, 0, sizeof(*out));
    out->pc = pc;
    return 1;
}

void report_object_name(const struct report_input *in,
                        const struct finding_object *o, char *buf, size_t len)
{
    const char *kind = o->kind[0] ? o->kind : "object";
    if (o->name[0]) {
        snprintf(buf, len, "%s", o->name);
        return;
    }
    if (in->sym && sym_lookup_data(in->sym, o->proc, o->addr, buf, len))
        return;
    if (o->create_pc) {
        struct sym_frame f;
        report_pc_frame(in, o->proc, o->create_pc, &f);
        if (f.file && f.line > 0) {
            const char *b = strrchr(f.file, '/');
            snprintf(buf, len, "%s created at %s:%d", kind, b ? b + 1 : f.file,
                     f.line);
            return;
        }
        if (f.function || f.module) {
            char where[512];
            sym_frame_format(&f, true, where, sizeof(where));
            snprintf(buf, len, "%s created at %s", kind, where);
            return;
        }
    }
    snprintf(buf, len, "%s 0x%" PRIx64, kind, o->addr);
}

/* ---- paths ---- */

const char *report_display_path(const char *path, char *buf, size_t len)
{
    char cwd[4096];
    if (!path)
        return NULL;
    if (path[0] == '/' && getcwd(cwd, sizeof(cwd))) {
        size_t n = strlen(cwd);
        if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/') {
            snprintf(buf, len, "%s", path + n + 1);
            return buf;
        }
    }
    const char *b = strrchr(path, '/');
    snprintf(buf, len, "%s", b ? b + 1 : path);
    return buf;
}

/* ---- messages ---- */

void report_sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

static void report_name_cb(void *ctx, const struct finding *f, bool is_thread,
                           uint32_t index, char *buf, size_t len)
{
    const struct report_input *in = ctx;
    if (is_thread)
        report_thread_short(in, index, buf, len);
    else if (index < f->nobjects)
        report_object_name(in, &f->objects[index], buf, len);
}

void report_finding_text(const struct report_input *in, const struct finding *f,
                         const char *text, char *buf, size_t len)
{
    finding_message_format(f, text, report_name_cb, (void *)in, buf, len);
}

/* ---- stacks ---- */

void report_stack_title(const struct report_input *in, const struct finding *f,
                        const struct finding_stack *st, char *buf, size_t len)
{
    char who[256], shortname[128], label[512];
    const struct trace_thread *t = report_thread(in, st->thread);
    report_thread_label(in, st->thread, who, sizeof(who));
    report_thread_short(in, st->thread, shortname, sizeof(shortname));
    report_finding_text(in, f, st->label, label, sizeof(label));
    report_sanitize(label);
    if (!label[0])
        snprintf(buf, len, "stack of %s", who);
    else if (t && strstr(label, shortname)) /* the label names the thread */
        snprintf(buf, len, "%s (tid %" PRIu32 ", pid %" PRIu32 ")", label,
                 t->tid, report_pid(in, t->proc));
    else
        snprintf(buf, len, "%s - %s", label, who);
}

size_t report_stack_frames(const struct report_input *in,
                           const struct finding_stack *st,
                           struct sym_frame *out, size_t max)
{
    size_t n = 0;
    uint32_t depth =
        st->depth < STACK_MAX_FRAMES ? st->depth : STACK_MAX_FRAMES;
    for (uint32_t i = 0; i < depth && n < max; i++) {
        if (st->pcs[i] == 0)
            continue;
        size_t room = max - n;
        int got = report_pc_frames(in, st->proc, st->pcs[i], &out[n],
                                   room < SYM_MAX_INLINE ? (int)room
                                                         : SYM_MAX_INLINE);
        n += (size_t)got;
    }
    return n;
}

/* Headers of the compiler and the C++ library: code inlined from them
 * (std::mutex::lock, std::lock_guard) is not where the program is. */
static const char *const report_system_headers[] = {
    "/usr/include/",
    "/usr/lib/gcc/",
    "/usr/local/include/",
    "/usr/lib/llvm",
};

bool report_frame_in_program(const struct sym_frame *f)
{
    if (f->in_system || f->in_ctrace)
        return false;
    for (size_t i = 0; f->file && i < sizeof(report_system_headers) /
                                          sizeof(report_system_headers[0]);
         i++)
        if (strncmp(f->file, report_system_headers[i],
                    strlen(report_system_headers[i])) == 0)
            return false;
    return true;
}

size_t report_top_frame(const struct sym_frame *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (report_frame_in_program(&f[i]))
            return i;
    return 0;
}

void report_pc_frame(const struct report_input *in, uint32_t proc, uint64_t pc,
                     struct sym_frame *out)
{
    struct sym_frame f[SYM_MAX_INLINE];
    int n = report_pc_frames(in, proc, pc, f, SYM_MAX_INLINE);
    *out = f[report_top_frame(f, (size_t)n)];
}

/* ---- order, numbers, names ---- */

static const struct analysis_result *report_sort_res;

static int report_order_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const struct finding *fx = &report_sort_res->findings[x];
    const struct finding *fy = &report_sort_res->findings[y];
    if (fx->severity != fy->severity)
        return fx->severity < fy->severity ? -1 : 1;
    if (fx->kind != fy->kind)
        return fx->kind < fy->kind ? -1 : 1;
    return x < y ? -1 : x > y;
}

size_t *report_finding_order(const struct analysis_result *res)
{
    size_t *idx = malloc((res->nfindings ? res->nfindings : 1) * sizeof(*idx));
    if (!idx)
        abort();
    for (size_t i = 0; i < res->nfindings; i++)
        idx[i] = i;
    report_sort_res = res;
    qsort(idx, res->nfindings, sizeof(*idx), report_order_cmp);
    report_sort_res = NULL;
    return idx;
}

void report_format_duration(uint64_t ns, char *buf, size_t len)
{
    if (ns < 1000)
        snprintf(buf, len, "%" PRIu64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
}

const char *report_category_name(enum finding_category c)
{
    switch (c) {
    case CAT_DEADLOCK:
        return "deadlock";
    case CAT_RACE:
        return "race";
    case CAT_LOCK_ORDER:
        return "lock-order";
    case CAT_MISUSE:
        return "misuse";
    case CAT_FORK:
        return "fork";
    }
    return "other";
}

/* "deadlock" -> "deadlocks" when n > 1; mass nouns stay. */
static const char *report_category_plural(enum finding_category c, size_t n)
{
    if (n > 1 && c == CAT_DEADLOCK)
        return "deadlocks";
    if (n > 1 && c == CAT_RACE)
        return "races";
    return report_category_name(c);
}

#define REPORT_NCATEGORIES (CAT_FORK + 1)

/* Processes as a person counts them: distinct pids (an exec keeps the
 * pid and starts a new image). */
static size_t report_count_pids(const struct report_input *in)
{
    size_t n = 0;
    for (size_t i = 0; i < in->nprocs; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = in->procs[j].pid == in->procs[i].pid;
        n += !seen;
    }
    return n;
}

void report_summary_line(const struct report_input *in, char *buf, size_t len)
{
    const struct analysis_result *res = in->res;
    size_t per[REPORT_NCATEGORIES] = {0};
    for (size_t i = 0; i < res->nfindings; i++) {
        enum finding_category c = finding_kind_category(res->findings[i].kind);
        if ((unsigned)c < REPORT_NCATEGORIES)
            per[c]++;
    }
    size_t used =
        (size_t)snprintf(buf, len, "ctrace: %zu finding%s", res->nfindings,
                         res->nfindings == 1 ? "" : "s");
    const char *sep = " (";
    for (int c = 0; c < REPORT_NCATEGORIES && used < len; c++) {
        if (!per[c])
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%zu %s", sep,
                                 per[c], report_category_plural(c, per[c]));
        sep = ", ";
    }
    if (res->nfindings && used < len)
        used += (size_t)snprintf(buf + used, len - used, ")");
    size_t npids = report_count_pids(in);
    if (used < len)
        used += (size_t)snprintf(
            buf + used, len - used,
            " in %zu process%s, %zu thread%s; %" PRIu64 " event%s lost", npids,
            npids == 1 ? "" : "es", in->nthreads, in->nthreads == 1 ? "" : "s",
            res->lost_events, res->lost_events == 1 ? "" : "s");
    /* exception groups (docs/exception-groups.md) */
    if (res->exc_failures && used < len)
        used += (size_t)snprintf(
            buf + used, len - used, "; %" PRIu64 " failure%s (%zu group%s)",
            res->exc_failures, res->exc_failures == 1 ? "" : "s",
            res->nexc_groups, res->nexc_groups == 1 ? "" : "s");
    if (in->suppressed && used < len)
        snprintf(buf + used, len - used, "; %zu suppressed", in->suppressed);
}
