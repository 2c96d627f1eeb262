/* The shim's internal interface: what every interception file in preload/
 * uses to find the real function, get the calling thread's writer and
 * record an event.
 *
 * THIS CODE RUNS INSIDE THE TRACED PROGRAM (docs/design.md, "The recorder's
 * rules"):
 *  - it never changes what the program sees: every wrapper returns the
 *    real call's result and leaves errno as the real call left it;
 *  - no malloc on hot paths, no stdio, no locks of our own; everything
 *    reachable from a signal handler is async-signal-safe;
 *  - calls may arrive before our constructor ran, inside signal handlers,
 *    and from inside our own dependencies (dlsym, libunwind): a per-thread
 *    `busy` flag makes the shim step aside while it runs its own code.
 *
 * Recording never changes errno (the writer restores it where a system
 * call could set it), so a wrapper looks like:
 *
 *   int pthread_mutex_unlock(pthread_mutex_t *m)
 *   {
 *       SHIM_REAL(pthread_mutex_unlock);
 *       struct trace_thread_writer *w = shim_writer();
 *       if (!w) return real(m);                  // not recording
 *       shim_event_release(w, TRACE_EV_MUTEX_RELEASE, m, SHIM_SITE, 0);
 *       return real(m);
 *   }
 */
#ifndef CTRACE_PRELOAD_SHIM_H
#define CTRACE_PRELOAD_SHIM_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "writer.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_LIKELY(x) __builtin_expect(!!(x), 1)
#define SHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* The caller's return address: the call site of the intercepted call.
 * Only valid in the exported wrapper itself. */
#define SHIM_SITE ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* Per-thread state in initial-exec TLS: a few words only, because glibc
 * carves static TLS out of every thread's stack. */
struct shim_tls {
    struct trace_thread_writer *w; /* NULL until the thread's first event */
    uint32_t busy;                 /* >0 while the shim runs its own code */
    uint32_t in_signal;            /* >0 while a user signal handler runs */
    uint32_t dead;     /* the thread's writer is gone: record nothing */
    uint32_t exit_how; /* TRACE_EXIT_* seen by the cleanup handler */
    uintptr_t stack_lo, stack_hi; /* the thread's stack; 0, 0: unknown */
};
extern __thread struct shim_tls shim_tls
    __attribute__((tls_model("initial-exec")));

/* The process image's writer. */
extern struct trace_proc_writer shim_proc;

/* 0 before init, 1 recording, 2 disabled (no CTRACE_DIR, or init failed). */
extern int shim_state;

/* Resolve the next definition of a symbol (dlsym RTLD_NEXT, or dlvsym when
 * a version is given), with the shim stepping aside meanwhile. */
void *shim_dlsym(const char *name, const char *version);

/* Declares `real`, the next definition of the function being wrapped. */
#define SHIM_REAL(name) SHIM_REAL_V(name, NULL)
#define SHIM_REAL_V(name, version)                                             \
    static __typeof__(name) *real_##name;                                      \
    if (SHIM_UNLIKELY(!real_##name))                                           \
        real_##name = (__typeof__(name) *)shim_dlsym(#name, version);          \
    __typeof__(name) *real = real_##name

/* The calling thread's writer, or NULL when nothing is to be recorded
 * (shim disabled, the shim's own code running, the thread finished). */
struct trace_thread_writer *shim_writer_slow(void);
static inline struct trace_thread_writer *shim_writer(void)
{
    struct trace_thread_writer *w = shim_tls.w;
    if (SHIM_LIKELY(w && !shim_tls.busy))
        return w;
    return shim_writer_slow();
}

/* Make sure the process is set up (constructor, or first intercepted
 * call, whichever comes first).  Returns true when recording. */
bool shim_init(void);

/* Step aside / come back around the shim's own calls into libraries that
 * might reach a wrapper (libunwind, dlsym, stdio in the constructor). */
static inline void shim_enter(void) { shim_tls.busy++; }
static inline void shim_leave(void) { shim_tls.busy--; }

/* Record an event.  The site's deeper stack is attached once per chunk
 * (the writer's site_hook) when stack_depth > 1. */
static inline __attribute__((always_inline)) void
shim_event(struct trace_thread_writer *w, uint32_t type, const void *obj,
           uint64_t site, uint32_t arg)
{
    trace_emit(w, type, (uint64_t)(uintptr_t)obj, site, arg);
}

/* Record a happens-before source or sink (TF_SEQ events): call it before
 * a release and after an acquire. */
static inline __attribute__((always_inline)) void
shim_event_seq(struct trace_thread_writer *w, uint32_t type, const void *obj,
               uint64_t site, uint32_t arg)
{
    trace_emit_ordered(w, type, (uint64_t)(uintptr_t)obj, site, arg,
                       TRACE_FENCE_BOTH);
}

/* The same for hot paths that know which side they are on. */
static inline __attribute__((always_inline)) void
shim_event_release(struct trace_thread_writer *w, uint32_t type,
                   const void *obj, uint64_t site, uint32_t arg)
{
    trace_emit_ordered(w, type, (uint64_t)(uintptr_t)obj, site, arg,
                       TRACE_FENCE_RELEASE);
}

static inline __attribute__((always_inline)) void
shim_event_acquire(struct trace_thread_writer *w, uint32_t type,
                   const void *obj, uint64_t site, uint32_t arg)
{
    trace_emit_ordered(w, type, (uint64_t)(uintptr_t)obj, site, arg,
                       TRACE_FENCE_ACQUIRE);
}

static inline void shim_event_payload(struct trace_thread_writer *w,
                                      uint32_t type, const void *obj,
                                      uint64_t site, const void *payload,
                                      uint32_t len)
{
    trace_emit_payload(w, type, (uint64_t)(uintptr_t)obj, site, payload, len);
}

#define STACK_CAPTURE_MAX 128

/* Stack a deep capture (libunwind and the shim's frames around it) may
 * need: the stack_edge sample crashed with 7.5 KiB left and not with 8
 * (shim_backtrace's frame alone is 2 KiB, -fstack-usage), plus a margin.  With
 * less room left the shim records the return address only: a program that runs
 * close to the end of a small thread stack must not crash because ctrace is
 * there. */
#define SHIM_DEEP_STACK_MIN (12u * 1024u)

/* Remember the calling thread's stack bounds (at its start). */
void shim_stack_learn(void);
/* Whether the calling thread has room for a deep capture: true when its
 * bounds are unknown (the main thread, whose stack grows to 8 MiB by
 * default), false when sp is outside them (another stack: a coroutine's,
 * which may be small). */
static inline bool shim_stack_has_room(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (!shim_tls.stack_hi)
        return true;
    return sp > shim_tls.stack_lo && sp <= shim_tls.stack_hi &&
           sp - shim_tls.stack_lo >= SHIM_DEEP_STACK_MIN;
}

/* Full stack of the caller (libunwind), innermost first, skipping the
 * shim's own frames; returns the number of pcs.  Async-signal-safe as far
 * as libunwind's local unwinder is. */
uint32_t shim_backtrace(uint64_t *pcs, uint32_t max, uint32_t skip);

/* Thread life cycle (thread.c). */
void shim_thread_adopt(uint32_t serial, uint32_t creator_serial,
                       uint64_t start_routine);
/* Thread creation through the start trampoline, shared by pthread_create
 * and thrd_create (c11.c): prepare records thread-create, blocks every
 * signal (saving the caller's mask in *saved_mask) and returns the
 * trampoline's argument (NULL: create the thread untraced, nothing
 * blocked); pass it to shim_thread_main, call shim_thread_launched()
 * right after the real call, and shim_thread_create_failed when it
 * failed.  Exactly one of fn and c11_fn is set. */
struct shim_start;
struct shim_start *shim_thread_prepare(struct trace_thread_writer *w,
                                       void *(*fn)(void *),
                                       int (*c11_fn)(void *), void *arg,
                                       uint64_t site, sigset_t *saved_mask);
void shim_thread_launched(const sigset_t *saved_mask);
/* Record a thread's name (thread-name; cut to 63 bytes). */
void shim_thread_name(pthread_t thread, const char *name, uint64_t site);
void shim_thread_create_failed(struct trace_thread_writer *w,
                               struct shim_start *st, uint64_t site,
                               uint32_t err);
void *shim_thread_main(void *st);

/* Process life cycle (init.c): the child side of fork calls this to start
 * its own trace file; `parent_serial` is the forking thread's serial. */
void shim_process_start_child(uint32_t parent_serial);
/* Install the fatal-signal handlers (signal.c); idempotent. */
void shim_signals_install(void);
/* Record this image's modules (modules.c). */
void shim_modules_record(struct trace_thread_writer *w);
/* The diagnostic log (debuglog.c), on with CTRACE_OPTIONS=debug=1: one
 * line per message on fd 2, `ctrace[PID]: ` first, with one write(2);
 * async-signal-safe, errno kept.  A message is built in place:
 *
 *   struct shim_log m;
 *   if (shim_log_begin(&m)) {     // false: the log is off
 *       shim_log_str(&m, "thread ");
 *       shim_log_uint(&m, tid);
 *       shim_log_end(&m);         // writes the line
 *   }
 */
struct shim_log {
    char buf[768];
    size_t len;
    int saved_errno;
};
void shim_log_enable(bool on);
bool shim_log_on(void);
bool shim_log_begin(struct shim_log *m);
void shim_log_str(struct shim_log *m, const char *s);
void shim_log_uint(struct shim_log *m, uint64_t v);
/* "ENOSPC (28)"; err may be negative (-errno). */
void shim_log_errno(struct shim_log *m, int err);
void shim_log_end(struct shim_log *m);
/* "WHAT 'PATH': ENAME (N)" (path NULL, err 0: left out). */
void shim_log_say(const char *what, const char *path, int err);
/* The writer's loss_hook: a thread's first lost event of a reason (a
 * handful of lines per process at most). */
void shim_log_loss(struct trace_thread_writer *w, enum trace_loss why, int err);
/* At process exit: how many events were lost, by reason. */
void shim_log_lost_summary(void);

/* Options (init.c). */
uint32_t shim_option_stack_depth(void);
/* The value of `key` in CTRACE_OPTIONS ("key=value"), cut to cap-1
 * bytes; false when it is not there. */
bool shim_option(const char *key, char *out, size_t cap);

#endif
