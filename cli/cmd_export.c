/* `ctrace export --format=chrome|ctf [-o OUT] [DIR]`: a trace for other
 * viewers.  chrome: Chrome Trace Event JSON, which chrome://tracing and
 * ui.perfetto.dev open, to a file or stdout (written here).  ctf: a
 * Common Trace Format 1.8 directory for babeltrace2 and Trace Compass
 * (export_ctf.c).
 *
 * Chrome JSON:
 *
 * Every thread becomes a track under its process (named by the program
 * and the thread's name).  What a person wants to see as spans is made of
 * event pairs: a wait (any TF_BLOCK event up to the thread's next real
 * event) and a lock hold (an acquisition up to the same thread's release
 * of that object).  Everything else is an instant event.  Streaming: the
 * memory is the locks each thread holds at once, not the trace. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "export_ctf.h"
#include "options.h"
#include "reader.h"

#define EXPORT_DEFAULT_DIR "ctrace.data"

struct export_options {
    const char *format;
    const char *output;
};

static const struct opt_def export_option_defs[] = {
    {"format", 0, OPT_STRING, offsetof(struct export_options, format), 0, 0,
     false, "FORMAT", "chrome (Trace Event JSON) or ctf (CTF 1.8)"},
    {"output", 'o', OPT_STRING, offsetof(struct export_options, output), 0, 0,
     false, "OUT",
     "chrome: a file (default stdout); ctf: a directory "
     "(default " EXPORT_CTF_DEFAULT_DIR ")"},
    {0},
};

/* A lock a thread holds: where its hold span starts. */
struct held {
    uint64_t obj;
    uint64_t since_ns;
    uint32_t type;
};

/* Per thread: the wait that is open, and the locks held. */
struct track {
    uint32_t wait_type; /* 0: not waiting */
    uint64_t wait_obj, wait_since;
    struct held *held;
    size_t nheld, cap;
};

struct exporter {
    FILE *out;
    const struct trace_reader *r;
    struct track *tracks;
    size_t ntracks;
    bool first;
};

static void export_usage(FILE *out)
{
    fprintf(out,
            "Usage: ctrace export --format=chrome [-o FILE] [DIR]\n"
            "       ctrace export --format=ctf [-o OUTDIR] [DIR]\n\n"
            "Convert the trace in DIR (default " EXPORT_DEFAULT_DIR
            ") for other viewers.\n"
            "chrome writes Trace Event JSON for chrome://tracing and\n"
            "ui.perfetto.dev (lock holds and waits as spans, other events as\n"
            "instants) to FILE or stdout.  ctf writes a CTF 1.8 trace\n"
            "(babeltrace2, Trace Compass) into the directory OUTDIR "
            "(default\n" EXPORT_CTF_DEFAULT_DIR
            "), which must not exist or be empty: one "
            "CTF event\nper `ctrace dump` line, with the same names.\n\n"
            "Exit status: 0; 1 when the trace cannot be opened or is damaged\n"
            "(the reader's message names the file and offset; what can be\n"
            "read is still written), or when the output cannot be written or\n"
            "would not be a valid trace; 2 on a usage error.\n\n"
            "Options:\n");
    options_print_help(export_option_defs, out);
}

static struct track *track_of(struct exporter *x, uint32_t thread)
{
    if (thread >= x->ntracks) {
        size_t n = thread + 16;
        x->tracks = realloc(x->tracks, n * sizeof *x->tracks);
        if (!x->tracks)
            abort();
        memset(x->tracks + x->ntracks, 0, (n - x->ntracks) * sizeof *x->tracks);
        x->ntracks = n;
    }
    return &x->tracks[thread];
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* The start of one trace event object: `{"name":NAME,"ph":PH,...` */
static void event_begin(struct exporter *x, const char *name, char ph,
                        const struct trace_event *ev, uint64_t ts_ns)
{
    fputs(x->first ? "\n" : ",\n", x->out);
    x->first = false;
    fputs("{\"name\":", x->out);
    json_string(x->out, name);
    fprintf(x->out,
            ",\"ph\":\"%c\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
            ",\"ts\":%" PRIu64 ".%03" PRIu64,
            ph, ev->pid, ev->tid, ts_ns / 1000, ts_ns % 1000);
}

/* A span from `since` to this event.  Holds are named by their family
 * ("hold mutex"), waits by the event that began them ("mutex-wait"). */
static void span(struct exporter *x, bool hold, uint32_t type, uint64_t obj,
                 uint64_t since, const struct trace_event *ev)
{
    const char *ename = trace_event_name(type);
    char name[96];
    if (hold)
        snprintf(name, sizeof name, "hold %.*s", (int)strcspn(ename, "-"),
                 ename);
    else
        snprintf(name, sizeof name, "%s", ename);
    event_begin(x, name, 'X', ev, since);
    uint64_t dur = ev->ts_ns > since ? ev->ts_ns - since : 0;
    fprintf(x->out,
            ",\"dur\":%" PRIu64 ".%03" PRIu64 ",\"args\":{\"obj\":\"0x%" PRIx64
            "\"}}",
            dur / 1000, dur % 1000, obj);
}

static bool is_acquire(uint32_t t)
{
    return t == TRACE_EV_MUTEX_ACQUIRE || t == TRACE_EV_RWLOCK_RDACQUIRE ||
           t == TRACE_EV_RWLOCK_WRACQUIRE || t == TRACE_EV_SPIN_ACQUIRE;
}

static bool is_release(uint32_t t)
{
    return t == TRACE_EV_MUTEX_RELEASE || t == TRACE_EV_RWLOCK_RELEASE ||
           t == TRACE_EV_SPIN_RELEASE;
}

static void hold_begin(struct track *k, const struct trace_event *ev)
{
    if (k->nheld == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 8;
        k->held = realloc(k->held, k->cap * sizeof *k->held);
        if (!k->held)
            abort();
    }
    k->held[k->nheld++] = (struct held){ev->obj, ev->ts_ns, ev->type};
}

/* A release closes the innermost hold of the same object. */
static void hold_end(struct exporter *x, struct track *k,
                     const struct trace_event *ev)
{
    for (size_t i = k->nheld; i-- > 0;) {
        if (k->held[i].obj != ev->obj)
            continue;
        span(x, true, k->held[i].type, ev->obj, k->held[i].since_ns, ev);
        k->held[i] = k->held[--k->nheld];
        return;
    }
}

static void export_event(struct exporter *x, const struct trace_event *ev)
{
    uint32_t flags = trace_event_flags(ev->type);
    if (flags & TF_META)
        return;
    struct track *k = track_of(x, ev->thread);
    if (k->wait_type) { /* the thread's next event ends its wait */
        span(x, false, k->wait_type, k->wait_obj, k->wait_since, ev);
        k->wait_type = 0;
    }
    if (flags & TF_BLOCK) {
        k->wait_type = ev->type;
        k->wait_obj = ev->obj;
        k->wait_since = ev->ts_ns;
    } else if (is_acquire(ev->type)) {
        hold_begin(k, ev);
    } else if (is_release(ev->type)) {
        hold_end(x, k, ev);
    } else {
        event_begin(x, trace_event_name(ev->type), 'i', ev, ev->ts_ns);
        fprintf(x->out,
                ",\"s\":\"t\",\"args\":{\"obj\":\"0x%" PRIx64
                "\",\"arg\":%" PRIu32 "}}",
                ev->obj, ev->arg);
    }
}

/* Track names: "prog (pid N)" per process, the thread's name per thread. */
static void export_names(struct exporter *x)
{
    const struct trace_reader *r = x->r;
    for (size_t i = 0; i < trace_reader_process_count(r); i++) {
        const struct trace_process *p = trace_reader_process(r, i);
        const char *exe = p->exe ? strrchr(p->exe, '/') : NULL;
        char name[256];
        snprintf(name, sizeof name, "%s (pid %" PRIu32 ")",
                 exe ? exe + 1 : (p->exe ? p->exe : "?"), p->pid);
        fprintf(x->out,
                "%s\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%" PRIu32
                ",\"args\":{\"name\":",
                x->first ? "" : ",", p->pid);
        json_string(x->out, name);
        fputs("}}", x->out);
        x->first = false;
    }
    for (size_t i = 0; i < trace_reader_thread_count(r); i++) {
        const struct trace_thread *t = trace_reader_thread(r, i);
        const struct trace_process *p = trace_reader_process(r, t->proc);
        char name[96];
        snprintf(name, sizeof name, "%s (tid %" PRIu32 ")",
                 t->name[0] ? t->name : "thread", t->tid);
        fprintf(x->out,
                ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%" PRIu32
                ",\"tid\":%" PRIu32 ",\"args\":{\"name\":",
                p ? p->pid : 0, t->tid);
        json_string(x->out, name);
        fputs("}}", x->out);
    }
}

static int export_chrome(struct trace_reader *r, FILE *out)
{
    struct exporter x = {out, r, NULL, 0, true};
    struct trace_error err;
    struct trace_event ev;
    int rc, status = 0;
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        if (rc < 0) {
            fprintf(stderr, "ctrace export: %s\n", err.msg);
            status = 1;
            continue;
        }
        export_event(&x, &ev);
    }
    export_names(&x);
    fputs("\n]}\n", out);
    for (size_t i = 0; i < x.ntracks; i++)
        free(x.tracks[i].held);
    free(x.tracks);
    return status;
}

int cmd_export(int argc, char **argv)
{
    struct export_options o = {0};
    const char *dir = NULL;
    switch (options_parse_operand(export_option_defs, &o, "ctrace export", argc,
                                  argv, &dir)) {
    case OPT_HELP:
        export_usage(stdout);
        return 0;
    case OPT_ERROR:
        return OPTIONS_EXIT_USAGE;
    case OPT_OK:
        break;
    }
    bool ctf = o.format && strcmp(o.format, "ctf") == 0;
    if (!ctf && (!o.format || strcmp(o.format, "chrome") != 0)) {
        if (o.format)
            fprintf(stderr,
                    "ctrace export: format '%s' is not supported "
                    "(formats: chrome, ctf)\n",
                    o.format);
        else
            fprintf(stderr, "ctrace export: which format? --format=chrome "
                            "or --format=ctf\n");
        fputs("Try 'ctrace export --help'.\n", stderr);
        return OPTIONS_EXIT_USAGE;
    }
    struct trace_error err;
    struct trace_reader *r =
        trace_reader_open(dir ? dir : EXPORT_DEFAULT_DIR, &err);
    if (!r) {
        fprintf(stderr, "ctrace export: %s\n", err.msg);
        return 1;
    }
    if (ctf) {
        int status =
            export_ctf_write(r, o.output ? o.output : EXPORT_CTF_DEFAULT_DIR);
        trace_reader_close(r);
        return status;
    }
    FILE *out = o.output ? fopen(o.output, "w") : stdout;
    if (!out) {
        perror(o.output);
        trace_reader_close(r);
        return 1;
    }
    int status = export_chrome(r, out);
    if (o.output && fclose(out) != 0) {
        perror(o.output);
        status = 1;
    }
    trace_reader_close(r);
    return status;
}
