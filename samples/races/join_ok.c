/* The main thread joins the worker, then reads its result: exit -> join
 * orders them.  Twin of join_race.c. */
#include <pthread.h>
#include <stdio.h>

static long result;

static void *worker(void *arg)
{
    (void)arg;
    result = 6 * 7;
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    printf("result = %ld\n", result);
    return 0;
}
