/* A configuration is initialised through pthread_once, but one reader
 * skips the once call and reads it directly: its read is not ordered
 * after the initialisation.  Twin: once_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int config;
static struct order turn;

static void config_init(void) { config = 99; /* RACE */ }

static void *careful(void *arg)
{
    (void)arg;
    pthread_once(&once, config_init);
    order_post(&turn);
    return (void *)(long)config;
}

static void *hasty(void *arg)
{
    (void)arg;
    order_wait(&turn);
    return (void *)(long)config; /* RACE */
}

int main(void)
{
    pthread_t a, b;
    void *ra, *rb;
    order_init(&turn);
    pthread_create(&a, NULL, careful, NULL);
    pthread_create(&b, NULL, hasty, NULL);
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    printf("config %ld %ld\n", (long)ra, (long)rb);
    return 0;
}
