/* stack_edge: a thread with a 16 KiB stack recurses until only
 * EDGE_MARGIN bytes (argv[1] overrides) of its stack are left, takes and
 * releases a mutex there, at a call site of its own, and returns.  Plenty
 * for libc's lock calls; a tracer that needs more (a stack capture) must
 * notice and do less.  Bug-free; prints how deep it went. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define EDGE_STACK (16 * 1024)
#define EDGE_MARGIN 1536
#define EDGE_FRAME 96 /* bytes each level keeps on the stack */

static pthread_mutex_t edge_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t edge_lo; /* lowest usable address of the thread's stack */
static long edge_margin = EDGE_MARGIN;
static long edge_pairs;

static __attribute__((noinline)) void edge_lock_here(void)
{
    pthread_mutex_lock(&edge_lock);
    edge_pairs++;
    pthread_mutex_unlock(&edge_lock);
}

/* Recurse until the margin is reached; returns the depth. */
static __attribute__((noinline)) int edge_recurse(int depth)
{
    volatile char frame[EDGE_FRAME];
    frame[0] = (char)depth;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    int deepest = depth;
    if (sp - edge_lo > (uintptr_t)edge_margin + 2 * EDGE_FRAME)
        deepest = edge_recurse(depth + 1);
    else
        edge_lock_here();
    return deepest + frame[0] - (char)depth;
}

static void *edge_thread(void *arg)
{
    (void)arg;
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
        pthread_attr_getstack(&attr, &addr, &size) != 0)
        return NULL;
    pthread_attr_destroy(&attr);
    edge_lo = (uintptr_t)addr;
    /* bind every call the deep frame makes while there is room */
    pthread_mutex_lock(&edge_lock);
    pthread_mutex_unlock(&edge_lock);
    return (void *)(intptr_t)edge_recurse(0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        edge_margin = atol(argv[1]);
    pthread_attr_t attr;
    pthread_t t;
    void *depth = NULL;
    pthread_attr_init(&attr);
    if (pthread_attr_setstacksize(&attr, EDGE_STACK) != 0 ||
        pthread_create(&t, &attr, edge_thread, NULL) != 0)
        return 2;
    pthread_join(t, &depth);
    printf("recursed %s, locked %ld time(s) at the edge\n",
           depth ? "deep" : "nowhere", edge_pairs);
    return depth && edge_pairs == 1 ? 0 : 1;
}
