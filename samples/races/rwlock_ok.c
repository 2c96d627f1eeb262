/* A writer updates a table under the write lock, readers read it under
 * the read lock: no race, whichever runs first.  Twin of rwlock_race.c. */
#include <pthread.h>
#include <stdio.h>

static int table[16];
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        pthread_rwlock_wrlock(&lock);
        table[i % 16] += i;
        pthread_rwlock_unlock(&lock);
    }
    return NULL;
}

static void *reader(void *arg)
{
    long sum = 0;
    for (int i = 0; i < 100; i++) {
        pthread_rwlock_rdlock(&lock);
        sum += table[i % 16];
        pthread_rwlock_unlock(&lock);
    }
    *(long *)arg = sum;
    return NULL;
}

int main(void)
{
    pthread_t w, r1, r2;
    long s1 = 0, s2 = 0;
    pthread_create(&w, NULL, writer, NULL);
    pthread_create(&r1, NULL, reader, &s1);
    pthread_create(&r2, NULL, reader, &s2);
    pthread_join(w, NULL);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    printf("sums %ld %ld\n", s1, s2);
    return 0;
}
