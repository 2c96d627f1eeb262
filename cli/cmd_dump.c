/* `ctrace dump [--json] [DIR]`: every event of a trace, in the reader's
 * merged order, one per line.
 *
 * Text lines are for people (seconds.nanoseconds since the trace's start,
 * pid, tid, event name, then key=value fields); --json lines are for
 * programs (docs/design.md: ts_ns, pid, tid, event, obj, ...).  Both print the
 * same fields through one small field writer.  Payloads and arg meanings
 * are decoded by event_fields.c (shared with the CTF export), which
 * calls this writer back through a sink.
 *
 * Exit status (the same for report, dump and export): 0; 1 when the
 * trace cannot be opened or is damaged (the readable part is still
 * printed, the reader's errors go to stderr); 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "event_fields.h"
#include "reader.h"

#define DUMP_EXIT_TRACE 1 /* cannot be opened, or damaged */
#define DUMP_EXIT_USAGE 2
#define DUMP_DEFAULT_DIR "ctrace.data"

/* ---- one field writer for both formats ----
 * Lines are built in a buffer with hand-made number formatting and
 * written with fwrite: printf would make dump of a big trace several
 * times slower than reading it. */

#define DUMP_BUF 65536

struct dump_out {
    FILE *f;
    bool json;
    size_t len;
    char buf[DUMP_BUF];
};

static void out_flush(struct dump_out *o)
{
    fwrite(o->buf, 1, o->len, o->f);
    o->len = 0;
}

static inline void out_room(struct dump_out *o, size_t n)
{
    if (o->len + n > DUMP_BUF)
        out_flush(o);
}

static inline void out_char(struct dump_out *o, char c)
{
    out_room(o, 1);
    o->buf[o->len++] = c;
}

static void out_cstr(struct dump_out *o, const char *s)
{
    size_t n = strlen(s);
    out_room(o, n);
    if (n > DUMP_BUF) { /* cannot happen with our keys and names */
        fwrite(s, 1, n, o->f);
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_u64(struct dump_out *o, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_room(o, (size_t)n);
    while (n)
        o->buf[o->len++] = tmp[--n];
}

/* v as exactly `width` digits, zero-padded. */
static void out_u64_fixed(struct dump_out *o, uint64_t v, int width)
{
    out_room(o, (size_t)width);
    for (int i = width - 1; i >= 0; i--, v /= 10)
        o->buf[o->len + (size_t)i] = (char)('0' + v % 10);
    o->len += (size_t)width;
}

static void out_i64(struct dump_out *o, int64_t v)
{
    if (v < 0) {
        out_char(o, '-');
        out_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        out_u64(o, (uint64_t)v);
    }
}

static void out_hex(struct dump_out *o, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    out_room(o, (size_t)n + 2);
    o->buf[o->len++] = '0';
    o->buf[o->len++] = 'x';
    while (n)
        o->buf[o->len++] = tmp[--n];
}

static void dump_key(struct dump_out *o, const char *key)
{
    out_cstr(o, o->json ? ",\"" : " ");
    out_cstr(o, key);
    out_cstr(o, o->json ? "\":" : "=");
}

/* One character of a string, escaped for the output's format (bytes
 * from 0x80 up pass as they are: names and paths are mostly UTF-8). */
static void out_escaped(struct dump_out *o, unsigned char c)
{
    static const char digits[] = "0123456789abcdef";
    switch (c) {
    case '"':
        out_cstr(o, "\\\"");
        return;
    case '\\':
        out_cstr(o, "\\\\");
        return;
    case '\n':
        out_cstr(o, "\\n");
        return;
    case '\t':
        out_cstr(o, "\\t");
        return;
    default:
        break;
    }
    if (c >= 0x20 && c != 0x7f) {
        out_char(o, (char)c);
        return;
    }
    out_cstr(o, o->json ? "\\u00" : "\\x");
    out_char(o, digits[c >> 4]);
    out_char(o, digits[c & 15]);
}

/* A string from the trace: at most `max` bytes, stops at NUL, escaped. */
static void dump_str(struct dump_out *o, const char *key, const char *s,
                     size_t max)
{
    dump_key(o, key);
    out_char(o, '"');
    for (size_t i = 0; i < max && s[i]; i++)
        out_escaped(o, (unsigned char)s[i]);
    out_char(o, '"');
}

static void dump_uint(struct dump_out *o, const char *key, uint64_t v)
{
    dump_key(o, key);
    out_u64(o, v);
}

static void dump_int(struct dump_out *o, const char *key, int64_t v)
{
    dump_key(o, key);
    out_i64(o, v);
}

static void out_hex_value(struct dump_out *o, uint64_t v)
{
    if (o->json)
        out_char(o, '"');
    out_hex(o, v);
    if (o->json)
        out_char(o, '"');
}

static void dump_hex(struct dump_out *o, const char *key, uint64_t v)
{
    dump_key(o, key);
    out_hex_value(o, v);
}

static void dump_frames(struct dump_out *o, const char *key,
                        const uint64_t *pcs, size_t n)
{
    if (!n)
        return;
    dump_key(o, key);
    if (o->json)
        out_char(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            out_char(o, ',');
        out_hex_value(o, pcs[i]);
    }
    if (o->json)
        out_char(o, ']');
}

/* ---- the shared field decoder's sink ---- */

static void sink_str(void *ctx, const char *key, const char *s, size_t max)
{
    dump_str(ctx, key, s, max);
}

static void sink_uint(void *ctx, const char *key, uint64_t v)
{
    dump_uint(ctx, key, v);
}

static void sink_int(void *ctx, const char *key, int64_t v)
{
    dump_int(ctx, key, v);
}

static void sink_hex(void *ctx, const char *key, uint64_t v)
{
    dump_hex(ctx, key, v);
}

static void sink_frames(void *ctx, const char *key, const uint64_t *pcs,
                        size_t n)
{
    dump_frames(ctx, key, pcs, n);
}

/* py-frames: "function (file:line)" strings, innermost first. */
static void sink_pyframes(void *ctx, const char *key,
                          const struct trace_pyframe_view *fr, size_t n)
{
    struct dump_out *o = ctx;
    dump_key(o, key);
    out_char(o, o->json ? '[' : '"');
    for (size_t i = 0; i < n; i++) {
        char line[16];
        snprintf(line, sizeof line, ":%u)", fr[i].line);
        if (o->json)
            out_cstr(o, i ? ",\"" : "\"");
        else if (i)
            out_cstr(o, "; ");
        for (const char *s = fr[i].func; *s; s++)
            out_escaped(o, (unsigned char)*s);
        out_cstr(o, " (");
        for (const char *s = fr[i].file; *s; s++)
            out_escaped(o, (unsigned char)*s);
        out_cstr(o, line);
        if (o->json)
            out_char(o, '"');
    }
    out_char(o, o->json ? ']' : '"');
}

static const struct event_fields_sink dump_sink = {
    sink_str, sink_uint, sink_int, sink_hex, sink_frames, sink_pyframes,
};

/* ---- one event ---- */

/* `seq` only where the process numbers its TF_SEQ events (flag SEQ);
 * elsewhere it is always 0 and the fenced clock orders them. */
static void dump_event(struct dump_out *o, const struct trace_reader *r,
                       const struct trace_event *ev)
{
    uint32_t fl = trace_event_flags(ev->type);
    const char *name = trace_event_name(ev->type);
    if ((fl & TF_META) || !name)
        return;
    if (o->json) {
        out_cstr(o, "{\"ts_ns\":");
        out_u64(o, ev->ts_ns);
        out_cstr(o, ",\"pid\":");
        out_u64(o, ev->pid);
        out_cstr(o, ",\"tid\":");
        out_u64(o, ev->tid);
        out_cstr(o, ",\"event\":\"");
        out_cstr(o, name);
        out_char(o, '"');
    } else {
        out_u64(o, ev->ts_ns / 1000000000u);
        out_char(o, '.');
        out_u64_fixed(o, ev->ts_ns % 1000000000u, 9);
        out_char(o, ' ');
        out_u64(o, ev->pid);
        out_char(o, ' ');
        out_u64(o, ev->tid);
        out_char(o, ' ');
        out_cstr(o, name);
    }
    if (fl & TF_OBJ)
        dump_hex(o, "obj", ev->obj);
    if (!(fl & TF_PAYLOAD))
        dump_uint(o, "arg", ev->arg);
    if ((fl & TF_SEQ) &&
        (trace_reader_process(r, ev->proc)->flags & TRACE_FILE_SEQ))
        dump_uint(o, "seq", ev->seq);
    if (ev->site)
        dump_hex(o, "site", ev->site);
    event_fields_arg(&dump_sink, o, ev);
    event_fields_payload(&dump_sink, o, ev);
    if (o->json && ev->site_depth)
        dump_frames(o, "site_stack", ev->site_stack, ev->site_depth);
    out_cstr(o, o->json ? "}\n" : "\n");
}

/* ---- the command ---- */

static void dump_usage(FILE *out)
{
    fprintf(out,
            "Usage: ctrace dump [--json] [DIR]\n"
            "\n"
            "Print every event of the trace in DIR (default %s), in order,\n"
            "one per line: seconds since the trace's start, pid, tid, event\n"
            "and its fields.  With --json, one JSON object per line with\n"
            "ts_ns, pid, tid, event, obj, arg, seq, site and the payload's\n"
            "fields (docs/trace-format.md lists them).\n"
            "\n"
            "Exit status: 0; 1 when the trace cannot be opened or is damaged\n"
            "(the reader's message names the file and offset; what can be\n"
            "read is still printed); 2 on a usage error.\n",
            DUMP_DEFAULT_DIR);
}

static int dump_parse(int argc, char **argv, bool *json, const char **dir)
{
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            dump_usage(stdout);
            return 0;
        } else if (opts && strcmp(a, "--json") == 0) {
            *json = true;
        } else if (opts && strcmp(a, "--") == 0) {
            opts = false;
        } else if (opts && a[0] == '-' && a[1]) {
            fprintf(stderr, "ctrace dump: unknown option '%s'\n", a);
            dump_usage(stderr);
            return DUMP_EXIT_USAGE;
        } else if (*dir) {
            fprintf(stderr,
                    "ctrace dump: one trace directory at a time "
                    "('%s' and '%s')\n",
                    *dir, a);
            return DUMP_EXIT_USAGE;
        } else {
            *dir = a;
        }
    }
    return -1;
}

int cmd_dump(int argc, char **argv)
{
    bool json = false;
    const char *dir = NULL;
    int rc = dump_parse(argc, argv, &json, &dir);
    if (rc >= 0)
        return rc;
    if (!dir)
        dir = DUMP_DEFAULT_DIR;
    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "ctrace dump: %s\n", err.msg);
        return DUMP_EXIT_TRACE;
    }
    static struct dump_out o;
    o.f = stdout;
    o.json = json;
    struct trace_event ev;
    int status = 0;
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        if (rc < 0) {
            out_flush(&o);
            fflush(stdout);
            fprintf(stderr, "ctrace dump: %s\n", err.msg);
            status = DUMP_EXIT_TRACE;
            continue;
        }
        dump_event(&o, r, &ev);
    }
    out_flush(&o);
    fflush(stdout);
    uint64_t lost = trace_reader_lost_events(r);
    if (lost)
        fprintf(stderr,
                "ctrace dump: %llu events were lost while recording "
                "(no room in the trace)\n",
                (unsigned long long)lost);
    trace_reader_close(r);
    return status;
}
