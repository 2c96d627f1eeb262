/* Sample (exception groups): one thread crashes while the others are
 * blocked, deterministically:
 *   main     holds held_lock, starts the threads, then joins the crasher
 *   locker   blocks in pthread_mutex_lock(&held_lock), which main holds
 *   waiter   blocks in pthread_cond_wait(&never_cond), never signalled
 *   crasher  starts only when all three are blocked, then dereferences
 *            NULL in crash_now (SIGSEGV)
 * "Blocked" is checked, not hoped for: the waiter sets waiter_in under
 * wait_lock and releases wait_lock only inside pthread_cond_wait, so once
 * the crasher holds wait_lock and sees waiter_in, the waiter is waiting;
 * the locker is inside its lock once /proc says it sleeps in the futex
 * system call (it does nothing else after saying it is about to lock),
 * and main is inside its join of the crasher the same way (its only
 * blocking call after creating the crasher).
 *
 * With the argument "ok" the crasher returns instead; main then releases
 * held_lock, signals never_cond and joins everybody: exit 0, no failure.
 * Built with -z now, so that no lazy binding runs inside the threads. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t never_cond = PTHREAD_COND_INITIALIZER;

static sem_t locker_ready;
static volatile pid_t locker_tid;
static int never_flag, waiter_in;
static int *volatile null_pointer;
static int ok_run;

static void *locker_main(void *arg)
{
    (void)arg;
    locker_tid = (pid_t)syscall(SYS_gettid);
    sem_post(&locker_ready);
    pthread_mutex_lock(&held_lock); /* blocks: main holds it */
    pthread_mutex_unlock(&held_lock);
    return NULL;
}

static void *waiter_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wait_lock);
    waiter_in = 1;
    while (!never_flag)
        pthread_cond_wait(&never_cond, &wait_lock);
    pthread_mutex_unlock(&wait_lock);
    return NULL;
}

/* Whether thread tid sleeps in the futex system call. */
static int in_futex(pid_t tid)
{
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int nr = -1;
    if (fgets(buf, sizeof buf, f))
        nr = atoi(buf);
    fclose(f);
    return nr == SYS_futex;
}

__attribute__((noinline)) static int crash_now(void)
{
    return *null_pointer; /* CRASH_SITE */
}

static void *crasher_main(void *arg)
{
    (void)arg;
    for (int in = 0; !in;) { /* until the waiter is inside its wait */
        pthread_mutex_lock(&wait_lock);
        in = waiter_in;
        pthread_mutex_unlock(&wait_lock);
        if (!in)
            usleep(1000);
    }
    /* the locker is inside its lock and main inside its join (10 s:
       only a safety net, for a /proc that cannot be read) */
    for (int i = 0; i < 10000 && !(in_futex(locker_tid) && in_futex(getpid()));
         i++)
        usleep(1000);
    if (!ok_run)
        return (void *)(long)crash_now();
    return NULL;
}

int main(int argc, char **argv)
{
    ok_run = argc > 1 && strcmp(argv[1], "ok") == 0;
    pthread_t locker, waiter, crasher;
    sem_init(&locker_ready, 0, 0);
    pthread_mutex_lock(&held_lock);
    pthread_create(&waiter, NULL, waiter_main, NULL);
    pthread_create(&locker, NULL, locker_main, NULL);
    sem_wait(&locker_ready);
    pthread_create(&crasher, NULL, crasher_main, NULL);
    pthread_join(crasher, NULL);
    pthread_mutex_unlock(&held_lock);
    pthread_mutex_lock(&wait_lock);
    never_flag = 1;
    pthread_cond_broadcast(&never_cond);
    pthread_mutex_unlock(&wait_lock);
    pthread_join(locker, NULL);
    pthread_join(waiter, NULL);
    printf("all joined\n");
    return 0;
}
