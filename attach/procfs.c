/* Reading /proc for attach (procfs.h).  Every reader tolerates a thread or
 * process that disappears between two reads: it answers "gone". */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

/* Read a whole small /proc file into buf (NUL-terminated).  Returns the
 * length, or -1. */
static ssize_t procfs_slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

static int pid_cmp(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

size_t procfs_tids(pid_t pid, pid_t **tids)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    *tids = NULL;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            pid_t *p = realloc(*tids, cap * sizeof *p);
            if (!p)
                abort();
            *tids = p;
        }
        (*tids)[n++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(*tids, n, sizeof **tids, pid_cmp);
    return n;
}

static void procfs_parse_syscall(const char *s, struct procfs_syscall *sc)
{
    memset(sc, 0, sizeof *sc);
    if (strncmp(s, "running", 7) == 0) {
        sc->running = true;
        sc->nr = -1;
        return;
    }
    char *end;
    sc->nr = strtol(s, &end, 10);
    uint64_t v[8] = {0};
    size_t k = 0;
    while (k < 8 && *end == ' ') {
        v[k++] = strtoull(end + 1, &end, 0);
    }
    if (sc->nr < 0) { /* "-1 sp pc" */
        sc->sp = v[0];
        sc->pc = v[1];
        return;
    }
    memcpy(sc->args, v, sizeof sc->args);
    sc->sp = v[6];
    sc->pc = v[7];
}

/* se.exec_start of a /proc/.../sched file: when it last ran, in ms of the
 * scheduler clock; -1 when the kernel does not say. */
static double procfs_exec_start(const char *path)
{
    char buf[4096];
    if (procfs_slurp(path, buf, sizeof buf) < 0)
        return -1;
    const char *p = strstr(buf, "se.exec_start");
    if (!p || !(p = strchr(p, ':')))
        return -1;
    return strtod(p + 1, NULL);
}

/* How long ago the thread last ran: its exec_start against our own
 * (we are running now, so ours is the scheduler clock's present). */
static double procfs_idle(pid_t pid, pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/sched", (int)pid, (int)tid);
    double then = procfs_exec_start(path);
    double now = procfs_exec_start("/proc/thread-self/sched");
    if (then < 0 || now < 0 || now < then)
        return -1;
    return (now - then) / 1000.0;
}

bool procfs_thread_read(pid_t pid, pid_t tid, struct procfs_thread *t)
{
    char path[96], buf[1024];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    if (procfs_slurp(path, buf, sizeof buf) <= 0)
        return false;
    /* "tid (comm) S ...": comm may hold spaces and parentheses */
    char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
    if (!open_p || !close_p || close_p < open_p || !close_p[1])
        return false;
    size_t nl = (size_t)(close_p - open_p - 1);
    if (nl >= sizeof t->name)
        nl = sizeof t->name - 1;
    memcpy(t->name, open_p + 1, nl);
    t->state = close_p[2];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    if (procfs_slurp(path, buf, sizeof buf) > 0)
        procfs_parse_syscall(buf, &t->sc);
    else
        t->sc.nr = -1;
    snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", (int)pid, (int)tid);
    if (procfs_slurp(path, buf, sizeof buf) > 0 && strcmp(buf, "0") != 0)
        snprintf(t->wchan, sizeof t->wchan, "%.63s", buf);
    t->idle_s = t->state == 'R' ? 0 : procfs_idle(pid, tid);
    return true;
}

bool procfs_process_read(pid_t pid, pid_t *ppid, char *exe, size_t exelen,
                         char *cmdline, size_t cmdlen)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (procfs_slurp(path, buf, sizeof buf) <= 0)
        return false;
    char *close_p = strrchr(buf, ')');
    int pp = 0;
    if (!close_p || sscanf(close_p + 2, "%*c %d", &pp) != 1)
        return false;
    *ppid = (pid_t)pp;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, exe, exelen - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t len = procfs_slurp(path, cmdline, cmdlen);
    for (ssize_t i = 0; i + 1 < len; i++)
        if (cmdline[i] == '\0')
            cmdline[i] = ' ';
    if (len < 0)
        cmdline[0] = '\0';
    return true;
}

void procfs_children(pid_t pid, pid_t **out, size_t *n)
{
    pid_t *tids;
    size_t nt = procfs_tids(pid, &tids);
    for (size_t i = 0; i < nt; i++) {
        char path[96], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid,
                 (int)tids[i]);
        if (procfs_slurp(path, buf, sizeof buf) <= 0)
            continue;
        char *p = buf, *end;
        long c;
        while ((c = strtol(p, &end, 10)) > 0 && end != p) {
            pid_t *g = realloc(*out, (*n + 1) * sizeof *g);
            if (!g)
                abort();
            *out = g;
            (*out)[(*n)++] = (pid_t)c;
            p = end;
        }
    }
    free(tids);
}

bool procfs_fd_target(pid_t pid, int fd, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(path, buf, len - 1);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

bool procfs_fd_inode(const char *target, char *kind, size_t kindlen,
                     uint64_t *ino)
{
    const char *b = strstr(target, ":[");
    if (!b ||
        (strncmp(target, "pipe", 4) != 0 && strncmp(target, "socket", 6) != 0))
        return false;
    snprintf(kind, kindlen, "%.*s", (int)(b - target), target);
    *ino = strtoull(b + 2, NULL, 10);
    return true;
}

/* The access mode of fd from /proc/PID/fdinfo/FD ("flags: 0100002"). */
static int procfs_fd_mode(pid_t pid, const char *fd)
{
    char path[320], buf[512];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%s", (int)pid, fd);
    if (procfs_slurp(path, buf, sizeof buf) <= 0)
        return O_RDWR;
    const char *f = strstr(buf, "flags:");
    return f ? (int)(strtoul(f + 6, NULL, 8) & O_ACCMODE) : O_RDWR;
}

int procfs_inode_ends(pid_t pid, const char *kind, uint64_t ino)
{
    char path[64], want[96], target[128];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    snprintf(want, sizeof want, "%s:[%" PRIu64 "]", kind, ino);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int ends = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (!procfs_fd_target(pid, atoi(e->d_name), target, sizeof target) ||
            strcmp(target, want) != 0)
            continue;
        if (strcmp(kind, "pipe") != 0) {
            ends |= PROCFS_END_READ | PROCFS_END_WRITE;
            continue;
        }
        int mode = procfs_fd_mode(pid, e->d_name);
        if (mode != O_WRONLY)
            ends |= PROCFS_END_READ;
        if (mode != O_RDONLY)
            ends |= PROCFS_END_WRITE;
    }
    closedir(d);
    return ends;
}
