/* Atomic operations of instrumented code: __tsan_atomic{8,16,32,64,128}_*
 * and the fences.  Each performs the operation itself (sequentially
 * consistent: never weaker than asked) and records it by the C11 model:
 *  - a release (or seq_cst) store, read-modify-write or compare-exchange
 *    records atomic-release on the atomic's address, stamped before the
 *    operation; an acquire (consume, seq_cst) one records atomic-acquire,
 *    stamped after it (docs/design.md rule 7), so the analyzer can order
 *    them and build happens-before edges;
 *  - a relaxed one records a mem-atomic-read/-write access only: it
 *    orders nothing, but it races with plain accesses;
 *  - after a release fence, relaxed stores record atomic-release (op
 *    TRACE_ATOMIC_FENCED: the analyzer publishes the clock of the fence);
 *    fences themselves record atomic-fence.
 * Repeated identical acquires with nothing in between (a spin loop)
 * restamp the latest record in place instead of writing new ones: only
 * the last one's edge matters.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "tsan.h"

#define TSAN_PC ((uint64_t)(uintptr_t)__builtin_return_address(0))
#define TSAN_RESTAMP_MAX (1ull << 29) /* keep records' clocks unwrappable */

typedef __int128 tsan_i128;

enum { MO_RELAXED, MO_CONSUME, MO_ACQUIRE, MO_RELEASE, MO_ACQ_REL, MO_SEQ_CST };

static inline int tsan_mo(int mo)
{
    mo &= 0xffff; /* GCC may add HLE bits above */
    return mo > MO_SEQ_CST ? MO_SEQ_CST : mo;
}

static inline bool mo_acquires(int mo)
{
    return mo == MO_CONSUME || mo == MO_ACQUIRE || mo == MO_ACQ_REL ||
           mo == MO_SEQ_CST;
}

static inline bool mo_releases(int mo)
{
    return mo == MO_RELEASE || mo == MO_ACQ_REL || mo == MO_SEQ_CST;
}

/* The latest record is an identical acquire: restamp it. */
static bool tsan_acquire_restamp(struct tsan_thread *t,
                                 struct trace_thread_writer *w, uint64_t obj,
                                 uint64_t site, uint32_t arg)
{
    struct trace_record *r = t->acq;
    unsigned os = trace_slot_of(obj), ss = trace_slot_of(site);
    if (!r || w->pos != t->acq_pos || r != trace_writer_last_full(w) ||
        r->w0 !=
            TRACE_W0(TRACE_EV_ATOMIC_ACQUIRE, os, ss, TRACE_W0_SEQ(r->w0)) ||
        TRACE_W1_ARG(r->w1) != arg || w->obj_cache[os] != obj ||
        w->site_cache[ss] != site)
        return false;
    uint64_t now = trace_clock_fenced(w->proc->clock_kind, TRACE_FENCE_ACQUIRE);
    if (now - w->last_clock >= TSAN_RESTAMP_MAX)
        return false;
    uint32_t seq = trace_writer_seq(w->proc, obj);
    r->w1 = TRACE_W1(arg, (uint32_t)now);
    __asm__ __volatile__("" ::: "memory");
    r->w0 = TRACE_W0(TRACE_EV_ATOMIC_ACQUIRE, os, ss, seq);
    w->last_clock = now;
    return true;
}

/* Record atomic-acquire or atomic-release on `a`. */
static void tsan_sync(uint32_t type, const volatile void *a, uint32_t op,
                      int mo, uint32_t size_log, uint64_t pc)
{
    struct tsan_thread *t = tsan_current();
    if (!t)
        return;
    struct trace_thread_writer *w = t->w;
    if (op != TRACE_ATOMIC_ANNOTATE)
        t->accesses++;
    if (t->busy) {
        t->stats.dropped++;
        return;
    }
    t->busy = 1;
    uint64_t obj = (uint64_t)(uintptr_t)a, site = tsan_site_here(t, w, pc);
    uint32_t arg = TRACE_ATOMIC_ARG(op, mo, size_log);
    bool acquire = type == TRACE_EV_ATOMIC_ACQUIRE;
    if (!acquire || !tsan_acquire_restamp(t, w, obj, site, arg)) {
        trace_emit_ordered(w, type, obj, site, arg,
                           acquire ? TRACE_FENCE_ACQUIRE : TRACE_FENCE_RELEASE);
        t->stats.records++;
        t->acq = acquire ? trace_writer_last_full(w) : NULL;
        t->acq_pos = w->pos;
    } else {
        t->stats.merged++;
    }
    /* t->pos stays behind: the next access starts a new epoch */
    t->last = NULL;
    t->busy = 0;
}

/* A relaxed operation: an atomic access, no edge.  Not through the
 * filter (which knows plain accesses only); merging still folds a spin
 * on the same variable into one record. */
static void tsan_relaxed(const volatile void *a, uint32_t size_log, bool write,
                         uint64_t pc)
{
    struct tsan_thread *t = tsan_current();
    if (!t)
        return;
    t->accesses++;
    tsan_record(t, t->w,
                write ? TRACE_EV_MEM_ATOMIC_WRITE : TRACE_EV_MEM_ATOMIC_READ,
                (uint64_t)(uintptr_t)a, size_log, pc);
}

static void tsan_before_write(const volatile void *a, uint32_t op, int mo,
                              uint32_t lg, uint64_t pc)
{
    struct tsan_thread *t = tsan_self;
    if (mo_releases(mo))
        tsan_sync(TRACE_EV_ATOMIC_RELEASE, a, op, mo, lg, pc);
    else if (t && t->fence_release)
        tsan_sync(TRACE_EV_ATOMIC_RELEASE, a, TRACE_ATOMIC_FENCED, mo, lg, pc);
    else if (op == TRACE_ATOMIC_STORE || !mo_acquires(mo))
        tsan_relaxed(a, lg, true, pc); /* an acquiring RMW: recorded after */
}

static void tsan_after_read(const volatile void *a, uint32_t op, int mo,
                            uint32_t lg, uint64_t pc)
{
    if (mo_acquires(mo))
        tsan_sync(TRACE_EV_ATOMIC_ACQUIRE, a, op, mo, lg, pc);
    else if (op == TRACE_ATOMIC_LOAD || op == TRACE_ATOMIC_CAS_FAIL)
        tsan_relaxed(a, lg, false, pc);
}

/* A read-modify-write that acquires but does not release still writes:
 * its acquire record stands for the access (an atomic write). */

#define TSAN_ATOMIC_FNS(n, T, lg)                                              \
    SHIM_EXPORT T __tsan_atomic##n##_load(const volatile T *a, int mo)         \
    {                                                                          \
        mo = tsan_mo(mo);                                                      \
        T v = TSAN_LOAD(a);                                                    \
        tsan_after_read(a, TRACE_ATOMIC_LOAD, mo, lg, TSAN_PC);                \
        return v;                                                              \
    }                                                                          \
    SHIM_EXPORT void __tsan_atomic##n##_store(volatile T *a, T v, int mo)      \
    {                                                                          \
        mo = tsan_mo(mo);                                                      \
        tsan_before_write(a, TRACE_ATOMIC_STORE, mo, lg, TSAN_PC);             \
        TSAN_STORE(a, v);                                                      \
    }                                                                          \
    TSAN_RMW(n, T, lg, exchange, TSAN_XCHG)                                    \
    TSAN_RMW(n, T, lg, fetch_add, TSAN_ADD)                                    \
    TSAN_RMW(n, T, lg, fetch_sub, TSAN_SUB)                                    \
    TSAN_RMW(n, T, lg, fetch_and, TSAN_AND)                                    \
    TSAN_RMW(n, T, lg, fetch_or, TSAN_OR)                                      \
    TSAN_RMW(n, T, lg, fetch_xor, TSAN_XOR)                                    \
    TSAN_RMW(n, T, lg, fetch_nand, TSAN_NAND)                                  \
    SHIM_EXPORT int __tsan_atomic##n##_compare_exchange_strong(                \
        volatile T *a, T *c, T v, int mo, int fmo)                             \
    {                                                                          \
        return tsan_cas##n(a, c, v, mo, fmo, TSAN_PC);                         \
    }                                                                          \
    SHIM_EXPORT int __tsan_atomic##n##_compare_exchange_weak(                  \
        volatile T *a, T *c, T v, int mo, int fmo)                             \
    {                                                                          \
        return tsan_cas##n(a, c, v, mo, fmo, TSAN_PC);                         \
    }                                                                          \
    SHIM_EXPORT T __tsan_atomic##n##_compare_exchange_val(                     \
        volatile T *a, T c, T v, int mo, int fmo)                              \
    {                                                                          \
        tsan_cas##n(a, &c, v, mo, fmo, TSAN_PC);                               \
        return c;                                                              \
    }

/* fetch-ops: release before, acquire after; a relaxed one is a write. */
#define TSAN_RMW(n, T, lg, name, OP)                                           \
    SHIM_EXPORT T __tsan_atomic##n##_##name(volatile T *a, T v, int mo)        \
    {                                                                          \
        mo = tsan_mo(mo);                                                      \
        uint64_t pc = TSAN_PC;                                                 \
        tsan_before_write(a, TRACE_ATOMIC_RMW, mo, lg, pc);                    \
        T old = OP(a, v);                                                      \
        tsan_after_read(a, TRACE_ATOMIC_RMW, mo, lg, pc);                      \
        return old;                                                            \
    }

/* compare-exchange: the success order before and after; on failure it
 * was a load with the failure order. */
#define TSAN_CAS_HELPER(n, T, lg)                                              \
    static int tsan_cas##n(volatile T *a, T *c, T v, int mo, int fmo,          \
                           uint64_t pc)                                        \
    {                                                                          \
        mo = tsan_mo(mo);                                                      \
        fmo = tsan_mo(fmo);                                                    \
        if (mo_releases(mo))                                                   \
            tsan_sync(TRACE_EV_ATOMIC_RELEASE, a, TRACE_ATOMIC_RMW, mo, lg,    \
                      pc);                                                     \
        int ok = TSAN_CAS(a, c, v);                                            \
        if (ok && mo_acquires(mo))                                             \
            tsan_sync(TRACE_EV_ATOMIC_ACQUIRE, a, TRACE_ATOMIC_RMW, mo, lg,    \
                      pc);                                                     \
        else if (ok && !mo_releases(mo))                                       \
            tsan_before_write(a, TRACE_ATOMIC_RMW, mo, lg, pc);                \
        else if (!ok)                                                          \
            tsan_after_read(a, TRACE_ATOMIC_CAS_FAIL, fmo, lg, pc);            \
        return ok;                                                             \
    }

/* 1..8 bytes: the compiler's builtins, sequentially consistent. */
#define TSAN_LOAD(a) __atomic_load_n(a, __ATOMIC_SEQ_CST)
#define TSAN_STORE(a, v) __atomic_store_n(a, v, __ATOMIC_SEQ_CST)
#define TSAN_XCHG(a, v) __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST)
#define TSAN_ADD(a, v) __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST)
#define TSAN_SUB(a, v) __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST)
#define TSAN_AND(a, v) __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST)
#define TSAN_OR(a, v) __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST)
#define TSAN_XOR(a, v) __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST)
#define TSAN_NAND(a, v) __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST)
#define TSAN_CAS(a, c, v)                                                      \
    __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST,              \
                                __ATOMIC_SEQ_CST)

TSAN_CAS_HELPER(8, uint8_t, 0)
TSAN_CAS_HELPER(16, uint16_t, 1)
TSAN_CAS_HELPER(32, uint32_t, 2)
TSAN_CAS_HELPER(64, uint64_t, 3)
TSAN_ATOMIC_FNS(8, uint8_t, 0)
TSAN_ATOMIC_FNS(16, uint16_t, 1)
TSAN_ATOMIC_FNS(32, uint32_t, 2)
TSAN_ATOMIC_FNS(64, uint64_t, 3)

/* 16 bytes: one compare-and-swap loop (cmpxchg16b on x86-64, built with
 * -mcx16), so that no libatomic is needed. */
#undef TSAN_LOAD
#undef TSAN_STORE
#undef TSAN_XCHG
#undef TSAN_ADD
#undef TSAN_SUB
#undef TSAN_AND
#undef TSAN_OR
#undef TSAN_XOR
#undef TSAN_NAND
#undef TSAN_CAS

#if defined(__x86_64__)
__attribute__((target("cx16")))
#endif
static inline tsan_i128
cas128(volatile tsan_i128 *a, tsan_i128 expect, tsan_i128 v)
{
    return __sync_val_compare_and_swap(a, expect, v);
}

static tsan_i128 load128(const volatile tsan_i128 *a)
{
    return cas128((volatile tsan_i128 *)a, 0, 0);
}

enum op128 { OP_XCHG, OP_ADD, OP_SUB, OP_AND, OP_OR, OP_XOR, OP_NAND };

static tsan_i128 rmw128(volatile tsan_i128 *a, tsan_i128 v, enum op128 op)
{
    tsan_i128 old = load128(a);
    for (;;) {
        tsan_i128 nv = v;
        switch (op) {
        case OP_XCHG:
            nv = v;
            break;
        case OP_ADD:
            nv = old + v;
            break;
        case OP_SUB:
            nv = old - v;
            break;
        case OP_AND:
            nv = old & v;
            break;
        case OP_OR:
            nv = old | v;
            break;
        case OP_XOR:
            nv = old ^ v;
            break;
        case OP_NAND:
            nv = ~(old & v);
            break;
        }
        tsan_i128 seen = cas128(a, old, nv);
        if (seen == old)
            return old;
        old = seen;
    }
}

static int cas128_strong(volatile tsan_i128 *a, tsan_i128 *c, tsan_i128 v)
{
    tsan_i128 seen = cas128(a, *c, v);
    if (seen == *c)
        return 1;
    *c = seen;
    return 0;
}

#define TSAN_LOAD(a) load128(a)
#define TSAN_STORE(a, v) rmw128(a, v, OP_XCHG)
#define TSAN_XCHG(a, v) rmw128(a, v, OP_XCHG)
#define TSAN_ADD(a, v) rmw128(a, v, OP_ADD)
#define TSAN_SUB(a, v) rmw128(a, v, OP_SUB)
#define TSAN_AND(a, v) rmw128(a, v, OP_AND)
#define TSAN_OR(a, v) rmw128(a, v, OP_OR)
#define TSAN_XOR(a, v) rmw128(a, v, OP_XOR)
#define TSAN_NAND(a, v) rmw128(a, v, OP_NAND)
#define TSAN_CAS(a, c, v) cas128_strong(a, c, v)

TSAN_CAS_HELPER(128, tsan_i128, 4)
TSAN_ATOMIC_FNS(128, tsan_i128, 4)

/* ---- fences and annotations ---- */

SHIM_EXPORT void __tsan_atomic_thread_fence(int mo)
{
    mo = tsan_mo(mo);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (mo == MO_RELAXED)
        return;
    struct tsan_thread *t = tsan_current();
    if (!t)
        return;
    struct trace_thread_writer *w = t->w;
    if (mo_releases(mo))
        t->fence_release = 1; /* from now on relaxed stores publish it */
    if (t->busy)
        return;
    t->busy = 1;
    uint64_t site = tsan_site_here(t, w, TSAN_PC);
    trace_emit_now(w, TRACE_EV_ATOMIC_FENCE, 0, site, (uint32_t)mo, 0,
                   trace_clock_fenced(w->proc->clock_kind, TRACE_FENCE_BOTH));
    t->last = NULL;
    t->busy = 0;
}

SHIM_EXPORT void __tsan_atomic_signal_fence(int mo)
{
    (void)mo;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* sanitizer/tsan_interface.h: happens-before annotations. */
SHIM_EXPORT void __tsan_acquire(void *addr)
{
    tsan_sync(TRACE_EV_ATOMIC_ACQUIRE, addr, TRACE_ATOMIC_ANNOTATE, MO_ACQUIRE,
              0, TSAN_PC);
}

SHIM_EXPORT void __tsan_release(void *addr)
{
    tsan_sync(TRACE_EV_ATOMIC_RELEASE, addr, TRACE_ATOMIC_ANNOTATE, MO_RELEASE,
              0, TSAN_PC);
}
