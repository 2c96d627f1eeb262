/* bench/attach: how long `ctrace attach` takes on a 50-thread process.
 * A child with 49 threads blocked on one mutex its main thread holds
 * (main then waits in pthread_join) is attached to 10 times through the
 * attach library, as the command does; prints each wall time, the
 * median and how long the child stayed stopped.  Not a test. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"

#define THREADS 50
#define RUNS 10

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *blocked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    return NULL;
}

static void child_main(int ready_fd)
{
    pthread_t t[THREADS - 1];
    pthread_mutex_lock(&held);
    for (int i = 0; i < THREADS - 1; i++)
        pthread_create(&t[i], NULL, blocked, NULL);
    if (write(ready_fd, "r", 1) != 1)
        _exit(1);
    pthread_join(t[0], NULL);
    _exit(0);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    int fds[2];
    char c;
    if (pipe(fds) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0)
        child_main(fds[1]);
    if (read(fds[0], &c, 1) != 1)
        return 1;
    usleep(200000); /* let the 49 threads reach the mutex */
    struct attach_options o = {.format = REPORT_FORMAT_TEXT,
                               .color = REPORT_COLOR_NEVER};
    double ms[RUNS];
    FILE *sink = fopen("/dev/null", "w");
    for (int i = 0; i < RUNS; i++) {
        char err[512];
        size_t n;
        double t0 = now_ms();
        if (attach_run(pid, &o, sink, &n, err, sizeof err) != 0) {
            fprintf(stderr, "attach: %s\n", err);
            return 1;
        }
        ms[i] = now_ms() - t0;
        printf("run %d: %.1f ms\n", i + 1, ms[i]);
    }
    fclose(sink);
    qsort(ms, RUNS, sizeof ms[0], cmp_double);
    printf("ctrace attach, %d threads: median %.1f ms, max %.1f ms\n", THREADS,
           ms[RUNS / 2], ms[RUNS - 1]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}
