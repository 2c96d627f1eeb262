/* Test program for `ctrace attach`: a writer takes table_rwlock for
 * writing and then reads a line from stdin while holding it; a reader
 * then waits for the read side.  Once the test writes a line the writer
 * lets go, the reader gets in, and the program prints "rwlock done" and
 * exits 0. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_rwlock_t table_rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t writer_holds;

static void *writer(void *arg)
{
    (void)arg;
    char line[64];
    pthread_rwlock_wrlock(&table_rwlock);
    pthread_barrier_wait(&writer_holds);
    if (read(0, line, sizeof line) < 0) /* held until the test writes */
        perror("read");
    pthread_rwlock_unlock(&table_rwlock);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&writer_holds);
    pthread_rwlock_rdlock(&table_rwlock); /* waits for the writer */
    pthread_rwlock_unlock(&table_rwlock);
    return NULL;
}

int main(void)
{
    pthread_t w, r;
    pthread_barrier_init(&writer_holds, NULL, 2);
    pthread_create(&w, NULL, writer, NULL);
    pthread_create(&r, NULL, reader, NULL);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    puts("rwlock done");
    return 0;
}
