/* Sample: POSIX semaphores.  A producer and a consumer move 1000 items
 * through `slots` (4) and `items` (0); every wait variant is used once on
 * an available semaphore and once on an empty one (trywait EAGAIN,
 * timedwait and clockwait ETIMEDOUT), a timedwait with an invalid timeout
 * fails with EINVAL, a sem_wait is interrupted by a signal (EINTR) whose
 * handler posts another semaphore, and a named semaphore is opened,
 * used and closed.  Bug-free.
 *
 * Known counts: sem-init 4 (values 4, 0, 1, 0), sem-post on items 1000
 * and on slots 1000, sem-acquire on each 1000, sem-fail EAGAIN 1,
 * ETIMEDOUT 2, EINVAL 1, EINTR >= 1, sem-open 1, sem-close 1, sem-destroy
 * 4. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ITEMS 1000

static sem_t slots, items, spare, from_handler;
static long transferred;
static int failures;

static void expect(const char *what, int rc, int want_errno)
{
    int err = rc == 0 ? 0 : errno;
    printf("%-22s %s\n", what, strerror(err));
    if (err != want_errno)
        failures++;
}

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        sem_wait(&slots);
        sem_post(&items);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        sem_wait(&items);
        transferred++;
        sem_post(&slots);
    }
    return NULL;
}

static struct timespec at(clockid_t clock, int offset_s)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += offset_s;
    return t;
}

/* `spare` holds 1 on entry and on exit. */
static void each_wait(void)
{
    struct timespec future = at(CLOCK_REALTIME, 60),
                    past = at(CLOCK_REALTIME, -1);
    struct timespec mfuture = at(CLOCK_MONOTONIC, 60),
                    mpast = at(CLOCK_MONOTONIC, -1);
    struct timespec bad = {0, -1};
    expect("trywait", sem_trywait(&spare), 0);
    expect("trywait empty", sem_trywait(&spare), EAGAIN);
    expect("timedwait empty", sem_timedwait(&spare, &past), ETIMEDOUT);
    expect("clockwait empty", sem_clockwait(&spare, CLOCK_MONOTONIC, &mpast),
           ETIMEDOUT);
    sem_post(&spare);
    expect("timedwait", sem_timedwait(&spare, &future), 0);
    sem_post(&spare);
    expect("clockwait", sem_clockwait(&spare, CLOCK_MONOTONIC, &mfuture), 0);
    sem_post(&spare);
    expect("timedwait invalid", sem_timedwait(&spare, &bad), EINVAL);
}

static void on_usr1(int sig)
{
    (void)sig;
    sem_post(&from_handler);
}

static volatile pid_t sleeper_tid;
static int eintr_seen;

static void *sleeper(void *arg)
{
    (void)arg;
    sleeper_tid = gettid();
    while (sem_wait(&spare) != 0)
        if (errno == EINTR)
            __atomic_store_n(&eintr_seen, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Whether thread `tid` sleeps (blocked in its sem_wait). */
static int thread_sleeps(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

/* A sem_wait interrupted by a signal whose handler posts a semaphore. */
static void interrupted_wait(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sem_wait(&spare); /* now empty: the sleeper blocks */
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    while (!sleeper_tid || !thread_sleeps(sleeper_tid))
        usleep(1000);
    while (!__atomic_load_n(&eintr_seen, __ATOMIC_ACQUIRE)) {
        pthread_kill(t, SIGUSR1);
        sem_wait(&from_handler); /* the handler ran */
        usleep(1000);
    }
    sem_post(&spare);
    pthread_join(t, NULL);
    sem_post(&spare);
    printf("interrupted wait: EINTR seen\n");
}

static void named(void)
{
    char name[64];
    snprintf(name, sizeof name, "/ctrace-sem-basic-%d", (int)getpid());
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
    if (s == SEM_FAILED) {
        perror("sem_open");
        failures++;
        return;
    }
    sem_unlink(name);
    expect("named wait", sem_wait(s), 0);
    expect("named post", sem_post(s), 0);
    expect("named close", sem_close(s), 0);
}

int main(void)
{
    sem_init(&slots, 0, 4);
    sem_init(&items, 0, 0);
    sem_init(&spare, 0, 1);
    sem_init(&from_handler, 0, 0);
    pthread_t p, c;
    pthread_create(&p, NULL, producer, NULL);
    pthread_create(&c, NULL, consumer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("transferred %ld (expected %d)\n", transferred, ITEMS);
    each_wait();
    interrupted_wait();
    named();
    expect("destroy",
           sem_destroy(&slots) | sem_destroy(&items) | sem_destroy(&spare) |
               sem_destroy(&from_handler),
           0);
    return failures || transferred != ITEMS ? 1 : 0;
}
