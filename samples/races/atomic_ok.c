/* Message passing with C11 atomics: the data is written, then a flag is
 * stored with release; the reader loads the flag with acquire and then
 * reads the data: ordered.  Twin: relaxed_race.c. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static int data;
static atomic_int flag;

static void *writer(void *arg)
{
    (void)arg;
    data = 42;
    atomic_store_explicit(&flag, 1, memory_order_release);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    while (!atomic_load_explicit(&flag, memory_order_acquire))
        ;
    printf("data = %d\n", data);
    pthread_join(t, NULL);
    return 0;
}
