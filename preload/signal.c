/* Signal interception: fatal signals (SEGV, BUS, FPE, ILL, ABRT, TRAP,
 * SYS) recorded with a full stack, and every handler the program installs
 * wrapped so that signal-enter/signal-leave bracket it; every disposition
 * the program installs is recorded (signal-action).
 *
 * RUNS INSIDE THE TRACED PROGRAM, mostly in signal context: everything
 * here is async-signal-safe and lock-free (see shim.h).
 *
 * The program's view.  For every signal the table below holds the
 * disposition the program believes it installed (handler and flags).
 * The kernel holds one of ours instead when the program installed a
 * handler (handler_entry) or when the signal is fatal and the program
 * left it at SIG_DFL or installed a handler (fatal_entry).  Ours is
 * installed with the program's own sa_mask and sa_flags (plus
 * SA_SIGINFO), so the kernel applies the program's blocking, restart,
 * SA_NODEFER and SA_RESETHAND semantics itself.  sigaction(), signal()
 * and friends report the table's handler and flags where the kernel has
 * one of ours, so the program cannot tell.  SIG_IGN goes to the kernel as
 * is, fatal signal or not (then a fault kills the process without a
 * record, exactly as without ctrace).
 *
 * Calling the program's handler: always with (signo, info, ucontext).  A
 * one-argument sa_handler ignores the extra arguments (x86-64/aarch64
 * calling conventions), so a concurrent sigaction() that changes the
 * handler between the kernel's delivery and our table read never mixes
 * a handler with the wrong calling convention.  The table is written with
 * atomic stores and read with atomic loads; no locks.
 *
 * Fatal signals.  fatal_entry records `signal` (signo, si_code, si_addr,
 * and the stack from the interrupted context, unwound by libunwind from
 * the kernel's ucontext), then runs the program's handler if it has one,
 * else restores SIG_DFL and re-raises the signal on the same thread: it
 * stays pending until the handler returns, and is then delivered with
 * the default action (exit status and core dump as without ctrace).
 * A SIGABRT raised by abort() after this thread recorded the abort,
 * assert or cxx-terminate that caused it is the same failure: it is not
 * recorded again (failure.c).
 *
 * Handlers that never return.  A handler that leaves with longjmp or
 * siglongjmp would leave shim_tls.in_signal raised: the longjmp family is
 * intercepted, and a jump made while a handler runs is taken as leaving
 * every handler running on the thread (signal-leave for each).  A jump
 * to a setjmp inside the same handler is so rare that it is not told
 * apart.
 */
#include "process.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define SIG_COUNT 65         /* 1.._NSIG-1 on Linux */
#define FATAL_RECORD_MAX 64  /* fatal signals recorded per process */
#define HANDLER_DEPTH_MAX 16 /* nested handlers remembered per thread */

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

typedef void (*handler3)(int, siginfo_t *, void *);

struct sig_view {
    void *handler; /* what the program installed: SIG_DFL, SIG_IGN, fn */
    int flags;     /* its sa_flags, as the kernel would report them */
};

static struct sig_view sig_table[SIG_COUNT];
/* SA_RESTORER as libc adds it to every action it installs (x86-64), so
 * that the flags the program reads back are the ones it would read
 * without us; learnt at install time. */
static int restorer_bit;
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

/* Per thread: the signals whose wrapped handlers are running. */
static __thread int handler_stack[HANDLER_DEPTH_MAX];
static __thread uint32_t handler_depth;
static __thread uint32_t in_fatal_record;

static bool sig_is_fatal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
           sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS;
}

static bool handler_is_function(void *h)
{
    return h != (void *)SIG_DFL && h != (void *)SIG_IGN && h != (void *)SIG_ERR;
}

static void resolve_sigaction(void)
{
    if (SHIM_UNLIKELY(!real_sigaction))
        real_sigaction = shim_dlsym("sigaction", NULL);
}

static void view_load(int sig, struct sig_view *v)
{
    v->handler = __atomic_load_n(&sig_table[sig].handler, __ATOMIC_ACQUIRE);
    v->flags = __atomic_load_n(&sig_table[sig].flags, __ATOMIC_RELAXED);
}

static void view_store(int sig, void *handler, int flags)
{
    __atomic_store_n(&sig_table[sig].flags, flags, __ATOMIC_RELAXED);
    __atomic_store_n(&sig_table[sig].handler, handler, __ATOMIC_RELEASE);
}

/* ---- running the program's handler ---- */

static void handler_leave_record(int sig, uint64_t h)
{
    struct trace_thread_writer *w = shim_writer();
    if (w)
        shim_event(w, TRACE_EV_SIGNAL_LEAVE, NULL, h, (uint32_t)sig);
}

static void handler_run(int sig, void *h, siginfo_t *info, void *uc,
                        int saved_errno)
{
    shim_tls.in_signal++;
    uint32_t depth = handler_depth++;
    if (depth < HANDLER_DEPTH_MAX)
        handler_stack[depth] = sig;
    struct trace_thread_writer *w = shim_writer();
    if (w)
        shim_event(w, TRACE_EV_SIGNAL_ENTER, NULL, (uint64_t)(uintptr_t)h,
                   (uint32_t)sig);
    errno = saved_errno;
    ((handler3)h)(sig, info, uc);
    int saved = errno;
    handler_leave_record(sig, (uint64_t)(uintptr_t)h);
    handler_depth = depth;
    shim_tls.in_signal--;
    errno = saved;
}

/* errno: what the program's handler left, as without us (a handler
 * that clobbers errno clobbers it for the interrupted code too). */
static void handler_entry(int sig, siginfo_t *info, void *uc)
{
    int saved = errno;
    void *h = __atomic_load_n(&sig_table[sig].handler, __ATOMIC_ACQUIRE);
    if (handler_is_function(h))
        handler_run(sig, h, info, uc, saved);
}

/* A longjmp out of running handlers: they all end here. */
static void handlers_abandon(void)
{
    if (!handler_depth)
        return;
    int saved = errno;
    while (handler_depth) {
        uint32_t d = --handler_depth;
        int sig = d < HANDLER_DEPTH_MAX ? handler_stack[d] : 0;
        handler_leave_record(sig, 0);
        if (shim_tls.in_signal)
            shim_tls.in_signal--;
    }
    errno = saved;
}

/* ---- fatal signals ---- */

/* The interrupted context's stack: the faulting pc first. */
static uint32_t fatal_unwind(void *uc, uint64_t *pcs, uint32_t max)
{
    unw_cursor_t cur;
    uint32_t n = 0;
    shim_enter();
    if (unw_init_local2(&cur, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) ==
        0) {
        do {
            unw_word_t ip = 0;
            if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0 || ip == 0)
                break;
            pcs[n++] = ip;
        } while (n < max && unw_step(&cur) > 0);
    }
    shim_leave();
    return n;
}

static bool sig_has_addr(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
           sig == SIGTRAP;
}

static void fatal_record(int sig, siginfo_t *info, void *uc)
{
    static uint32_t recorded;
    if (in_fatal_record)
        return;
    if (sig == SIGABRT && shim_failure_take_pending())
        return;
    if (__atomic_fetch_add(&recorded, 1, __ATOMIC_RELAXED) >= FATAL_RECORD_MAX)
        return;
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    in_fatal_record = 1;
    shim_tls.in_signal++; /* no site-stack unwinding inside the record */
    struct {
        struct trace_signal_info info;
        uint64_t pcs[STACK_CAPTURE_MAX];
    } p;
    memset(&p.info, 0, sizeof p.info);
    uint32_t n = uc ? fatal_unwind(uc, p.pcs, STACK_CAPTURE_MAX) : 0;
    p.info.signo = sig;
    p.info.code = info ? info->si_code : 0;
    p.info.addr = info && sig_has_addr(sig) && info->si_code > 0
                      ? (uint64_t)(uintptr_t)info->si_addr
                      : 0;
    p.info.nframes = n;
    shim_event_payload(w, TRACE_EV_SIGNAL, NULL, n ? p.pcs[0] : 0, &p,
                       (uint32_t)(sizeof p.info + n * sizeof(uint64_t)));
    shim_tls.in_signal--;
    in_fatal_record = 0;
}

/* The program wants the default action: let it happen as without us. */
static void fatal_default(int sig)
{
    /* The process dies by the signal: whatever exit() wrote is moot. */
    if (shim_proc.hdr)
        __atomic_and_fetch(&shim_proc.hdr->flags, ~TRACE_FILE_EXITED,
                           __ATOMIC_RELEASE);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    resolve_sigaction();
    real_sigaction(sig, &dfl, NULL);
    /* Pending (blocked while we run) until this handler returns; a fault
     * that re-executes would deliver the same signal anyway. */
    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
}

static void fatal_entry(int sig, siginfo_t *info, void *uc)
{
    int saved = errno;
    fatal_record(sig, info, uc);
    void *h = __atomic_load_n(&sig_table[sig].handler, __ATOMIC_ACQUIRE);
    if (handler_is_function(h)) {
        handler_run(sig, h, info, uc, saved);
        return;
    }
    fatal_default(sig);
    errno = saved;
}

static bool handler_is_ours(void *h)
{
    return h == (void *)handler_entry || h == (void *)fatal_entry;
}

/* Install fatal_entry for a fatal signal whose current kernel action is
 * `cur` (SIG_DFL, or a handler set before we could see it). */
static void fatal_install(int sig, const struct sigaction *cur)
{
    void *h = (void *)cur->sa_handler;
    if (h == (void *)SIG_IGN || handler_is_ours(h))
        return;
    struct sigaction k = *cur;
    if (!handler_is_function(h))
        k.sa_flags = SA_ONSTACK;
    k.sa_flags = (k.sa_flags & ~SA_RESTORER) | SA_SIGINFO;
    k.sa_sigaction = fatal_entry;
    view_store(sig, h, cur->sa_flags);
    struct sigaction now;
    if (real_sigaction(sig, &k, NULL) == 0 &&
        real_sigaction(sig, NULL, &now) == 0)
        restorer_bit = now.sa_flags & SA_RESTORER;
}

void shim_signals_install(void)
{
    static const int fatal[] = {SIGSEGV, SIGBUS,  SIGFPE, SIGILL,
                                SIGABRT, SIGTRAP, SIGSYS};
    resolve_sigaction();
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        struct sigaction cur;
        if (real_sigaction(fatal[i], NULL, &cur) == 0)
            fatal_install(fatal[i], &cur);
    }
}

/* ---- the program's sigaction and friends ---- */

/* The kernel action that carries out what the program asks. */
static const struct sigaction *
action_for_kernel(int sig, const struct sigaction *act, struct sigaction *k)
{
    void *h = (void *)act->sa_handler;
    bool fatal = sig_is_fatal(sig) && h != (void *)SIG_IGN;
    if (handler_is_ours(h) || (!fatal && !handler_is_function(h)))
        return act;
    *k = *act;
    if (!handler_is_function(h))
        k->sa_flags = SA_ONSTACK; /* fatal signal left at SIG_DFL */
    k->sa_flags |= SA_SIGINFO;
    k->sa_sigaction = fatal ? fatal_entry : handler_entry;
    return k;
}

/* Rewrite the kernel's old action into the program's view of it. */
static void action_for_program(struct sigaction *old,
                               const struct sig_view *prev)
{
    void *kh = (void *)old->sa_handler;
    if (handler_is_ours(kh)) {
        old->sa_handler = (void (*)(int))prev->handler;
        old->sa_flags = prev->flags;
    } else if (kh == (void *)SIG_DFL && handler_is_function(prev->handler) &&
               (prev->flags & SA_RESETHAND)) {
        /* The kernel reset our handler on delivery (SA_RESETHAND): its
         * flags are ours; the program's are in the table. */
        old->sa_flags = prev->flags;
    }
}

/* signal-action: whether a signal can now run a handler of the
 * program's, which the hang verdict needs (a pending timer's signal, or
 * one another process may send, can end a wait). */
static void action_record(int sig, void *h)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    uint32_t disp = h == (void *)SIG_IGN     ? TRACE_SIGACT_IGNORE
                    : handler_is_function(h) ? TRACE_SIGACT_HANDLER
                                             : TRACE_SIGACT_DEFAULT;
    shim_event(w, TRACE_EV_SIGNAL_ACTION, NULL, (uint64_t)(uintptr_t)h,
               TRACE_SIGACT_ARG(sig, disp));
}

static int sigaction_do(int sig, const struct sigaction *act,
                        struct sigaction *oact)
{
    resolve_sigaction();
    if (sig <= 0 || sig >= SIG_COUNT || !shim_init())
        return real_sigaction(sig, act, oact);
    struct sig_view prev;
    view_load(sig, &prev);
    struct sigaction k, kold;
    const struct sigaction *pass = act;
    bool installs = act && !handler_is_ours((void *)act->sa_handler);
    if (installs) {
        pass = action_for_kernel(sig, act, &k);
        /* Published first: the kernel switch is the moment it applies. */
        view_store(sig, (void *)act->sa_handler, act->sa_flags | restorer_bit);
    }
    int rc = real_sigaction(sig, pass, &kold);
    if (rc != 0) {
        int saved = errno;
        if (installs)
            view_store(sig, prev.handler, prev.flags);
        errno = saved;
        return rc;
    }
    if (oact) {
        action_for_program(&kold, &prev);
        *oact = kold;
    }
    if (installs)
        action_record(sig, (void *)act->sa_handler);
    return rc;
}

SHIM_EXPORT int sigaction(int sig, const struct sigaction *act,
                          struct sigaction *oact)
{
    return sigaction_do(sig, act, oact);
}

SHIM_EXPORT int __sigaction(int sig, const struct sigaction *act,
                            struct sigaction *oact)
{
    return sigaction_do(sig, act, oact);
}

/* signal() and its variants, as glibc builds them on sigaction. */
static __sighandler_t signal_do(int sig, __sighandler_t h, int flags,
                                bool mask_self)
{
    if (h == SIG_ERR || sig <= 0 || sig >= SIG_COUNT) {
        errno = EINVAL;
        return SIG_ERR;
    }
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = h;
    sigemptyset(&act.sa_mask);
    if (mask_self)
        sigaddset(&act.sa_mask, sig);
    act.sa_flags = flags;
    if (sigaction_do(sig, &act, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

SHIM_EXPORT __sighandler_t signal(int sig, __sighandler_t h)
{
    return signal_do(sig, h, SA_RESTART, true);
}

SHIM_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t h)
{
    return signal_do(sig, h, SA_RESTART, true);
}

SHIM_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t h)
{
    return signal_do(sig, h, SA_RESETHAND | SA_NODEFER, false);
}

SHIM_EXPORT __sighandler_t __sysv_signal(int sig, __sighandler_t h)
{
    return signal_do(sig, h, SA_RESETHAND | SA_NODEFER, false);
}

/* System V sigset(): SIG_HOLD blocks, anything else installs and
 * unblocks; the old disposition is SIG_HOLD if the signal was blocked. */
SHIM_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
    sigset_t set, oset;
    sigemptyset(&set);
    if (sigaddset(&set, sig) < 0)
        return SIG_ERR;
    struct sigaction act, old;
    if (disp == SIG_HOLD) {
        if (sigprocmask(SIG_BLOCK, &set, &oset) < 0)
            return SIG_ERR;
        if (sigismember(&oset, sig))
            return SIG_HOLD;
        if (sigaction_do(sig, NULL, &old) < 0)
            return SIG_ERR;
        return old.sa_handler;
    }
    memset(&act, 0, sizeof act);
    act.sa_handler = disp;
    sigemptyset(&act.sa_mask);
    if (sigaction_do(sig, &act, &old) < 0)
        return SIG_ERR;
    if (sigprocmask(SIG_UNBLOCK, &set, &oset) < 0)
        return SIG_ERR;
    return sigismember(&oset, sig) ? SIG_HOLD : old.sa_handler;
}

/* ---- leaving handlers by longjmp ---- */

SHIM_EXPORT void longjmp(struct __jmp_buf_tag env[1], int val)
{
    SHIM_REAL(longjmp);
    handlers_abandon();
    real(env, val);
    __builtin_unreachable();
}

SHIM_EXPORT void _longjmp(struct __jmp_buf_tag env[1], int val)
{
    SHIM_REAL(_longjmp);
    handlers_abandon();
    real(env, val);
    __builtin_unreachable();
}

SHIM_EXPORT void siglongjmp(struct __jmp_buf_tag env[1], int val)
{
    SHIM_REAL(siglongjmp);
    handlers_abandon();
    real(env, val);
    __builtin_unreachable();
}

void __longjmp_chk(struct __jmp_buf_tag env[1], int val);
SHIM_EXPORT void __longjmp_chk(struct __jmp_buf_tag env[1], int val)
{
    SHIM_REAL(__longjmp_chk);
    handlers_abandon();
    real(env, val);
    __builtin_unreachable();
}
