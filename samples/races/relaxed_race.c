/* The same message passing with a relaxed flag: relaxed atomics order
 * nothing, so the data read races with the data write (the flag itself,
 * atomic on both sides, does not race).  Twin of atomic_ok.c. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static int data;
static atomic_int flag;

static void *writer(void *arg)
{
    (void)arg;
    data = 42; /* RACE */
    atomic_store_explicit(&flag, 1, memory_order_relaxed);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    while (!atomic_load_explicit(&flag, memory_order_relaxed))
        ;
    printf("data = %d\n", data); /* RACE */
    pthread_join(t, NULL);
    return 0;
}
