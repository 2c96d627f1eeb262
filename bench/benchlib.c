/* Helpers shared by the benchmarks (see benchlib.h). */
#include "benchlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void bench_self_dir(const char *name, char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0) {
        fprintf(stderr, "%s: cannot read /proc/self/exe\n", name);
        exit(2);
    }
    dir[n] = '\0';
    *strrchr(dir, '/') = '\0';
}

void bench_tmpdir(const char *name, char *buf, size_t size)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, size, "%s/ctrace-bench-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(buf)) {
        perror(name);
        exit(2);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint64_t bench_trace_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    uint64_t total = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] != 'p')
            continue;
        char path[PATH_MAX * 2];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0)
            total += (uint64_t)st.st_blocks * 512u;
    }
    if (d)
        closedir(d);
    return total;
}

static double mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double bench_run(const char *name, char *const argv[], char *out, size_t cap,
                 struct rusage *ru)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror(name);
        exit(1);
    }
    double t0 = mono_ns();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (got < cap - 1 && (r = read(fds[0], out + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fds[0]);
    int st;
    struct rusage mine;
    wait4(pid, &st, 0, ru ? ru : &mine);
    double wall = mono_ns() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "%s: %s failed (status %d, output: %s)\n", name,
                argv[0], st, out);
        exit(1);
    }
    return wall;
}

double bench_value(const char *name, const char *out, const char *key)
{
    const char *at = strstr(out, key);
    if (!at) {
        fprintf(stderr, "%s: no '%s' in the output: %s\n", name, key, out);
        exit(1);
    }
    return strtod(at + strlen(key), NULL);
}
