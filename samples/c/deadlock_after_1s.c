/* Sample (viewer, live mode): two named threads work for about a second,
 * taking two locks in the same order, then deadlock for sure: each takes
 * its first lock in the opposite order (a first barrier waits until
 * both have stopped working), a second barrier makes both hold it, and
 * each then asks for the other's.  The program never ends by itself; the
 * tests watch `ctrace run --live` / `ctrace view --follow` show the
 * deadlock, then kill it. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t work_done, both_hold;
static long balance, entries;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* About a second of well-ordered work: account, then journal. */
static void work_a_second(void)
{
    double until = now_s() + 1.0;
    while (now_s() < until) {
        pthread_mutex_lock(&account_lock);
        balance++;
        pthread_mutex_lock(&journal_lock);
        entries++;
        pthread_mutex_unlock(&journal_lock);
        pthread_mutex_unlock(&account_lock);
        usleep(200);
    }
}

static void *transfer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "transfer");
    work_a_second();
    pthread_barrier_wait(&work_done);
    pthread_mutex_lock(&account_lock);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&journal_lock); /* held by audit: never returns */
    return NULL;
}

static void *audit(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "audit");
    work_a_second();
    pthread_barrier_wait(&work_done);
    pthread_mutex_lock(&journal_lock);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&account_lock); /* held by transfer: never returns */
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    pthread_barrier_init(&work_done, NULL, 2);
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t[0], NULL, transfer, NULL);
    pthread_create(&t[1], NULL, audit, NULL);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    return 0;
}
