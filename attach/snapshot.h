/* A snapshot of live processes, taken by `ctrace attach` while they are
 * stopped: for every thread its stack, its state and what it waits for,
 * as far as the kernel (/proc) and the program's memory (glibc's and
 * CPython's structures) tell.  snapshot.c takes it; replay.c turns it
 * into findings through the analyzer; attach.c prints it.
 *
 * Threads are numbered across the whole snapshot (process after
 * process), like the reader's thread indexes in a trace: the report
 * writers name them the same way. */
#ifndef CTRACE_ATTACH_SNAPSHOT_H
#define CTRACE_ATTACH_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfs.h"

/* What a thread is doing. */
enum snap_wait {
    SW_RUNNING, /* on a CPU, or runnable */
    SW_MUTEX,   /* pthread_mutex_lock */
    SW_RDLOCK,  /* pthread_rwlock_rdlock */
    SW_WRLOCK,  /* pthread_rwlock_wrlock */
    SW_COND,    /* pthread_cond_wait */
    SW_SEM,     /* sem_wait */
    SW_BARRIER, /* pthread_barrier_wait */
    SW_JOIN,    /* pthread_join */
    SW_PYLOCK,  /* CPython's threading.Lock.acquire (a sem_t) */
    SW_FUTEX,   /* another futex wait */
    SW_READ,    /* read, recv... on fd */
    SW_WRITE,   /* write, send... on fd */
    SW_POLL,    /* poll, select, epoll_wait */
    SW_ACCEPT,  /* accept, connect */
    SW_WAITPID, /* wait4, waitid */
    SW_SLEEP,   /* nanosleep, clock_nanosleep */
    SW_SIGNAL,  /* pause, sigsuspend, sigwait */
    SW_SYSCALL, /* some other system call */
    SW_STOPPED, /* stopped by a signal or a debugger */
    SW_OTHER,   /* blocked outside a system call (page fault, ...) */
};

#define SNAP_MAX_FRAMES 64
#define SNAP_MAX_PYFRAMES 32

struct snap_thread {
    uint32_t proc; /* index in snapshot.procs */
    struct procfs_thread pt;
    size_t depth; /* C frames, innermost first */
    uint64_t pcs[SNAP_MAX_FRAMES];
    size_t npy; /* Python frames (pystack tokens), innermost first */
    uint64_t py[SNAP_MAX_PYFRAMES];

    enum snap_wait wait;
    bool timed;        /* a wait with a timeout ends by itself */
    uint64_t obj;      /* the object waited on (futex waits) */
    pid_t owner;       /* its holder's tid (mutex, write-held rwlock),
                          joined thread (join), 0 when unknown */
    bool owner_gone;   /* the holder is no thread of the process */
    uint32_t value;    /* sem: its value; barrier: its count */
    int fd;            /* read/write/accept: the descriptor, else -1 */
    char fd_what[128]; /* what it is: "pipe:[123]", "/dev/tty" */
    pid_t wait_pid;    /* waitpid: the pid argument */
    /* CPython locks this thread holds inside `with lock:` blocks
       (the sem_t addresses), and the one it waits for */
    size_t npyheld;
    uint64_t pyheld[16];
};

struct snap_proc {
    pid_t pid, ppid;
    int parent; /* index of the parent in the snapshot, -1 */
    char exe[512];
    char cmdline[1024];
    bool no_symbols;       /* its executable has no symbol table */
    bool python;           /* CPython frames were read */
    uint64_t py_lo, py_hi; /* the interpreter's code (Python lock waits) */
    char py_error[160];    /* why Python frames could not be read */
    size_t first_thread, nthreads; /* in snapshot.threads */
};

struct snapshot {
    struct snap_proc *procs;
    size_t nprocs;
    struct snap_thread *threads;
    size_t nthreads;
    double stopped_ms;      /* how long the processes stayed stopped */
    struct symbolizer *sym; /* their modules, for the report writers */
};

/* Take a snapshot of pid (and, with `children`, of every process below
 * it).  Returns 0, or -1 with a message for the user in err. */
int snapshot_take(pid_t pid, bool children, struct snapshot *s, char *err,
                  size_t errlen);
void snapshot_free(struct snapshot *s);

/* "pthread_mutex_lock", "read", ...: the call a wait is, for people. */
const char *snapshot_wait_call(enum snap_wait w);

/* The snapshot thread with this tid in process `proc`, or -1. */
long snapshot_thread_of(const struct snapshot *s, uint32_t proc, pid_t tid);

#endif
