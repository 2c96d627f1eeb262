/* A thread still reads a heap block while another frees it, with
 * nothing ordering the two: free() counts as a write of the whole block.
 * Twin: heap_reuse_ok.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "order.h"

static struct order turn;

static void *reader(void *arg)
{
    int *v = arg;
    long sum = v[0] + v[1]; /* RACE */
    order_post(&turn);
    return (void *)sum;
}

int main(void)
{
    int *v = malloc(16 * sizeof *v); /* ALLOC */
    void *r;
    v[0] = 1;
    v[1] = 2;
    order_init(&turn);
    pthread_t t;
    pthread_create(&t, NULL, reader, v);
    order_wait(&turn);
    free(v); /* RACE */
    pthread_join(t, &r);
    printf("sum = %ld\n", (long)r);
    return 0;
}
