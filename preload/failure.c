/* Failure interception: abort(), failed asserts (__assert_fail,
 * __assert_perror_fail), C++ throws (__cxa_throw) and std::terminate,
 * each recorded with the full stack of the program's call site.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h for the rules.
 *
 * One failure, one record.  A failed assert calls abort() (internally,
 * so our abort() does not see it), an uncaught C++ exception reaches
 * std::terminate, whose handler calls abort(); abort() raises SIGABRT.
 * The first of these records the failure and marks the thread; abort()
 * then records nothing more, and the SIGABRT that follows is not
 * recorded as a `signal` (signal.c takes the mark).  So an assert gives
 * one `assert`, an uncaught exception one `cxx-throw` (the throw) and one
 * `cxx-terminate`, a bare abort() one `abort`.
 *
 * C++.  The type of a throw is its std::type_info's mangled name (the
 * analyzer demangles).  what() needs C++ (a catch of std::exception), so
 * it comes from a small helper library, libctrace-cxx.so next to
 * libctrace.so, loaded at the first throw and only into processes that
 * already have libstdc++ (a C program never gets a C++ runtime from us).
 * Uncaught exceptions reach std::terminate through libstdc++'s PLT
 * (__cxa_throw, __cxa_rethrow and noexcept landing pads all call it
 * there), so intercepting std::terminate sees them; __cxa_rethrow itself
 * is not recorded (the original throw was).
 */
#include "process.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAILURE_STRING_MAX 512 /* per recorded assert/type/what string */
#define CXX_HELPER_NAME "libctrace-cxx.so"

/* Set when this thread recorded a failure whose SIGABRT is to come. */
static __thread uint32_t failure_pending;

bool shim_failure_take_pending(void)
{
    bool pending = failure_pending != 0;
    failure_pending = 0;
    return pending;
}

uint32_t shim_failure_stack(uint64_t *pcs, uint32_t max, uint64_t site)
{
    if (!shim_stack_has_room()) /* the failure, without its stack */
        return 0;
    uint32_t n = shim_backtrace(pcs, max, 0);
    uint32_t at = 0;
    while (at < n && pcs[at] != site)
        at++;
    if (at == n)
        return n; /* the site is not on the stack: keep everything */
    memmove(pcs, pcs + at, (n - at) * sizeof *pcs);
    return n - at;
}

/* A payload under construction: a header, strings, then pcs at an
 * 8-byte boundary, never more than TRACE_PAYLOAD_MAX bytes. */
struct failure_payload {
    uint64_t words[TRACE_PAYLOAD_MAX / 8];
    uint32_t len;
};

static uint16_t payload_put_str(struct failure_payload *p, const char *s)
{
    char *at = (char *)p->words + p->len;
    size_t room = TRACE_PAYLOAD_MAX - p->len;
    size_t n = s ? strnlen(s, FAILURE_STRING_MAX - 1) : 0;
    if (n + 1 > room)
        n = room ? room - 1 : 0;
    if (!room)
        return 0;
    memcpy(at, s ? s : "", n);
    at[n] = '\0';
    p->len += (uint32_t)n + 1;
    return (uint16_t)(n + 1);
}

/* Append as many pcs as fit; returns how many did. */
static uint16_t payload_put_pcs(struct failure_payload *p, const uint64_t *pcs,
                                uint32_t n)
{
    p->len = (p->len + 7u) & ~7u;
    uint32_t room = (TRACE_PAYLOAD_MAX - p->len) / 8u;
    if (n > room)
        n = room;
    memcpy((char *)p->words + p->len, pcs, n * sizeof *pcs);
    p->len += n * 8u;
    return (uint16_t)n;
}

/* ---- abort and assert ---- */

SHIM_EXPORT void abort(void)
{
    SHIM_REAL(abort);
    uint64_t site = SHIM_SITE;
    struct trace_thread_writer *w = shim_writer();
    if (w && !failure_pending) {
        int saved = errno;
        uint64_t pcs[STACK_CAPTURE_MAX];
        uint32_t n = shim_failure_stack(pcs, STACK_CAPTURE_MAX, site);
        shim_event_payload(w, TRACE_EV_ABORT, NULL, site, pcs,
                           n * (uint32_t)sizeof *pcs);
        errno = saved;
    }
    if (w)
        failure_pending = 1;
    real();
    __builtin_unreachable();
}

static void assert_record(const char *expr, const char *file, unsigned line,
                          const char *func, uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    int saved = errno;
    uint64_t pcs[STACK_CAPTURE_MAX];
    uint32_t n = shim_failure_stack(pcs, STACK_CAPTURE_MAX, site);
    struct failure_payload p;
    struct trace_assert_info info;
    memset(&info, 0, sizeof info);
    p.len = sizeof info;
    info.line = line;
    info.expr_len = payload_put_str(&p, expr);
    info.file_len = payload_put_str(&p, file);
    info.func_len = payload_put_str(&p, func);
    info.nframes = payload_put_pcs(&p, pcs, n);
    memcpy(p.words, &info, sizeof info);
    shim_event_payload(w, TRACE_EV_ASSERT, NULL, site, p.words, p.len);
    failure_pending = 1;
    errno = saved;
}

SHIM_EXPORT void __assert_fail(const char *expr, const char *file,
                               unsigned int line, const char *func)
{
    SHIM_REAL(__assert_fail);
    assert_record(expr, file, line, func, SHIM_SITE);
    real(expr, file, line, func);
    __builtin_unreachable();
}

SHIM_EXPORT void __assert_perror_fail(int errnum, const char *file,
                                      unsigned int line, const char *func)
{
    SHIM_REAL(__assert_perror_fail);
    char expr[48];
    snprintf(expr, sizeof expr, "assert_perror(%d)", errnum);
    assert_record(expr, file, line, func, SHIM_SITE);
    real(errnum, file, line, func);
    __builtin_unreachable();
}

/* ---- C++ ---- */

/* libctrace-cxx.so (failure_cxx.cpp). */
typedef uint32_t (*cxx_what_fn)(const void *tinfo, void *obj, char *what,
                                uint32_t cap);
typedef uint32_t (*cxx_current_fn)(char *type, uint32_t tcap, char *what,
                                   uint32_t wcap);
static cxx_what_fn cxx_what;
static cxx_current_fn cxx_current;

static void cxx_helper_load(void)
{
    static int tried;
    if (__atomic_exchange_n(&tried, 1, __ATOMIC_ACQ_REL))
        return;
    const char *dir = shim_lib_dir();
    char path[4200];
    if (!dir || strlen(dir) + sizeof CXX_HELPER_NAME + 2 > sizeof path)
        return;
    shim_enter();
    void *stdcxx = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (stdcxx) {
        snprintf(path, sizeof path, "%s/%s", dir, CXX_HELPER_NAME);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            cxx_current = (cxx_current_fn)dlsym(h, "ctrace_cxx_current");
            __atomic_store_n(&cxx_what,
                             (cxx_what_fn)dlsym(h, "ctrace_cxx_what"),
                             __ATOMIC_RELEASE);
        }
        dlclose(stdcxx); /* drops only the NOLOAD reference */
    }
    shim_leave();
}

/* A std::type_info's name(): the second word, without the '*' GCC puts
 * before names that must be compared by address. */
static const char *cxx_type_name(const void *tinfo)
{
    const char *name = tinfo ? ((const char *const *)tinfo)[1] : NULL;
    if (name && *name == '*')
        name++;
    return name;
}

static void cxx_record(uint32_t type, const char *tname, const char *what,
                       uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    uint64_t pcs[STACK_CAPTURE_MAX];
    uint32_t n = shim_failure_stack(pcs, STACK_CAPTURE_MAX, site);
    struct failure_payload p;
    struct trace_throw_info info;
    memset(&info, 0, sizeof info);
    p.len = sizeof info;
    info.type_len = tname ? payload_put_str(&p, tname) : 0;
    info.what_len = what ? payload_put_str(&p, what) : 0;
    info.nframes = payload_put_pcs(&p, pcs, n);
    memcpy(p.words, &info, sizeof info);
    shim_event_payload(w, type, NULL, site, p.words, p.len);
}

void __cxa_throw(void *obj, void *tinfo, void (*dest)(void *));
SHIM_EXPORT void __cxa_throw(void *obj, void *tinfo, void (*dest)(void *))
{
    SHIM_REAL(__cxa_throw);
    uint64_t site = SHIM_SITE;
    if (shim_writer()) {
        int saved = errno;
        cxx_helper_load();
        cxx_what_fn what_fn = __atomic_load_n(&cxx_what, __ATOMIC_ACQUIRE);
        char what[FAILURE_STRING_MAX];
        bool has_what = what_fn && what_fn(tinfo, obj, what, sizeof what);
        cxx_record(TRACE_EV_CXX_THROW, cxx_type_name(tinfo),
                   has_what ? what : NULL, site);
        errno = saved;
    }
    real(obj, tinfo, dest);
    __builtin_unreachable();
}

/* The current exception's type and what(), without the helper: the type
 * only, from the C++ ABI. */
static bool cxx_current_describe(char *type, uint32_t tcap, char *what,
                                 uint32_t wcap)
{
    cxx_current_fn cur = __atomic_load_n(&cxx_current, __ATOMIC_ACQUIRE);
    if (cur)
        return cur(type, tcap, what, wcap) != 0;
    shim_enter();
    void *(*current_type)(void) =
        (void *(*)(void))dlsym(RTLD_DEFAULT, "__cxa_current_exception_type");
    shim_leave();
    const char *name = current_type ? cxx_type_name(current_type()) : NULL;
    if (!name)
        return false;
    snprintf(type, tcap, "%s", name);
    what[0] = '\0';
    return true;
}

void _ZSt9terminatev(void) __attribute__((noreturn));
SHIM_EXPORT void _ZSt9terminatev(void)
{
    SHIM_REAL(_ZSt9terminatev);
    uint64_t site = SHIM_SITE;
    if (shim_writer() && !failure_pending) {
        int saved = errno;
        char type[FAILURE_STRING_MAX], what[FAILURE_STRING_MAX];
        type[0] = what[0] = '\0';
        bool current =
            cxx_current_describe(type, sizeof type, what, sizeof what);
        cxx_record(TRACE_EV_CXX_TERMINATE, current ? type : NULL,
                   current && what[0] ? what : NULL, site);
        failure_pending = 1;
        errno = saved;
    }
    real();
    __builtin_unreachable();
}
