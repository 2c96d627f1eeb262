/* The trace reader (see reader.h and docs/trace-format.md).
 *
 * Three layers, each trusting nothing below it:
 *
 *  1. Files.  Every p<pid>.<k>.ctrace file is mapped read-only.  A *walk*
 *     finds the chunks in it: from the end of the header page, 4096 bytes
 *     at a time through zeros (space reserved but never written), a
 *     chunk's full size at a time across valid chunk headers.
 *  2. Threads.  Chunks are grouped per (file, thread serial) and ordered
 *     by chunk index.  A *cursor* walks one thread's records: slot
 *     definitions, clock unwrapping, payload bounds.  Each thread has two
 *     cursors: the *scan* cursor runs ahead at open (and at every poll)
 *     and fixes what the thread holds (counts, first/last time, names);
 *     the *decode* cursor produces the events in trace_reader_next().
 *     Both check the records' structure (types, payload bounds), so they
 *     stop at the same corruption; the scan steps over plain events
 *     without resolving their slots, which the decode cursor checks.
 *  3. Merge.  One head event per thread in a min-heap keyed by clock.
 *     Per-object sequence numbers overrule the clock between heads
 *     (rule 7), and a thread-start waits for its thread-create, a forked
 *     child for its parent's fork, an exec'd image for the exec.
 *
 * Memory does not grow with the number of events: a thread being merged
 * owns one slot table (about 90 KiB), rebuilt by replaying its current
 * chunk when it is needed again after being dropped.
 *
 * A thread reader (trace_thread_reader_*) is a third cursor on one
 * thread, outside the merge, for viewers that page through a thread.
 */
#include "reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define NONE UINT32_MAX
#define SERIAL_CAP (1u << 20)   /* threads per image the reader accepts */
#define TF_VALID 0x100u         /* decode table: the type exists */
#define CREATOR_NONE UINT32_MAX /* thread-start arg of an uncreated thread */
#define VALVE_NS 1000000000ull  /* a gate opens after this much trace time */
#define BITWORDS (TRACE_SLOTS / 64)
#define NAMES_KEEP 65536u /* thread-name events kept for resolving */

static const uint16_t decode_flags[TRACE_EV_LIMIT] = {
#define EV(id, num, name, fam, flags, doc) [num] = (flags) | TF_VALID,
#include "events.def"
#undef EV
};

/* The events whose only effect on the scan is to move the clock and the
 * count: not metadata, no payload, and none of the few scan_note()
 * keeps (see scan_kinds_init()). */
static const uint8_t scan_plain[TRACE_EV_LIMIT] = {
#define EV(id, num, name, fam, flags, doc)                                     \
    [num] = !((flags) & (TF_META | TF_PAYLOAD)) && !TRACE_DESCRIBES_THREAD(num),
#include "events.def"
#undef EV
};

/* ---- internal structures ---- */

struct rchunk {
    uint64_t off;   /* file offset of the chunk header */
    uint32_t index; /* chunk_index */
    uint32_t cap;   /* records the chunk's size holds */
    uint32_t avail; /* records that lie inside the file */
    uint32_t used;  /* `used` as last read by the scan */
    uint64_t base_clock;
};

struct slot_tables {
    uint64_t obj[TRACE_SLOTS];
    uint64_t site[TRACE_SLOTS];
    uint32_t stack_pos[TRACE_SLOTS]; /* first payload record */
    uint16_t stack_depth[TRACE_SLOTS];
    uint64_t stackdef[BITWORDS];
};

/* A position in one thread's stream. */
struct cursor {
    uint32_t ci;          /* index into the thread's chunk array */
    uint32_t pos;         /* next record of that chunk */
    uint32_t next_index;  /* chunk_index the chunk at ci must have */
    bool entered;         /* bitmaps and clock are set up for chunk ci */
    uint32_t end;         /* fast path: records of chunk ci known good */
    const uint64_t *recs; /* fast path: chunk ci's record words */
    uint64_t clock;       /* clock of the previous record */
    uint64_t objdef[BITWORDS];
    uint64_t sitedef[BITWORDS];
};

/* One decoded record, its slots resolved. */
struct rawev {
    uint64_t w0;
    uint64_t clock;
    uint64_t obj;  /* its object (TF_OBJ events), else 0 */
    uint64_t site; /* its call site, 0 if none */
    uint32_t arg;
    uint32_t pos;
};

enum thread_state {
    TS_DORMANT, /* in the heap keyed by its first chunk; nothing decoded */
    TS_ACTIVE,  /* in the heap with a decoded head */
    TS_HELD,    /* head decoded, waiting for its creation to be emitted */
    TS_IDLE,    /* at the end of what is known (live: more may come) */
    TS_FAILED   /* stopped at corruption (reported) */
};

struct rthread {
    uint32_t file, serial, tid;
    uint32_t pid, index, kind; /* copies for event_fill() */
    struct rchunk *chunks;
    uint32_t nchunks, capchunks;
    /* scan */
    struct cursor scan;
    bool scan_failed, any, exited, has_self, named;
    uint64_t first_clock, last_clock;
    uint64_t events, lost;
    uint64_t self_obj, self_clock, name_clock;
    char name[64];
    /* merge */
    struct cursor dec;
    struct slot_tables *tab;
    enum thread_state state;
    bool started; /* the first event has been decoded */
    uint32_t heap_pos;
    uint32_t held_pos; /* in the held heap while TS_HELD */
    uint32_t seq_next, seq_prev;
    bool in_seqmap;
    uint64_t key;
    struct rawev raw;  /* the head: decoded, resolved when emitted */
    uint64_t head_obj; /* its object, for the sequence map */
    uint32_t head_seq;
    uint32_t head_type;
};

struct mapping {
    void *addr;
    size_t len;
};

struct rfile {
    char *path;
    const uint8_t *map;
    uint64_t map_len, size;
    struct mapping *old;
    uint32_t nold;
    uint32_t pid, ppid, image, clock_kind, flags;
    uint64_t start_clock, start_mono, start_real;
    char exe[sizeof((struct trace_file_header *)0)->exe];
    char cmdline[sizeof((struct trace_file_header *)0)->cmdline + 1];
    /* chunk walk */
    uint64_t stable_off; /* everything before is known chunks */
    uint64_t *koff;      /* known chunk offsets, sorted */
    uint32_t *ksize;
    uint32_t nk, capk;
    uint64_t *bad; /* offsets already reported as corrupt */
    uint32_t nbad, capbad;
    /* threads */
    int32_t *serial_thread; /* serial -> thread index, -1 */
    uint8_t *serial_created;
    uint32_t nserial;
    /* merge gates */
    uint32_t *fork_pids;
    uint32_t nforks, capforks;
    bool exec_emitted, fork_seen;
};

/* A file seen in the directory that is not (yet) a process. */
struct pending {
    char *path;
    char msg[sizeof((struct trace_error *)0)->msg];
    bool fatal; /* bad magic/version: never retried */
};

struct name_rec {
    uint32_t namer, file;
    uint64_t obj, clock;
    char name[64];
};

struct clockfit {
    bool have;
    uint64_t c0, m0, c1, m1; /* pairs with the smallest and largest clock */
    uint64_t mult;           /* ns per tick << 32 */
    bool guessed;            /* no usable rate: 1 tick = 1 ns */
};

struct heap_entry {
    uint64_t key;
    uint32_t t;
};

/* A sort key for linking images, ordered by (a, b, c, file). */
struct link_ent {
    uint32_t a, b;
    uint64_t c;
    uint32_t file;
};

struct trace_reader {
    char *dir;
    bool live;
    uint8_t scan_kind[256]; /* see scan_kinds_init() */
    struct rfile *files;
    struct trace_process *procs;
    uint32_t nfiles, capfiles, capprocs;
    struct pending *pend;
    uint32_t npend, cappend;
    struct rthread *thr;
    struct trace_thread *pub;
    uint32_t nthr, capthr, cappub;
    struct name_rec *names;
    uint32_t nnames, capnames;
    /* clock */
    struct clockfit fit;
    uint32_t kind;   /* clock kind of the first file */
    bool mixed;      /* files disagree on the clock kind */
    uint64_t origin; /* mono ns of the trace's start */
    bool origin_set;
    uint64_t valve;   /* VALVE_NS in key units */
    uint64_t max_key; /* latest key known (scan) */
    /* merge */
    struct heap_entry *heap;
    uint32_t nheap, capheap;
    uint32_t *held; /* TS_HELD threads, a min-heap on their key */
    uint32_t nheld, capheld;
    /* who waits for whom (process_links): sorted for binary search */
    struct link_ent *fork_idx; /* (parent image, pid) -> forked image */
    struct link_ent *exec_idx; /* (image, 0) -> the image it exec'd */
    uint32_t nfork_idx, nexec_idx;
    uint64_t *seq_keys;
    uint32_t *seq_first;
    uint32_t seq_cap; /* power of two */
    uint32_t seq_count;
    /* errors waiting to be returned by trace_reader_next() */
    char (*errq)[sizeof((struct trace_error *)0)->msg];
    uint32_t errq_head, errq_n, errq_cap;
    char first_err[sizeof((struct trace_error *)0)->msg]; /* ever queued */
    bool deferred_done;
    struct slot_tables *spare; /* free slot tables */
    struct slot_tables *scan_tab;
    uint64_t new_events; /* counted by scans (poll's result) */
    struct trace_reader_work work;
};

/* ---- small helpers ---- */

static void *xgrow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    uint32_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *q = realloc(p, (size_t)n * elem);
    if (!q) {
        fprintf(stderr, "ctrace: out of memory reading a trace\n");
        abort();
    }
    *cap = n;
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "ctrace: out of memory reading a trace\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        fprintf(stderr, "ctrace: out of memory reading a trace\n");
        abort();
    }
    return p;
}

__attribute__((format(printf, 2, 3))) static void
err_set(struct trace_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static void errq_push(struct trace_reader *r, const char *msg)
{
    if (r->errq_n == r->errq_cap) {
        uint32_t oldcap = r->errq_cap;
        r->errq = xgrow(r->errq, &r->errq_cap, r->errq_n + 1, sizeof *r->errq);
        /* unwrap the ring into the grown array */
        for (uint32_t i = 0; i < r->errq_head && oldcap; i++)
            memcpy(r->errq[oldcap + i], r->errq[i], sizeof *r->errq);
    }
    uint32_t at = (r->errq_head + r->errq_n) % r->errq_cap;
    snprintf(r->errq[at], sizeof *r->errq, "%s", msg);
    if (!r->first_err[0])
        snprintf(r->first_err, sizeof r->first_err, "%s", msg);
    r->errq_n++;
}

__attribute__((format(printf, 2, 3))) static void
errq_printf(struct trace_reader *r, const char *fmt, ...)
{
    struct trace_error e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    errq_push(r, e.msg);
}

static bool errq_pop(struct trace_reader *r, struct trace_error *err)
{
    if (!r->errq_n)
        return false;
    if (err)
        snprintf(err->msg, sizeof err->msg, "%s", r->errq[r->errq_head]);
    r->errq_head = (r->errq_head + 1) % r->errq_cap;
    r->errq_n--;
    return true;
}

static inline bool bit_test(const uint64_t *b, unsigned i)
{
    return (b[i >> 6] >> (i & 63)) & 1u;
}

static inline void bit_set(uint64_t *b, unsigned i)
{
    b[i >> 6] |= 1ull << (i & 63);
}

static inline void bit_clear(uint64_t *b, unsigned i)
{
    b[i >> 6] &= ~(1ull << (i & 63));
}

static inline uint32_t load32(const void *p)
{
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}

static inline uint64_t load64(const void *p)
{
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

/* ---- clock ---- */

static void fit_add(struct clockfit *f, uint64_t clock, uint64_t mono)
{
    if (!f->have) {
        f->have = true;
        f->c0 = f->c1 = clock;
        f->m0 = f->m1 = mono;
        return;
    }
    if (clock < f->c0) {
        f->c0 = clock;
        f->m0 = mono;
    }
    if (clock > f->c1) {
        f->c1 = clock;
        f->m1 = mono;
    }
}

/* ns per tick from the widest-spaced pair; a rate outside 0.01..100 ns
 * per tick (10 MHz..100 GHz) is not a TSC: fall back to 1 ns per tick. */
static void fit_finish(struct clockfit *f)
{
    f->mult = 1ull << 32;
    f->guessed = true;
    if (!f->have || f->c1 <= f->c0 || f->m1 <= f->m0)
        return;
    unsigned __int128 m =
        ((unsigned __int128)(f->m1 - f->m0) << 32) / (f->c1 - f->c0);
    if (m < (1ull << 32) / 100 || m > (unsigned __int128)(1ull << 32) * 100)
        return;
    f->mult = (uint64_t)m;
    f->guessed = false;
}

/* CLOCK_MONOTONIC ns of a raw clock value. */
static inline uint64_t clock_mono(const struct trace_reader *r, uint32_t kind,
                                  uint64_t clock)
{
    if (kind != TRACE_CLOCK_TSC)
        return clock;
    const struct clockfit *f = &r->fit;
    if (clock >= f->c0) {
        unsigned __int128 d = (unsigned __int128)(clock - f->c0) * f->mult;
        return f->m0 + (uint64_t)(d >> 32);
    }
    unsigned __int128 d = (unsigned __int128)(f->c0 - clock) * f->mult;
    uint64_t back = (uint64_t)(d >> 32);
    return back > f->m0 ? 0 : f->m0 - back;
}

static inline uint64_t clock_ts(const struct trace_reader *r, uint32_t kind,
                                uint64_t clock)
{
    uint64_t m = clock_mono(r, kind, clock);
    return m > r->origin ? m - r->origin : 0;
}

/* The merge compares raw clocks when every file uses the same clock,
 * converted ones otherwise. */
static inline uint64_t merge_key(const struct trace_reader *r, uint32_t file,
                                 uint64_t clock)
{
    return r->mixed ? clock_mono(r, r->files[file].clock_kind, clock) : clock;
}

static void clock_setup(struct trace_reader *r)
{
    fit_finish(&r->fit);
    if (r->mixed || r->kind != TRACE_CLOCK_TSC)
        r->valve = VALVE_NS;
    else
        r->valve =
            (uint64_t)(((unsigned __int128)VALVE_NS << 32) / r->fit.mult);
}

/* ---- files: header ---- */

static bool name_is_process_file(const char *name)
{
    unsigned long pid, k;
    int end = 0;
    if (sscanf(name, "p%lu.%lu.ctrace%n", &pid, &k, &end) != 2)
        return false;
    return end > 0 && name[end] == '\0' && name[1] >= '0' && name[1] <= '9';
}

static void file_unmap_all(struct rfile *f)
{
    if (f->map)
        munmap((void *)f->map, f->map_len);
    for (uint32_t i = 0; i < f->nold; i++)
        munmap(f->old[i].addr, f->old[i].len);
    f->map = NULL;
    f->nold = 0;
}

/* Open a process file for reading, refusing anything but a regular
 * file: a FIFO, device or socket named like a process file would block
 * the open or the reads forever, and a symlink may lead anywhere.
 * Returns the descriptor, -1 (cannot open, err set) or -2 (not a
 * regular file, err set: never worth retrying). */
static int file_open_regular(const char *path, struct stat *st,
                             struct trace_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ELOOP) {
            err_set(err, "%s: offset 0: a symbolic link, not a process file",
                    path);
            return -2;
        }
        err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0) {
        err_set(err, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        err_set(err,
                "%s: offset 0: not a regular file (a FIFO, device or "
                "socket): not a process file",
                path);
        close(fd);
        return -2;
    }
    return fd;
}

/* Map (or extend the mapping of) a file up to its current size.  Old
 * mappings stay until the reader closes: events point into them.
 * Returns 0, or file_open_regular()'s -1 or -2. */
static int file_map(struct rfile *f, struct trace_error *err)
{
    struct stat st;
    int fd = file_open_regular(f->path, &st, err);
    if (fd < 0)
        return fd;
    uint64_t size = (uint64_t)st.st_size;
    if (size < f->size) /* shrinking files are not followed */
        size = f->size;
    if (size > f->map_len) {
        uint64_t len = (size + PAGE - 1) & ~(uint64_t)(PAGE - 1);
        if (f->map && len < 2 * f->map_len)
            len = 2 * f->map_len; /* live growth: map ahead, remap rarely */
        void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            err_set(err, "%s: cannot map %llu bytes: %s", f->path,
                    (unsigned long long)len, strerror(errno));
            close(fd);
            return -1;
        }
        if (f->map) {
            uint32_t cap = f->nold;
            f->old = xgrow(f->old, &cap, f->nold + 1, sizeof *f->old);
            f->old[f->nold++] = (struct mapping){(void *)f->map, f->map_len};
        }
        f->map = m;
        f->map_len = len;
    }
    f->size = size;
    close(fd);
    return 0;
}

/* Check a file's header.  Returns 1 valid, 0 not written yet (retry
 * later), -1 invalid for good; err says why. */
static int header_check(const struct rfile *f, struct trace_error *err)
{
    const char *p = f->path;
    if (f->size < PAGE) {
        err_set(err,
                "%s: offset %llu: truncated header: the file has %llu bytes, "
                "a header needs %u (the process died while starting, or the "
                "file was cut)",
                p, (unsigned long long)f->size, (unsigned long long)f->size,
                PAGE);
        return 0;
    }
    const struct trace_file_header *h = (const void *)f->map;
    static const char zero[8];
    uint32_t version = load32(&h->version);
    if (memcmp(h->magic, TRACE_FILE_MAGIC, 8) != 0) {
        if (memcmp(h->magic, zero, 8) == 0 && version == 0) {
            err_set(err,
                    "%s: offset 0: header never written (the process died "
                    "while starting)",
                    p);
            return 0;
        }
        err_set(err, "%s: offset 0: bad magic: not a ctrace process file", p);
        return -1;
    }
    if (version == 0) {
        err_set(err,
                "%s: offset 8: header incomplete (version 0: the process "
                "died while starting)",
                p);
        return 0;
    }
    if (version != TRACE_FORMAT_VERSION) {
        err_set(err,
                "%s: offset 8: unknown trace format version %u (this ctrace "
                "reads version %u): read it with the ctrace that recorded it",
                p, version, TRACE_FORMAT_VERSION);
        return -1;
    }
    if (h->header_size != TRACE_HEADER_SIZE) {
        err_set(err, "%s: offset 12: header size %u, expected %u", p,
                h->header_size, TRACE_HEADER_SIZE);
        return -1;
    }
    if (h->clock_kind > TRACE_CLOCK_MONOTONIC) {
        err_set(err, "%s: offset 28: unknown clock kind %u", p, h->clock_kind);
        return -1;
    }
    return 1;
}

/* Copy what never changes out of a valid header. */
static void header_load(struct rfile *f)
{
    const struct trace_file_header *h = (const void *)f->map;
    f->pid = h->pid;
    f->ppid = h->ppid;
    f->image = h->image;
    f->flags = h->flags; /* how the image began; EXITED is read live */
    f->clock_kind = h->clock_kind;
    f->start_clock = h->start_clock;
    f->start_mono = h->start_mono_ns;
    f->start_real = h->start_real_ns;
    memcpy(f->exe, h->exe, sizeof f->exe);
    f->exe[sizeof f->exe - 1] = '\0';
    uint32_t n = h->cmdline_len;
    if (n > sizeof h->cmdline)
        n = sizeof h->cmdline;
    memcpy(f->cmdline, h->cmdline, n);
    while (n && f->cmdline[n - 1] == '\0')
        n--;
    for (uint32_t i = 0; i < n; i++)
        if (f->cmdline[i] == '\0')
            f->cmdline[i] = ' ';
    f->cmdline[n] = '\0';
    f->stable_off = TRACE_HEADER_SIZE;
}

/* ---- threads and chunks ---- */

static int32_t thread_lookup(const struct rfile *f, uint32_t serial)
{
    return serial < f->nserial ? f->serial_thread[serial] : -1;
}

static void serial_reserve(struct rfile *f, uint32_t serial)
{
    if (serial < f->nserial)
        return;
    uint32_t n = f->nserial ? f->nserial : 16;
    while (n <= serial)
        n *= 2;
    f->serial_thread = realloc(f->serial_thread, n * sizeof *f->serial_thread);
    f->serial_created = realloc(f->serial_created, n);
    if (!f->serial_thread || !f->serial_created) {
        fprintf(stderr, "ctrace: out of memory reading a trace\n");
        abort();
    }
    for (uint32_t i = f->nserial; i < n; i++) {
        f->serial_thread[i] = -1;
        f->serial_created[i] = 0;
    }
    f->nserial = n;
}

static struct rthread *thread_get(struct trace_reader *r, uint32_t file,
                                  uint32_t serial, uint32_t tid)
{
    struct rfile *f = &r->files[file];
    serial_reserve(f, serial);
    int32_t idx = f->serial_thread[serial];
    if (idx >= 0)
        return &r->thr[idx];
    r->thr = xgrow(r->thr, &r->capthr, r->nthr + 1, sizeof *r->thr);
    r->pub = xgrow(r->pub, &r->cappub, r->nthr + 1, sizeof *r->pub);
    struct rthread *t = &r->thr[r->nthr];
    memset(t, 0, sizeof *t);
    t->file = file;
    t->serial = serial;
    t->tid = tid;
    t->pid = f->pid;
    t->kind = f->clock_kind;
    t->index = r->nthr;
    t->state = TS_DORMANT;
    t->heap_pos = NONE;
    t->seq_next = t->seq_prev = NONE;
    memset(&r->pub[r->nthr], 0, sizeof r->pub[0]);
    f->serial_thread[serial] = (int32_t)r->nthr;
    r->nthr++;
    return t;
}

/* Add a chunk to its thread, sorted by index.  False on a duplicate. */
static bool thread_add_chunk(struct rthread *t, const struct rchunk *c)
{
    uint32_t at = t->nchunks;
    while (at > 0 && t->chunks[at - 1].index > c->index)
        at--;
    if (at > 0 && t->chunks[at - 1].index == c->index)
        return false;
    t->chunks = xgrow(t->chunks, &t->capchunks, t->nchunks + 1, sizeof *c);
    memmove(&t->chunks[at + 1], &t->chunks[at], (t->nchunks - at) * sizeof *c);
    t->chunks[at] = *c;
    t->nchunks++;
    /* cursors keep pointing at the same chunk */
    if (t->scan.ci >= at && (t->scan.entered || t->scan.ci > at))
        t->scan.ci++;
    if (t->dec.ci >= at && (t->dec.entered || t->dec.ci > at))
        t->dec.ci++;
    return true;
}

/* ---- files: chunk walk ---- */

static bool bad_seen(struct rfile *f, uint64_t off)
{
    for (uint32_t i = 0; i < f->nbad; i++)
        if (f->bad[i] == off)
            return true;
    f->bad = xgrow(f->bad, &f->capbad, f->nbad + 1, sizeof *f->bad);
    f->bad[f->nbad++] = off;
    return false;
}

static int32_t known_find(const struct rfile *f, uint64_t off)
{
    uint32_t lo = 0, hi = f->nk;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (f->koff[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->nk && f->koff[lo] == off ? (int32_t)lo : -1;
}

static void known_add(struct rfile *f, uint64_t off, uint32_t size)
{
    uint32_t cap = f->capk;
    f->koff = xgrow(f->koff, &cap, f->nk + 1, sizeof *f->koff);
    cap = f->capk;
    f->ksize = xgrow(f->ksize, &cap, f->nk + 1, sizeof *f->ksize);
    f->capk = cap;
    uint32_t at = f->nk;
    while (at > 0 && f->koff[at - 1] > off)
        at--;
    memmove(&f->koff[at + 1], &f->koff[at], (f->nk - at) * sizeof *f->koff);
    memmove(&f->ksize[at + 1], &f->ksize[at], (f->nk - at) * sizeof *f->ksize);
    f->koff[at] = off;
    f->ksize[at] = size;
    f->nk++;
}

/* Validate a chunk header.  Returns NULL when it is fine, else what is
 * wrong (in buf). */
static const char *chunk_header_problem(const struct rfile *f,
                                        const struct trace_chunk_header *c,
                                        char *buf, size_t cap)
{
    uint32_t size = c->size;
    if (size < TRACE_CHUNK_MIN || size > TRACE_CHUNK_MAX || size % PAGE) {
        snprintf(buf, cap,
                 "chunk size %u is invalid (a multiple of 4096 from %u to %u)",
                 size, TRACE_CHUNK_MIN, TRACE_CHUNK_MAX);
        return buf;
    }
    if (c->thread_serial >= SERIAL_CAP) {
        snprintf(buf, cap, "chunk thread serial %u is out of range",
                 c->thread_serial);
        return buf;
    }
    if (c->chunk_index > f->size / TRACE_CHUNK_MIN) {
        snprintf(buf, cap,
                 "chunk index %u is impossible in a file of %llu "
                 "bytes",
                 c->chunk_index, (unsigned long long)f->size);
        return buf;
    }
    return NULL;
}

static void walk_register(struct trace_reader *r, uint32_t file, uint64_t off,
                          const struct trace_chunk_header *c)
{
    struct rfile *f = &r->files[file];
    uint64_t avail_bytes = f->size - off;
    if (avail_bytes > c->size)
        avail_bytes = c->size;
    struct rchunk ch = {
        .off = off,
        .index = c->chunk_index,
        .cap = (c->size - TRACE_CHUNK_HEADER_SIZE) / TRACE_WORD_SIZE,
        .avail = avail_bytes < TRACE_CHUNK_HEADER_SIZE
                     ? 0
                     : (uint32_t)((avail_bytes - TRACE_CHUNK_HEADER_SIZE) /
                                  TRACE_WORD_SIZE),
        .used = 0,
        .base_clock = c->base_clock,
    };
    known_add(f, off, c->size);
    struct rthread *t = thread_get(r, file, c->thread_serial, c->tid);
    if (!thread_add_chunk(t, &ch)) {
        if (!bad_seen(f, off))
            errq_printf(r,
                        "%s: offset %llu: a second chunk %u for thread serial "
                        "%u: this one is ignored",
                        f->path, (unsigned long long)off, c->chunk_index,
                        c->thread_serial);
        return;
    }
    if (ch.index == 0 || t->tid == 0)
        t->tid = c->tid;
    t->lost += c->lost_before;
    if (f->clock_kind == TRACE_CLOCK_TSC)
        fit_add(&r->fit, c->base_clock, c->base_mono_ns);
}

/* Where the file's data resumes at or after `off` (SEEK_DATA), or
 * UINT64_MAX when only a hole follows.  The walk never reads a hole
 * through the mapping: holes are the punched tails of finished chunks and
 * space a reservation failed to fill, and on a full tmpfs merely reading
 * one faults with SIGBUS. */
static uint64_t walk_data_from(int fd, uint64_t off)
{
    if (fd < 0)
        return off;
    off_t d = lseek(fd, (off_t)off, SEEK_DATA);
    if (d < 0)
        return errno == ENXIO ? UINT64_MAX : off;
    return (uint64_t)d;
}

/* Walk the chunk area of a file from its stable prefix to its end. */
static void file_walk(struct trace_reader *r, uint32_t file)
{
    struct rfile *f = &r->files[file];
    uint64_t off = f->stable_off;
    bool stable = true, in_garbage = false;
    char why[160];
    /* only for SEEK_DATA; never blocks (see file_open_regular) */
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    while (off + TRACE_CHUNK_HEADER_SIZE <= f->size) {
        int32_t k = known_find(f, off);
        uint64_t data = k >= 0 ? off : walk_data_from(fd, off);
        if (data == UINT64_MAX)
            break; /* nothing but a hole up to the end */
        if ((data & ~(uint64_t)(PAGE - 1)) > off) {
            stable = false;
            in_garbage = false;
            off = data & ~(uint64_t)(PAGE - 1);
            continue;
        }
        if (k >= 0) {
            off += f->ksize[k];
            in_garbage = false;
        } else {
            const struct trace_chunk_header *c = (const void *)(f->map + off);
            uint32_t magic = load32(&c->magic);
            if (magic == TRACE_CHUNK_MAGIC) {
                const char *bad = chunk_header_problem(f, c, why, sizeof why);
                if (!bad) {
                    walk_register(r, file, off, c);
                    off += c->size;
                    in_garbage = false;
                    if (stable)
                        f->stable_off = off;
                    continue;
                }
                if (!bad_seen(f, off))
                    errq_printf(r, "%s: offset %llu: %s", f->path,
                                (unsigned long long)off, bad);
                in_garbage = true;
            } else if (magic != 0 && !in_garbage) {
                if (!bad_seen(f, off))
                    errq_printf(r,
                                "%s: offset %llu: bad chunk magic 0x%08x: "
                                "skipping to the next valid chunk",
                                f->path, (unsigned long long)off, magic);
                in_garbage = true;
            } else if (magic == 0) {
                in_garbage = false;
            }
            stable = false;
            off += PAGE;
        }
        if (stable)
            f->stable_off = off;
    }
    if (fd >= 0)
        close(fd);
}

/* ---- decoding ---- */

static inline const uint64_t *chunk_records(const struct trace_reader *r,
                                            const struct rthread *t,
                                            const struct rchunk *ch)
{
    return (const uint64_t *)(r->files[t->file].map + ch->off +
                              TRACE_CHUNK_HEADER_SIZE);
}

#define DECODE_ERR(...)                                                        \
    do {                                                                       \
        snprintf(why, whycap, __VA_ARGS__);                                    \
        return -1;                                                             \
    } while (0)

/* The event type of each short code (0: a code this reader does not
 * know, which decodes as SHORT_UNKNOWN, not an event type). */
#define SHORT_UNKNOWN 255u
static const uint8_t short_type[256 - TRACE_SHORT_BASE] = {
#define X(id) [TRACE_SHORT_##id] = TRACE_EV_##id,
    TRACE_SHORT_EVENTS(X)
#undef X
};

/* The head of the record at rec[pos], either form, as a full record:
 * its type (0 for a NOP word, SHORT_UNKNOWN for an unknown short code)
 * and two words (a short record's arg and sequence number are 0).
 * Returns its length in words, 0 when a full record is cut by `limit`. */
struct rechead {
    uint64_t w0, w1;
    unsigned type;
    unsigned byte; /* the low byte of the first word */
};

static inline __attribute__((always_inline)) uint32_t
record_head(const uint64_t *rec, uint32_t pos, uint32_t limit,
            struct rechead *h)
{
    uint64_t w = rec[pos];
    unsigned b = TRACE_W0_TYPE(w);
    h->byte = b;
    if (b >= TRACE_SHORT_BASE) {
        unsigned type = short_type[b - TRACE_SHORT_BASE];
        h->type = type ? type : SHORT_UNKNOWN;
        h->w0 = (w & TRACE_W0_SLOTS_MASK) | h->type;
        h->w1 = w & TRACE_W1_CLOCK_MASK;
        return 1;
    }
    h->type = b;
    h->w0 = w;
    h->w1 = 0;
    if (b == TRACE_EV_NONE)
        return 1;
    if (limit - pos < 2)
        return 0;
    h->w1 = rec[pos + 1];
    return 2;
}

/* Decode records [c->pos, limit) until one event.  1: event in *out;
 * 0: limit reached; -1: corrupt record at c->pos, why says what. */
static inline __attribute__((always_inline)) int
chunk_decode(struct cursor *c, const uint64_t *rec, uint32_t limit,
             struct slot_tables *tab, struct rawev *out, char *why,
             size_t whycap)
{
    while (c->pos < limit) {
        struct rechead h;
        uint32_t words = record_head(rec, c->pos, limit, &h);
        uint64_t w0 = h.w0, w1 = h.w1;
        unsigned type = h.type;
        unsigned fl = decode_flags[type];
        if (__builtin_expect(!words, 0))
            DECODE_ERR("%s record cut by the end of the chunk's %u used "
                       "words",
                       trace_event_name(type), limit);
        if (__builtin_expect((fl & (TF_VALID | TF_META)) == TF_VALID, 1)) {
            unsigned os = TRACE_W0_OBJ(w0), ss = TRACE_W0_SITE(w0);
            uint32_t arg = TRACE_W1_ARG(w1), n = 0;
            uint64_t obj = 0, site = 0;
            if ((fl & TF_OBJ) && os) {
                if (!bit_test(c->objdef, os))
                    DECODE_ERR("object slot %u used before its definition", os);
                obj = tab->obj[os];
            }
            if (ss) {
                if (!bit_test(c->sitedef, ss))
                    DECODE_ERR("call-site slot %u used before its definition",
                               ss);
                site = tab->site[ss];
            }
            if (fl & TF_PAYLOAD) {
                if (arg > TRACE_PAYLOAD_MAX)
                    DECODE_ERR("%s payload of %u bytes (at most %u)",
                               trace_event_name(type), arg, TRACE_PAYLOAD_MAX);
                n = (arg + TRACE_WORD_SIZE - 1) / TRACE_WORD_SIZE;
                if (n > limit - c->pos - words)
                    DECODE_ERR("%s payload of %u bytes runs past the chunk's "
                               "%u used words",
                               trace_event_name(type), arg, limit);
            }
            uint32_t lo = TRACE_W1_CLOCKLO(w1);
            c->clock += (uint64_t)(int64_t)(int32_t)(lo - (uint32_t)c->clock);
            out->w0 = w0;
            out->clock = c->clock;
            out->obj = obj;
            out->site = site;
            out->arg = arg;
            out->pos = c->pos;
            c->pos += words + n;
            return 1;
        }
        switch (type) {
        case TRACE_EV_NONE:
            c->pos++;
            break;
        case SHORT_UNKNOWN:
            DECODE_ERR("unknown short record code %u",
                       h.byte - TRACE_SHORT_BASE);
        case TRACE_EV_OBJDEF: {
            unsigned os = TRACE_W0_OBJ(w0);
            if (!os) /* slot 0 means "no object" */
                DECODE_ERR("object slot 0 defined");
            bit_set(c->objdef, os);
            tab->obj[os] = w1;
            c->pos += 2;
            break;
        }
        case TRACE_EV_SITEDEF: {
            unsigned ss = TRACE_W0_SITE(w0);
            if (!ss)
                DECODE_ERR("call-site slot 0 defined");
            bit_set(c->sitedef, ss);
            tab->site[ss] = w1;
            bit_clear(tab->stackdef, ss);
            c->pos += 2;
            break;
        }
        case TRACE_EV_TIME:
            c->clock = w1;
            c->pos += 2;
            break;
        case TRACE_EV_SITE_STACK: {
            unsigned ss = TRACE_W0_SITE(w0);
            uint32_t len = TRACE_W1_ARG(w1);
            if (len > TRACE_PAYLOAD_MAX || len % 8)
                DECODE_ERR("site-stack payload of %u bytes (a multiple of 8, "
                           "at most %u)",
                           len, TRACE_PAYLOAD_MAX);
            uint32_t n = len / TRACE_WORD_SIZE;
            if (n > limit - c->pos - 2)
                DECODE_ERR("site-stack payload of %u bytes runs past the "
                           "chunk's %u used words",
                           len, limit);
            if (!bit_test(c->sitedef, ss))
                DECODE_ERR("site stack for call-site slot %u before its "
                           "definition",
                           ss);
            uint32_t lo = TRACE_W1_CLOCKLO(w1);
            c->clock += (uint64_t)(int64_t)(int32_t)(lo - (uint32_t)c->clock);
            tab->stack_pos[ss] = c->pos + 2;
            tab->stack_depth[ss] = (uint16_t)n;
            bit_set(tab->stackdef, ss);
            c->pos += 2 + n;
            break;
        }
        case TRACE_EV_PAD:
            c->pos = limit;
            break;
        default:
            DECODE_ERR("unknown event type %u", type);
        }
    }
    return 0;
}

static void cursor_enter(struct cursor *c, const struct rchunk *ch,
                         struct slot_tables *tab)
{
    c->entered = true;
    c->pos = 0;
    c->clock = ch->base_clock;
    memset(c->objdef, 0, sizeof c->objdef);
    memset(c->sitedef, 0, sizeof c->sitedef);
    memset(tab->stackdef, 0, sizeof tab->stackdef);
}

static void record_error(const struct trace_reader *r, const struct rthread *t,
                         const struct rchunk *ch, uint32_t pos, const char *why,
                         struct trace_error *err)
{
    const struct rfile *f = &r->files[t->file];
    err_set(err,
            "%s: offset %llu: thread %u (tid %u): %s; the rest of this "
            "thread is skipped",
            f->path,
            (unsigned long long)(ch->off + TRACE_CHUNK_HEADER_SIZE +
                                 (uint64_t)pos * TRACE_WORD_SIZE),
            t->serial, t->tid, why);
}

/* Read a chunk's `used` again (scan only). */
static void chunk_refresh(const struct trace_reader *r, const struct rthread *t,
                          struct rchunk *ch)
{
    const struct trace_chunk_header *h =
        (const void *)(r->files[t->file].map + ch->off);
    ch->used = load32(&h->used);
}

/* Live mode: the records of a chunk the file now holds (the file is
 * mapped again at each poll).  Returns true when there are more. */
static bool chunk_grow(const struct trace_reader *r, const struct rthread *t,
                       struct rchunk *ch)
{
    uint64_t size = r->files[t->file].size;
    if (size <= ch->off + TRACE_CHUNK_HEADER_SIZE)
        return false;
    uint64_t avail =
        (size - ch->off - TRACE_CHUNK_HEADER_SIZE) / TRACE_WORD_SIZE;
    if (avail > ch->cap)
        avail = ch->cap;
    if (avail <= ch->avail)
        return false;
    ch->avail = (uint32_t)avail;
    return true;
}

/* The merge is done with a chunk: let its pages go from our resident
 * set (they stay in the page cache, and come back on a later look, e.g.
 * a viewer's seek), so reading a trace takes memory by threads, not by
 * its size. */
static void chunk_release(const struct trace_reader *r, const struct rthread *t,
                          const struct rchunk *ch)
{
    const struct rfile *f = &r->files[t->file];
    uint64_t len =
        TRACE_CHUNK_HEADER_SIZE + (uint64_t)ch->cap * TRACE_WORD_SIZE;
    if (ch->off % 4096 == 0 && ch->off + len <= f->size)
        madvise((void *)(f->map + ch->off), len, MADV_DONTNEED);
}

/* Checks made when a cursor is about to read a chunk's records. */
static int chunk_check(const struct trace_reader *r, const struct rthread *t,
                       const struct rchunk *ch, struct trace_error *err)
{
    if (ch->used > ch->cap) {
        err_set(err,
                "%s: offset %llu: thread %u (tid %u): chunk %u says %u "
                "words are used, it holds %u; the rest of this thread is "
                "skipped",
                r->files[t->file].path, (unsigned long long)ch->off + 20,
                t->serial, t->tid, ch->index, ch->used, ch->cap);
        return -1;
    }
    return 0;
}

/* The scan, about to enter chunk ch of thread t: when the writer closed
 * it (TRACE_CHUNK_CLOSED) and it holds no event the thread list needs,
 * take its count and last clock from its summary instead of walking it.
 * Its slots are then checked by the decode cursor alone. */
static bool scan_skip_closed(const struct trace_reader *r, struct rthread *t,
                             struct rchunk *ch)
{
    if (!t->any || ch->index != t->scan.next_index)
        return false;
    const struct trace_chunk_header *h =
        (const void *)(r->files[t->file].map + ch->off);
    uint32_t flags = __atomic_load_n(&h->flags, __ATOMIC_ACQUIRE);
    if ((flags & (TRACE_CHUNK_CLOSED | TRACE_CHUNK_KEEPS)) !=
        TRACE_CHUNK_CLOSED)
        return false;
    chunk_refresh(r, t, ch);
    if (ch->used > ch->cap || ch->used > ch->avail)
        return false; /* the walk says what is wrong */
    t->events += load32(&h->events);
    t->last_clock = load64(&h->end_clock);
    return true;
}

/* The next event of a thread's stream.  `scan` marks the scan cursor,
 * which re-reads `used` and may run ahead; the decode cursor follows what
 * the scan has seen.  1 event, 0 end (for now), -1 corrupt. */
static int thread_step(const struct trace_reader *r, struct rthread *t,
                       struct cursor *c, struct slot_tables *tab, bool scan,
                       struct rawev *out, struct trace_error *err)
{
    char why[200];
    for (;;) {
        if (c->ci >= t->nchunks)
            return 0;
        struct rchunk *ch = &t->chunks[c->ci];
        if (!c->entered && scan && scan_skip_closed(r, t, ch)) {
            c->ci++;
            c->next_index++;
            c->end = 0;
            continue;
        }
        if (!c->entered) {
            if (ch->index != c->next_index) {
                if (scan || r->live)
                    return 0;
                err_set(err,
                        "%s: offset %llu: thread %u (tid %u): chunk %u "
                        "is missing (the next one found is chunk %u, here); "
                        "the rest of this thread is skipped",
                        r->files[t->file].path, (unsigned long long)ch->off,
                        t->serial, t->tid, c->next_index, ch->index);
                return -1;
            }
            cursor_enter(c, ch, tab);
        }
        if (scan)
            chunk_refresh(r, t, ch);
        if (chunk_check(r, t, ch, err) < 0)
            return -1;
        uint32_t end = ch->used < ch->avail ? ch->used : ch->avail;
        c->recs = chunk_records(r, t, ch);
        c->end = end;
        int rc = chunk_decode(c, c->recs, end, tab, out, why, sizeof why);
        if (rc > 0)
            return 1;
        if (rc < 0) {
            record_error(r, t, ch, c->pos, why, err);
            return -1;
        }
        if (ch->used > ch->avail && r->live && chunk_grow(r, t, ch))
            continue; /* the file grew since the chunk was first seen */
        if (ch->used > ch->avail && r->live)
            return 0; /* growing while we look: the next poll maps more */
        if (ch->used > ch->avail) {
            err_set(err,
                    "%s: offset %llu: thread %u (tid %u): chunk %u is cut "
                    "short: it says %u words are used, the file holds %u "
                    "(truncated file); the rest of this thread is skipped",
                    r->files[t->file].path,
                    (unsigned long long)r->files[t->file].size, t->serial,
                    t->tid, ch->index, ch->used, ch->avail);
            return -1;
        }
        if (c->ci + 1 >= t->nchunks || (!scan && t->scan.ci <= c->ci))
            return 0;
        if (scan) { /* a later chunk exists: this one is final; read again */
            chunk_refresh(r, t, ch);
            if (ch->used > c->pos && c->pos < ch->avail)
                continue;
        }
        chunk_release(r, t, ch); /* the other cursor faults it back in */
        c->ci++;
        c->next_index++;
        c->entered = false;
        c->end = 0;
    }
}

/* The fast path of thread_step(): the next event inside the cursor's
 * current chunk.  False when the chunk has nothing more (or something
 * wrong): thread_step() then decides, and reports, what comes next. */
static inline __attribute__((always_inline)) bool
cursor_next_in_chunk(struct cursor *c, struct slot_tables *tab,
                     struct rawev *out)
{
    return c->pos < c->end &&
           chunk_decode(c, c->recs, c->end, tab, out, NULL, 0) > 0;
}

static struct slot_tables *tables_get(struct trace_reader *r)
{
    struct slot_tables *s = r->spare;
    if (s) {
        r->spare = *(struct slot_tables **)s;
        return s;
    }
    return xcalloc(1, sizeof *s);
}

static void tables_put(struct trace_reader *r, struct slot_tables *s)
{
    if (!s)
        return;
    *(struct slot_tables **)s = r->spare;
    r->spare = s;
}

/* Rebuild slot tables for a cursor in the middle of a chunk by decoding
 * the chunk again up to where the cursor is. */
static void cursor_replay(const struct trace_reader *r, struct rthread *t,
                          struct cursor *c, struct slot_tables *tab)
{
    if (!c->entered || c->ci >= t->nchunks)
        return;
    const struct rchunk *ch = &t->chunks[c->ci];
    uint32_t target = c->pos;
    struct rawev raw;
    char why[200];
    cursor_enter(c, ch, tab);
    while (chunk_decode(c, chunk_records(r, t, ch), target, tab, &raw, why,
                        sizeof why) > 0)
        ;
    c->pos = target;
    c->end = 0;
}

/* Turn a decoded record into an event. */
static inline __attribute__((always_inline)) void
event_fill(const struct rthread *t, const struct cursor *c,
           const struct slot_tables *tab, const struct rawev *raw,
           struct trace_event *ev)
{
    uint64_t w0 = raw->w0;
    unsigned type = TRACE_W0_TYPE(w0), fl = decode_flags[type];
    unsigned ss = TRACE_W0_SITE(w0);
    ev->clock = raw->clock;
    ev->type = type;
    ev->arg = raw->arg;
    ev->seq = (fl & TF_SEQ) ? TRACE_W0_SEQ(w0) : 0;
    ev->pid = t->pid;
    ev->tid = t->tid;
    ev->proc = t->file;
    ev->thread = t->index;
    ev->obj = raw->obj;
    ev->site = raw->site;
    ev->site_stack = NULL;
    ev->site_depth = 0;
    if (ss && bit_test(tab->stackdef, ss)) {
        ev->site_stack = c->recs + tab->stack_pos[ss];
        ev->site_depth = tab->stack_depth[ss];
    }
    if (fl & TF_PAYLOAD) {
        ev->payload = c->recs + raw->pos + 2;
        ev->payload_len = raw->arg;
    } else {
        ev->payload = NULL;
        ev->payload_len = 0;
    }
    ev->ts_ns = 0;
}

/* ---- scan: what each thread holds ---- */

/* Keep every thread-name event (they are rare) up to NAMES_KEEP; past
 * that, a new name from the same thread for the same pthread_t replaces
 * the older one, so a program renaming threads in a loop cannot make the
 * list grow with the trace. */
static void names_add(struct trace_reader *r, uint32_t namer, uint32_t file,
                      uint64_t obj, uint64_t clock, const void *payload,
                      uint32_t len)
{
    struct name_rec *n = NULL;
    for (uint32_t i = 0; r->nnames >= NAMES_KEEP && i < r->nnames; i++)
        if (r->names[i].namer == namer && r->names[i].obj == obj)
            n = &r->names[i];
    if (!n) {
        r->names = xgrow(r->names, &r->capnames, r->nnames + 1, sizeof *n);
        n = &r->names[r->nnames++];
    }
    n->namer = namer;
    n->file = file;
    n->obj = obj;
    n->clock = clock;
    size_t l = strnlen(payload, len);
    if (l >= sizeof n->name)
        l = sizeof n->name - 1;
    memcpy(n->name, payload, l);
    n->name[l] = '\0';
}

/* What the scan keeps of one event: counts and times for every event,
 * more for the few that name or end a thread. */
static inline void scan_note(struct trace_reader *r, struct rthread *t,
                             struct slot_tables *tab, const struct rawev *raw)
{
    if (!t->any) {
        t->any = true;
        t->first_clock = raw->clock;
    }
    t->last_clock = raw->clock;
    t->events++;
    unsigned type = TRACE_W0_TYPE(raw->w0);
    if (!trace_event_describes_thread(type))
        return;
    struct trace_event ev;
    event_fill(t, &t->scan, tab, raw, &ev);
    switch (type) {
    case TRACE_EV_THREAD_START:
        if (!t->has_self) {
            t->has_self = true;
            t->self_obj = ev.obj;
            t->self_clock = ev.clock;
        }
        break;
    case TRACE_EV_THREAD_NAME:
        names_add(r, (uint32_t)(t - r->thr), t->file, ev.obj, ev.clock,
                  ev.payload, ev.payload_len);
        break;
    case TRACE_EV_THREAD_EXIT:
        t->exited = true;
        break;
    default:
        t->lost += ev.arg;
        break;
    }
}

/* What the scan's inner loop does with a record, by the low byte of its
 * first word: 0 stop (leave it to chunk_decode()), else SCAN_PLAIN, plus
 * SCAN_OBJ when its object slot must be defined. */
#define SCAN_PLAIN 1u
#define SCAN_OBJ 2u

static void scan_kinds_init(uint8_t kind[256])
{
    for (unsigned b = 0; b < 256; b++) {
        unsigned type =
            b >= TRACE_SHORT_BASE ? short_type[b - TRACE_SHORT_BASE] : b;
        kind[b] = scan_plain[type]
                      ? (uint8_t)(SCAN_PLAIN |
                                  (decode_flags[type] & TF_OBJ ? SCAN_OBJ : 0))
                      : 0;
    }
}

/* The scan's inner loop, after scan_note() saw an event: the plain
 * events that follow in the chunk only move the clock and the count, so
 * they are stepped over with no more than the checks chunk_decode()
 * makes of them (defined slots, whole records); anything else it leaves
 * to chunk_decode().  The clock is in the high half of a record's last
 * word, in both forms. */
static inline void scan_plain_run(const struct trace_reader *r,
                                  struct rthread *t)
{
    struct cursor *c = &t->scan;
    const uint64_t *rec = c->recs;
    uint32_t pos = c->pos, end = c->end, from = pos;
    uint64_t clock = c->clock, n = 0;
    while (pos < end) {
        uint64_t w = rec[pos];
        unsigned k = r->scan_kind[TRACE_W0_TYPE(w)];
        unsigned os = TRACE_W0_OBJ(w), ss = TRACE_W0_SITE(w);
        if (!k || ((k & SCAN_OBJ) && os && !bit_test(c->objdef, os)) ||
            (ss && !bit_test(c->sitedef, ss)))
            break;
        /* the length by a branch, not from the table: predicted, it
         * keeps the next record's address off the chain of loads */
        uint32_t lo;
        if (TRACE_W0_TYPE(w) >= TRACE_SHORT_BASE) {
            lo = TRACE_SW_CLOCKLO(w);
            pos++;
        } else {
            if (end - pos < 2)
                break;
            lo = TRACE_W1_CLOCKLO(rec[pos + 1]);
            pos += 2;
        }
        clock += (uint64_t)(int64_t)(int32_t)(lo - (uint32_t)clock);
        n++;
    }
    if (pos == from)
        return;
    c->pos = pos;
    c->clock = clock;
    t->last_clock = clock;
    t->events += n;
}

/* Whether a thread's scan would find anything new (cheap: no replay). */
static bool scan_has_new(const struct trace_reader *r, struct rthread *t)
{
    const struct cursor *c = &t->scan;
    if (t->scan_failed || c->ci >= t->nchunks)
        return false;
    if (!c->entered || c->ci + 1 < t->nchunks)
        return true;
    struct rchunk *ch = &t->chunks[c->ci];
    chunk_refresh(r, t, ch);
    return ch->used > c->pos;
}

/* Scan a thread from where its scan stopped to the end of what is there. */
static void thread_scan(struct trace_reader *r, struct rthread *t)
{
    if (t->scan_failed)
        return;
    if (!r->scan_tab)
        r->scan_tab = xcalloc(1, sizeof *r->scan_tab);
    struct slot_tables *tab = r->scan_tab;
    cursor_replay(r, t, &t->scan, tab);
    struct rawev raw;
    struct trace_error err;
    int rc;
    uint64_t before = t->events;
    while ((rc = thread_step(r, t, &t->scan, tab, true, &raw, &err)) > 0) {
        do {
            scan_note(r, t, tab, &raw);
            scan_plain_run(r, t);
        } while (cursor_next_in_chunk(&t->scan, tab, &raw));
    }
    r->new_events += t->events - before;
    if (rc < 0)
        t->scan_failed = true; /* the decode cursor reports it */
    if (t->any) {
        uint64_t k = merge_key(r, t->file, t->last_clock);
        if (k > r->max_key)
            r->max_key = k;
    }
}

/* Which thread a thread-name event named: the thread of that process
 * whose thread-start had obj == the named pthread_t, pthread_t values
 * being reused once a thread is joined.  In order: the one running at the
 * name event; else the first to start after it (a creator names its new
 * thread before that thread has recorded its start); else the latest
 * started before it; else the naming thread itself. */
static struct rthread *name_target(struct trace_reader *r,
                                   const struct name_rec *n)
{
    struct rthread *before = NULL, *after = NULL;
    const struct rfile *f = &r->files[n->file];
    for (uint32_t s = 0; s < f->nserial; s++) {
        int32_t i = f->serial_thread[s];
        if (i < 0)
            continue;
        struct rthread *t = &r->thr[i];
        if (!t->has_self || t->self_obj != n->obj)
            continue;
        if (t->self_clock > n->clock) {
            if (!after || t->self_clock < after->self_clock)
                after = t;
        } else if (!before || t->self_clock > before->self_clock) {
            before = t;
        }
    }
    bool before_running =
        before && (!before->exited || before->last_clock >= n->clock);
    if (before_running || (before && !after))
        return before;
    return after ? after : &r->thr[n->namer];
}

static void names_resolve(struct trace_reader *r)
{
    for (uint32_t i = 0; i < r->nnames; i++) {
        const struct name_rec *n = &r->names[i];
        struct rthread *t = name_target(r, n);
        if (!t->named || n->clock >= t->name_clock) {
            t->named = true;
            t->name_clock = n->clock;
            snprintf(t->name, sizeof t->name, "%s", n->name);
        }
    }
}

/* ---- processes ---- */

static bool file_exited(const struct rfile *f, uint64_t *end_clock,
                        uint32_t *status)
{
    const struct trace_file_header *h = (const void *)f->map;
    uint32_t flags = load32(&h->flags);
    if (!(flags & TRACE_FILE_EXITED))
        return false;
    if (end_clock)
        *end_clock = load64(&h->end_clock);
    if (status)
        *status = h->exit_status;
    return true;
}

static int cmp_link(const void *x, const void *y)
{
    const struct link_ent *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    if (p->c != q->c)
        return p->c < q->c ? -1 : 1;
    return p->file < q->file ? -1 : p->file > q->file;
}

/* How many entries of sorted v come before key (or, inclusive, are
 * not after it); binary search, its steps counted. */
static uint32_t link_bound(struct trace_reader *r, const struct link_ent *v,
                           uint32_t n, struct link_ent key, bool inclusive)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp_link(&v[mid], &key);
        r->work.link_steps++;
        if (c < 0 || (inclusive && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The latest entry (a, b, c <= key.c) other than file `self`, or -1:
 * entries sort by (a, b, c, file), so it is the last one not after the
 * key, or the one before it when that is `self`. */
static int link_last(struct trace_reader *r, const struct link_ent *v,
                     uint32_t n, struct link_ent key, uint32_t self)
{
    key.file = UINT32_MAX;
    uint32_t at = link_bound(r, v, n, key, true);
    while (at > 0) {
        const struct link_ent *e = &v[--at];
        if (e->a != key.a || e->b != key.b)
            return -1;
        if (e->file != self)
            return (int)e->file;
    }
    return -1;
}

static struct link_ent *link_sorted(struct trace_reader *r, uint32_t n)
{
    struct link_ent *v = xcalloc(n, sizeof *v);
    r->work.link_steps += n;
    return v;
}

/* The indexes of the gates: forked and exec'd images by the image
 * they wait for. */
static void links_index(struct trace_reader *r)
{
    free(r->fork_idx);
    free(r->exec_idx);
    r->fork_idx = link_sorted(r, r->nfiles);
    r->exec_idx = link_sorted(r, r->nfiles);
    r->nfork_idx = r->nexec_idx = 0;
    for (uint32_t i = 0; i < r->nfiles; i++) {
        const struct trace_process *p = &r->procs[i];
        if (p->parent >= 0)
            r->fork_idx[r->nfork_idx++] =
                (struct link_ent){(uint32_t)p->parent, r->files[i].pid, 0, i};
        if (p->exec_from >= 0)
            r->exec_idx[r->nexec_idx++] =
                (struct link_ent){(uint32_t)p->exec_from, 0, 0, i};
    }
    qsort(r->fork_idx, r->nfork_idx, sizeof *r->fork_idx, cmp_link);
    qsort(r->exec_idx, r->nexec_idx, sizeof *r->exec_idx, cmp_link);
}

/* The parent image of every image (the latest image of its ppid that
 * began no later than it) and the image each exec'd from (same pid,
 * image - 1), then the indexes the merge gates look these up in: all in
 * O(n log n) for n images. */
static void process_links(struct trace_reader *r)
{
    uint32_t n = r->nfiles;
    struct link_ent *by_start = link_sorted(r, n),
                    *by_image = link_sorted(r, n);
    for (uint32_t i = 0; i < n; i++) {
        const struct rfile *f = &r->files[i];
        by_start[i] = (struct link_ent){f->pid, 0, f->start_mono, i};
        by_image[i] = (struct link_ent){f->pid, f->image, 0, i};
    }
    qsort(by_start, n, sizeof *by_start, cmp_link);
    qsort(by_image, n, sizeof *by_image, cmp_link);
    for (uint32_t i = 0; i < n; i++) {
        const struct rfile *f = &r->files[i];
        struct trace_process *p = &r->procs[i];
        p->parent = link_last(
            r, by_start, n, (struct link_ent){f->ppid, 0, f->start_mono, 0}, i);
        p->exec_from =
            f->image > 0
                ? link_last(r, by_image, n,
                            (struct link_ent){f->pid, f->image - 1, 0, 0}, i)
                : -1;
    }
    free(by_start);
    free(by_image);
    links_index(r);
}

/* Fill the public process and thread lists from what the scans found. */
static void publish_lists(struct trace_reader *r)
{
    for (uint32_t i = 0; i < r->nfiles; i++) {
        const struct rfile *f = &r->files[i];
        const struct trace_file_header *h = (const void *)f->map;
        struct trace_process *p = &r->procs[i];
        p->pid = f->pid;
        p->ppid = f->ppid;
        p->image = f->image;
        p->flags = load32(&h->flags);
        p->exe = f->exe;
        p->cmdline = f->cmdline;
        p->path = f->path;
        p->lost_events = load64(&h->lost_events);
        p->start_ns = clock_ts(r, f->clock_kind, f->start_clock);
        uint64_t end_clock = 0;
        p->exited = file_exited(f, &end_clock, &p->exit_status);
        if (!p->exited)
            p->exit_status = 0;
        p->end_ns = p->exited && end_clock
                        ? clock_ts(r, f->clock_kind, end_clock)
                        : p->start_ns;
    }
    for (uint32_t i = 0; i < r->nthr; i++) {
        const struct rthread *t = &r->thr[i];
        struct trace_thread *q = &r->pub[i];
        uint32_t kind = r->files[t->file].clock_kind;
        q->proc = t->file;
        q->tid = t->tid;
        q->serial = t->serial;
        snprintf(q->name, sizeof q->name, "%s", t->name);
        q->events = t->events;
        q->lost_events = t->lost;
        q->first_ns = t->any ? clock_ts(r, kind, t->first_clock) : 0;
        q->last_ns = t->any ? clock_ts(r, kind, t->last_clock) : 0;
        struct trace_process *p = &r->procs[t->file];
        uint64_t end_clock;
        bool clean_end =
            file_exited(&r->files[t->file], &end_clock, NULL) && end_clock;
        if (!clean_end && q->last_ns > p->end_ns)
            p->end_ns = q->last_ns; /* no end pair: the last event */
    }
}

/* ---- merge: heap, sequence map, gates ---- */

/* Heap entries carry their key, so sifting touches only the heap. */
static inline bool entry_less(const struct heap_entry *a,
                              const struct heap_entry *b)
{
    return a->key < b->key || (a->key == b->key && a->t < b->t);
}

static inline void heap_set(struct trace_reader *r, uint32_t at,
                            struct heap_entry e)
{
    r->heap[at] = e;
    r->thr[e.t].heap_pos = at;
}

static void heap_up(struct trace_reader *r, uint32_t at)
{
    struct heap_entry e = r->heap[at];
    while (at > 0) {
        uint32_t up = (at - 1) / 2;
        if (!entry_less(&e, &r->heap[up]))
            break;
        heap_set(r, at, r->heap[up]);
        at = up;
    }
    heap_set(r, at, e);
}

static void heap_down(struct trace_reader *r, uint32_t at)
{
    struct heap_entry e = r->heap[at];
    uint32_t start = at;
    for (;;) {
        uint32_t l = 2 * at + 1, m;
        if (l >= r->nheap)
            break;
        m = l;
        if (l + 1 < r->nheap && entry_less(&r->heap[l + 1], &r->heap[l]))
            m = l + 1;
        if (!entry_less(&r->heap[m], &e))
            break;
        heap_set(r, at, r->heap[m]);
        at = m;
    }
    if (at != start)
        heap_set(r, at, e);
}

static void heap_push(struct trace_reader *r, uint32_t t)
{
    r->heap = xgrow(r->heap, &r->capheap, r->nheap + 1, sizeof *r->heap);
    heap_set(r, r->nheap++, (struct heap_entry){r->thr[t].key, t});
    heap_up(r, r->nheap - 1);
}

static void heap_remove(struct trace_reader *r, uint32_t t)
{
    uint32_t at = r->thr[t].heap_pos;
    r->thr[t].heap_pos = NONE;
    struct heap_entry last = r->heap[--r->nheap];
    if (at == r->nheap)
        return;
    heap_set(r, at, last);
    heap_up(r, at);
    heap_down(r, r->thr[last.t].heap_pos);
}

/* Whether the entry at `at` is no greater than its children: then a
 * key that grew leaves it in place (the common case: the thread just
 * emitted is still the earliest), and no sift is needed. */
static inline bool heap_in_order(const struct trace_reader *r, uint32_t at)
{
    uint32_t l = 2 * at + 1;
    const struct heap_entry *h = r->heap;
    return l >= r->nheap ||
           (!entry_less(&h[l], &h[at]) &&
            (l + 1 >= r->nheap || !entry_less(&h[l + 1], &h[at])));
}

/* The thread's key changed from old_key: move its entry. */
static inline void heap_rekey(struct trace_reader *r, uint32_t t,
                              uint64_t old_key)
{
    uint32_t at = r->thr[t].heap_pos;
    r->heap[at].key = r->thr[t].key;
    if (r->thr[t].key < old_key)
        heap_up(r, at);
    else if (!heap_in_order(r, at))
        heap_down(r, at);
}

/* The sequence map: object -> threads whose head is a TF_SEQ event on
 * it (open addressing, backward-shift deletion). */
static inline uint32_t seq_hash(const struct trace_reader *r, uint64_t obj)
{
    return (uint32_t)((obj * 0x9e3779b97f4a7c15ull) >> 32) & (r->seq_cap - 1);
}

static uint32_t seq_slot(const struct trace_reader *r, uint64_t obj)
{
    uint32_t i = seq_hash(r, obj);
    while (r->seq_keys[i] && r->seq_keys[i] != obj)
        i = (i + 1) & (r->seq_cap - 1);
    return i;
}

static void seq_insert(struct trace_reader *r, uint32_t ti);

static void seq_grow(struct trace_reader *r)
{
    uint64_t *ok = r->seq_keys;
    uint32_t *of = r->seq_first, oc = r->seq_cap;
    r->seq_cap = oc ? oc * 2 : 64;
    r->seq_keys = xcalloc(r->seq_cap, sizeof *r->seq_keys);
    r->seq_first = xcalloc(r->seq_cap, sizeof *r->seq_first);
    r->seq_count = 0;
    for (uint32_t i = 0; i < oc; i++) {
        uint32_t t = ok[i] ? of[i] : NONE;
        while (t != NONE) {
            uint32_t next = r->thr[t].seq_next;
            r->thr[t].in_seqmap = false;
            seq_insert(r, t);
            t = next;
        }
    }
    free(ok);
    free(of);
}

static void seq_insert(struct trace_reader *r, uint32_t ti)
{
    struct rthread *t = &r->thr[ti];
    if (2 * (r->seq_count + 1) > r->seq_cap)
        seq_grow(r);
    uint32_t s = seq_slot(r, t->head_obj);
    t->seq_prev = NONE;
    if (!r->seq_keys[s]) {
        r->seq_keys[s] = t->head_obj;
        t->seq_next = NONE;
        r->seq_count++;
    } else {
        t->seq_next = r->seq_first[s];
        r->thr[t->seq_next].seq_prev = ti;
    }
    r->seq_first[s] = ti;
    t->in_seqmap = true;
}

static void seq_delete_slot(struct trace_reader *r, uint32_t s)
{
    uint32_t mask = r->seq_cap - 1;
    r->seq_keys[s] = 0;
    r->seq_count--;
    for (uint32_t i = (s + 1) & mask; r->seq_keys[i]; i = (i + 1) & mask) {
        uint32_t h = seq_hash(r, r->seq_keys[i]);
        /* move i back to s if its home is not in (s, i] */
        if ((i > s && (h <= s || h > i)) || (i < s && h <= s && h > i)) {
            r->seq_keys[s] = r->seq_keys[i];
            r->seq_first[s] = r->seq_first[i];
            r->seq_keys[i] = 0;
            s = i;
        }
    }
}

static void seq_remove(struct trace_reader *r, uint32_t ti)
{
    struct rthread *t = &r->thr[ti];
    if (!t->in_seqmap)
        return;
    t->in_seqmap = false;
    if (t->seq_next != NONE)
        r->thr[t->seq_next].seq_prev = t->seq_prev;
    if (t->seq_prev != NONE) {
        r->thr[t->seq_prev].seq_next = t->seq_next;
        return;
    }
    uint32_t s = seq_slot(r, t->head_obj);
    if (t->seq_next != NONE)
        r->seq_first[s] = t->seq_next;
    else
        seq_delete_slot(r, s);
}

static inline bool head_is_seq(const struct rthread *t)
{
    /* seq 0: the trace orders this object by its fenced clock alone */
    return (decode_flags[t->head_type] & TF_SEQ) && t->head_obj && t->head_seq;
}

/* Put a thread with a decoded head into the heap. */
static void thread_enter_heap(struct trace_reader *r, uint32_t ti)
{
    struct rthread *t = &r->thr[ti];
    t->state = TS_ACTIVE;
    t->key = merge_key(r, t->file, t->raw.clock);
    heap_push(r, ti);
    if (head_is_seq(t))
        seq_insert(r, ti);
}

/* What the merge needs to know of a freshly decoded head. */
static inline void head_resolve(struct rthread *t)
{
    uint64_t w0 = t->raw.w0;
    t->head_type = TRACE_W0_TYPE(w0);
    t->head_seq = TRACE_W0_SEQ(w0);
    t->head_obj = t->raw.obj;
}

/* Decode a thread's next event into its head.  1, 0 end, -1 corrupt. */
static int thread_load_head(struct trace_reader *r, struct rthread *t,
                            struct trace_error *err)
{
    if (!t->tab) {
        t->tab = tables_get(r);
        cursor_replay(r, t, &t->dec, t->tab);
    }
    struct cursor *c = &t->dec;
    if (!cursor_next_in_chunk(c, t->tab, &t->raw)) {
        int rc = thread_step(r, t, c, t->tab, false, &t->raw, err);
        if (rc <= 0)
            return rc;
    }
    head_resolve(t);
    return 1;
}

/* The held threads: a min-heap on their key, so the valve and a stuck
 * merge look at the earliest alone (every thread of a big fork tree may
 * be held at once). */
static inline bool held_less(const struct trace_reader *r, uint32_t a,
                             uint32_t b)
{
    const struct rthread *x = &r->thr[a], *y = &r->thr[b];
    return x->key < y->key || (x->key == y->key && a < b);
}

static inline void held_set(struct trace_reader *r, uint32_t at, uint32_t ti)
{
    r->held[at] = ti;
    r->thr[ti].held_pos = at;
    r->work.gate_steps++;
}

static void held_sift(struct trace_reader *r, uint32_t at)
{
    uint32_t ti = r->held[at];
    while (at > 0 && held_less(r, ti, r->held[(at - 1) / 2])) {
        held_set(r, at, r->held[(at - 1) / 2]);
        at = (at - 1) / 2;
    }
    for (;;) {
        uint32_t m = 2 * at + 1;
        if (m >= r->nheld)
            break;
        if (m + 1 < r->nheld && held_less(r, r->held[m + 1], r->held[m]))
            m++;
        if (!held_less(r, r->held[m], ti))
            break;
        held_set(r, at, r->held[m]);
        at = m;
    }
    held_set(r, at, ti);
}

static void held_heap_push(struct trace_reader *r, uint32_t ti)
{
    r->held = xgrow(r->held, &r->capheld, r->nheld + 1, sizeof *r->held);
    r->held[r->nheld++] = ti;
    held_sift(r, r->nheld - 1);
}

static void held_heap_remove(struct trace_reader *r, uint32_t at)
{
    r->thr[r->held[at]].held_pos = NONE;
    uint32_t last = r->held[--r->nheld];
    if (at == r->nheld)
        return;
    r->held[at] = last;
    held_sift(r, at);
}

/* Whether a thread's first event must wait for another event. */
static bool thread_gated(const struct trace_reader *r, const struct rthread *t)
{
    const struct rfile *f = &r->files[t->file];
    const struct trace_process *p = &r->procs[t->file];
    if (t->head_type == TRACE_EV_THREAD_START && t->raw.arg != CREATOR_NONE &&
        t->raw.arg != t->serial)
        return !(t->serial < f->nserial && f->serial_created[t->serial]);
    if (t->serial != 0 || t->head_type != TRACE_EV_PROCESS_START)
        return false;
    if ((f->flags & TRACE_FILE_FORKED) && p->parent >= 0 && !f->fork_seen)
        return true;
    if ((f->flags & TRACE_FILE_EXECED) && p->exec_from >= 0 &&
        !r->files[p->exec_from].exec_emitted)
        return true;
    return false;
}

static void thread_drop_tables(struct trace_reader *r, struct rthread *t)
{
    tables_put(r, t->tab);
    t->tab = NULL;
}

/* After a head was consumed (or for a dormant thread): decode the next
 * one and place the thread where it belongs. */
static void thread_advance(struct trace_reader *r, uint32_t ti)
{
    struct rthread *t = &r->thr[ti];
    struct trace_error err;
    bool in_heap = t->heap_pos != NONE;
    if (t->in_seqmap)
        seq_remove(r, ti);
    uint64_t old_key = t->key;
    int rc = thread_load_head(r, t, &err);
    if (__builtin_expect(rc > 0 && t->started && in_heap, 1)) {
        t->key = merge_key(r, t->file, t->raw.clock);
        heap_rekey(r, ti, old_key);
        if (head_is_seq(t))
            seq_insert(r, ti);
        return;
    }
    if (rc > 0) {
        bool first = !t->started;
        t->started = true;
        if (first && thread_gated(r, t)) {
            if (in_heap)
                heap_remove(r, ti);
            t->state = TS_HELD;
            t->key = merge_key(r, t->file, t->raw.clock);
            held_heap_push(r, ti);
            return;
        }
        t->state = TS_ACTIVE;
        t->key = merge_key(r, t->file, t->raw.clock);
        if (in_heap)
            heap_rekey(r, ti, old_key);
        else
            heap_push(r, ti);
        if (head_is_seq(t))
            seq_insert(r, ti);
        return;
    }
    if (in_heap)
        heap_remove(r, ti);
    thread_drop_tables(r, t);
    if (rc < 0) {
        t->state = TS_FAILED;
        errq_push(r, err.msg);
    } else {
        t->state = TS_IDLE;
    }
}

/* Release the held thread at heap position i into the merge. */
static void held_release(struct trace_reader *r, uint32_t i)
{
    uint32_t ti = r->held[i];
    held_heap_remove(r, i);
    thread_enter_heap(r, ti);
}

static void held_release_thread(struct trace_reader *r, uint32_t ti)
{
    r->work.gate_steps++;
    uint32_t i = r->thr[ti].held_pos;
    if (i < r->nheld && r->held[i] == ti)
        held_release(r, i);
}

static void held_release_main_of(struct trace_reader *r, uint32_t file)
{
    int32_t ti = thread_lookup(&r->files[file], 0);
    if (ti >= 0 && r->thr[ti].state == TS_HELD)
        held_release_thread(r, (uint32_t)ti);
}

/* Open the gates an image's fork (`pid`) or exec opened: the images
 * of idx filed under (file, pid), found by binary search. */
static void gates_open(struct trace_reader *r, const struct link_ent *idx,
                       uint32_t n, uint32_t file, uint32_t pid, bool fork)
{
    struct link_ent key = {file, pid, 0, 0};
    for (uint32_t i = link_bound(r, idx, n, key, false);
         i < n && idx[i].a == file && idx[i].b == pid; i++) {
        struct rfile *child = &r->files[idx[i].file];
        r->work.gate_steps++;
        if (fork) {
            if (child->fork_seen)
                continue;
            child->fork_seen = true;
        }
        held_release_main_of(r, idx[i].file);
    }
}

static bool fork_recorded(const struct rfile *parent, uint32_t pid)
{
    for (uint32_t i = 0; i < parent->nforks; i++)
        if (parent->fork_pids[i] == pid)
            return true;
    return false;
}

/* Gates opened by an event just emitted, and the safety valve: a gate
 * whose event never comes (lost) opens once the merge is VALVE_NS past
 * the waiting thread's first event. */
static void gates_on_emit(struct trace_reader *r, const struct rthread *t,
                          const struct trace_event *ev)
{
    struct rfile *f = &r->files[t->file];
    switch (ev->type) {
    case TRACE_EV_THREAD_CREATE:
        if (ev->arg < SERIAL_CAP) {
            serial_reserve(f, ev->arg);
            f->serial_created[ev->arg] = 1;
            int32_t c = thread_lookup(f, ev->arg);
            if (c >= 0 && r->thr[c].state == TS_HELD)
                held_release_thread(r, (uint32_t)c);
        }
        break;
    case TRACE_EV_FORK:
        f->fork_pids = xgrow(f->fork_pids, &f->capforks, f->nforks + 1,
                             sizeof *f->fork_pids);
        f->fork_pids[f->nforks++] = ev->arg;
        gates_open(r, r->fork_idx, r->nfork_idx, t->file, ev->arg, true);
        break;
    case TRACE_EV_EXEC:
        f->exec_emitted = true;
        gates_open(r, r->exec_idx, r->nexec_idx, t->file, 0, false);
        break;
    default:
        break;
    }
    if (!r->nheld)
        return;
    uint64_t key = merge_key(r, t->file, ev->clock);
    while (r->nheld && key > r->thr[r->held[0]].key + r->valve) {
        r->work.gate_steps++;
        held_release(r, 0);
    }
}

/* The common case of thread_advance(), inlined into the merge loop: the
 * next event lies in the same chunk of a thread already in the heap. */
static inline bool thread_advance_fast(struct trace_reader *r,
                                       struct rthread *t)
{
    if (!t->tab || !t->started || t->heap_pos == NONE)
        return false;
    uint32_t ti = t->index;
    if (t->in_seqmap)
        seq_remove(r, ti);
    if (!cursor_next_in_chunk(&t->dec, t->tab, &t->raw))
        return false;
    head_resolve(t);
    uint64_t old_key = t->key;
    t->key = merge_key(r, t->file, t->raw.clock);
    heap_rekey(r, ti, old_key);
    if (head_is_seq(t))
        seq_insert(r, ti);
    return true;
}

/* Nothing else can go: open the earliest gate (its event was lost or
 * recorded in a way the reader does not match). */
static bool held_release_stuck(struct trace_reader *r)
{
    if (!r->nheld)
        return false;
    /* the earliest is the heap's top */
    if (r->live && r->thr[r->held[0]].key + r->valve > r->max_key)
        return false; /* live: its creator may simply not be visible yet */
    held_release(r, 0);
    return true;
}

/* The thread whose head goes next: the smallest clock, unless a head
 * on the same object carries an earlier sequence number. */
static struct rthread *merge_pick(struct trace_reader *r)
{
    for (;;) {
        if (!r->nheap) {
            if (held_release_stuck(r))
                continue;
            return NULL;
        }
        uint32_t ti = r->heap[0].t;
        struct rthread *t = &r->thr[ti];
        if (t->state == TS_DORMANT) {
            thread_advance(r, ti);
            continue;
        }
        if (!t->in_seqmap)
            return t;
        uint32_t s = seq_slot(r, t->head_obj);
        struct rthread *best = t;
        for (uint32_t u = r->seq_first[s]; u != NONE; u = r->thr[u].seq_next)
            if (trace_seq_before(r->thr[u].head_seq, best->head_seq))
                best = &r->thr[u];
        return best;
    }
}

static void thread_make_dormant(struct trace_reader *r, uint32_t ti)
{
    struct rthread *t = &r->thr[ti];
    t->state = TS_DORMANT;
    t->key = merge_key(r, t->file, t->chunks[0].base_clock);
    heap_push(r, ti);
}

/* ---- opening ---- */

/* Record why a file is not (yet) a process; `seen`: it may be there
 * already (only then is the list searched). */
static int pend_add(struct trace_reader *r, const char *path,
                    const struct trace_error *e, bool fatal, bool seen)
{
    for (uint32_t i = 0; seen && i < r->npend; i++)
        if (strcmp(r->pend[i].path, path) == 0) {
            snprintf(r->pend[i].msg, sizeof r->pend[i].msg, "%s", e->msg);
            r->pend[i].fatal = fatal;
            return 0;
        }
    r->pend = xgrow(r->pend, &r->cappend, r->npend + 1, sizeof *r->pend);
    struct pending *p = &r->pend[r->npend++];
    p->path = xstrdup(path);
    snprintf(p->msg, sizeof p->msg, "%s", e->msg);
    p->fatal = fatal;
    return 0;
}

static void pend_remove(struct trace_reader *r, uint32_t i)
{
    free(r->pend[i].path);
    r->pend[i] = r->pend[--r->npend];
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths that need no second look (process files, files that are
 * bad for good; pending: files that may still become valid), sorted for
 * bsearch: a live poll of a trace with thousands of processes stays
 * cheap. */
static const char **known_paths(const struct trace_reader *r, bool pending,
                                size_t *n)
{
    const char **k = xcalloc(r->nfiles + r->npend + 1, sizeof *k);
    size_t m = 0;
    for (uint32_t i = 0; i < r->nfiles && !pending; i++)
        k[m++] = r->files[i].path;
    for (uint32_t i = 0; i < r->npend; i++)
        if (r->pend[i].fatal != pending)
            k[m++] = r->pend[i].path;
    qsort(k, m, sizeof *k, cmp_str);
    *n = m;
    return k;
}

/* Try to add a process file (`pending`: one seen before, not yet
 * valid).  1 added, 0 pending/invalid (recorded). */
static int file_add(struct trace_reader *r, const char *path, bool pending)
{
    struct rfile f;
    memset(&f, 0, sizeof f);
    f.path = xstrdup(path);
    struct trace_error e;
    int rc = file_map(&f, &e);
    bool fatal = rc == -2; /* not a regular file */
    if (rc == 0)
        rc = header_check(&f, &e);
    if (rc <= 0) {
        pend_add(r, path, &e, fatal || (rc < 0 && f.size >= PAGE), pending);
        file_unmap_all(&f);
        free(f.old);
        free(f.path);
        return 0;
    }
    for (uint32_t i = 0; pending && i < r->npend; i++)
        if (strcmp(r->pend[i].path, path) == 0)
            pend_remove(r, i--);
    header_load(&f);
    r->files = xgrow(r->files, &r->capfiles, r->nfiles + 1, sizeof f);
    r->procs = xgrow(r->procs, &r->capprocs, r->nfiles + 1, sizeof *r->procs);
    memset(&r->procs[r->nfiles], 0, sizeof *r->procs);
    if (r->nfiles == 0)
        r->kind = f.clock_kind;
    else if (f.clock_kind != r->kind)
        r->mixed = true;
    r->files[r->nfiles++] = f;
    return 1;
}

/* List the process files of the directory not known yet, sorted. */
static char **dir_list(const char *dir, size_t *n, struct trace_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        if (e == ENOENT)
            err_set(err,
                    "%s: no such trace directory (record one with "
                    "`ctrace run -o %s PROGRAM`)",
                    dir, dir);
        else if (e == ENOTDIR)
            err_set(err,
                    "%s: not a directory: a trace is a directory made "
                    "by `ctrace run`",
                    dir);
        else
            err_set(err, "%s: cannot open the trace directory: %s", dir,
                    strerror(e));
        return NULL;
    }
    char **names = NULL;
    uint32_t cnt = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!name_is_process_file(de->d_name))
            continue;
        names = xgrow(names, &cap, cnt + 1, sizeof *names);
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        names[cnt] = xcalloc(len, 1);
        snprintf(names[cnt], len, "%s/%s", dir, de->d_name);
        cnt++;
    }
    closedir(d);
    if (cnt)
        qsort(names, cnt, sizeof *names, cmp_str);
    *n = cnt;
    return names ? names : xcalloc(1, sizeof *names);
}

static void dir_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Add the directory's new files; returns how many were added. */
static int dir_scan(struct trace_reader *r, struct trace_error *err)
{
    size_t n = 0;
    char **names = dir_list(r->dir, &n, err);
    if (!names)
        return -1;
    size_t nk, np;
    const char **known = known_paths(r, false, &nk);
    const char **pending = known_paths(r, true, &np);
    int added = 0;
    for (size_t i = 0; i < n; i++)
        if (!bsearch(&names[i], known, nk, sizeof *known, cmp_str))
            added += file_add(
                r, names[i],
                bsearch(&names[i], pending, np, sizeof *pending, cmp_str));
    free(known);
    free(pending);
    dir_list_free(names, n);
    return added;
}

static int cmp_file_start(const void *a, const void *b)
{
    const struct rfile *x = a, *y = b;
    if (x->start_mono != y->start_mono)
        return x->start_mono < y->start_mono ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->image < y->image ? -1 : x->image > y->image;
}

static int cmp_thread(const void *a, const void *b)
{
    const struct rthread *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static void file_add_pairs(struct trace_reader *r, const struct rfile *f)
{
    if (f->clock_kind != TRACE_CLOCK_TSC)
        return;
    fit_add(&r->fit, f->start_clock, f->start_mono);
    const struct trace_file_header *h = (const void *)f->map;
    uint64_t end_clock;
    if (file_exited(f, &end_clock, NULL) && end_clock)
        fit_add(&r->fit, end_clock, load64(&h->end_mono_ns));
}

static void origin_setup(struct trace_reader *r);

/* Walk every file (pairs from files [from_file, nfiles) are new) and
 * scan every thread that has something new. */
static void reader_refresh(struct trace_reader *r, uint32_t from_file)
{
    for (uint32_t i = 0; i < r->nfiles; i++) {
        if (i >= from_file)
            file_add_pairs(r, &r->files[i]);
        file_walk(r, i);
    }
    if (!r->origin_set) { /* first time: number threads by (process, serial) */
        if (r->nthr > 1)
            qsort(r->thr, r->nthr, sizeof *r->thr, cmp_thread);
        for (uint32_t i = 0; i < r->nthr; i++) {
            r->thr[i].index = i;
            r->files[r->thr[i].file].serial_thread[r->thr[i].serial] =
                (int32_t)i;
        }
    }
    clock_setup(r);
    for (uint32_t i = 0; i < r->nthr; i++)
        if (scan_has_new(r, &r->thr[i]))
            thread_scan(r, &r->thr[i]);
    if (!r->origin_set)
        origin_setup(r);
    names_resolve(r);
    publish_lists(r);
}

static void origin_setup(struct trace_reader *r)
{
    uint64_t o = UINT64_MAX;
    for (uint32_t i = 0; i < r->nfiles; i++) {
        uint64_t m =
            clock_mono(r, r->files[i].clock_kind, r->files[i].start_clock);
        if (m < o)
            o = m;
    }
    for (uint32_t i = 0; i < r->nthr; i++)
        if (r->thr[i].any) {
            uint64_t m = clock_mono(r, r->files[r->thr[i].file].clock_kind,
                                    r->thr[i].first_clock);
            if (m < o)
                o = m;
        }
    r->origin = o == UINT64_MAX ? 0 : o;
    r->origin_set = true;
}

struct trace_reader *trace_reader_open(const char *dir, struct trace_error *err)
{
    struct trace_reader *r = xcalloc(1, sizeof *r);
    r->dir = xstrdup(dir);
    scan_kinds_init(r->scan_kind);
    if (dir_scan(r, err) < 0) {
        trace_reader_close(r);
        return NULL;
    }
    if (r->nfiles == 0) {
        if (r->npend)
            err_set(err, "%s", r->pend[0].msg);
        else
            err_set(err,
                    "%s: no process files (p<pid>.<k>.ctrace): not a "
                    "ctrace trace directory, or the program was never "
                    "recorded",
                    dir);
        trace_reader_close(r);
        return NULL;
    }
    qsort(r->files, r->nfiles, sizeof *r->files, cmp_file_start);
    r->kind = r->files[0].clock_kind;
    process_links(r);
    reader_refresh(r, 0);
    for (uint32_t i = 0; i < r->nthr; i++)
        if (r->thr[i].nchunks)
            thread_make_dormant(r, i);
    r->new_events = 0;
    return r;
}

void trace_reader_close(struct trace_reader *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->nfiles; i++) {
        struct rfile *f = &r->files[i];
        file_unmap_all(f);
        free(f->old);
        free(f->path);
        free(f->koff);
        free(f->ksize);
        free(f->bad);
        free(f->serial_thread);
        free(f->serial_created);
        free(f->fork_pids);
    }
    for (uint32_t i = 0; i < r->npend; i++)
        free(r->pend[i].path);
    for (uint32_t i = 0; i < r->nthr; i++) {
        free(r->thr[i].chunks);
        free(r->thr[i].tab);
    }
    while (r->spare) {
        struct slot_tables *s = r->spare;
        r->spare = *(struct slot_tables **)s;
        free(s);
    }
    free(r->scan_tab);
    free(r->files);
    free(r->procs);
    free(r->pend);
    free(r->thr);
    free(r->pub);
    free(r->names);
    free(r->heap);
    free(r->held);
    free(r->fork_idx);
    free(r->exec_idx);
    free(r->seq_keys);
    free(r->seq_first);
    free(r->errq);
    free(r->dir);
    free(r);
}

/* ---- iteration ---- */

/* Problems that only count as corruption once the trace is known to be
 * complete: files whose header never appeared, files cut short. */
/* Whether a file that recorded its end was cut short; err says so. */
static bool file_truncated(const struct rfile *f, struct trace_error *err)
{
    const struct trace_file_header *h = (const void *)f->map;
    uint64_t file_end = load64(&h->file_end);
    if (!file_exited(f, NULL, NULL) || file_end <= f->size ||
        load64(&h->lost_events) != 0)
        return false;
    err_set(err,
            "%s: offset %llu: the file ends before its last chunk (which "
            "ends at %llu): truncated file",
            f->path, (unsigned long long)f->size, (unsigned long long)file_end);
    return true;
}

static void report_deferred(struct trace_reader *r)
{
    if (r->live || r->deferred_done)
        return;
    r->deferred_done = true;
    for (uint32_t i = 0; i < r->npend; i++)
        errq_push(r, r->pend[i].msg);
    struct trace_error e;
    for (uint32_t i = 0; i < r->nfiles; i++)
        if (file_truncated(&r->files[i], &e))
            errq_push(r, e.msg);
}

bool trace_reader_damage(const struct trace_reader *r, struct trace_error *err)
{
    if (r->first_err[0]) {
        snprintf(err->msg, sizeof err->msg, "%s", r->first_err);
        return true;
    }
    if (r->live) /* pending and short files may still be written */
        return false;
    if (r->npend) {
        snprintf(err->msg, sizeof err->msg, "%s", r->pend[0].msg);
        return true;
    }
    for (uint32_t i = 0; i < r->nfiles; i++)
        if (file_truncated(&r->files[i], err))
            return true;
    return false;
}

int trace_reader_next(struct trace_reader *r, struct trace_event *ev,
                      struct trace_error *err)
{
    if (errq_pop(r, err))
        return -1;
    struct rthread *t = merge_pick(r);
    if (!t) {
        if (errq_pop(r, err))
            return -1;
        report_deferred(r);
        return errq_pop(r, err) ? -1 : 0;
    }
    event_fill(t, &t->dec, t->tab, &t->raw, ev);
    ev->ts_ns = clock_ts(r, t->kind, ev->clock);
    if (!thread_advance_fast(r, t))
        thread_advance(r, t->index);
    gates_on_emit(r, t, ev);
    return 1;
}

/* ---- live mode ---- */

int trace_reader_poll(struct trace_reader *r, struct trace_error *err)
{
    r->live = true;
    uint32_t old_files = r->nfiles, old_threads = r->nthr;
    if (dir_scan(r, err) < 0)
        return -1;
    for (uint32_t i = 0; i < old_files; i++) {
        if (file_map(&r->files[i], err) < 0)
            return -1;
    }
    if (r->nfiles != old_files) {
        process_links(r);
        for (uint32_t i = old_files; i < r->nfiles; i++) {
            struct rfile *f = &r->files[i];
            int parent = r->procs[i].parent;
            if (parent >= 0 && fork_recorded(&r->files[parent], f->pid))
                f->fork_seen = true;
        }
    }
    for (uint32_t i = 0; i < r->nthr; i++) /* mappings and `used` move */
        r->thr[i].scan.end = r->thr[i].dec.end = 0;
    r->new_events = 0;
    reader_refresh(r, old_files);
    for (uint32_t i = 0; i < r->nthr; i++) {
        struct rthread *t = &r->thr[i];
        if (i >= old_threads && t->state == TS_DORMANT && t->heap_pos == NONE &&
            t->nchunks)
            thread_make_dormant(r, i);
        else if (t->state == TS_IDLE)
            thread_advance(r, i);
    }
    uint64_t n = r->new_events;
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* ---- accessors ---- */

size_t trace_reader_process_count(const struct trace_reader *r)
{
    return r->nfiles;
}

const struct trace_process *trace_reader_process(const struct trace_reader *r,
                                                 size_t i)
{
    return i < r->nfiles ? &r->procs[i] : NULL;
}

size_t trace_reader_thread_count(const struct trace_reader *r)
{
    return r->nthr;
}

const struct trace_thread *trace_reader_thread(const struct trace_reader *r,
                                               size_t i)
{
    return i < r->nthr ? &r->pub[i] : NULL;
}

uint64_t trace_reader_lost_events(const struct trace_reader *r)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < r->nfiles; i++) {
        const struct trace_file_header *h = (const void *)r->files[i].map;
        n += load64(&h->lost_events);
    }
    return n;
}

/* ---- one thread alone (viewers) ----
 * A thread's own events in program order from a point in time, outside
 * the merge: its own cursor and slot tables, so it never disturbs
 * trace_reader_next().  The thread's chunk list (offset and base clock
 * per chunk, kept by the scan) is the sparse index that makes the seek
 * cost at most one chunk of records. */

struct trace_thread_reader {
    struct trace_reader *r;
    uint32_t thread;
    struct cursor c;
    struct slot_tables *tab;
};

/* The latest chunk of t that begins at or before from_ns (0 if none). */
static uint32_t thread_chunk_at(const struct trace_reader *r,
                                const struct rthread *t, uint64_t from_ns)
{
    uint32_t lo = 0, hi = t->nchunks;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (clock_ts(r, t->kind, t->chunks[mid].base_clock) <= from_ns)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

struct trace_thread_reader *trace_thread_reader_open(struct trace_reader *r,
                                                     size_t thread,
                                                     uint64_t from_ns)
{
    if (thread >= r->nthr)
        return NULL;
    const struct rthread *t = &r->thr[thread];
    struct trace_thread_reader *tr = xcalloc(1, sizeof *tr);
    tr->r = r;
    tr->thread = (uint32_t)thread;
    tr->tab = xcalloc(1, sizeof *tr->tab);
    if (t->nchunks) {
        tr->c.ci = thread_chunk_at(r, t, from_ns);
        tr->c.next_index = t->chunks[tr->c.ci].index;
    }
    return tr;
}

int trace_thread_reader_next(struct trace_thread_reader *tr,
                             struct trace_event *ev, struct trace_error *err)
{
    struct trace_reader *r = tr->r;
    struct rthread *t = &r->thr[tr->thread];
    struct rawev raw;
    if (!tr->tab) { /* parked: rebuild the slots of the current chunk */
        tr->tab = xcalloc(1, sizeof *tr->tab);
        cursor_replay(r, t, &tr->c, tr->tab);
    }
    if (!cursor_next_in_chunk(&tr->c, tr->tab, &raw)) {
        if (t->nchunks == 0)
            return 0;
        int rc = thread_step(r, t, &tr->c, tr->tab, false, &raw, err);
        if (rc <= 0)
            return rc;
    }
    event_fill(t, &tr->c, tr->tab, &raw, ev);
    ev->ts_ns = clock_ts(r, t->kind, ev->clock);
    return 1;
}

void trace_thread_reader_park(struct trace_thread_reader *tr)
{
    free(tr->tab);
    tr->tab = NULL;
}

void trace_thread_reader_close(struct trace_thread_reader *tr)
{
    if (!tr)
        return;
    free(tr->tab);
    free(tr);
}

uint64_t trace_reader_start_real_ns(const struct trace_reader *r)
{
    if (!r->nfiles)
        return 0;
    /* Each image's header pairs CLOCK_REALTIME and CLOCK_MONOTONIC at
     * its start; the first image's pair places ts_ns 0. */
    const struct rfile *f = &r->files[0];
    int64_t since = (int64_t)(f->start_mono - r->origin);
    return f->start_real > (uint64_t)since ? f->start_real - (uint64_t)since
                                           : 0;
}

uint64_t trace_reader_now_ns(const struct trace_reader *r)
{
#if defined(__x86_64__) || defined(__i386__)
    if (r->kind == TRACE_CLOCK_TSC && !r->mixed) {
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return clock_ts(r, r->kind, ((uint64_t)hi << 32) | lo);
    }
#endif
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t mono = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return mono > r->origin ? mono - r->origin : 0;
}

void trace_reader_work(const struct trace_reader *r,
                       struct trace_reader_work *w)
{
    *w = r->work;
}
