/* A detached thread uses a buffer on its stack and ends; then another
 * detached thread starts (glibc gives it the same stack memory) and uses
 * its own buffer at the same address.  Nothing orders the two threads,
 * but a new thread's stack has no past: no race. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "order.h"

static struct order done;

static __attribute__((noinline)) void fill(volatile char *buf, int n, char v)
{
    for (int i = 0; i < n; i++)
        buf[i] = v;
}

/* Fill a stack buffer, report its address and tid through the pipe. */
static void *worker(void *arg)
{
    volatile char buf[256];
    pthread_detach(pthread_self());
    fill(buf, (int)sizeof buf, (char)(long)arg);
    struct {
        void *addr;
        pid_t tid;
    } msg = {(void *)buf, (pid_t)syscall(SYS_gettid)};
    if (write(done.fd[1], &msg, sizeof msg) != (ssize_t)sizeof msg)
        abort();
    return NULL;
}

/* Start a worker (it detaches itself), wait for its message and for its
 * end. */
static void *run_one(long v)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, (void *)v);
    struct {
        void *addr;
        pid_t tid;
    } msg;
    if (read(done.fd[0], &msg, sizeof msg) != (ssize_t)sizeof msg)
        abort();
    struct timespec tick = {0, 1000000};
    for (int i = 0; i < 10000; i++) { /* safety net: 10 s */
        if (syscall(SYS_tgkill, getpid(), msg.tid, 0) != 0 && errno == ESRCH)
            break;
        nanosleep(&tick, NULL);
    }
    return msg.addr;
}

int main(void)
{
    order_init(&done);
    void *a = run_one(1);
    void *b = run_one(2);
    printf("stack buffer %s\n", a == b ? "reused" : "not reused");
    return 0;
}
