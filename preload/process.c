/* Process interception: fork (and vfork, _Fork), the wait family, exit
 * (exit, _exit, _Exit, quick_exit, and returning from main), system and
 * popen/pclose.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h for the rules.
 *
 * fork.  The child must never write into the parent's chunks: they are
 * MAP_SHARED, so both processes would fill the same records.  The
 * dangerous moment is inside the real fork(), where pthread_atfork child
 * handlers run in the child while the thread still holds the parent's
 * writer.  So libctrace registers its own atfork handlers first thing:
 * its prepare handler (run last, just before the process is copied)
 * makes the shim step aside (busy), its child handler (run first in the
 * child) starts the child's own trace file and steps back in, and its
 * parent handler (run first in the parent) steps back in.  Handlers the
 * program registered later are therefore recorded on the right side;
 * handlers registered before ours (libraries initialised before
 * libctrace) run while the shim steps aside and are not recorded, never
 * misrecorded.  _Fork runs no handlers: the wrapper starts the child's
 * file itself, and so does fork() if the handlers did not run.
 *
 * vfork is turned into fork, as ThreadSanitizer does: a vfork child may
 * only exec or _exit, and a real fork gives it a superset of that.  Raw
 * clone() is not intercepted (a clone without CLONE_VM is a fork that
 * bypasses libc; such a child keeps writing through the parent's
 * writer only if it calls an intercepted function, which programs that
 * use raw clone do not do through libc's locks).
 *
 * Exit.  process-exit (arg: status) is recorded before the real exit,
 * and the file header is marked with the status.  exit() and quick_exit()
 * then run atexit handlers and destructors, which are still recorded,
 * so no thread-exit is recorded for the calling thread there.  _exit and
 * _Exit end the process at once: they also record thread-exit
 * (TRACE_EXIT_PROCESS) for the calling thread.  Returning from main goes
 * through libc's internal exit, which no wrapper sees: __libc_start_main
 * is intercepted to run main through a wrapper that records the return.
 *
 * Waits.  A blocking wait* records process-wait (arg: the pid argument,
 * as waitpid encodes it) before and process-reap after.  With WNOHANG the
 * call does not block: no process-wait, and process-reap only when a
 * child was returned.  system() and pclose() wait for a child libc
 * spawned itself (not through any wrapper): they record process-reap
 * with pid 0 and how 5 (system) or 6 (pclose), with the returned status;
 * the child is the image whose ppid is ours and which started between
 * the `system`/`popen` event and the reap.
 */
#include "process.h"
#include "python.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define REAP_HOW_WAIT 0
#define REAP_HOW_WAITPID 1
#define REAP_HOW_WAITID 2
#define REAP_HOW_WAIT3 3
#define REAP_HOW_WAIT4 4
#define REAP_HOW_SYSTEM 5
#define REAP_HOW_PCLOSE 6

#define COMMAND_MAX 1024 /* recorded prefix of a system/popen command */

/* ---- fork ---- */

/* Set by our prepare handler in the forking thread (and so inherited by
 * the child's only thread); the pid whose trace file the child handler
 * started, so the wrapper knows not to start it again. */
static __thread uint32_t fork_bracketed;
static uint32_t fork_child_started_pid;

static void fork_prepare(void)
{
    if (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != 1)
        return;
    fork_bracketed = 1;
    shim_enter();
}

static void fork_parent(void)
{
    if (!fork_bracketed)
        return;
    fork_bracketed = 0;
    shim_leave();
}

static uint32_t thread_serial(void)
{
    return shim_tls.w ? shim_tls.w->serial : UINT32_MAX;
}

static void fork_child_start(void)
{
    int saved = errno;
    fork_child_started_pid = (uint32_t)getpid();
    shim_process_start_child(thread_serial());
    errno = saved;
}

static void fork_child(void)
{
    if (!fork_bracketed)
        return;
    fork_bracketed = 0;
    shim_leave();
    fork_child_start();
}

__attribute__((constructor(102))) static void process_constructor(void)
{
    if (shim_init())
        pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* The shared body of fork, vfork and _Fork: `real` makes the process. */
static pid_t fork_body(pid_t (*real)(void), uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real();
    pid_t pid = real();
    int saved = errno;
    if (pid == 0) {
        if (fork_child_started_pid != (uint32_t)getpid())
            fork_child_start();
    } else if ((w = shim_writer()) != NULL) {
        shim_python_frames(w, NULL, site);
        shim_event(w, TRACE_EV_FORK, NULL, site, (uint32_t)pid);
    }
    errno = saved;
    return pid;
}

SHIM_EXPORT pid_t fork(void)
{
    SHIM_REAL(fork);
    return fork_body(real, SHIM_SITE);
}

/* vfork and __vfork: a real fork (see the top of the file). */
static pid_t (*real_fork_for_vfork)(void);

static pid_t vfork_real(void)
{
    if (SHIM_UNLIKELY(!real_fork_for_vfork))
        real_fork_for_vfork = (pid_t(*)(void))shim_dlsym("fork", NULL);
    return real_fork_for_vfork();
}

SHIM_EXPORT pid_t vfork(void) { return fork_body(vfork_real, SHIM_SITE); }

pid_t __vfork(void);
SHIM_EXPORT pid_t __vfork(void) { return fork_body(vfork_real, SHIM_SITE); }

SHIM_EXPORT pid_t _Fork(void)
{
    SHIM_REAL(_Fork);
    return fork_body(real, SHIM_SITE);
}

/* ---- wait family ---- */

static void wait_record_start(uint64_t site, int options, int32_t pid_arg)
{
    if (options & WNOHANG)
        return;
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    int saved = errno;
    shim_event(w, TRACE_EV_PROCESS_WAIT, NULL, site, (uint32_t)pid_arg);
    errno = saved;
}

static void reap_record(uint64_t site, int options, int32_t pid, int status,
                        int how)
{
    if ((options & WNOHANG) && pid <= 0)
        return;
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    int saved = errno;
    struct trace_reap_info r = {pid, pid > 0 ? status : 0, pid < 0 ? saved : 0,
                                how};
    shim_event_payload(w, TRACE_EV_PROCESS_REAP, NULL, site, &r, sizeof r);
    errno = saved;
}

SHIM_EXPORT pid_t wait(int *wstatus)
{
    SHIM_REAL(wait);
    uint64_t site = SHIM_SITE;
    wait_record_start(site, 0, -1);
    int local = 0, *st = wstatus ? wstatus : &local;
    pid_t pid = real(st);
    reap_record(site, 0, pid, pid > 0 ? *st : 0, REAP_HOW_WAIT);
    return pid;
}

SHIM_EXPORT pid_t waitpid(pid_t which, int *wstatus, int options)
{
    SHIM_REAL(waitpid);
    uint64_t site = SHIM_SITE;
    wait_record_start(site, options, which);
    int local = 0, *st = wstatus ? wstatus : &local;
    pid_t pid = real(which, st, options);
    reap_record(site, options, pid, pid > 0 ? *st : 0, REAP_HOW_WAITPID);
    return pid;
}

SHIM_EXPORT pid_t wait3(int *wstatus, int options, struct rusage *ru)
{
    SHIM_REAL(wait3);
    uint64_t site = SHIM_SITE;
    wait_record_start(site, options, -1);
    int local = 0, *st = wstatus ? wstatus : &local;
    pid_t pid = real(st, options, ru);
    reap_record(site, options, pid, pid > 0 ? *st : 0, REAP_HOW_WAIT3);
    return pid;
}

SHIM_EXPORT pid_t wait4(pid_t which, int *wstatus, int options,
                        struct rusage *ru)
{
    SHIM_REAL(wait4);
    uint64_t site = SHIM_SITE;
    wait_record_start(site, options, which);
    int local = 0, *st = wstatus ? wstatus : &local;
    pid_t pid = real(which, st, options, ru);
    reap_record(site, options, pid, pid > 0 ? *st : 0, REAP_HOW_WAIT4);
    return pid;
}

/* waitid's siginfo as the wait status WIFEXITED() and friends decode. */
static int waitid_status(const siginfo_t *si)
{
    switch (si->si_code) {
    case CLD_EXITED:
        return (si->si_status & 0xff) << 8;
    case CLD_KILLED:
        return si->si_status & 0x7f;
    case CLD_DUMPED:
        return (si->si_status & 0x7f) | 0x80;
    case CLD_STOPPED:
    case CLD_TRAPPED:
        return ((si->si_status & 0xff) << 8) | 0x7f;
    case CLD_CONTINUED:
        return 0xffff;
    default:
        return 0;
    }
}

/* waitid's (idtype, id) in waitpid's encoding of the pid argument. */
static int32_t waitid_pid_arg(idtype_t idtype, id_t id)
{
    switch (idtype) {
    case P_PID:
        return (int32_t)id;
    case P_PGID:
        return -(int32_t)id;
    default:
        return -1;
    }
}

SHIM_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *infop, int options)
{
    SHIM_REAL(waitid);
    uint64_t site = SHIM_SITE;
    wait_record_start(site, options, waitid_pid_arg(idtype, id));
    int rc = real(idtype, id, infop, options);
    int saved = errno;
    int32_t pid = rc < 0 ? -1 : infop ? infop->si_pid : 0;
    int st = rc == 0 && infop && pid > 0 ? waitid_status(infop) : 0;
    errno = saved;
    reap_record(site, options, pid, st, REAP_HOW_WAITID);
    return rc;
}

/* ---- system, popen, pclose ---- */

static void command_record(uint32_t type, const char *cmd, uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    int saved = errno;
    char buf[COMMAND_MAX];
    size_t n = cmd ? strnlen(cmd, sizeof buf - 1) : 0;
    if (n)
        memcpy(buf, cmd, n);
    buf[n] = '\0';
    shim_event_payload(w, type, NULL, site, buf, (uint32_t)n + 1);
    errno = saved;
}

/* A wait libc made itself: `rc` is the wait status, or -1 with errno. */
static void libc_reap_record(uint64_t site, int rc, int how)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    int saved = errno;
    struct trace_reap_info r = {rc < 0 ? -1 : 0, rc < 0 ? 0 : rc,
                                rc < 0 ? saved : 0, how};
    shim_event_payload(w, TRACE_EV_PROCESS_REAP, NULL, site, &r, sizeof r);
    errno = saved;
}

SHIM_EXPORT int system(const char *command)
{
    SHIM_REAL(system);
    uint64_t site = SHIM_SITE;
    command_record(TRACE_EV_SYSTEM, command, site);
    int rc = real(command);
    libc_reap_record(site, rc, REAP_HOW_SYSTEM);
    return rc;
}

SHIM_EXPORT FILE *popen(const char *command, const char *type)
{
    SHIM_REAL(popen);
    command_record(TRACE_EV_POPEN, command, SHIM_SITE);
    return real(command, type);
}

SHIM_EXPORT int pclose(FILE *stream)
{
    SHIM_REAL(pclose);
    int rc = real(stream);
    libc_reap_record(SHIM_SITE, rc, REAP_HOW_PCLOSE);
    return rc;
}

/* ---- exit ---- */

static void exit_record(int status, uint64_t site, bool immediate)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    int saved = errno;
    shim_event(w, TRACE_EV_PROCESS_EXIT, NULL, site, (uint32_t)status);
    if (immediate) {
        shim_event_seq(w, TRACE_EV_THREAD_EXIT, (void *)pthread_self(), 0,
                       TRACE_EXIT_PROCESS);
        shim_tls.dead = 1; /* nothing runs on this thread any more */
    }
    trace_writer_close_process(&shim_proc, status);
    shim_log_lost_summary();
    errno = saved;
}

SHIM_EXPORT void exit(int status)
{
    SHIM_REAL(exit);
    exit_record(status, SHIM_SITE, false);
    real(status);
    __builtin_unreachable();
}

SHIM_EXPORT void quick_exit(int status)
{
    SHIM_REAL(quick_exit);
    exit_record(status, SHIM_SITE, false);
    real(status);
    __builtin_unreachable();
}

SHIM_EXPORT void _exit(int status)
{
    SHIM_REAL(_exit);
    exit_record(status, SHIM_SITE, true);
    real(status);
    __builtin_unreachable();
}

SHIM_EXPORT void _Exit(int status)
{
    SHIM_REAL(_Exit);
    exit_record(status, SHIM_SITE, true);
    real(status);
    __builtin_unreachable();
}

/* ---- returning from main ---- */

typedef int (*main_fn)(int, char **, char **);
static main_fn program_main;

static int main_wrapper(int argc, char **argv, char **envp)
{
    int rc = program_main(argc, argv, envp);
    /* site: main itself, the function that returned */
    exit_record(rc, (uint64_t)(uintptr_t)program_main, false);
    return rc;
}

SHIM_EXPORT int __libc_start_main(main_fn main, int argc, char **argv,
                                  void (*init)(void), void (*fini)(void),
                                  void (*rtld_fini)(void), void *stack_end)
{
    SHIM_REAL(__libc_start_main);
    program_main = main;
    return real(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}
