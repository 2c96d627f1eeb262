/* The trace writer: how the shim puts events into a trace.
 *
 * This code runs inside the traced program, so it lives by the shim's
 * rules (docs/design.md, "The recorder's rules"): no malloc, no stdio, no
 * locks, no file descriptor kept open, errno preserved by the caller,
 * async-signal-safe.
 *
 * A process image owns one `struct trace_proc_writer` (its mapped file
 * header and the run's shared sequence counters).  Each thread owns one
 * `struct trace_thread_writer`, mmap'ed, holding its current chunk and the
 * slot caches that let a 16-byte record name a 64-bit object and call site.
 *
 * errno: the hot path touches nothing that sets it; the general path
 * saves and restores it around its system calls, so callers need not.
 *
 * Re-entrancy: a signal handler may record while the thread is in the
 * middle of trace_emit().  Records are reserved with one instruction that
 * an interrupt cannot split; a nested emit that finds the outer one
 * between its cache check and its reservation makes the outer retry, and
 * one that changed the slot caches makes the outer forget them.  A nested
 * emit never opens a chunk: if the current one is full it counts the event
 * as lost.  Only the outermost emit publishes `used`, once its record is
 * whole, so a reader never sees words an interrupted emit has reserved
 * but not written yet.
 */
#ifndef CTRACE_TRACE_WRITER_H
#define CTRACE_TRACE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct trace_thread_writer;

/* Why an event was lost: the writer counts lost events by reason and
 * tells the process's loss_hook about the first of each on each thread. */
enum trace_loss {
    TRACE_LOSS_NESTED,  /* a signal handler's event: chunk full or changing */
    TRACE_LOSS_NOSPACE, /* the disk is full (ENOSPC, EDQUOT) */
    TRACE_LOSS_FSIZE,   /* the program's file size limit (EFBIG) */
    TRACE_LOSS_MAP,     /* a chunk could not be allocated or mapped */
    TRACE_LOSS_FILE,    /* the process file could not be re-opened */
    TRACE_LOSS_KINDS
};

struct trace_proc_writer {
    struct trace_file_header *hdr; /* mapped header page, or NULL */
    uint8_t *seq;                  /* mapped seq.map counters, or NULL */
    uint32_t clock_kind;
    uint32_t stack_depth;
    /* Called (outside any emit) before the first record of a call site
     * in a chunk, to attach its deeper stack; NULL for none. */
    void (*site_hook)(struct trace_thread_writer *w, uint64_t site);
    /* Called when an event arrives on a writer whose recording state was
     * wiped (see struct trace_thread_writer): this is a new process.
     * Returns the writer to record it with, or NULL to drop it. */
    struct trace_thread_writer *(*orphan_hook)(struct trace_thread_writer *w);
    /* Called at a thread's first lost event of each reason (`err`: the
     * failure's -errno, 0 for none), possibly from a signal handler;
     * NULL for none.  It must not record. */
    void (*loss_hook)(struct trace_thread_writer *w, enum trace_loss why,
                      int err);
    uint64_t lost_by[TRACE_LOSS_KINDS]; /* this image's lost events */
    char path[512];                     /* this image's file */
    /* Its identity: a re-open by path must find this very file. */
    uint64_t file_dev, file_ino;
};

/* A thread's writer is one private anonymous mapping in two parts.  The
 * first page says whose it is and survives a fork.  The rest, from
 * `live` on, is the recording state; it is MADV_WIPEONFORK, so any child
 * process (fork, or a raw clone() nobody told the shim about) sees it all
 * zero: the hot path then misses every check and the general path, which
 * finds `live` clear, hands the event to the process's orphan_hook
 * instead of writing into the parent's MAP_SHARED chunk. */
struct trace_thread_writer {
    struct trace_proc_writer *proc;
    uint32_t tid, serial;
    void *mapped_chunk;           /* the chunk mapping, for a child to unmap */
    uint64_t mapped_size;         /* its length */
    uint32_t clock_kind;          /* proc->clock_kind, read without proc */
    _Alignas(4096) uint32_t live; /* 1; 0 in a child (wiped) */
    struct trace_chunk_header *chunk; /* current chunk, or NULL */
    uint64_t *words;                  /* chunk's record words */
    uint32_t pos;                     /* next free word (reserve here) */
    uint32_t cap;                     /* words the chunk holds */
    uint32_t chunk_index;             /* index the next chunk gets */
    uint32_t next_size;               /* bytes the next chunk asks for */
    uint32_t depth;                   /* trace_emit nesting */
    uint32_t gen;                     /* bumped by nested emits */
    uint32_t switching;               /* a chunk change is under way */
    uint32_t retry_after;             /* lost events before retrying */
    uint32_t tsc_direct;              /* see trace_emit_ordered() */
    /* For the chunk's summary (chunk_close): the fast path counts
     * only the two-word records it writes; the rest of its words are
     * one-word events. */
    uint32_t slow_words;     /* words written by the general path, or NOPs */
    uint32_t slow_events;    /* events written by the general path */
    uint32_t fast_full;      /* two-word records written by the fast path */
    uint32_t loss_why;       /* trace_loss of the latest chunk failure */
    int32_t loss_err;        /* its -errno */
    uint32_t loss_said;      /* bit per trace_loss told to loss_hook */
    uint64_t lost;           /* lost, not yet reported */
    uint64_t last_clock;     /* clock of the latest record */
    uint64_t chunk_file_off; /* where the chunk is in the file */
    uint64_t obj_cache[TRACE_SLOTS]; /* slot -> address in this chunk */
    uint64_t site_cache[TRACE_SLOTS];
};

/* Whether the CPU has RDTSCP (set by trace_clock_pick): an acquire's
 * stamp then costs one instruction less than LFENCE + RDTSC. */
extern int trace_rdtscp;

/* Reading the clock.  TSC where the kernel trusts it, else monotonic. */
uint64_t trace_clock_mono_ns(void);
uint64_t trace_clock_real_ns(void);
uint32_t trace_clock_pick(void);

static inline uint64_t trace_clock_now(uint32_t kind)
{
#if defined(__x86_64__) || defined(__i386__)
    if (kind == TRACE_CLOCK_TSC) {
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
    }
#endif
    (void)kind;
    return trace_clock_mono_ns();
}

/* Create this image's file in `dir` (p<pid>.<k>.ctrace, first free k),
 * map its header and the run's seq.map.  Returns 0, or -errno. */
int trace_writer_open_process(struct trace_proc_writer *pw, const char *dir,
                              uint32_t pid, uint32_t ppid, uint32_t flags,
                              uint32_t clock_kind, uint32_t stack_depth);
/* Forget the mappings without touching the file (the child after fork). */
void trace_writer_drop_process(struct trace_proc_writer *pw);
/* Record a clean end of the image: exit status and end clock. */
void trace_writer_close_process(struct trace_proc_writer *pw, int status);

/* A writer for the calling thread (mmap'ed; NULL if that fails).  The
 * serial comes from trace_writer_next_serial() (the creator reserves it
 * so thread-create and thread-start can name the same thread). */
struct trace_thread_writer *
trace_writer_thread_new(struct trace_proc_writer *pw, uint32_t tid,
                        uint32_t serial);
uint32_t trace_writer_next_serial(struct trace_proc_writer *pw);
/* Publish the thread's records and release its chunk's unused tail
 * (thread or process end). */
void trace_writer_thread_seal(struct trace_thread_writer *w);
/* Seal the thread's chunk and unmap the writer. */
void trace_writer_thread_free(struct trace_thread_writer *w);
/* Unmap a writer and its chunk without touching the file: a child
 * process's copy of a writer of its parent. */
void trace_writer_thread_forget(struct trace_thread_writer *w);

/* The next per-object sequence number (TF_SEQ events), or 0 when this
 * trace orders by the fenced clock instead (see trace_clock_fenced). */
static inline uint32_t trace_writer_seq(struct trace_proc_writer *pw,
                                        uint64_t obj)
{
    if (!pw->seq)
        return 0;
    uint64_t *ctr =
        (uint64_t *)(pw->seq + 4096u +
                     (uint64_t)trace_seq_stripe(obj) * TRACE_SEQ_STRIDE);
    return (uint32_t)__atomic_add_fetch(ctr, 1, __ATOMIC_SEQ_CST);
}

/* The clock for a happens-before source or sink (TF_SEQ events).  The
 * stamps of one object's events must be ordered like the events (rule 7):
 *  - a release is stamped before the releasing store.  RDTSC reads the
 *    counter before it retires, and a store (or locked RMW) becomes
 *    visible only after it retires, in order: a plain RDTSC is enough;
 *  - an acquire is stamped after the acquiring atomic.  RDTSC may execute
 *    while an earlier RMW still waits for its cache line, so LFENCE (wait
 *    for all earlier instructions) comes first, or RDTSCP, which itself
 *    waits for earlier instructions and for earlier loads to be visible.
 * The kernel uses the TSC as its clocksource only when it is invariant and
 * synchronised across CPUs, which is what makes stamps from different
 * CPUs comparable; then no shared sequence counter is needed. */
enum trace_fence {
    TRACE_FENCE_BOTH,    /* either kind of event (LFENCE on both sides) */
    TRACE_FENCE_RELEASE, /* stamped before the releasing store */
    TRACE_FENCE_ACQUIRE  /* stamped after the acquiring atomic */
};

#if defined(__x86_64__) || defined(__i386__)
/* The TSC read as `f` says; `rdtscp`: the CPU has RDTSCP. */
static inline uint64_t trace_tsc_fenced(enum trace_fence f, int rdtscp)
{
    uint32_t lo, hi;
    if (f == TRACE_FENCE_RELEASE)
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    else if (f == TRACE_FENCE_ACQUIRE && rdtscp)
        /* waits for earlier instructions and loads: the lock is ours */
        __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi)::"rcx", "memory");
    else if (f == TRACE_FENCE_ACQUIRE) /* the read waits for the lock */
        __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    else
        __asm__ __volatile__("lfence\n\trdtsc\n\tlfence"
                             : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}
#endif

static inline uint64_t trace_clock_fenced(uint32_t kind, enum trace_fence f)
{
#if defined(__x86_64__) || defined(__i386__)
    if (kind == TRACE_CLOCK_TSC)
        return trace_tsc_fenced(f, trace_rdtscp);
#endif
    (void)f;
    return trace_clock_now(kind);
}

/* The slot a value hashes to.  Only 0 hashes to slot 0, but 1 in 4096
 * other values do too: */
static inline unsigned trace_slot_hash(uint64_t v)
{
    return (unsigned)((v * 0x9e3779b97f4a7c15ull) >> (64 - TRACE_SLOT_BITS));
}

/* the slot a value is recorded in moves those to slot 1, because slot 0
 * means "no object / no site". */
static inline unsigned trace_slot_of(uint64_t v)
{
    unsigned s = trace_slot_hash(v);
    return v ? (s ? s : 1) : 0;
}

/* Reserve n words: one instruction, so a signal cannot split it. */
static inline uint32_t trace_writer_reserve(struct trace_thread_writer *w,
                                            uint32_t n)
{
#if defined(__x86_64__) || defined(__i386__)
    uint32_t p = n;
    __asm__ __volatile__("xaddl %0, %1" : "+r"(p), "+m"(w->pos) : : "memory");
    return p;
#else
    return __atomic_fetch_add(&w->pos, n, __ATOMIC_RELAXED);
#endif
}

/* Add to one of the summary counters: one instruction, like the
 * reservation, so that a signal handler's count cannot be lost. */
static inline void trace_writer_count(uint32_t *counter, uint32_t n)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("addl %1, %0" : "+m"(*counter) : "ir"(n));
#else
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
#endif
}

/* Reserved words [p, p + n) that will stay zero: NOPs, for the count. */
static inline void trace_writer_count_nops(struct trace_thread_writer *w,
                                           uint32_t p, uint32_t n)
{
    if (p < w->cap)
        trace_writer_count(&w->slow_words, n < w->cap - p ? n : w->cap - p);
}

/* Make the chunk's words so far visible to readers (outermost emit). */
static inline void trace_writer_publish(struct trace_thread_writer *w)
{
    __atomic_store_n(&w->chunk->used, w->pos < w->cap ? w->pos : w->cap,
                     __ATOMIC_RELEASE);
}

/* Record an event taken at clock `now`: the hot path.  It writes the
 * record (one word when arg and seq are 0 and the type has a short
 * code, else two) when the object and site are already defined in this
 * chunk and there is room; otherwise (or if a signal handler recorded in
 * between) it leaves the work to trace_emit_at(), the general path.
 * Reserved words it does not fill stay zero: NOPs for the reader. */
void trace_emit_at(struct trace_thread_writer *w, uint32_t type, uint64_t obj,
                   uint64_t site, uint32_t arg, uint32_t seq, uint64_t now);

static inline __attribute__((always_inline)) void
trace_emit_now(struct trace_thread_writer *w, uint32_t type, uint64_t obj,
               uint64_t site, uint32_t arg, uint32_t seq, uint64_t now)
{
    /* Plain hashes: a non-zero value hashing to slot 0 misses the cache
     * (slot 0 caches 0) and takes the general path, which uses slot 1. */
    unsigned os = trace_slot_hash(obj), ss = trace_slot_hash(site);
    int code = trace_short_code(type);
    bool one_word = code >= 0 && (arg | seq) == 0;
    if (w->depth) /* we interrupted an emit: tell it */
        w->gen++;
    w->depth++;
    uint32_t gen = w->gen;
    __asm__ __volatile__("" ::: "memory");
    /* (events that describe a thread mark their chunk: general path) */
    if (__builtin_expect(w->obj_cache[os] != obj || w->site_cache[ss] != site ||
                             now - w->last_clock >= TRACE_CLOCK_REFRESH ||
                             trace_event_describes_thread(type),
                         0)) {
        w->depth--;
        goto general;
    }
    uint32_t n = one_word ? 1 : 2;
    uint32_t p = trace_writer_reserve(w, n);
    if (__builtin_expect(p + n > w->cap || w->gen != gen, 0)) {
        trace_writer_count_nops(w, p, n);
        w->depth--;
        goto general;
    }
    uint64_t *r = w->words + p;
    if (one_word) {
        r[0] = TRACE_SW((unsigned)code, os, ss, now);
    } else {
        r[1] = TRACE_W1(arg, (uint32_t)now);
        r[0] = TRACE_W0(type, os, ss, seq);
    }
    w->last_clock = now;
    if (!one_word)
        trace_writer_count(&w->fast_full, 1);
    __asm__ __volatile__("" ::: "memory");
    if (--w->depth == 0)
        trace_writer_publish(w);
    return;
general:
    trace_emit_at(w, type, obj, site, arg, seq, now);
}

/* The writer's latest record, as a full (two-word) record: NULL when the
 * chunk holds fewer than two words.  Callers check its type and arg. */
static inline struct trace_record *
trace_writer_last_full(const struct trace_thread_writer *w)
{
    uint32_t p = w->pos;
    if (!w->chunk || p < 2 || p > w->cap)
        return NULL;
    return (struct trace_record *)(w->words + p - 2);
}

/* Record one event now; TF_SEQ events go through trace_emit_ordered(). */
static inline __attribute__((always_inline)) void
trace_emit(struct trace_thread_writer *w, uint32_t type, uint64_t obj,
           uint64_t site, uint32_t arg)
{
    trace_emit_now(w, type, obj, site, arg, 0, trace_clock_now(w->clock_kind));
}

/* Record a happens-before source or sink: fenced clock, and the object's
 * sequence number when the trace uses them.  Call it before a release
 * and after an acquire; `f` may say which of the two it is. */
static inline __attribute__((always_inline)) void
trace_emit_ordered(struct trace_thread_writer *w, uint32_t type, uint64_t obj,
                   uint64_t site, uint32_t arg, enum trace_fence f)
{
#if defined(__x86_64__) || defined(__i386__)
    /* The common case, decided once per writer: TSC clock with RDTSCP,
     * no sequence numbers. */
    if (__builtin_expect(w->tsc_direct, 1)) {
        trace_emit_now(w, type, obj, site, arg, 0, trace_tsc_fenced(f, 1));
        return;
    }
#endif
    uint32_t seq = trace_writer_seq(w->proc, obj);
    trace_emit_now(w, type, obj, site, arg, seq,
                   trace_clock_fenced(w->clock_kind, f));
}

/* Record an event with a payload (TF_PAYLOAD events). */
void trace_emit_payload(struct trace_thread_writer *w, uint32_t type,
                        uint64_t obj, uint64_t site, const void *payload,
                        uint32_t len);
/* Attach a deeper stack to a call site (SITE_STACK, once per chunk). */
void trace_emit_site_stack(struct trace_thread_writer *w, uint64_t site,
                           const uint64_t *pcs, uint32_t n);
/* Whether `site` is already defined in the current chunk. */
bool trace_writer_site_known(const struct trace_thread_writer *w,
                             uint64_t site);

/* Append string s (or the decimal digits of v) to dst[at..cap), keeping
 * it NUL-terminated; returns the new length (at most cap - 1).  For the
 * shim, which has no stdio: file names, and its debug log. */
size_t trace_put_str(char *dst, size_t at, size_t cap, const char *s);
size_t trace_put_uint(char *dst, size_t at, size_t cap, uint64_t v);

#endif
