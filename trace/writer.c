/* The trace writer (see writer.h): process files, chunk allocation and
 * record encoding.  Runs inside the traced program: raw syscalls through
 * libc's thin wrappers only, no malloc, no stdio, no locks, and no file
 * descriptor left open once a function returns. */
#include "writer.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_WORDS(size) (((size)-TRACE_CHUNK_HEADER_SIZE) / TRACE_WORD_SIZE)
#define COMPILER_BARRIER() __asm__ __volatile__("" ::: "memory")
#define LOST_RETRY_EVERY 4096u

uint64_t trace_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t trace_clock_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int trace_rdtscp;

/* TSC only when the kernel itself uses it as its clocksource: then it is
 * invariant and synchronised across cores. */
uint32_t trace_clock_pick(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d))
        trace_rdtscp = (d >> 27) & 1u;
    char buf[32];
    int fd =
        open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
             O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TRACE_CLOCK_MONOTONIC;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n >= 3 && memcmp(buf, "tsc", 3) == 0)
        return TRACE_CLOCK_TSC;
#endif
    return TRACE_CLOCK_MONOTONIC;
}

/* ---- small string helpers (no stdio in here) ---- */

size_t trace_put_str(char *dst, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        dst[at++] = *s++;
    dst[at < cap ? at : cap - 1] = '\0';
    return at;
}

size_t trace_put_uint(char *dst, size_t at, size_t cap, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && at + 1 < cap)
        dst[at++] = tmp[--n];
    dst[at < cap ? at : cap - 1] = '\0';
    return at;
}

static ssize_t read_small_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

/* Give the file the bytes [off, off+len) for real, never shrinking it,
 * so that a later store into the mapping cannot SIGBUS on a full disk: a
 * full disk shows here, as an error, and costs events, not the program.
 * Writing zeros (rather than fallocate) leaves the pages in the page
 * cache: the first store to each mapped page is then a cheap fault, where
 * an fallocate'd (unwritten) extent costs about twice as much per page. */
static int file_reserve(int fd, uint64_t off, uint64_t len)
{
    static const char zeros[65536];
    for (uint64_t at = off; at < off + len;) {
        size_t n = (size_t)(off + len - at < sizeof zeros ? off + len - at
                                                          : sizeof zeros);
        ssize_t w = pwrite(fd, zeros, n, (off_t)at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -ENOSPC;
        at += (uint64_t)w;
    }
    return 0;
}

/* Whether the file may grow to `end` bytes: past RLIMIT_FSIZE the kernel
 * would fail the write with SIGXFSZ, which kills the program by default.
 * The limit is the program's: read it every time, never change it. */
static bool file_within_limit(uint64_t end)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return false;
    return rl.rlim_cur == RLIM_INFINITY || end <= (uint64_t)rl.rlim_cur;
}

/* How file_map_closing makes the bytes exist before they are mapped: no
 * store of the shim may land on a page the file system has not given it
 * (it would SIGBUS on a full disk). */
enum file_backing {
    FILE_ZEROED,   /* fresh bytes of ours: write zeros (file_reserve) */
    FILE_ALLOCATED /* bytes others may be using: allocate, keep content */
};

/* Give the file [off, off+len) as `how` says.  Returns 0 or -errno. */
static int file_back(int fd, uint64_t off, uint64_t len, enum file_backing how)
{
    if (!file_within_limit(off + len))
        return -EFBIG;
    if (how == FILE_ZEROED)
        return file_reserve(fd, off, len);
    int rc;
    do
        rc = fallocate(fd, 0, (off_t)off, (off_t)len);
    while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : -errno;
}

/* Map [off, off+len) of the file open as fd, shared and writable, after
 * making sure those bytes exist (file_back).  Closes fd: the shim keeps
 * no descriptor (rule 4).  Returns the mapping or NULL, with -errno in
 * *err. */
static void *file_map_closing(int fd, uint64_t off, uint64_t len,
                              enum file_backing how, int *err)
{
    int rc = file_back(fd, off, len, how);
    void *m = MAP_FAILED;
    if (rc == 0) {
        m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
        if (m == MAP_FAILED)
            rc = -errno;
    }
    close(fd);
    *err = rc;
    return m == MAP_FAILED ? NULL : m;
}

/* Trace files are private (command lines, exception messages, thread
 * names) and never reached through a link: created O_EXCL|O_NOFOLLOW,
 * mode 0600 (docs/security.md). */
#define TRACE_CREATE_FLAGS (O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
#define TRACE_OPEN_FLAGS (O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

/* An existing trace file is used only if it is a regular file of ours
 * with no other name (not a FIFO, device or someone's hard link). */
static int open_checked(const char *path, struct stat *st)
{
    int fd = open(path, TRACE_OPEN_FLAGS);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) ||
        st->st_uid != geteuid() || st->st_nlink != 1) {
        close(fd);
        return -EPERM;
    }
    return fd;
}

/* seq.map is shared by every process of the trace: the first creates it
 * (O_EXCL), the others open what it made, checked. */
static int map_seq_file(struct trace_proc_writer *pw, const char *dir)
{
    char path[600];
    struct stat st;
    size_t at = trace_put_str(path, 0, sizeof path, dir);
    trace_put_str(path, at, sizeof path, "/seq.map");
    int fd = open(path, TRACE_CREATE_FLAGS, 0600);
    if (fd < 0 && errno == EEXIST)
        fd = open_checked(path, &st);
    else if (fd < 0)
        fd = -errno;
    if (fd < 0)
        return fd;
    int rc;
    void *m = file_map_closing(fd, 0, TRACE_SEQ_FILE_SIZE, FILE_ALLOCATED, &rc);
    if (!m)
        return rc;
    struct trace_seq_header *h = m;
    if (h->version == 0) { /* same bytes from every writer: races are benign */
        memcpy(h->magic, TRACE_SEQ_MAGIC, 8);
        h->stripes = TRACE_SEQ_STRIPES;
        __atomic_store_n(&h->version, TRACE_FORMAT_VERSION, __ATOMIC_RELEASE);
    }
    pw->seq = m;
    return 0;
}

/* Re-open this image's file by path (the shim keeps no descriptor):
 * without following a link, and only if it is still the file we made. */
static int reopen_process_file(const struct trace_proc_writer *pw)
{
    struct stat st;
    int fd = open_checked(pw->path, &st);
    if (fd >= 0 && ((uint64_t)st.st_dev != pw->file_dev ||
                    (uint64_t)st.st_ino != pw->file_ino)) {
        close(fd);
        return -EPERM;
    }
    return fd;
}

static void fill_identity(struct trace_file_header *h)
{
    ssize_t n = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
    h->exe[n > 0 ? n : 0] = '\0';
    n = read_small_file("/proc/self/cmdline", h->cmdline, sizeof h->cmdline);
    h->cmdline_len = n > 0 ? (uint32_t)n : 0;
}

static int create_process_file(struct trace_proc_writer *pw, const char *dir,
                               uint32_t pid, uint32_t *image)
{
    for (uint32_t k = 0; k < 1000; k++) {
        size_t at = trace_put_str(pw->path, 0, sizeof pw->path, dir);
        at = trace_put_str(pw->path, at, sizeof pw->path, "/p");
        at = trace_put_uint(pw->path, at, sizeof pw->path, pid);
        at = trace_put_str(pw->path, at, sizeof pw->path, ".");
        at = trace_put_uint(pw->path, at, sizeof pw->path, k);
        trace_put_str(pw->path, at, sizeof pw->path, ".ctrace");
        int fd = open(pw->path, TRACE_CREATE_FLAGS, 0600);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0) {
            pw->file_dev = (uint64_t)st.st_dev;
            pw->file_ino = (uint64_t)st.st_ino;
            *image = k;
            return fd;
        }
        if (fd >= 0) {
            close(fd);
            return -EIO;
        }
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

int trace_writer_open_process(struct trace_proc_writer *pw, const char *dir,
                              uint32_t pid, uint32_t ppid, uint32_t flags,
                              uint32_t clock_kind, uint32_t stack_depth)
{
    memset(pw, 0, sizeof *pw);
    pw->clock_kind = clock_kind;
    pw->stack_depth = stack_depth;
    uint32_t image = 0;
    int fd = create_process_file(pw, dir, pid, &image);
    if (fd < 0)
        return fd;
    int rc;
    struct trace_file_header *h =
        file_map_closing(fd, 0, TRACE_HEADER_SIZE, FILE_ZEROED, &rc);
    if (!h)
        return rc;
    h->header_size = TRACE_HEADER_SIZE;
    h->pid = pid;
    h->ppid = ppid;
    h->image = image;
    h->clock_kind = clock_kind;
    h->stack_depth = stack_depth;
    h->flags = flags;
    h->start_clock = trace_clock_now(clock_kind);
    h->start_mono_ns = trace_clock_mono_ns();
    h->start_real_ns = trace_clock_real_ns();
    h->file_end = TRACE_HEADER_SIZE;
    fill_identity(h);
    memcpy(h->magic, TRACE_FILE_MAGIC, 8);
    __atomic_store_n(&h->version, TRACE_FORMAT_VERSION, __ATOMIC_RELEASE);
    pw->hdr = h;
    /* Without a synchronised TSC, order comes from shared counters. */
    if (clock_kind != TRACE_CLOCK_TSC && map_seq_file(pw, dir) == 0)
        __atomic_or_fetch(&h->flags, TRACE_FILE_SEQ, __ATOMIC_RELEASE);
    return 0;
}

void trace_writer_drop_process(struct trace_proc_writer *pw)
{
    if (pw->hdr)
        munmap(pw->hdr, TRACE_HEADER_SIZE);
    if (pw->seq)
        munmap(pw->seq, TRACE_SEQ_FILE_SIZE);
    pw->hdr = NULL;
    pw->seq = NULL;
}

void trace_writer_close_process(struct trace_proc_writer *pw, int status)
{
    struct trace_file_header *h = pw->hdr;
    if (!h)
        return;
    h->end_clock = trace_clock_now(pw->clock_kind);
    h->end_mono_ns = trace_clock_mono_ns();
    h->exit_status = (uint32_t)status;
    __atomic_or_fetch(&h->flags, TRACE_FILE_EXITED, __ATOMIC_RELEASE);
}

/* ---- threads and chunks ---- */

uint32_t trace_writer_next_serial(struct trace_proc_writer *pw)
{
    return pw->hdr ? __atomic_fetch_add(&pw->hdr->next_thread_serial, 1,
                                        __ATOMIC_RELAXED)
                   : 0;
}

struct trace_thread_writer *
trace_writer_thread_new(struct trace_proc_writer *pw, uint32_t tid,
                        uint32_t serial)
{
    void *m = mmap(NULL, sizeof(struct trace_thread_writer),
                   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    struct trace_thread_writer *w = m;
    /* Without WIPEONFORK (kernels before 4.14) a child the shim does not
     * see being made would write into this thread's chunk: the shim's
     * fork handlers are then the only protection, as they were. */
    madvise(&w->live, sizeof *w - offsetof(struct trace_thread_writer, live),
            MADV_WIPEONFORK);
    w->proc = pw;
    w->tid = tid;
    w->serial = serial;
    w->clock_kind = pw->clock_kind;
    w->live = 1;
    w->next_size = TRACE_CHUNK_MIN;
    w->tsc_direct =
        pw->clock_kind == TRACE_CLOCK_TSC && !pw->seq && trace_rdtscp;
    return w;
}

static void chunk_unmap(struct trace_thread_writer *w)
{
    if (!w->chunk)
        return;
    munmap(w->chunk, w->chunk->size);
    w->mapped_chunk = NULL;
    w->chunk = NULL;
    w->words = NULL;
    w->pos = w->cap = 0;
}

/* The thread is done with its chunk: publish it whole and leave its
 * summary (TRACE_CHUNK_CLOSED).  No more records go into it. */
static void chunk_close(struct trace_thread_writer *w)
{
    struct trace_chunk_header *c = w->chunk;
    if (!c)
        return;
    w->cap = w->pos < w->cap ? w->pos : w->cap;
    __atomic_store_n(&c->used, w->cap, __ATOMIC_RELEASE);
    c->end_clock = w->last_clock;
    /* every word not counted otherwise is a one-word event */
    c->events = w->slow_events + w->fast_full +
                (w->cap - w->slow_words - 2 * w->fast_full);
    __atomic_or_fetch(&c->flags, TRACE_CHUNK_CLOSED, __ATOMIC_RELEASE);
}

/* Close the current chunk and give back its unwritten tail (the file
 * keeps its size: the reader sees zeros, which end a chunk's records). */
void trace_writer_thread_seal(struct trace_thread_writer *w)
{
    struct trace_chunk_header *c = w->chunk;
    if (!c || !w->proc->hdr)
        return;
    /* Later records (a TLS destructor's unlock) go to a new, small chunk:
     * a store into the punched range could meet a full disk. */
    chunk_close(w);
    w->next_size = TRACE_CHUNK_MIN;
    uint64_t used =
        TRACE_CHUNK_HEADER_SIZE + (uint64_t)w->cap * TRACE_WORD_SIZE;
    uint64_t keep = (used + 4095u) & ~4095ull;
    if (keep >= c->size)
        return;
    int saved = errno;
    int fd = reopen_process_file(w->proc);
    if (fd >= 0) {
        uint64_t off = w->chunk_file_off + keep;
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                  (off_t)(c->size - keep));
        close(fd);
    }
    errno = saved;
}

void trace_writer_thread_free(struct trace_thread_writer *w)
{
    if (!w)
        return;
    trace_writer_thread_seal(w);
    chunk_unmap(w);
    munmap(w, sizeof *w);
}

void trace_writer_thread_forget(struct trace_thread_writer *w)
{
    if (!w)
        return;
    if (w->mapped_chunk) /* not chunk_unmap: the chunk may be wiped here */
        munmap(w->mapped_chunk, w->mapped_size);
    munmap(w, sizeof *w);
}

/* What a failed file_map_closing of a chunk means for its events. */
static enum trace_loss loss_of_errno(int rc)
{
    if (rc == -EFBIG)
        return TRACE_LOSS_FSIZE;
    if (rc == -ENOSPC || rc == -EDQUOT)
        return TRACE_LOSS_NOSPACE;
    return TRACE_LOSS_MAP;
}

/* Remember why the thread has no chunk: its lost events are counted
 * under that reason until a chunk opens again. */
static bool chunk_failed(struct trace_thread_writer *w, enum trace_loss why,
                         int err)
{
    w->loss_why = why;
    w->loss_err = err;
    return false;
}

/* Open a fresh chunk for the thread: reserve its bytes at the end of the
 * process file, extend the file, map it, close the descriptor. */
static bool chunk_open(struct trace_thread_writer *w)
{
    struct trace_proc_writer *pw = w->proc;
    if (!pw->hdr)
        return chunk_failed(w, TRACE_LOSS_FILE, 0);
    uint32_t size = w->next_size;
    uint64_t off =
        __atomic_fetch_add(&pw->hdr->file_end, size, __ATOMIC_RELAXED);
    int fd = reopen_process_file(pw);
    if (fd < 0)
        return chunk_failed(w, TRACE_LOSS_FILE, fd);
    int rc;
    struct trace_chunk_header *c =
        file_map_closing(fd, off, size, FILE_ZEROED, &rc);
    if (!c) /* the hole stays; the reader skips chunkless space */
        return chunk_failed(w, loss_of_errno(rc), rc);
    w->chunk_file_off = off;
    w->mapped_chunk = c;
    w->mapped_size = size;
    c->size = size;
    c->tid = w->tid;
    c->thread_serial = w->serial;
    c->chunk_index = w->chunk_index++;
    c->lost_before = (uint32_t)(w->lost > UINT32_MAX ? UINT32_MAX : w->lost);
    c->base_clock = trace_clock_now(pw->clock_kind);
    c->base_mono_ns = trace_clock_mono_ns();
    __atomic_store_n(&c->magic, TRACE_CHUNK_MAGIC, __ATOMIC_RELEASE);
    w->chunk = c;
    w->words = (uint64_t *)((char *)c + TRACE_CHUNK_HEADER_SIZE);
    w->cap = (uint32_t)CHUNK_WORDS(size);
    w->last_clock = c->base_clock;
    w->slow_words = w->slow_events = w->fast_full = 0;
    w->lost = 0;
    memset(w->obj_cache, 0, sizeof w->obj_cache);
    memset(w->site_cache, 0, sizeof w->site_cache);
    COMPILER_BARRIER();
    w->pos = 0;
    if (w->next_size < TRACE_CHUNK_MAX)
        w->next_size *= 2;
    return true;
}

/* Move to a new chunk.  Only the outermost emit does this. */
static bool chunk_switch(struct trace_thread_writer *w)
{
    if (w->retry_after) { /* the disk was full: do not retry every event */
        w->retry_after--;
        return false;
    }
    w->switching = 1;
    COMPILER_BARRIER();
    chunk_close(w);
    chunk_unmap(w);
    bool ok = chunk_open(w);
    COMPILER_BARRIER();
    w->switching = 0;
    if (!ok)
        w->retry_after = LOST_RETRY_EVERY;
    return ok;
}

/* Count n lost events: in the next chunk's header, the file's total
 * and the image's count by reason; the first of each reason on this
 * thread is told to the loss_hook (once, not once per event). */
static void count_lost(struct trace_thread_writer *w, uint64_t n,
                       enum trace_loss why)
{
    struct trace_proc_writer *pw = w->proc;
    w->lost += n;
    if (pw->hdr)
        __atomic_add_fetch(&pw->hdr->lost_events, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&pw->lost_by[why], n, __ATOMIC_RELAXED);
    uint32_t bit = 1u << why;
    if (pw->loss_hook && !(w->loss_said & bit)) {
        w->loss_said |= bit;
        pw->loss_hook(w, why, why == TRACE_LOSS_NESTED ? 0 : w->loss_err);
    }
}

/* Write a full record at r; returns the word after it. */
static uint64_t *put_full(uint64_t *r, uint64_t w0, uint64_t w1)
{
    r[0] = w0;
    r[1] = w1;
    return r + 2;
}

/* The heart of the writer.  Reserves room for the event, the slot
 * definitions it needs, an optional TIME record and `extra` payload
 * words, writes all but the payload and returns the payload's first
 * word, or NULL when the event was dropped. */
static uint64_t *emit_begin(struct trace_thread_writer *w, uint32_t type,
                            uint64_t obj, uint64_t site, uint32_t arg,
                            uint32_t seq, uint32_t extra, uint64_t now)
{
    int code = trace_short_code(type);
    bool one_word = code >= 0 && (arg | seq) == 0 && extra == 0;
    bool nested = w->depth > 0;
    w->depth++;
    COMPILER_BARRIER();
    if (nested)
        w->gen++;
    bool failed = false; /* no chunk could be opened: w->loss_why says why */
    for (int attempt = 0; attempt < 4; attempt++) {
        uint32_t gen = w->gen;
        unsigned os = trace_slot_of(obj), ss = trace_slot_of(site);
        bool need_obj = obj && w->obj_cache[os] != obj;
        bool need_site = site && w->site_cache[ss] != site;
        if (attempt > 0 && !nested) /* a chunk change took time */
            now = trace_clock_now(w->proc->clock_kind);
        bool need_time = now - w->last_clock >= TRACE_CLOCK_REFRESH;
        uint32_t n =
            (one_word ? 1 : 2) + 2 * (need_obj + need_site + need_time) + extra;
        if (w->switching || !w->chunk) {
            if (nested || w->switching)
                break;
            failed = !chunk_switch(w);
            if (failed)
                break;
            continue;
        }
        uint32_t p = trace_writer_reserve(w, n);
        if (p + n > w->cap) {
            trace_writer_count_nops(w, p, n);
            if (nested)
                break;
            w->pos = w->cap; /* no wrap-around while the disk is full */
            failed = !chunk_switch(w);
            if (failed)
                break;
            continue;
        }
        uint64_t *r = w->words + p;
        trace_writer_count(&w->slow_words, n);
        if (w->gen != gen) { /* a handler ran before our reservation */
            for (uint32_t i = 0; i < n; i++)
                r[i] = 0;
            continue;
        }
        if (need_time)
            r = put_full(r, TRACE_EV_TIME, now);
        if (need_obj) {
            r = put_full(r, TRACE_W0(TRACE_EV_OBJDEF, os, 0, 0), obj);
            w->obj_cache[os] = obj;
        }
        if (need_site) {
            r = put_full(r, TRACE_W0(TRACE_EV_SITEDEF, 0, ss, 0), site);
            w->site_cache[ss] = site;
        }
        if (one_word)
            *r++ = TRACE_SW((unsigned)code, os, ss, now);
        else
            r = put_full(r, TRACE_W0(type, os, ss, seq),
                         TRACE_W1(arg, (uint32_t)now));
        w->last_clock = now;
        if (type >= TRACE_EV_PROCESS_START) /* an event, not bookkeeping */
            trace_writer_count(&w->slow_events, 1);
        if (trace_event_describes_thread(type))
            __atomic_or_fetch(&w->chunk->flags, TRACE_CHUNK_KEEPS,
                              __ATOMIC_RELAXED);
        return r;
    }
    if (type >= TRACE_EV_PROCESS_START) /* bookkeeping is not an event */
        count_lost(w, 1,
                   failed || (!w->chunk && w->retry_after)
                       ? (enum trace_loss)w->loss_why
                       : TRACE_LOSS_NESTED);
    w->depth--;
    return NULL;
}

static void emit_end(struct trace_thread_writer *w, uint32_t gen_at_start)
{
    COMPILER_BARRIER();
    if (w->gen != gen_at_start && w->depth == 1) {
        /* A handler recorded while we wrote: its slot definitions may be
         * newer than ours in the chunk, so trust no cached slot. */
        memset(w->obj_cache, 0, sizeof w->obj_cache);
        memset(w->site_cache, 0, sizeof w->site_cache);
    }
    COMPILER_BARRIER();
    if (--w->depth == 0 && w->chunk)
        trace_writer_publish(w);
}

/* The writer to record with: w itself, or, when w's recording state was
 * wiped because this is a child process the shim did not see being made,
 * whatever the process's orphan_hook gives (NULL: drop the event).  The
 * hot path never writes through a wiped writer: its caches miss. */
static struct trace_thread_writer *writer_live(struct trace_thread_writer *w)
{
    if (__builtin_expect(w->live, 1))
        return w;
    return w->proc && w->proc->orphan_hook ? w->proc->orphan_hook(w) : NULL;
}

void trace_emit_at(struct trace_thread_writer *w, uint32_t type, uint64_t obj,
                   uint64_t site, uint32_t arg, uint32_t seq, uint64_t now)
{
    int saved = errno;
    if (!(w = writer_live(w))) {
        errno = saved;
        return;
    }
    if (site && w->proc->site_hook && w->depth == 0 && !w->retry_after &&
        w->site_cache[trace_slot_of(site)] != site)
        w->proc->site_hook(w, site);
    uint32_t gen = w->gen;
    if (emit_begin(w, type, obj, site, arg, seq, 0, now))
        emit_end(w, gen);
    errno = saved;
}

void trace_emit_payload(struct trace_thread_writer *w, uint32_t type,
                        uint64_t obj, uint64_t site, const void *payload,
                        uint32_t len)
{
    if (len > TRACE_PAYLOAD_MAX)
        len = TRACE_PAYLOAD_MAX;
    uint32_t extra = (len + TRACE_WORD_SIZE - 1) / TRACE_WORD_SIZE;
    int saved = errno;
    if (!(w = writer_live(w))) {
        errno = saved;
        return;
    }
    uint32_t gen = w->gen;
    uint64_t *r = emit_begin(w, type, obj, site, len, 0, extra,
                             trace_clock_now(w->proc->clock_kind));
    if (r) {
        memcpy(r, payload, len);
        if (len % TRACE_WORD_SIZE)
            memset((char *)r + len, 0, TRACE_WORD_SIZE - len % TRACE_WORD_SIZE);
        emit_end(w, gen);
    }
    errno = saved;
}

bool trace_writer_site_known(const struct trace_thread_writer *w, uint64_t site)
{
    return w->chunk && w->site_cache[trace_slot_of(site)] == site;
}

void trace_emit_site_stack(struct trace_thread_writer *w, uint64_t site,
                           const uint64_t *pcs, uint32_t n)
{
    if (n > TRACE_PAYLOAD_MAX / 8)
        n = TRACE_PAYLOAD_MAX / 8;
    trace_emit_payload(w, TRACE_EV_SITE_STACK, 0, site, pcs, n * 8u);
}
