/* The heap, for instrumented processes: malloc and its family, free, and
 * C++ operator new record mem-alloc / mem-free so that the analyzer can
 * (1) forget a block's past accesses when its memory is handed out again
 * (malloc's own locking is not recorded, so without this a reused block
 * would race with its previous life) and (2) name a racing address "heap
 * block of 64 bytes allocated by T2 at cache.c:88".
 *
 * Only processes that ran __tsan_init (built with `ctrace cc`) record
 * anything; in every other process each wrapper is one test and a call.
 *
 * The real functions come from dlsym(RTLD_NEXT): whatever allocator the
 * program uses.  dlsym itself may allocate while we resolve: those
 * allocations come from a small static arena, never given back.
 *
 * operator new: libstdc++'s calls malloc, which would name libstdc++ as
 * the allocation site; the wrappers here record the block again with the
 * program's call site, which replaces the first record.  operator delete
 * ends in free, which is enough.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "tsan.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define TSAN_PC ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* ---- the real allocator ---- */

static struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*usable_size)(void *);
} heap;

static int heap_state; /* 0 unresolved, 1 resolving, 2 ready */

#define ARENA_SIZE (256u * 1024u)
static char heap_arena[ARENA_SIZE] __attribute__((aligned(64)));
static size_t heap_arena_used;

static void *arena_alloc(size_t n, size_t align)
{
    if (align < 16)
        align = 16;
    for (;;) {
        size_t at = __atomic_load_n(&heap_arena_used, __ATOMIC_RELAXED);
        uintptr_t base = (uintptr_t)heap_arena;
        size_t start = ((base + at + sizeof(size_t) + align - 1) &
                        ~(uintptr_t)(align - 1)) -
                       base;
        if (start + n > ARENA_SIZE || start + n < start)
            return NULL;
        if (__atomic_compare_exchange_n(&heap_arena_used, &at, start + n, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            memcpy(heap_arena + start - sizeof(size_t), &n, sizeof n);
            return heap_arena + start; /* static: already zeroed */
        }
    }
}

static bool arena_owns(const void *p)
{
    return (const char *)p >= heap_arena &&
           (const char *)p < heap_arena + ARENA_SIZE;
}

static size_t arena_size(const void *p)
{
    size_t n;
    memcpy(&n, (const char *)p - sizeof(size_t), sizeof n);
    return n;
}

static void *heap_sym(const char *name) { return dlsym(RTLD_NEXT, name); }

/* true once the real functions are known; the resolving thread (and any
 * other meanwhile) gets false and uses the arena. */
static bool heap_ready(void)
{
    int s = __atomic_load_n(&heap_state, __ATOMIC_ACQUIRE);
    if (SHIM_LIKELY(s == 2))
        return true;
    int expect = 0;
    if (s != 0 ||
        !__atomic_compare_exchange_n(&heap_state, &expect, 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
    int saved = errno;
    heap.malloc = heap_sym("malloc");
    heap.free = heap_sym("free");
    heap.calloc = heap_sym("calloc");
    heap.realloc = heap_sym("realloc");
    heap.reallocarray = heap_sym("reallocarray");
    heap.posix_memalign = heap_sym("posix_memalign");
    heap.aligned_alloc = heap_sym("aligned_alloc");
    heap.memalign = heap_sym("memalign");
    heap.valloc = heap_sym("valloc");
    heap.pvalloc = heap_sym("pvalloc");
    heap.usable_size = heap_sym("malloc_usable_size");
    errno = saved;
    if (!heap.malloc || !heap.free || !heap.calloc || !heap.realloc)
        abort(); /* no allocator: the program could not run either */
    __atomic_store_n(&heap_state, 2, __ATOMIC_RELEASE);
    return true;
}

/* ---- recording ---- */

/* The thread's state when a heap event may be recorded now. */
static struct tsan_thread *heap_recorder(void)
{
    /* Never the thread's first event: the shim's thread trampoline
     * frees its start block before the thread is adopted. */
    if (!__atomic_load_n(&tsan_enabled, __ATOMIC_RELAXED) || tsan_off ||
        shim_tls.busy || !shim_tls.w)
        return NULL;
    struct tsan_thread *t = tsan_current();
    return t && !t->busy ? t : NULL;
}

static void heap_record(uint32_t type, const void *p, size_t n, uint64_t pc)
{
    struct tsan_thread *t = heap_recorder();
    if (!t)
        return;
    struct trace_thread_writer *w = t->w;
    t->busy = 1;
    uint64_t site = tsan_site_here(t, w, pc);
    struct trace_mem_block b = {(uint64_t)(uintptr_t)p, n};
    tsan_emit_payload(t, w, type, site, &b, sizeof b);
    t->busy = 0;
}

static inline void heap_alloc_done(const void *p, size_t n, uint64_t pc)
{
    if (SHIM_UNLIKELY(tsan_enabled) && p)
        heap_record(TRACE_EV_MEM_ALLOC, p, n, pc);
}

static inline void heap_free_begin(void *p, uint64_t pc)
{
    if (SHIM_UNLIKELY(tsan_enabled) && p)
        heap_record(TRACE_EV_MEM_FREE, p,
                    heap.usable_size ? heap.usable_size(p) : 0, pc);
}

/* ---- malloc and its family ---- */

SHIM_EXPORT void *malloc(size_t n)
{
    if (SHIM_UNLIKELY(!heap_ready()))
        return arena_alloc(n, 16);
    void *p = heap.malloc(n);
    heap_alloc_done(p, n, TSAN_PC);
    return p;
}

SHIM_EXPORT void free(void *p)
{
    if (!p || arena_owns(p))
        return;
    if (SHIM_UNLIKELY(!heap_ready()))
        return; /* not ours to give back yet: leaked, never corrupted */
    heap_free_begin(p, TSAN_PC);
    heap.free(p);
}

SHIM_EXPORT void *calloc(size_t n, size_t size)
{
    if (SHIM_UNLIKELY(!heap_ready())) {
        if (size && n > SIZE_MAX / size)
            return NULL;
        return arena_alloc(n * size, 16);
    }
    void *p = heap.calloc(n, size);
    heap_alloc_done(p, n * size, TSAN_PC);
    return p;
}

static void *heap_realloc(void *p, size_t n, uint64_t pc)
{
    if (p && arena_owns(p)) { /* an arena block moves to the real heap */
        void *q = heap_ready() ? heap.malloc(n) : arena_alloc(n, 16);
        if (q) {
            size_t old = arena_size(p);
            memcpy(q, p, old < n ? old : n);
            heap_alloc_done(q, n, pc);
        }
        return q;
    }
    if (SHIM_UNLIKELY(!heap_ready()))
        return p ? NULL : arena_alloc(n, 16);
    size_t old = p && heap.usable_size ? heap.usable_size(p) : 0;
    /* The old block ends before the call: another thread may get its
     * memory the moment realloc lets it go. */
    heap_free_begin(p, pc);
    void *q = heap.realloc(p, n);
    if (q)
        heap_alloc_done(q, n, pc);
    else if (p && n)
        heap_alloc_done(p, old, pc); /* failed: the old block lives on */
    return q;
}

SHIM_EXPORT void *realloc(void *p, size_t n)
{
    return heap_realloc(p, n, TSAN_PC);
}

SHIM_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return heap_realloc(p, n * size, TSAN_PC);
}

SHIM_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (SHIM_UNLIKELY(!heap_ready())) {
        *out = arena_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    int rc = heap.posix_memalign(out, align, n);
    if (rc == 0)
        heap_alloc_done(*out, n, TSAN_PC);
    return rc;
}

/* The aligned allocators glibc has; NULL with ENOMEM where another
 * allocator lacks one. */
#define HEAP_ALIGNED(name, call, size_expr)                                    \
    SHIM_EXPORT void *name(size_t align, size_t n)                             \
    {                                                                          \
        if (SHIM_UNLIKELY(!heap_ready()))                                      \
            return arena_alloc(n, align);                                      \
        if (!heap.name) {                                                      \
            errno = ENOMEM;                                                    \
            return NULL;                                                       \
        }                                                                      \
        void *p = call;                                                        \
        heap_alloc_done(p, size_expr, TSAN_PC);                                \
        return p;                                                              \
    }

HEAP_ALIGNED(aligned_alloc, heap.aligned_alloc(align, n), n)
HEAP_ALIGNED(memalign, heap.memalign(align, n), n)

SHIM_EXPORT void *valloc(size_t n)
{
    if (SHIM_UNLIKELY(!heap_ready()))
        return arena_alloc(n, 4096);
    if (!heap.valloc) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = heap.valloc(n);
    heap_alloc_done(p, n, TSAN_PC);
    return p;
}

SHIM_EXPORT void *pvalloc(size_t n)
{
    if (SHIM_UNLIKELY(!heap_ready()))
        return arena_alloc(n, 4096);
    if (!heap.pvalloc) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = heap.pvalloc(n);
    heap_alloc_done(p, n, TSAN_PC);
    return p;
}

/* ---- C++ operator new ---- */

/* libstdc++'s definition: the next one, or (when libstdc++ was loaded
 * in a local scope, as Python extension modules are) the library's
 * own. */
static void *cxx_real(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_NOLOAD);
        if (h) {
            p = dlsym(h, name);
            dlclose(h); /* drops only the NOLOAD reference */
        }
    }
    if (!p)
        abort(); /* as the dynamic linker would have */
    return p;
}

#define CXX_NEW(sym, params, args, size)                                       \
    void *sym params;                                                          \
    SHIM_EXPORT void *sym params                                               \
    {                                                                          \
        static void *(*real)params;                                            \
        if (SHIM_UNLIKELY(!real))                                              \
            real = (void *(*)params)cxx_real(#sym);                            \
        void *p = real args;                                                   \
        heap_alloc_done(p, size, TSAN_PC);                                     \
        return p;                                                              \
    }

CXX_NEW(_Znwm, (size_t n), (n), n)
CXX_NEW(_Znam, (size_t n), (n), n)
CXX_NEW(_ZnwmRKSt9nothrow_t, (size_t n, const void *nt), (n, nt), n)
CXX_NEW(_ZnamRKSt9nothrow_t, (size_t n, const void *nt), (n, nt), n)
CXX_NEW(_ZnwmSt11align_val_t, (size_t n, size_t al), (n, al), n)
CXX_NEW(_ZnamSt11align_val_t, (size_t n, size_t al), (n, al), n)
CXX_NEW(_ZnwmSt11align_val_tRKSt9nothrow_t,
        (size_t n, size_t al, const void *nt), (n, al, nt), n)
CXX_NEW(_ZnamSt11align_val_tRKSt9nothrow_t,
        (size_t n, size_t al, const void *nt), (n, al, nt), n)
