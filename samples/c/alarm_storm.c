/* Sample: a SIGALRM storm (an interval timer every ALARM_PERIOD_US)
 * while worker threads lock and unlock heavily.  Bug-free: the handler
 * takes a mutex that only handlers take (SIGALRM is blocked while its
 * own handler runs, so a thread never waits for itself) and posts a
 * semaphore.  The main thread blocks SIGALRM after starting the workers,
 * so the signals land in the middle of the workers' locking.
 * Prints "alarms N" and "counter C"; exits 0 when C is right. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define ALARM_THREADS 4
#define ALARM_ITERATIONS 200000
#define ALARM_PERIOD_US 100

static pthread_mutex_t work_locks[2] = {PTHREAD_MUTEX_INITIALIZER,
                                        PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t alarm_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t alarm_sem;
static long alarm_count;
static long work_counter[2];

static void alarm_handler(int signo)
{
    (void)signo;
    pthread_mutex_lock(&alarm_lock);
    alarm_count++;
    pthread_mutex_unlock(&alarm_lock);
    sem_post(&alarm_sem);
}

static void *alarm_worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < ALARM_ITERATIONS; i++) {
        int k = (int)((id + i) & 1);
        pthread_mutex_lock(&work_locks[k]);
        work_counter[k]++;
        pthread_mutex_unlock(&work_locks[k]);
    }
    return NULL;
}

static void alarm_timer(long period_us)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_interval.tv_usec = period_us;
    it.it_value.tv_usec = period_us;
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alarm_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    sem_init(&alarm_sem, 0, 0);

    alarm_timer(ALARM_PERIOD_US);
    pthread_t threads[ALARM_THREADS];
    for (long i = 0; i < ALARM_THREADS; i++)
        if (pthread_create(&threads[i], NULL, alarm_worker, (void *)i) != 0)
            return 2;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    for (int i = 0; i < ALARM_THREADS; i++)
        pthread_join(threads[i], NULL);
    alarm_timer(0);

    long total = work_counter[0] + work_counter[1];
    printf("alarms %ld\ncounter %ld\n", alarm_count, total);
    return total == (long)ALARM_THREADS * ALARM_ITERATIONS ? 0 : 1;
}
