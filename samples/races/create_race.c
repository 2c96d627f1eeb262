/* What the parent writes before pthread_create is ordered before the
 * child; what it writes after is not: the child's read races with the
 * second write only.  Twin: create_ok.c. */
#include <pthread.h>
#include <stdio.h>

#include "order.h"

static int setting;
static struct order turn;

static void *child(void *arg)
{
    (void)arg;
    order_wait(&turn);
    return (void *)(long)setting; /* RACE */
}

int main(void)
{
    pthread_t t;
    void *r;
    order_init(&turn);
    setting = 1;
    pthread_create(&t, NULL, child, NULL);
    setting = 2; /* RACE */
    order_post(&turn);
    pthread_join(t, &r);
    printf("child saw %ld\n", (long)r);
    return 0;
}
