/* Reader test helpers (see rt.h). */
#include "rt.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

/* Directory names live until the test process ends: kept reachable. */
static char *rt_names[1024];
static size_t rt_nnames;

static char *rt_keep(char *s)
{
    if (rt_nnames < sizeof rt_names / sizeof rt_names[0])
        rt_names[rt_nnames++] = s;
    return s;
}

char *rt_dir(void)
{
    const char *tmp = rt_keep((char *)e2e_tmpdir());
    char *dir = NULL;
    if (asprintf(&dir, "%s/trace", tmp) < 0)
        abort();
    cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s: %s", dir, strerror(errno));
    return rt_keep(dir);
}

/* ---- writer ---- */

void rt_proc_open(struct trace_proc_writer *pw, const char *dir, uint32_t pid,
                  uint32_t ppid, uint32_t flags, uint32_t kind)
{
    int rc = trace_writer_open_process(pw, dir, pid, ppid, flags, kind, 8);
    cr_assert_eq(rc, 0, "trace_writer_open_process: %s", strerror(-rc));
}

struct trace_thread_writer *rt_thread(struct trace_proc_writer *pw,
                                      uint32_t tid)
{
    struct trace_thread_writer *w =
        trace_writer_thread_new(pw, tid, trace_writer_next_serial(pw));
    cr_assert_not_null(w);
    return w;
}

void rt_tick(uint32_t kind)
{
    static uint64_t last;
    uint64_t now;
    while ((now = trace_clock_now(kind)) <= last)
        ;
    last = now;
    /* the next stamp is taken after this one: strictly later */
    while (trace_clock_now(kind) == now)
        ;
}

uint32_t rt_kind_best(void) { return trace_clock_pick(); }

/* ---- loading ---- */

static void *copy_bytes(const void *p, size_t n)
{
    if (!n)
        return NULL;
    void *q = malloc(n);
    cr_assert_not_null(q);
    memcpy(q, p, n);
    return q;
}

static void rt_push_event(struct rt_trace *t, const struct trace_event *ev,
                          size_t *cap)
{
    if (t->n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        t->ev = realloc(t->ev, *cap * sizeof *t->ev);
        cr_assert_not_null(t->ev);
    }
    struct trace_event *e = &t->ev[t->n++];
    *e = *ev;
    e->payload = copy_bytes(ev->payload, ev->payload_len);
    e->site_stack =
        copy_bytes(ev->site_stack, ev->site_depth * sizeof(uint64_t));
}

static void rt_lists(struct rt_trace *t, struct trace_reader *r)
{
    for (size_t i = 0; i < t->nprocs; i++) {
        free((void *)t->procs[i].exe);
        free((void *)t->procs[i].cmdline);
        free((void *)t->procs[i].path);
    }
    free(t->procs);
    free(t->threads);
    t->nprocs = trace_reader_process_count(r);
    t->procs = calloc(t->nprocs + 1, sizeof *t->procs);
    for (size_t i = 0; i < t->nprocs; i++) {
        t->procs[i] = *trace_reader_process(r, i);
        t->procs[i].exe = strdup(t->procs[i].exe);
        t->procs[i].cmdline = strdup(t->procs[i].cmdline);
        t->procs[i].path = strdup(t->procs[i].path);
    }
    t->nthreads = trace_reader_thread_count(r);
    t->threads = calloc(t->nthreads + 1, sizeof *t->threads);
    for (size_t i = 0; i < t->nthreads; i++)
        t->threads[i] = *trace_reader_thread(r, i);
    t->lost = trace_reader_lost_events(r);
}

void rt_drain(struct rt_trace *t, struct trace_reader *r)
{
    size_t cap = t->n;
    struct trace_event ev;
    struct trace_error err;
    int rc;
    size_t guard = 0;
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        if (rc < 0) {
            cr_assert(strstr(err.msg, "offset") || strstr(err.msg, ": "),
                      "error without a location: %s", err.msg);
            t->err = realloc(t->err, (t->nerr + 1) * sizeof *t->err);
            t->err[t->nerr++] = strdup(err.msg);
            cr_assert_lt(++guard, 100000, "endless errors: %s", err.msg);
            continue;
        }
        cr_assert_eq(rc, 1);
        rt_push_event(t, &ev, &cap);
    }
    rt_lists(t, r);
}

void rt_load(struct rt_trace *t, const char *dir)
{
    memset(t, 0, sizeof *t);
    struct trace_error err = {{0}};
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        snprintf(t->open_err, sizeof t->open_err, "%s", err.msg);
        return;
    }
    t->opened = true;
    rt_drain(t, r);
    trace_reader_close(r);
}

void rt_free(struct rt_trace *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free((void *)t->ev[i].payload);
        free((void *)t->ev[i].site_stack);
    }
    for (size_t i = 0; i < t->nerr; i++)
        free(t->err[i]);
    for (size_t i = 0; i < t->nprocs; i++) {
        free((void *)t->procs[i].exe);
        free((void *)t->procs[i].cmdline);
        free((void *)t->procs[i].path);
    }
    free(t->ev);
    free(t->err);
    free(t->procs);
    free(t->threads);
    memset(t, 0, sizeof *t);
}

size_t rt_thread_count(const struct rt_trace *t, uint32_t thread)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->ev[i].thread == thread;
    return n;
}

const struct trace_event *rt_thread_event(const struct rt_trace *t,
                                          uint32_t thread, size_t k)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].thread == thread && k-- == 0)
            return &t->ev[i];
    return NULL;
}

int rt_find_thread(const struct rt_trace *t, uint32_t pid, uint32_t serial)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].serial == serial &&
            t->procs[t->threads[i].proc].pid == pid)
            return (int)i;
    return -1;
}

void rt_check_sane(const struct rt_trace *t)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        uint32_t fl = trace_event_flags(e->type);
        cr_assert_not_null(trace_event_name(e->type), "event %zu: type %u", i,
                           e->type);
        cr_assert_eq(fl & TF_META, 0, "event %zu: meta type %u", i, e->type);
        cr_assert_leq(e->payload_len, TRACE_PAYLOAD_MAX);
        cr_assert(!e->payload_len || (fl & TF_PAYLOAD));
        cr_assert_leq(e->site_depth, TRACE_PAYLOAD_MAX / 8);
        cr_assert_lt(e->thread, t->nthreads);
        cr_assert_lt(e->proc, t->nprocs);
        cr_assert_eq(t->threads[e->thread].proc, e->proc);
    }
}

/* ---- crafting ---- */

static void craft_reserve(struct craft_file *f, size_t n)
{
    if (f->len + n <= f->cap)
        return;
    size_t cap = f->cap ? f->cap : 1 << 16;
    while (cap < f->len + n)
        cap *= 2;
    f->buf = realloc(f->buf, cap);
    cr_assert_not_null(f->buf);
    memset(f->buf + f->cap, 0, cap - f->cap);
    f->cap = cap;
}

void craft_header(struct craft_file *f, uint32_t pid, uint32_t ppid,
                  uint32_t image, uint32_t flags, uint32_t kind,
                  uint64_t start_clock)
{
    memset(f, 0, sizeof *f);
    craft_reserve(f, TRACE_HEADER_SIZE);
    f->len = TRACE_HEADER_SIZE;
    struct trace_file_header *h = craft_hdr(f);
    memcpy(h->magic, TRACE_FILE_MAGIC, 8);
    h->version = TRACE_FORMAT_VERSION;
    h->header_size = TRACE_HEADER_SIZE;
    h->pid = pid;
    h->ppid = ppid;
    h->image = image;
    h->flags = flags;
    h->clock_kind = kind;
    h->start_clock = start_clock;
    h->start_mono_ns = start_clock;
    snprintf(h->exe, sizeof h->exe, "/crafted/%u", pid);
    memcpy(h->cmdline, "crafted\0arg\0", 12);
    h->cmdline_len = 12;
}

struct trace_file_header *craft_hdr(struct craft_file *f)
{
    return (struct trace_file_header *)f->buf;
}

void craft_chunk(struct craft_file *f, struct craft_chunk *c, uint32_t size,
                 uint32_t tid, uint32_t serial, uint32_t index,
                 uint64_t base_clock)
{
    craft_reserve(f, size);
    c->f = f;
    c->off = f->len;
    c->size = size;
    c->n = 0;
    c->clock = base_clock;
    f->len += size;
    struct trace_chunk_header *h = craft_chunk_hdr(c);
    h->magic = TRACE_CHUNK_MAGIC;
    h->size = size;
    h->tid = tid;
    h->thread_serial = serial;
    h->chunk_index = index;
    h->base_clock = base_clock;
    h->base_mono_ns = base_clock;
}

struct trace_chunk_header *craft_chunk_hdr(struct craft_chunk *c)
{
    return (struct trace_chunk_header *)(c->f->buf + c->off);
}

void craft_fill(struct craft_file *f, size_t size, uint8_t byte)
{
    craft_reserve(f, size);
    memset(f->buf + f->len, byte, size);
    f->len += size;
}

void craft_word(struct craft_chunk *c, uint64_t w)
{
    uint32_t cap = (c->size - TRACE_CHUNK_HEADER_SIZE) / TRACE_WORD_SIZE;
    cr_assert_lt(c->n, cap, "crafted chunk full");
    uint64_t *words =
        (uint64_t *)(c->f->buf + c->off + TRACE_CHUNK_HEADER_SIZE);
    words[c->n++] = w;
    craft_chunk_hdr(c)->used = c->n;
}

void craft_raw(struct craft_chunk *c, uint64_t w0, uint64_t w1)
{
    craft_word(c, w0);
    craft_word(c, w1);
}

void craft_short(struct craft_chunk *c, uint32_t type, unsigned obj_slot,
                 unsigned site_slot, uint64_t clock)
{
    int code = trace_short_code(type);
    cr_assert_geq(code, 0, "event %u has no short form", type);
    craft_word(c, TRACE_SW((unsigned)code, obj_slot, site_slot, clock));
    c->clock = clock;
}

void craft_objdef(struct craft_chunk *c, unsigned slot, uint64_t addr)
{
    craft_raw(c, TRACE_W0(TRACE_EV_OBJDEF, slot, 0, 0), addr);
}

void craft_sitedef(struct craft_chunk *c, unsigned slot, uint64_t pc)
{
    craft_raw(c, TRACE_W0(TRACE_EV_SITEDEF, 0, slot, 0), pc);
}

void craft_time(struct craft_chunk *c, uint64_t clock)
{
    craft_raw(c, TRACE_W0(TRACE_EV_TIME, 0, 0, 0), clock);
    c->clock = clock;
}

void craft_event(struct craft_chunk *c, uint32_t type, unsigned obj_slot,
                 unsigned site_slot, uint32_t seq, uint32_t arg, uint64_t clock)
{
    craft_raw(c, TRACE_W0(type, obj_slot, site_slot, seq),
              TRACE_W1(arg, (uint32_t)clock));
    c->clock = clock;
}

void craft_payload(struct craft_chunk *c, uint32_t type, unsigned obj_slot,
                   uint64_t clock, const void *data, uint32_t len)
{
    craft_event(c, type, obj_slot, 0, 0, len, clock);
    const uint8_t *p = data;
    for (uint32_t at = 0; at < len; at += TRACE_WORD_SIZE) {
        uint64_t w = 0;
        memcpy(&w, p + at, len - at < sizeof w ? len - at : sizeof w);
        craft_word(c, w);
    }
}

void craft_write(struct craft_file *f, const char *dir, const char *name)
{
    craft_hdr(f)->file_end = f->len;
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        abort();
    rt_spit(path, f->buf, f->len);
    free(path);
}

void craft_free(struct craft_file *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

/* ---- files ---- */

uint8_t *rt_slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        cr_assert_gt(n, 0, "read %s", path);
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

void rt_spit(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, (const char *)buf + put, len - put);
        cr_assert_gt(n, 0, "write %s", path);
        put += (size_t)n;
    }
    close(fd);
}

void rt_copy_file(const char *from, const char *to, size_t len)
{
    size_t n;
    uint8_t *buf = rt_slurp(from, &n);
    rt_spit(to, buf, len < n ? len : n);
    free(buf);
}
