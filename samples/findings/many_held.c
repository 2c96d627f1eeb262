/* many_held: a lock-order inversion whose first edge is taken with more
 * than 64 locks held (ThreadSanitizer's limit).  Thread "deep" takes 100
 * heap locks, then outer_lock, then tail_lock while holding all 101;
 * thread "flip" (run after "deep" has ended) takes tail_lock, then
 * outer_lock.  The only cycle is outer_lock -> tail_lock -> outer_lock:
 * the heap locks are taken first by their only user, so no edge leads
 * back to them.  With "fixed" flip takes outer_lock first: no cycle. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NDEEP 100

static pthread_mutex_t outer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t tail_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t deep[NDEEP];
static int fixed;
static long work;

static void *deep_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "deep");
    for (int i = 0; i < NDEEP; i++)
        pthread_mutex_lock(&deep[i]);
    pthread_mutex_lock(&outer_lock); /* LINE:deep_outer */
    pthread_mutex_lock(&tail_lock);  /* LINE:deep_tail */
    work++;
    pthread_mutex_unlock(&tail_lock);
    pthread_mutex_unlock(&outer_lock);
    for (int i = NDEEP - 1; i >= 0; i--)
        pthread_mutex_unlock(&deep[i]);
    return NULL;
}

static void *flip_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "flip");
    if (fixed) {
        pthread_mutex_lock(&outer_lock);
        pthread_mutex_lock(&tail_lock);
    } else {
        pthread_mutex_lock(&tail_lock);  /* LINE:flip_tail */
        pthread_mutex_lock(&outer_lock); /* LINE:flip_outer */
    }
    work++;
    pthread_mutex_unlock(&outer_lock);
    pthread_mutex_unlock(&tail_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    for (int i = 0; i < NDEEP; i++)
        pthread_mutex_init(&deep[i], NULL);
    pthread_t t;
    pthread_create(&t, NULL, deep_thread, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, flip_thread, NULL);
    pthread_join(t, NULL);
    printf("work %ld\n", work);
    return 0;
}
