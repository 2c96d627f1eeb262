/* The ThreadSanitizer ABI runtime inside libctrace.so: what the tsan_*.c
 * files share (docs/races.md explains the design).
 *
 * Programs built with `ctrace cc` (compiled with -fsanitize=thread, linked
 * with libctrace.so instead of libtsan) call __tsan_read4, __tsan_write8,
 * __tsan_func_entry, __tsan_atomic32_fetch_add, ... for every memory
 * access, function call and atomic operation.  This runtime turns them
 * into trace records without leaving the shim's rules (shim.h): no
 * malloc, no locks, no system call on the hot path.
 *
 * Three ideas to read it by:
 *  - epochs: a thread's accesses between two of its other records (any
 *    synchronization it records ends an epoch) are equivalent for
 *    happens-before, so only the first read and the first write of each
 *    byte per epoch is recorded.  The runtime notices a new epoch by the
 *    writer's position: when w->pos is no longer where our latest record
 *    left it, something else was recorded in between.  A small
 *    direct-mapped filter, keyed by 8-byte granule, remembers which bytes
 *    this epoch already recorded.
 *  - merging: an access that extends the thread's latest record (same
 *    kind, size and calling context, next address) raises that record's
 *    count in place instead of writing a new one, so a loop over an array
 *    costs one record per 512 elements.
 *  - the shadow stack: __tsan_func_entry/exit push and pop return
 *    addresses, with a running hash of the calling context, so that an
 *    access's full stack is known without unwinding.  The stack goes into
 *    the trace as the site-stack of the access's site, once per chunk per
 *    (pc, context); the site value carries 16 bits of the context hash so
 *    that one pc reached from several contexts keeps several sites.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#ifndef CTRACE_PRELOAD_TSAN_H
#define CTRACE_PRELOAD_TSAN_H

#include "shim.h"

#define TSAN_FILTER_BITS 10u
#define TSAN_FILTER_SIZE (1u << TSAN_FILTER_BITS)
#define TSAN_STACK_MAX 256u   /* shadow frames kept (deeper ones counted) */
#define TSAN_REPORT_DEPTH 63u /* frames recorded above an access */
#define TSAN_PC_MASK ((1ull << 48) - 1)

/* One filter slot: the bytes of one granule read and written this epoch. */
struct tsan_filter {
    uint64_t gran;
    uint32_t epoch;
    uint8_t rmask, wmask;
    uint16_t pad;
};

/* Which (site, context) the site slot's site-stack holds in this chunk. */
struct tsan_site {
    uint64_t site, key;
};

/* Per-thread state, mmap'ed on the thread's first instrumented call. */
struct tsan_thread {
    /* hot: checked on every access */
    struct trace_thread_writer *w;          /* the writer we record into */
    const struct trace_chunk_header *chunk; /* its chunk at our latest record */
    uint32_t pos;   /* w->pos right after our latest record */
    uint32_t epoch; /* our epoch counter (filter slots compare it) */
    uint32_t depth; /* shadow stack depth (may exceed TSAN_STACK_MAX) */
    uint32_t busy;  /* inside the record path (a signal handler's
                       access meanwhile is dropped) */
    uint64_t accesses;
    /* the latest mem record, which an adjacent access may extend; it was
     * made at last_pc with shadow-stack hash last_ctx */
    struct trace_record *last;
    uint64_t last_addr, last_site, last_pc, last_ctx;
    uint32_t last_type, last_size_log, last_count;
    /* the latest atomic-acquire, which an identical one may restamp */
    struct trace_record *acq;
    uint32_t acq_pos;
    uint32_t fence_release; /* a release fence since the last release */
    uint32_t in_alloc;      /* inside operator new: malloc not recorded */
    uint32_t ignore;        /* __tsan_ignore_thread_begin depth; while
                               it is not 0, w is NULL and w_bound holds
                               the writer (the fast check fails) */
    struct trace_thread_writer *w_bound;
    const struct trace_chunk_header *sites_chunk; /* `sites` are for it */
    struct trace_mem_stats stats;
    uint64_t ctx[TSAN_STACK_MAX + 1]; /* context hash of frames [0, d) */
    uint64_t pcs[TSAN_STACK_MAX];     /* return addresses, outermost first */
    struct tsan_filter filter[TSAN_FILTER_SIZE];
    struct tsan_site sites[TRACE_SLOTS];
};

extern __thread struct tsan_thread *tsan_self
    __attribute__((tls_model("initial-exec")));
/* Set by __tsan_init when the shim records: heap calls are recorded. */
extern int tsan_enabled;
/* The shim does not record in this process: every entry point returns
 * at once. */
extern int tsan_off;

/* The calling thread's state, made current (new writer after fork, new
 * epoch after another record); NULL when nothing is to be recorded.
 * Then t->w is the thread's writer. */
struct tsan_thread *tsan_thread_sync(void);

/* The fast check every entry point makes: same writer, and nothing
 * recorded since our latest record (same epoch). */
static inline struct tsan_thread *tsan_current(void)
{
    struct tsan_thread *t = tsan_self;
    const struct trace_thread_writer *w = shim_tls.w;
    if (SHIM_LIKELY(t && t->w == w && w->pos == t->pos && w->chunk == t->chunk))
        return t;
    return tsan_thread_sync();
}

static inline uint64_t tsan_mix(uint64_t h, uint64_t pc)
{
    h ^= pc + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

/* The calling context of an access at `pc`: its key (64 bits) and its
 * site value (the pc, with 16 bits of the key above bit 48). */
static inline uint64_t tsan_context_key(const struct tsan_thread *t,
                                        uint64_t pc)
{
    uint32_t d = t->depth < TSAN_STACK_MAX ? t->depth : TSAN_STACK_MAX;
    return tsan_mix(t->ctx[d], pc);
}

static inline uint64_t tsan_site_of(uint64_t pc, uint64_t key)
{
    return (pc & TSAN_PC_MASK) | (key & ~TSAN_PC_MASK);
}

/* Make sure the chunk holds the site-stack of (site, key): the access pc
 * and then the shadow stack, innermost first. */
void tsan_site_define(struct tsan_thread *t, struct trace_thread_writer *w,
                      uint64_t site, uint64_t key, uint64_t pc);

/* Record an access of 2^size_log bytes (mem-* types) or a range of `len`
 * bytes (mem-range-*), by the code at `pc`.  tsan_record returns true
 * when it wrote a new record, false when the latest one covers it now. */
bool tsan_record(struct tsan_thread *t, struct trace_thread_writer *w,
                 uint32_t type, uint64_t addr, uint32_t size_log, uint64_t pc);
void tsan_record_range(struct tsan_thread *t, struct trace_thread_writer *w,
                       uint32_t type, uint64_t addr, uint64_t len, uint64_t pc);

/* Accesses of any size and alignment: filter, then record. */
void tsan_access_slow(uint64_t addr, uint32_t size_log, bool write,
                      uint64_t pc);

/* A record of ours that is not a sync event (alloc, stack, stats): write
 * it without starting a new epoch when none had started. */
void tsan_emit_payload(struct tsan_thread *t, struct trace_thread_writer *w,
                       uint32_t type, uint64_t site, const void *payload,
                       uint32_t len);

/* Site value for a record made at `pc` in the current context, its
 * site-stack defined. */
uint64_t tsan_site_here(struct tsan_thread *t, struct trace_thread_writer *w,
                        uint64_t pc);

#endif
