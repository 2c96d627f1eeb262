/* Test program for `ctrace attach` (not run under ctrace): two threads
 * take lock_a and lock_b in opposite orders, each after the other holds
 * its first lock (a barrier forces it), so they deadlock for sure; main
 * joins them and so blocks too. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *take_a_then_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&lock_b); /* deadlocks */
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void *take_b_then_a(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&lock_a); /* deadlocks */
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t1, NULL, take_a_then_b, NULL);
    pthread_create(&t2, NULL, take_b_then_a, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    puts("unreachable");
    return 0;
}
