/* One thread fills a shared buffer with memcpy while another reads it
 * unordered: memcpy's writes are seen (ctrace cc links memcpy through the
 * runtime).  Twin: memcpy_ok.c. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "order.h"

static char shared[256];
static const char text[] = "the quick brown fox jumps over the lazy dog";
static struct order turn;

static void *filler(void *arg)
{
    size_t n = (size_t)(long)arg;
    memcpy(shared, text, n); /* RACE */
    order_post(&turn);
    return NULL;
}

int main(void)
{
    pthread_t t;
    order_init(&turn);
    pthread_create(&t, NULL, filler, (void *)(long)sizeof text);
    order_wait(&turn);
    char c = shared[10]; /* RACE */
    pthread_join(t, NULL);
    printf("shared[10] = %c\n", c);
    return 0;
}
