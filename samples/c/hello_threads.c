/* Sample: two threads add to one counter under a mutex, then main prints
 * the total.  Bug-free; the smallest program with thread create/join and
 * contended mutex lock/unlock, used by the README's first command. */
#include <pthread.h>
#include <stdio.h>

#define HELLO_ITERATIONS 10000

static pthread_mutex_t hello_lock = PTHREAD_MUTEX_INITIALIZER;
static long hello_counter;

static void *hello_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < HELLO_ITERATIONS; i++) {
        pthread_mutex_lock(&hello_lock);
        hello_counter++;
        pthread_mutex_unlock(&hello_lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&threads[i], NULL, hello_worker, NULL) != 0)
            return 1;
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    printf("counter = %ld (expected %d)\n", hello_counter,
           2 * HELLO_ITERATIONS);
    return hello_counter == 2 * HELLO_ITERATIONS ? 0 : 1;
}
