/* One thread fills heap blocks and frees them; later another thread gets
 * blocks from malloc (some of the same memory: one malloc arena, and
 * more frees than the first thread's cache keeps) and fills them too.
 * Nothing the program does orders the two uses (malloc's own locking is
 * not the program's): each allocation starts a new life for its memory,
 * and there is no race.  Twin of free_race.c. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "order.h"

#define NBLOCKS 16

static struct order turn;
static void *first_blocks[NBLOCKS]; /* written before the pipe, read after
                                       the join: ordered */

static void *first(void *arg)
{
    (void)arg;
    long *p[NBLOCKS];
    for (int i = 0; i < NBLOCKS; i++) {
        p[i] = malloc(64);
        p[i][0] = i;
        p[i][7] = i;
        first_blocks[i] = p[i];
    }
    for (int i = 0; i < NBLOCKS; i++)
        free(p[i]);
    order_post(&turn);
    return NULL;
}

static void *second(void *arg)
{
    long **q = arg;
    order_wait(&turn);
    for (int i = 0; i < NBLOCKS; i++) {
        q[i] = malloc(64);
        q[i][0] = -i;
        q[i][7] = q[i][0];
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    long *q[NBLOCKS];
    mallopt(M_ARENA_MAX, 1);
    order_init(&turn);
    pthread_create(&a, NULL, first, NULL);
    pthread_create(&b, NULL, second, q);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    int reused = 0;
    for (int i = 0; i < NBLOCKS; i++)
        for (int j = 0; j < NBLOCKS; j++)
            reused += (void *)q[i] == first_blocks[j];
    printf("%d of %d blocks reused\n", reused, NBLOCKS);
    for (int i = 0; i < NBLOCKS; i++)
        free(q[i]);
    return 0;
}
