/* lock_cycle N [MODE]: N heap-allocated locks (named by their creation
 * site) and N threads; thread i takes lock i, then lock i+1 (mod N) while
 * holding it.  The threads run one after the other (each is joined before
 * the next starts), so the program never deadlocks, but the lock graph
 * holds one cycle through all N locks: a lock-order inversion of length
 * N.  MODE is the twin:
 *   bug      (default) the cycle above
 *   ordered  every thread takes its two locks lowest index first: one
 *            global order, no cycle
 *   gated    the cycle, but every thread holds gate_lock around its two
 *            locks: the gate serializes them, no deadlock is possible
 *   single   one thread walks the whole cycle by itself: no other thread
 *            can be waiting on it
 * The LINE: markers let the tests find these lines. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *ring;
static int nlocks;
static enum { BUG, ORDERED, GATED, SINGLE } mode;
static long steps;

static void ring_step(int i)
{
    int a = i, b = (i + 1) % nlocks;
    if (mode == ORDERED && b < a) {
        a = b;
        b = i;
    }
    if (mode == GATED)
        pthread_mutex_lock(&gate_lock); /* LINE:ring_gate */
    pthread_mutex_lock(&ring[a]);       /* LINE:ring_first */
    pthread_mutex_lock(&ring[b]);       /* LINE:ring_second */
    steps++;
    pthread_mutex_unlock(&ring[b]);
    pthread_mutex_unlock(&ring[a]);
    if (mode == GATED)
        pthread_mutex_unlock(&gate_lock);
}

static void *ring_thread(void *arg)
{
    ring_step((int)(long)arg);
    return NULL;
}

static void *ring_walker(void *arg)
{
    (void)arg;
    for (int i = 0; i < nlocks; i++)
        ring_step(i);
    return NULL;
}

static int parse_mode(const char *s)
{
    static const char *const names[] = {"bug", "ordered", "gated", "single"};
    for (int m = 0; m < 4; m++)
        if (strcmp(s, names[m]) == 0)
            return m;
    return -1;
}

int main(int argc, char **argv)
{
    nlocks = argc > 1 ? atoi(argv[1]) : 3;
    int m = argc > 2 ? parse_mode(argv[2]) : BUG;
    if (nlocks < 2 || m < 0) {
        fprintf(stderr, "usage: lock_cycle N [bug|ordered|gated|single]\n");
        return 2;
    }
    mode = m;
    ring = calloc((size_t)nlocks, sizeof *ring);
    for (int i = 0; i < nlocks; i++)
        pthread_mutex_init(&ring[i], NULL); /* LINE:ring_init */
    pthread_t t;
    if (mode == SINGLE) {
        pthread_create(&t, NULL, ring_walker, NULL);
        pthread_join(t, NULL);
    } else {
        for (int i = 0; i < nlocks; i++) {
            pthread_create(&t, NULL, ring_thread, (void *)(long)i);
            pthread_join(t, NULL);
        }
    }
    for (int i = 0; i < nlocks; i++)
        pthread_mutex_destroy(&ring[i]);
    free(ring);
    printf("steps %ld\n", steps);
    return 0;
}
