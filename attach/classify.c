/* Classifying a blocked thread's wait (classify.h). */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "classify.h"
#include "procfs.h"

#define FUTEX_CMD(op) ((op)&0x7f) /* without PRIVATE and CLOCK_REALTIME */
#define FUTEX_LOCK_PI_OP 6
#define FUTEX_LOCK_PI2_OP 13

bool classify_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* Whether one of the innermost frames is in a function whose name holds
 * `part` (the first frames are libc's: the wrapper and its helpers). */
static bool in_function(const char *const *funcs, size_t n, const char *part)
{
    for (size_t i = 0; i < n && i < 8; i++)
        if (funcs[i] && strstr(funcs[i], part))
            return true;
    return false;
}

static uint64_t aligned8(uint64_t a, uint64_t b) { return a % 8 == 0 ? a : b; }

static void classify_mutex(pid_t pid, struct snap_thread *t, uint64_t uaddr)
{
    int32_t owner = 0;
    t->wait = SW_MUTEX;
    t->obj = uaddr;
    if (classify_read(pid, uaddr + 8, &owner, sizeof owner) && owner > 0)
        t->owner = owner & 0x3fffffff; /* robust: FUTEX_OWNER_DIED bits */
}

static void classify_rwlock(pid_t pid, struct snap_thread *t, uint64_t uaddr,
                            bool write)
{
    int32_t writer = 0;
    t->wait = write ? SW_WRLOCK : SW_RDLOCK;
    t->obj = aligned8(uaddr - 8, uaddr - 12);
    if (classify_read(pid, t->obj + 24, &writer, sizeof writer) && writer > 0)
        t->owner = writer;
}

/* A futex word whose neighbour at +8 holds a live tid of the process, a
 * mutex's __owner, and whose __kind at +16 is a mutex type. */
static bool looks_like_mutex(pid_t pid, uint64_t uaddr,
                             bool (*is_tid)(void *, pid_t), void *ctx)
{
    int32_t w[5];
    if (!classify_read(pid, uaddr, w, sizeof w))
        return false;
    return w[0] != 0 && w[2] > 0 && is_tid(ctx, w[2]) && (w[4] & ~0x7f) == 0;
}

static void classify_futex(pid_t pid, struct snap_thread *t,
                           const char *const *funcs, size_t nf,
                           bool (*is_tid)(void *, pid_t), void *ctx)
{
    uint64_t uaddr = t->pt.sc.args[0];
    int op = FUTEX_CMD((int)t->pt.sc.args[1]);
    t->timed = t->pt.sc.args[3] != 0;
    t->obj = uaddr;
    if (in_function(funcs, nf, "PyThread_acquire_lock")) {
        uint32_t v = 0;
        t->wait = SW_PYLOCK;
        if (classify_read(pid, uaddr, &v, sizeof v))
            t->value = v;
    } else if (in_function(funcs, nf, "rwlock_wrlock") ||
               in_function(funcs, nf, "rwlock_timedwrlock") ||
               in_function(funcs, nf, "rwlock_clockwrlock")) {
        classify_rwlock(pid, t, uaddr, true);
    } else if (in_function(funcs, nf, "rwlock_")) {
        classify_rwlock(pid, t, uaddr, false);
    } else if (in_function(funcs, nf, "cond_wait") ||
               in_function(funcs, nf, "cond_timedwait") ||
               in_function(funcs, nf, "cond_clockwait")) {
        t->wait = SW_COND;
        t->obj = aligned8(uaddr - 40, uaddr - 44);
    } else if (in_function(funcs, nf, "barrier_wait")) {
        t->wait = SW_BARRIER;
        t->obj = uaddr - 4;
        classify_read(pid, t->obj + 8, &t->value, sizeof t->value);
    } else if (in_function(funcs, nf, "sem_") ||
               in_function(funcs, nf, "do_futex_wait")) {
        t->wait = SW_SEM;
        classify_read(pid, uaddr, &t->value, sizeof t->value);
    } else if (in_function(funcs, nf, "join")) {
        int32_t tid = 0;
        t->wait = SW_JOIN;
        if (classify_read(pid, uaddr, &tid, sizeof tid) && tid > 0)
            t->owner = tid;
    } else if (op == FUTEX_LOCK_PI_OP || op == FUTEX_LOCK_PI2_OP ||
               in_function(funcs, nf, "mutex_") ||
               in_function(funcs, nf, "lll_lock_wait") ||
               looks_like_mutex(pid, uaddr, is_tid, ctx)) {
        bool timed = t->timed;
        classify_mutex(pid, t, uaddr);
        t->timed = timed;
    } else {
        t->wait = SW_FUTEX;
    }
}

/* A wait on a descriptor: which one, and what it is. */
static void classify_fd(pid_t pid, struct snap_thread *t, enum snap_wait w)
{
    t->wait = w;
    t->fd = (int)t->pt.sc.args[0];
    if (!procfs_fd_target(pid, t->fd, t->fd_what, sizeof t->fd_what))
        snprintf(t->fd_what, sizeof t->fd_what, "a closed descriptor");
}

static void classify_syscall(pid_t pid, struct snap_thread *t)
{
    const uint64_t *a = t->pt.sc.args;
    switch (t->pt.sc.nr) {
    case SYS_read:
    case SYS_readv:
    case SYS_pread64:
    case SYS_preadv:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_recvmmsg:
        classify_fd(pid, t, SW_READ);
        break;
    case SYS_write:
    case SYS_writev:
    case SYS_pwrite64:
    case SYS_pwritev:
    case SYS_sendto:
    case SYS_sendmsg:
    case SYS_sendmmsg:
        classify_fd(pid, t, SW_WRITE);
        break;
    case SYS_accept:
    case SYS_accept4:
    case SYS_connect:
        classify_fd(pid, t, SW_ACCEPT);
        break;
    case SYS_poll:
    case SYS_ppoll:
    case SYS_select:
    case SYS_pselect6:
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
        t->wait = SW_POLL;
        break;
    case SYS_wait4:
        t->wait = SW_WAITPID;
        t->wait_pid = (pid_t)(int32_t)a[0];
        break;
    case SYS_waitid:
        t->wait = SW_WAITPID;
        t->wait_pid = a[0] == 1 /* P_PID */ ? (pid_t)a[1] : -1;
        break;
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
        t->wait = SW_SLEEP;
        t->timed = true;
        break;
    case SYS_pause:
    case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait:
        t->wait = SW_SIGNAL;
        break;
    default:
        t->wait = SW_SYSCALL;
    }
}

void classify_thread(pid_t pid, struct snap_thread *t, const char *const *funcs,
                     size_t nfuncs, bool (*is_tid)(void *ctx, pid_t tid),
                     void *ctx)
{
    t->fd = -1;
    t->wait = SW_RUNNING;
    if (t->pt.state == 'T' || t->pt.state == 't') {
        t->wait = SW_STOPPED;
        return;
    }
    if (t->pt.sc.running || t->pt.state == 'R')
        return;
    if (t->pt.sc.nr < 0) {
        t->wait = SW_OTHER;
        return;
    }
    if (t->pt.sc.nr == SYS_futex)
        classify_futex(pid, t, funcs, nfuncs, is_tid, ctx);
    else
        classify_syscall(pid, t);
    if (t->owner &&
        (t->wait == SW_MUTEX || t->wait == SW_WRLOCK || t->wait == SW_RDLOCK))
        t->owner_gone = !is_tid(ctx, t->owner);
}
