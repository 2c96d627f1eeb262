/* Sample: the thread life cycle.  Five threads: `alpha` (named by main)
 * returns; `beta` (names itself with prctl) ends with pthread_exit and is
 * joined with pthread_timedjoin_np; a third is cancelled while blocked in
 * read(); a fourth is first polled with pthread_tryjoin_np (EBUSY) then
 * joined with pthread_clockjoin_np; a fifth is detached, and main waits
 * until it is gone.  One creation fails (a stack larger than the address
 * space).  Bug-free.
 *
 * Known counts: thread-create 6, thread-create-fail 1, thread-start 6
 * (main included), thread-exit 5 (3 returned, 1 pthread_exit, 1
 * cancelled), thread-join-wait 4, thread-join 4 (all 0), thread-detach 1,
 * thread names "alpha" and "beta". */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static sem_t started, named, release_fourth, fifth_done;
static int pipe_fds[2];
static int failures;

static void expect(const char *what, int got, int want)
{
    printf("%-22s %s\n", what, strerror(got));
    if (got != want)
        failures++;
}

static void *returns(void *arg) { return arg; }

/* Alive until main has named it (a name cannot be given to a thread
 * that is gone). */
static void *named_returns(void *arg)
{
    sem_wait(&named);
    return arg;
}

static void *exits(void *arg)
{
    prctl(PR_SET_NAME, "beta", 0, 0, 0);
    pthread_exit(arg);
}

static void *blocks(void *arg)
{
    char c;
    sem_post(&started);
    for (;;) /* cancelled in read() */
        if (read(pipe_fds[0], &c, 1) == 0)
            break;
    return arg;
}

static void *waits(void *arg)
{
    sem_wait(&release_fourth);
    return arg;
}

static void *detached(void *arg)
{
    sem_post(&fifth_done);
    return arg;
}

static int task_count(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static struct timespec at(clockid_t clock, int offset_s)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += offset_s;
    return t;
}

int main(void)
{
    pthread_t t[5];
    void *ret;
    sem_init(&started, 0, 0);
    sem_init(&named, 0, 0);
    sem_init(&release_fourth, 0, 0);
    sem_init(&fifth_done, 0, 0);
    if (pipe(pipe_fds) != 0)
        return 1;

    pthread_create(&t[0], NULL, named_returns, (void *)1);
    expect("setname alpha", pthread_setname_np(t[0], "alpha"), 0);
    sem_post(&named);
    expect("join alpha", pthread_join(t[0], &ret), 0);

    pthread_create(&t[1], NULL, exits, (void *)2);
    struct timespec future = at(CLOCK_REALTIME, 60);
    expect("timedjoin beta", pthread_timedjoin_np(t[1], &ret, &future), 0);
    if (ret != (void *)2)
        failures++;

    pthread_create(&t[2], NULL, blocks, NULL);
    sem_wait(&started);
    pthread_cancel(t[2]);
    expect("join cancelled", pthread_join(t[2], &ret), 0);
    if (ret != PTHREAD_CANCELED)
        failures++;

    pthread_create(&t[3], NULL, waits, NULL);
    expect("tryjoin running", pthread_tryjoin_np(t[3], &ret), EBUSY);
    sem_post(&release_fourth);
    struct timespec mfuture = at(CLOCK_MONOTONIC, 60);
    expect("clockjoin",
           pthread_clockjoin_np(t[3], &ret, CLOCK_MONOTONIC, &mfuture), 0);

    pthread_create(&t[4], NULL, detached, NULL);
    expect("detach", pthread_detach(t[4]), 0);
    sem_wait(&fifth_done);
    while (task_count() > 1)
        usleep(1000);

    pthread_attr_t huge;
    pthread_attr_init(&huge);
    pthread_attr_setstacksize(&huge, (size_t)1 << 47);
    pthread_t never;
    int rc = pthread_create(&never, &huge, returns, NULL);
    pthread_attr_destroy(&huge);
    printf("create with a huge stack: %s\n", rc ? "failed" : "succeeded");
    if (rc == 0) {
        pthread_join(never, NULL);
        failures++;
    }
    return failures ? 1 : 0;
}
