/* Memory accesses of instrumented code: __tsan_read*, __tsan_write*, their
 * unaligned, volatile and _pc variants, ranges, vptr accesses and the
 * memcpy/memset/memmove calls of instrumented code (tsan.h explains
 * epochs, the filter and merging; docs/races.md the record layout).
 *
 * The hot path is __tsan_readN/__tsan_writeN on a filter hit: two TLS
 * loads, the epoch check against the writer's position, one filter slot
 * compared.  Everything else (a new epoch, a record, a site-stack) is
 * out of line.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "tsan.h"

#include <string.h>

#define TSAN_PC ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* ---- writing records ---- */

/* Write one record now; the record itself when it landed as the writer's
 * latest (so that it can be extended in place), else NULL. */
static struct trace_record *tsan_put(struct trace_thread_writer *w,
                                     uint32_t type, uint64_t obj, uint64_t site,
                                     uint32_t arg)
{
    uint32_t gen = w->gen; /* changes if a signal handler records */
    trace_emit_now(w, type, obj, site, arg, 0,
                   trace_clock_now(w->proc->clock_kind));
    struct trace_record *r = trace_writer_last_full(w);
    if (!r || w->gen != gen || TRACE_W0_TYPE(r->w0) != type ||
        TRACE_W1_ARG(r->w1) != arg)
        return NULL;
    return r;
}

void tsan_site_define(struct tsan_thread *t, struct trace_thread_writer *w,
                      uint64_t site, uint64_t key, uint64_t pc)
{
    unsigned ss = trace_slot_of(site);
    if (t->sites_chunk != w->chunk) {
        memset(t->sites, 0, sizeof t->sites);
        t->sites_chunk = w->chunk;
    }
    if (t->sites[ss].site == site && t->sites[ss].key == key &&
        w->site_cache[ss] == site)
        return;
    uint64_t pcs[TSAN_REPORT_DEPTH + 1];
    uint32_t n = 0, d = t->depth < TSAN_STACK_MAX ? t->depth : TSAN_STACK_MAX;
    pcs[n++] = pc;
    while (d > 0 && n <= TSAN_REPORT_DEPTH)
        pcs[n++] = t->pcs[--d];
    trace_emit_site_stack(w, site, pcs, n);
    if (t->sites_chunk != w->chunk) { /* the stack opened a new chunk */
        memset(t->sites, 0, sizeof t->sites);
        t->sites_chunk = w->chunk;
    }
    t->sites[ss].site = site;
    t->sites[ss].key = key;
}

uint64_t tsan_site_here(struct tsan_thread *t, struct trace_thread_writer *w,
                        uint64_t pc)
{
    uint64_t key = tsan_context_key(t, pc), site = tsan_site_of(pc, key);
    tsan_site_define(t, w, site, key, pc);
    return site;
}

/* Our own records end the epoch only when something else came first. */
static void tsan_mark_own(struct tsan_thread *t, struct trace_thread_writer *w,
                          bool same_epoch)
{
    if (same_epoch) {
        t->pos = w->pos;
        t->chunk = w->chunk;
    }
}

void tsan_emit_payload(struct tsan_thread *t, struct trace_thread_writer *w,
                       uint32_t type, uint64_t site, const void *payload,
                       uint32_t len)
{
    bool same = w->pos == t->pos && w->chunk == t->chunk;
    trace_emit_payload(w, type, 0, site, payload, len);
    t->last = NULL;
    tsan_mark_own(t, w, same);
}

/* The latest record covers this access already, or can grow to cover
 * it.  Returns true when nothing more is to be written. */
static bool tsan_merge(struct tsan_thread *t, uint32_t type, uint64_t addr,
                       uint32_t size_log, uint64_t site)
{
    if (!t->last || t->last_type != type || t->last_size_log != size_log ||
        t->last_site != site)
        return false;
    uint64_t size = 1ull << size_log;
    uint64_t end = t->last_addr + ((uint64_t)t->last_count << size_log);
    if (addr >= t->last_addr && addr + size <= end &&
        ((addr - t->last_addr) & (size - 1)) == 0)
        return true; /* the same access again */
    if (addr != end || t->last_count >= TRACE_MEM_COUNT_MAX)
        return false;
    t->last_count++;
    uint32_t arg = TRACE_MEM_ARG(t->last_addr - TRACE_MEM_REGION(t->last_addr),
                                 size_log, t->last_count);
    t->last->w1 = (t->last->w1 & ~0xffffffffull) | arg;
    return true;
}

/* A write of exactly what the latest record read (x++, x += y): the
 * read becomes the write, in place, when the write's site and its stack
 * are already in the chunk (a record may only name slots defined before
 * it).  A thread that wrote bytes in an epoch races with whatever its
 * read of them would have raced with, so nothing is lost but the read's
 * own line. */
static bool tsan_upgrade(struct tsan_thread *t, struct trace_thread_writer *w,
                         uint32_t type, uint64_t addr, uint32_t size_log,
                         uint64_t site, uint64_t key)
{
    unsigned ss = trace_slot_of(site);
    if (type != TRACE_EV_MEM_WRITE || !t->last ||
        t->last_type != TRACE_EV_MEM_READ || t->last_size_log != size_log ||
        t->last_addr != addr || t->last_count != 1 ||
        t->sites_chunk != w->chunk || w->site_cache[ss] != site ||
        t->sites[ss].site != site || t->sites[ss].key != key)
        return false;
    uint64_t w0 = t->last->w0 & ~(0xffull | 0xfffull << 20);
    t->last->w0 = w0 | TRACE_EV_MEM_WRITE | (uint64_t)ss << 20;
    t->last_type = type;
    t->last_site = site;
    return true;
}

bool tsan_record(struct tsan_thread *t, struct trace_thread_writer *w,
                 uint32_t type, uint64_t addr, uint32_t size_log, uint64_t pc)
{
    if (t->busy) {
        t->stats.dropped++;
        return false;
    }
    t->busy = 1;
    uint64_t key = tsan_context_key(t, pc), site = tsan_site_of(pc, key);
    bool fresh = !tsan_merge(t, type, addr, size_log, site);
    if (!fresh) {
        t->stats.merged++;
    } else if (tsan_upgrade(t, w, type, addr, size_log, site, key)) {
        t->stats.merged++;
        t->last_pc = pc;
    } else {
        tsan_site_define(t, w, site, key, pc);
        uint64_t region = TRACE_MEM_REGION(addr);
        struct trace_record *r = tsan_put(
            w, type, region, site, TRACE_MEM_ARG(addr - region, size_log, 1));
        t->stats.records++;
        t->last = r;
        t->last_type = type;
        t->last_size_log = size_log;
        t->last_site = site;
        t->last_addr = addr;
        t->last_count = 1;
        t->last_pc = pc;
        t->last_ctx =
            t->ctx[t->depth < TSAN_STACK_MAX ? t->depth : TSAN_STACK_MAX];
    }
    t->pos = w->pos;
    t->chunk = w->chunk;
    t->busy = 0;
    return fresh;
}

/* One piece of a range (at most TRACE_MEM_RANGE_MAX bytes): extend the
 * latest range record or write a new one.  Ranges keep their length in
 * last_count and mark themselves with size_log 7. */
static void tsan_range_piece(struct tsan_thread *t,
                             struct trace_thread_writer *w, uint32_t type,
                             uint64_t addr, uint32_t len, uint64_t site,
                             uint64_t key, uint64_t pc)
{
    if (t->last && t->last_type == type && t->last_size_log == 7 &&
        t->last_site == site && addr == t->last_addr + t->last_count &&
        t->last_count + len <= TRACE_MEM_RANGE_MAX) {
        t->last_count += len;
        uint32_t arg = TRACE_MEM_RANGE_ARG(
            t->last_addr - TRACE_MEM_REGION(t->last_addr), t->last_count);
        t->last->w1 = (t->last->w1 & ~0xffffffffull) | arg;
        t->stats.merged++;
        return;
    }
    tsan_site_define(t, w, site, key, pc);
    uint64_t region = TRACE_MEM_REGION(addr);
    t->last = tsan_put(w, type, region, site,
                       TRACE_MEM_RANGE_ARG(addr - region, len));
    t->stats.records++;
    t->last_type = type;
    t->last_size_log = 7;
    t->last_site = site;
    t->last_addr = addr;
    t->last_count = len;
}

void tsan_record_range(struct tsan_thread *t, struct trace_thread_writer *w,
                       uint32_t type, uint64_t addr, uint64_t len, uint64_t pc)
{
    if (t->busy) {
        t->stats.dropped++;
        return;
    }
    t->busy = 1;
    uint64_t key = tsan_context_key(t, pc), site = tsan_site_of(pc, key);
    while (len) {
        uint32_t n =
            len < TRACE_MEM_RANGE_MAX ? (uint32_t)len : TRACE_MEM_RANGE_MAX;
        tsan_range_piece(t, w, type, addr, n, site, key, pc);
        addr += n;
        len -= n;
    }
    t->pos = w->pos;
    t->chunk = w->chunk;
    t->busy = 0;
}

/* ---- the access path ---- */

/* The next access of a run (same code, context, kind and size, at the
 * next address): raise the latest record's count.  The common case of a
 * loop over an array, checked before anything else is computed. */
static inline bool tsan_extend(struct tsan_thread *t, uint32_t type,
                               uint64_t addr, uint32_t size_log, uint64_t pc)
{
    uint32_t d = t->depth < TSAN_STACK_MAX ? t->depth : TSAN_STACK_MAX;
    if (!t->last || t->last_pc != pc || t->last_type != type ||
        t->last_size_log != size_log || t->last_ctx != t->ctx[d] ||
        addr != t->last_addr + ((uint64_t)t->last_count << size_log) ||
        t->last_count >= TRACE_MEM_COUNT_MAX || t->busy)
        return false;
    t->last_count++;
    uint32_t arg = TRACE_MEM_ARG(t->last_addr - TRACE_MEM_REGION(t->last_addr),
                                 size_log, t->last_count);
    t->last->w1 = (t->last->w1 & ~0xffffffffull) | arg;
    t->stats.merged++;
    return true;
}

/* Filter miss (or an access across granules): record, then remember in
 * the filter, unless the access only extended the latest record: a scan
 * over an array then leaves the filter to the accesses that repeat. */
static __attribute__((noinline)) void tsan_access_miss(struct tsan_thread *t,
                                                       uint64_t addr,
                                                       uint32_t size_log,
                                                       bool write, uint64_t pc)
{
    uint32_t type = write ? TRACE_EV_MEM_WRITE : TRACE_EV_MEM_READ;
    if (t->busy) { /* a signal handler interrupted our record path */
        t->stats.dropped++;
        return;
    }
    if (tsan_extend(t, type, addr, size_log, pc) ||
        !tsan_record(t, t->w, type, addr, size_log, pc))
        return;
    uint32_t off = (uint32_t)(addr & 7), size = 1u << size_log;
    if (off + size > 8)
        return;
    uint8_t m = (uint8_t)(((1u << size) - 1) << off);
    struct tsan_filter *f = &t->filter[(addr >> 3) & (TSAN_FILTER_SIZE - 1)];
    if (f->gran != addr >> 3 || f->epoch != t->epoch) {
        f->epoch = 0; /* a signal handler reading it meanwhile misses */
        f->rmask = f->wmask = 0;
        f->gran = addr >> 3;
        f->epoch = t->epoch;
    }
    if (write)
        f->wmask |= m;
    else
        f->rmask |= m;
}

/* Whether the filter says this epoch already recorded these bytes. */
static inline bool tsan_filtered(const struct tsan_thread *t, uint64_t addr,
                                 uint32_t size_log, bool write)
{
    uint32_t off = (uint32_t)(addr & 7), size = 1u << size_log;
    if (off + size > 8)
        return false;
    uint32_t m = ((1u << size) - 1) << off;
    const struct tsan_filter *f =
        &t->filter[(addr >> 3) & (TSAN_FILTER_SIZE - 1)];
    uint32_t seen = write ? f->wmask : (uint32_t)(f->rmask | f->wmask);
    return f->gran == addr >> 3 && f->epoch == t->epoch && (seen & m) == m;
}

/* The access after a new epoch (or the thread's first): out of line. */
static __attribute__((noinline)) void
tsan_access_synced(uint64_t addr, uint32_t size_log, bool write, uint64_t pc)
{
    struct tsan_thread *t = tsan_thread_sync();
    if (!t)
        return;
    t->accesses++;
    if (!tsan_filtered(t, addr, size_log, write))
        tsan_access_miss(t, addr, size_log, write, pc);
}

/* The hot path: no frame, no call unless something is to be written. */
static inline __attribute__((always_inline)) void
tsan_access(uint64_t addr, uint32_t size_log, bool write, uint64_t pc)
{
    struct tsan_thread *t = tsan_self;
    const struct trace_thread_writer *w = shim_tls.w;
    if (SHIM_UNLIKELY(!t || t->w != w || w->pos != t->pos ||
                      w->chunk != t->chunk)) {
        tsan_access_synced(addr, size_log, write, pc);
        return;
    }
    t->accesses++;
    if (SHIM_LIKELY(tsan_filtered(t, addr, size_log, write)))
        return;
    tsan_access_miss(t, addr, size_log, write, pc);
}

void tsan_access_slow(uint64_t addr, uint32_t size_log, bool write, uint64_t pc)
{
    tsan_access(addr, size_log, write, pc);
}

/* ---- the entry points ---- */

#define TSAN_ACCESS_FNS(prefix, n, lg)                                         \
    SHIM_EXPORT void __tsan_##prefix##read##n(void *addr)                      \
    {                                                                          \
        tsan_access((uint64_t)(uintptr_t)addr, lg, false, TSAN_PC);            \
    }                                                                          \
    SHIM_EXPORT void __tsan_##prefix##write##n(void *addr)                     \
    {                                                                          \
        tsan_access((uint64_t)(uintptr_t)addr, lg, true, TSAN_PC);             \
    }

TSAN_ACCESS_FNS(, 1, 0)
TSAN_ACCESS_FNS(, 2, 1)
TSAN_ACCESS_FNS(, 4, 2)
TSAN_ACCESS_FNS(, 8, 3)
TSAN_ACCESS_FNS(, 16, 4)
TSAN_ACCESS_FNS(unaligned_, 2, 1)
TSAN_ACCESS_FNS(unaligned_, 4, 2)
TSAN_ACCESS_FNS(unaligned_, 8, 3)
TSAN_ACCESS_FNS(unaligned_, 16, 4)
/* volatile is no synchronization: plain accesses (as ThreadSanitizer) */
TSAN_ACCESS_FNS(volatile_, 1, 0)
TSAN_ACCESS_FNS(volatile_, 2, 1)
TSAN_ACCESS_FNS(volatile_, 4, 2)
TSAN_ACCESS_FNS(volatile_, 8, 3)
TSAN_ACCESS_FNS(volatile_, 16, 4)
TSAN_ACCESS_FNS(unaligned_volatile_, 2, 1)
TSAN_ACCESS_FNS(unaligned_volatile_, 4, 2)
TSAN_ACCESS_FNS(unaligned_volatile_, 8, 3)
TSAN_ACCESS_FNS(unaligned_volatile_, 16, 4)

/* The _pc variants name the access's pc themselves. */
#define TSAN_ACCESS_PC_FNS(n, lg)                                              \
    SHIM_EXPORT void __tsan_read##n##_pc(void *addr, void *pc)                 \
    {                                                                          \
        tsan_access((uint64_t)(uintptr_t)addr, lg, false,                      \
                    (uint64_t)(uintptr_t)pc);                                  \
    }                                                                          \
    SHIM_EXPORT void __tsan_write##n##_pc(void *addr, void *pc)                \
    {                                                                          \
        tsan_access((uint64_t)(uintptr_t)addr, lg, true,                       \
                    (uint64_t)(uintptr_t)pc);                                  \
    }

TSAN_ACCESS_PC_FNS(1, 0)
TSAN_ACCESS_PC_FNS(2, 1)
TSAN_ACCESS_PC_FNS(4, 2)
TSAN_ACCESS_PC_FNS(8, 3)
TSAN_ACCESS_PC_FNS(16, 4)

/* A range: small aligned ones go through the filter like any access. */
static void tsan_range(const void *addr, uint64_t len, bool write, uint64_t pc)
{
    uint64_t a = (uint64_t)(uintptr_t)addr;
    if (!len)
        return;
    if (len <= 8 && (len & (len - 1)) == 0 && (a & (len - 1)) == 0) {
        tsan_access(a, (uint32_t)__builtin_ctzll(len), write, pc);
        return;
    }
    struct tsan_thread *t = tsan_current();
    if (!t)
        return;
    t->accesses++;
    tsan_record_range(
        t, t->w, write ? TRACE_EV_MEM_RANGE_WRITE : TRACE_EV_MEM_RANGE_READ, a,
        len, pc);
}

SHIM_EXPORT void __tsan_read_range(void *addr, unsigned long size)
{
    tsan_range(addr, size, false, TSAN_PC);
}

SHIM_EXPORT void __tsan_write_range(void *addr, unsigned long size)
{
    tsan_range(addr, size, true, TSAN_PC);
}

SHIM_EXPORT void __tsan_read_range_pc(void *addr, unsigned long size, void *pc)
{
    tsan_range(addr, size, false, (uint64_t)(uintptr_t)pc);
}

SHIM_EXPORT void __tsan_write_range_pc(void *addr, unsigned long size, void *pc)
{
    tsan_range(addr, size, true, (uint64_t)(uintptr_t)pc);
}

/* C++ virtual tables: a vptr store that leaves the value unchanged (the
 * constructors and destructors of a hierarchy) is only a read, as in
 * ThreadSanitizer; a changing one is a write. */
SHIM_EXPORT void __tsan_vptr_update(void **vptr_p, void *new_val)
{
    bool write = *(void *volatile *)vptr_p != new_val;
    tsan_access((uint64_t)(uintptr_t)vptr_p, 3, write, TSAN_PC);
}

SHIM_EXPORT void __tsan_vptr_read(void **vptr_p)
{
    tsan_access((uint64_t)(uintptr_t)vptr_p, 3, false, TSAN_PC);
}

/* ---- memcpy and friends ----
 * Compilers turn copies in instrumented code into calls of memcpy,
 * memset and memmove (clang 14 and GCC 12), or of __tsan_memcpy & co
 * (newer clang).  `ctrace cc` links instrumented programs with
 * --wrap=memcpy,memset,memmove so that their calls come here first; a
 * program run without ctrace pays one test. */

static void tsan_copy(void *dst, const void *src, size_t n, uint64_t pc)
{
    if (tsan_off || !n)
        return;
    if (src)
        tsan_range(src, n, false, pc);
    tsan_range(dst, n, true, pc);
}

SHIM_EXPORT void *__tsan_memcpy(void *dst, const void *src, size_t n)
{
    tsan_copy(dst, src, n, TSAN_PC);
    return memcpy(dst, src, n);
}

SHIM_EXPORT void *__tsan_memmove(void *dst, const void *src, size_t n)
{
    tsan_copy(dst, src, n, TSAN_PC);
    return memmove(dst, src, n);
}

SHIM_EXPORT void *__tsan_memset(void *dst, int c, size_t n)
{
    tsan_copy(dst, NULL, n, TSAN_PC);
    return memset(dst, c, n);
}

SHIM_EXPORT void *__wrap_memcpy(void *dst, const void *src, size_t n)
{
    tsan_copy(dst, src, n, TSAN_PC);
    return memcpy(dst, src, n);
}

SHIM_EXPORT void *__wrap_memmove(void *dst, const void *src, size_t n)
{
    tsan_copy(dst, src, n, TSAN_PC);
    return memmove(dst, src, n);
}

SHIM_EXPORT void *__wrap_memset(void *dst, int c, size_t n)
{
    tsan_copy(dst, NULL, n, TSAN_PC);
    return memset(dst, c, n);
}
