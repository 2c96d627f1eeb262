/* The CTF 1.8 writer behind `ctrace export --format=ctf` (export_ctf.h).
 *
 * The output directory holds `metadata`, plain-text TSDL that describes
 * the binary layout, and `stream`, one stream of packets that carries
 * every event in the reader's merged order.  Two ideas to read it:
 *
 * - Everything is byte-aligned and little-endian.  Every integer is
 *   declared `align = 8` (bits), so the encoder never pads: an event is
 *   its fields' bytes back to back.
 * - Packets are built in one buffer and written when the next event
 *   would take them past CTF_PACKET_MAX; the packet header and context
 *   (72 bytes) are filled in at that moment, when the packet's first and
 *   last timestamps and size are known.
 *
 * Event ids are the events.def numbers, so `id = 67` is mutex-acquire
 * in both the trace and the CTF.  Fields follow `ctrace dump`: obj where
 * the event has an object, arg where it has no payload, site always, and
 * payload fields decoded by event_fields.c.  A payload's main string (a
 * thread's name, a path, an assert's expression, a thrown type) gets a
 * string field of its own named by its dump key; its other fields go
 * into one string, `detail`, as "key=value" pairs.
 *
 * Time: the CTF clock counts ns from the trace's start (ts_ns), and its
 * offset is the CLOCK_REALTIME of that start, so viewers show wall-clock
 * times (when the trace does not know it, 0).  CTF wants a stream's timestamps
 * never to go back; the reader orders events that share an object by
 * sequence number first, so an event stamped a little earlier than the
 * one before it is written with that one's time.  CTF readers count time
 * in int64 ns from the clock's origin (the offset plus the timestamp): an
 * event later than that can hold (a damaged clock) is written at the
 * latest time it can, and the export says so and exits 1. */
#include "export_ctf.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event_fields.h"

#define CTF_PACKET_MAX (256u * 1024u) /* bytes, a soft bound per packet */
#define CTF_MAGIC 0xc1fc1fc1u
#define CTF_PACKET_HEAD 72u /* packet.header 24 + packet.context 48 */
#define CTF_DETAIL_MAX 8192u
#define CTF_EVENT_TYPES 256u /* event numbers are below this */

/* ---- which payload string gets a field of its own ---- */

/* The dump key of the event's main payload string, or NULL. */
static const char *ctf_headline_key(uint32_t type)
{
    switch (type) {
    case TRACE_EV_THREAD_NAME:
    case TRACE_EV_SEM_OPEN:
        return "name";
    case TRACE_EV_EXEC:
    case TRACE_EV_SPAWN:
    case TRACE_EV_MODULE_LOAD:
        return "path";
    case TRACE_EV_SYSTEM:
    case TRACE_EV_POPEN:
        return "command";
    case TRACE_EV_ASSERT:
        return "expr";
    case TRACE_EV_CXX_THROW:
    case TRACE_EV_CXX_TERMINATE:
    case TRACE_EV_PY_EXCEPTION:
        return "type";
    default:
        return NULL;
    }
}

/* Payloads that are their main string and nothing else have no detail. */
static bool ctf_has_detail(uint32_t type)
{
    if (!(trace_event_flags(type) & TF_PAYLOAD))
        return false;
    switch (type) {
    case TRACE_EV_THREAD_NAME:
    case TRACE_EV_SEM_OPEN:
    case TRACE_EV_EXEC:
    case TRACE_EV_SYSTEM:
    case TRACE_EV_POPEN:
        return false;
    default:
        return true;
    }
}

/* ---- payload fields into strings (the event_fields sink) ---- */

struct ctf_fields {
    const char *headline_key;
    bool have_headline;
    char headline[TRACE_PAYLOAD_MAX + 1];
    size_t dlen;
    char detail[CTF_DETAIL_MAX];
};

static void detail_add(struct ctf_fields *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append to detail; what does not fit is cut (the string stays valid). */
static void detail_add(struct ctf_fields *f, const char *fmt, ...)
{
    size_t room = sizeof f->detail - f->dlen;
    if (room <= 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->detail + f->dlen, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        f->dlen += (size_t)n < room ? (size_t)n : room - 1;
}

static void detail_key(struct ctf_fields *f, const char *key)
{
    detail_add(f, "%s%s=", f->dlen ? " " : "", key);
}

static void sink_str(void *ctx, const char *key, const char *s, size_t max)
{
    struct ctf_fields *f = ctx;
    size_t n = strnlen(s, max);
    if (f->headline_key && !f->have_headline &&
        strcmp(key, f->headline_key) == 0) {
        memcpy(f->headline, s, n);
        f->headline[n] = '\0';
        f->have_headline = true;
        return;
    }
    /* quoted only where a value could be misread (babeltrace2 shows
     * quotes inside a string escaped) */
    bool plain = n > 0;
    for (size_t i = 0; plain && i < n; i++)
        plain = !strchr(" \t\n\"=", s[i]);
    detail_key(f, key);
    detail_add(f, plain ? "%.*s" : "\"%.*s\"", (int)n, s);
}

static void sink_uint(void *ctx, const char *key, uint64_t v)
{
    detail_key(ctx, key);
    detail_add(ctx, "%" PRIu64, v);
}

static void sink_int(void *ctx, const char *key, int64_t v)
{
    detail_key(ctx, key);
    detail_add(ctx, "%" PRId64, v);
}

static void sink_hex(void *ctx, const char *key, uint64_t v)
{
    detail_key(ctx, key);
    detail_add(ctx, "0x%" PRIx64, v);
}

static void sink_frames(void *ctx, const char *key, const uint64_t *pcs,
                        size_t n)
{
    detail_key(ctx, key);
    for (size_t i = 0; i < n; i++)
        detail_add(ctx, "%s0x%" PRIx64, i ? "," : "", pcs[i]);
}

static void sink_pyframes(void *ctx, const char *key,
                          const struct trace_pyframe_view *fr, size_t n)
{
    detail_key(ctx, key);
    detail_add(ctx, "\"");
    for (size_t i = 0; i < n; i++)
        detail_add(ctx, "%s%s (%s:%" PRIu32 ")", i ? "; " : "", fr[i].func,
                   fr[i].file, fr[i].line);
    detail_add(ctx, "\"");
}

static const struct event_fields_sink ctf_sink = {
    sink_str, sink_uint, sink_int, sink_hex, sink_frames, sink_pyframes,
};

/* ---- the packet buffer ---- */

struct ctf_buf {
    unsigned char *p;
    size_t len, cap;
};

static void buf_put(struct ctf_buf *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : CTF_PACKET_MAX + CTF_DETAIL_MAX;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

/* Little-endian, whatever the host is. */
static void le_store(unsigned char *at, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++, v >>= 8)
        at[i] = (unsigned char)v;
}

static void buf_uint(struct ctf_buf *b, uint64_t v, size_t bytes)
{
    unsigned char tmp[8];
    le_store(tmp, v, bytes);
    buf_put(b, tmp, bytes);
}

static void buf_str(struct ctf_buf *b, const char *s)
{
    buf_put(b, s, strlen(s) + 1);
}

/* ---- the writer ---- */

struct ctf_writer {
    struct trace_reader *r;
    FILE *stream;
    char *stream_path;
    unsigned char uuid[16];
    struct ctf_buf pkt;
    size_t pkt_events;
    uint64_t pkt_begin; /* timestamp of the packet's first event */
    uint64_t last_ts;   /* latest timestamp written (never goes back) */
    uint64_t seq_num;   /* packets written */
    uint64_t discarded; /* events lost so far, from `lost` events */
    uint64_t ts_max;    /* the latest timestamp CTF can hold */
    uint64_t clamped;   /* events written at ts_max instead */
    bool write_failed;
    struct ctf_fields fields;
};

static void ctf_packet_open(struct ctf_writer *w)
{
    static const unsigned char zero[CTF_PACKET_HEAD];
    w->pkt.len = 0;
    buf_put(&w->pkt, zero, sizeof zero);
    w->pkt_events = 0;
    w->pkt_begin = w->last_ts;
}

/* Fill in the header and context and write the packet out. */
static void ctf_packet_close(struct ctf_writer *w)
{
    if (!w->pkt_events)
        return;
    unsigned char *h = w->pkt.p;
    uint64_t bits = (uint64_t)w->pkt.len * 8;
    le_store(h, CTF_MAGIC, 4);
    memcpy(h + 4, w->uuid, 16);
    le_store(h + 20, 0, 4);            /* stream_id */
    le_store(h + 24, w->pkt_begin, 8); /* timestamp_begin */
    le_store(h + 32, w->last_ts, 8);   /* timestamp_end */
    le_store(h + 40, bits, 8);         /* content_size */
    le_store(h + 48, bits, 8);         /* packet_size */
    le_store(h + 56, w->seq_num++, 8); /* packet_seq_num */
    le_store(h + 64, w->discarded, 8); /* events_discarded */
    if (!w->write_failed &&
        fwrite(w->pkt.p, 1, w->pkt.len, w->stream) != w->pkt.len) {
        fprintf(stderr, "ctrace export: cannot write %s: %s\n", w->stream_path,
                strerror(errno));
        w->write_failed = true;
    }
    w->pkt_events = 0;
}

static void ctf_event_encode(struct ctf_writer *w, const struct trace_event *ev,
                             uint64_t ts)
{
    struct ctf_buf *b = &w->pkt;
    const struct trace_thread *t = trace_reader_thread(w->r, ev->thread);
    uint32_t flags = trace_event_flags(ev->type);
    buf_uint(b, ev->type, 2); /* event.header */
    buf_uint(b, ts, 8);
    buf_uint(b, ev->pid, 4); /* event.context */
    buf_uint(b, ev->tid, 4);
    buf_str(b, t ? t->name : "");
    if (flags & TF_OBJ) /* fields, as declared by ctf_metadata_event() */
        buf_uint(b, ev->obj, 8);
    if (!(flags & TF_PAYLOAD))
        buf_uint(b, ev->arg, 4);
    buf_uint(b, ev->site, 8);
    if (ctf_headline_key(ev->type))
        buf_str(b, w->fields.headline);
    if (ctf_has_detail(ev->type))
        buf_str(b, w->fields.detail);
}

static void ctf_event_fields(struct ctf_writer *w, const struct trace_event *ev)
{
    struct ctf_fields *f = &w->fields;
    f->headline_key = ctf_headline_key(ev->type);
    f->have_headline = false;
    f->headline[0] = '\0';
    f->dlen = 0;
    f->detail[0] = '\0';
    if (!(trace_event_flags(ev->type) & TF_PAYLOAD))
        return;
    event_fields_payload(&ctf_sink, f, ev);
}

/* An event later than CTF can hold: its time becomes ts_max. */
static uint64_t ctf_clamp(struct ctf_writer *w, const struct trace_event *ev)
{
    if (!w->clamped++) {
        const struct trace_process *p = trace_reader_process(w->r, ev->proc);
        fprintf(stderr,
                "ctrace export: %s: thread %u: an event at %" PRIu64
                " ns from the trace's start is later than a CTF clock can "
                "hold (%" PRIu64 " ns): the recorded clock is damaged; it and "
                "the events after it are written at that latest time\n",
                p ? p->path : "?", ev->tid, ev->ts_ns, w->ts_max);
    }
    return w->ts_max;
}

static void ctf_event_write(struct ctf_writer *w, const struct trace_event *ev)
{
    uint32_t flags = trace_event_flags(ev->type);
    if ((flags & TF_META) || !trace_event_name(ev->type) ||
        ev->type >= CTF_EVENT_TYPES)
        return;
    ctf_event_fields(w, ev);
    uint64_t ts = ev->ts_ns > w->last_ts ? ev->ts_ns : w->last_ts;
    if (ts > w->ts_max)
        ts = ctf_clamp(w, ev);
    if (ev->type == TRACE_EV_LOST)
        w->discarded += ev->arg;
    size_t before = w->pkt.len;
    if (!w->pkt_events)
        w->pkt_begin = ts;
    ctf_event_encode(w, ev, ts);
    if (w->pkt.len > CTF_PACKET_MAX && w->pkt_events) {
        /* It does not fit: close the packet without it, start anew. */
        w->pkt.len = before;
        ctf_packet_close(w);
        ctf_packet_open(w);
        w->pkt_begin = ts;
        ctf_event_encode(w, ev, ts);
    }
    w->pkt_events++;
    w->last_ts = ts;
}

/* ---- metadata (TSDL) ---- */

/* s as a TSDL string literal's contents: quotes and backslashes
 * escaped, bytes outside printable ASCII shown as '?'. */
static void tsdl_string(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else
            fputc(c >= 0x20 && c < 0x7f ? c : '?', out);
    }
}

static void uuid_text(const unsigned char u[16], char out[37])
{
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        p += sprintf(p, "%02x", u[i]);
    }
}

/* A random (version 4) uuid; the clock and the pid when the kernel has
 * no randomness to give (uniqueness is all CTF asks of it). */
static void uuid_make(unsigned char u[16])
{
    if (getrandom(u, 16, GRND_NONBLOCK) != 16) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        uint64_t b = (uint64_t)getpid() * 0x9e3779b97f4a7c15u ^ a;
        memcpy(u, &a, 8);
        memcpy(u + 8, &b, 8);
    }
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
}

/* The command line of the trace's first process that has no traced
 * parent (the program ctrace ran). */
static const char *ctf_root_cmdline(const struct trace_reader *r)
{
    size_t n = trace_reader_process_count(r);
    for (size_t i = 0; i < n; i++) {
        const struct trace_process *p = trace_reader_process(r, i);
        if (p->parent < 0 && p->exec_from < 0)
            return p->cmdline ? p->cmdline : p->exe;
    }
    return n ? trace_reader_process(r, 0)->cmdline : "";
}

static const char ctf_metadata_types[] =
    "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
    "typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
    "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
    "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
    "typealias integer { size = 64; align = 8; signed = false; base = 16; }"
    " := uint64_hex_t;\n\n";

static const char ctf_metadata_stream[] =
    "typealias integer { size = 64; align = 8; signed = false;\n"
    "    map = clock.ctrace.value; } := uint64_clock_t;\n\n"
    "stream {\n"
    "    id = 0;\n"
    "    packet.context := struct {\n"
    "        uint64_clock_t timestamp_begin;\n"
    "        uint64_clock_t timestamp_end;\n"
    "        uint64_t content_size;\n"
    "        uint64_t packet_size;\n"
    "        uint64_t packet_seq_num;\n"
    "        uint64_t events_discarded;\n"
    "    };\n"
    "    event.header := struct {\n"
    "        uint16_t id;\n"
    "        uint64_clock_t timestamp;\n"
    "    };\n"
    "    event.context := struct {\n"
    "        uint32_t pid;\n"
    "        uint32_t tid;\n"
    "        string thread_name;\n"
    "    };\n"
    "};\n\n";

static void ctf_metadata_head(FILE *out, const struct ctf_writer *w)
{
    char uuid[37];
    uuid_text(w->uuid, uuid);
    fprintf(out,
            "/* CTF 1.8 */\n\n"
            "/* Written by `ctrace export --format=ctf`.  Event ids are "
            "the numbers of\n * trace/events.def. */\n\n%s",
            ctf_metadata_types);
    fprintf(out,
            "trace {\n    major = 1;\n    minor = 8;\n"
            "    uuid = \"%s\";\n    byte_order = le;\n"
            "    packet.header := struct {\n"
            "        uint32_t magic;\n        uint8_t uuid[16];\n"
            "        uint32_t stream_id;\n    };\n};\n\n",
            uuid);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    fputs("/* hostname: the machine that exported the trace (the trace does "
          "not name\n * the one that recorded it). */\n"
          "env {\n    domain = \"ctrace\";\n    tracer_name = \"ctrace\";\n"
          "    hostname = \"",
          out);
    tsdl_string(out, host);
    fputs("\";\n    cmdline = \"", out);
    tsdl_string(out, ctf_root_cmdline(w->r));
    fprintf(out, "\";\n    processes = %zu;\n    threads = %zu;\n};\n\n",
            trace_reader_process_count(w->r), trace_reader_thread_count(w->r));
    uint64_t real = trace_reader_start_real_ns(w->r);
    fprintf(out,
            "/* ns since the trace's start (its earliest process start); the "
            "offset is\n * that start in CLOCK_REALTIME. */\n"
            "clock {\n    name = \"ctrace\";\n    uuid = \"%s\";\n"
            "    description = \"ctrace trace clock, ns from the trace's "
            "start\";\n    freq = 1000000000;\n    precision = 1;\n"
            "    offset_s = %" PRIu64 ";\n    offset = %" PRIu64 ";\n"
            "    absolute = %s;\n};\n\n%s",
            uuid, real / 1000000000u, real % 1000000000u,
            real ? "true" : "false", ctf_metadata_stream);
}

/* One event declaration; its fields match ctf_event_encode(). */
static void ctf_metadata_event(FILE *out, uint32_t type)
{
    uint32_t flags = trace_event_flags(type);
    fprintf(out,
            "event {\n    name = \"%s\";\n    id = %" PRIu32 ";\n"
            "    stream_id = 0;\n    fields := struct {\n",
            trace_event_name(type), type);
    if (flags & TF_OBJ)
        fputs("        uint64_hex_t obj;\n", out);
    if (!(flags & TF_PAYLOAD))
        fputs("        uint32_t arg;\n", out);
    fputs("        uint64_hex_t site;\n", out);
    if (ctf_headline_key(type))
        fprintf(out, "        string %s;\n", ctf_headline_key(type));
    if (ctf_has_detail(type))
        fputs("        string detail;\n", out);
    fputs("    };\n};\n\n", out);
}

static int ctf_metadata_write(const struct ctf_writer *w, const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "ctrace export: cannot create %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    ctf_metadata_head(out, w);
    for (uint32_t t = 0; t < CTF_EVENT_TYPES; t++)
        if (trace_event_name(t) && !(trace_event_flags(t) & TF_META))
            ctf_metadata_event(out, t);
    if (ferror(out) | (fclose(out) != 0)) {
        fprintf(stderr, "ctrace export: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the output directory ---- */

static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Create out_dir, or accept it when it is an empty directory. */
static int ctf_dir_prepare(const char *dir)
{
    if (mkdir(dir, 0777) == 0)
        return 0;
    int err = errno;
    struct stat st;
    if (err == EEXIST && stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            fprintf(stderr,
                    "ctrace export: %s exists and is not a directory; "
                    "CTF is a directory: choose another -o\n",
                    dir);
        else if (!dir_is_empty(dir))
            fprintf(stderr,
                    "ctrace export: %s is not empty; remove it or "
                    "choose another -o DIR\n",
                    dir);
        else
            return 0;
        return -1;
    }
    fprintf(stderr, "ctrace export: cannot create directory %s: %s\n", dir,
            strerror(err));
    return -1;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p)
        abort();
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The events, packet by packet.  Returns 0, or 1 when the trace is
 * corrupt. */
static int ctf_stream_write(struct ctf_writer *w)
{
    struct trace_error err;
    struct trace_event ev;
    int rc, status = 0;
    ctf_packet_open(w);
    while ((rc = trace_reader_next(w->r, &ev, &err)) != 0) {
        if (rc < 0) {
            fprintf(stderr, "ctrace export: %s\n", err.msg);
            status = 1;
            continue;
        }
        ctf_event_write(w, &ev);
    }
    ctf_packet_close(w);
    return status;
}

int export_ctf_write(struct trace_reader *r, const char *out_dir)
{
    if (ctf_dir_prepare(out_dir) != 0)
        return 1;
    static struct ctf_writer w; /* big (the fields' buffers): not on stack */
    memset(&w, 0, sizeof w);
    w.r = r;
    /* CTF readers add the clock's offset to every timestamp, in int64 ns */
    w.ts_max = (uint64_t)INT64_MAX - trace_reader_start_real_ns(r);
    uuid_make(w.uuid);
    char *meta = path_join(out_dir, "metadata");
    w.stream_path = path_join(out_dir, "stream");
    int status = 1;
    if (ctf_metadata_write(&w, meta) != 0)
        goto out;
    w.stream = fopen(w.stream_path, "w");
    if (!w.stream) {
        fprintf(stderr, "ctrace export: cannot create %s: %s\n", w.stream_path,
                strerror(errno));
        goto out;
    }
    status = ctf_stream_write(&w);
    if (fclose(w.stream) != 0 && !w.write_failed) {
        fprintf(stderr, "ctrace export: cannot write %s: %s\n", w.stream_path,
                strerror(errno));
        w.write_failed = true;
    }
    if (w.write_failed || w.clamped)
        status = 1;
    if (w.clamped > 1)
        fprintf(stderr,
                "ctrace export: %" PRIu64 " events written at the "
                "latest time CTF can hold\n",
                w.clamped);
out:
    free(w.pkt.p);
    free(meta);
    free(w.stream_path);
    return status;
}
