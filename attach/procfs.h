/* What /proc says about a live process and its threads, without stopping
 * it: the thread list, each thread's state, the system call it is blocked
 * in (with its arguments), its wait channel and how long ago it last ran,
 * and what a file descriptor is (pipe, socket, file).  attach.c reads
 * these before it stops the process: a blocked thread's /proc entries are
 * stable, and a stopped thread's would show the stop instead. */
#ifndef CTRACE_ATTACH_PROCFS_H
#define CTRACE_ATTACH_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* /proc/PID/task/TID/syscall: nr -1 when blocked outside a system call,
 * `running` when on a CPU. */
struct procfs_syscall {
    bool running;
    long nr;
    uint64_t args[6];
    uint64_t sp, pc;
};

struct procfs_thread {
    pid_t tid;
    char name[64];  /* comm */
    char state;     /* R, S, D, T, t, Z, ... */
    char wchan[64]; /* kernel function it sleeps in, "" when none */
    struct procfs_syscall sc;
    double idle_s; /* since it last ran (-1 when unknown) */
};

/* The thread ids of pid, ascending.  Returns the count (0: no such
 * process or it has no threads left), *tids malloc'ed. */
size_t procfs_tids(pid_t pid, pid_t **tids);

/* Read one thread.  Returns false when the thread is gone. */
bool procfs_thread_read(pid_t pid, pid_t tid, struct procfs_thread *t);

/* The process's parent pid, exe path and command line (argv joined with
 * spaces).  Returns false when the process is gone. */
bool procfs_process_read(pid_t pid, pid_t *ppid, char *exe, size_t exelen,
                         char *cmdline, size_t cmdlen);

/* The children of every thread of pid (from /proc/PID/task/T/children),
 * appended to *out (grown with realloc). */
void procfs_children(pid_t pid, pid_t **out, size_t *n);

/* What fd of pid is: "pipe:[123]", "socket:[456]", "/path".  Returns
 * false when it is not open. */
bool procfs_fd_target(pid_t pid, int fd, char *buf, size_t len);

/* The inode of a pipe or socket ("pipe:[123]" -> 123, kind "pipe"),
 * false for anything else. */
bool procfs_fd_inode(const char *target, char *kind, size_t kindlen,
                     uint64_t *ino);

/* Which ends of a pipe or socket inode pid holds open: a mask of
 * PROCFS_END_READ and PROCFS_END_WRITE (by each descriptor's access
 * mode; a socket's descriptors are both), 0 for none. */
#define PROCFS_END_READ 1
#define PROCFS_END_WRITE 2
int procfs_inode_ends(pid_t pid, const char *kind, uint64_t ino);

#endif
