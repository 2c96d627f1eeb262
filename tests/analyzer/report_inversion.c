/* Test program for the `ctrace report` end-to-end tests (report_cli.c):
 * two named threads take the globals table_lock and log_lock in opposite
 * orders, one after the other (so the run never deadlocks, but the lock
 * order is inverted).  Prints the source lines of the inner lock calls so
 * the test can look for them in the report's stacks. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int line_table_then_log, line_log_then_table;

/* Lock m and note the line of the call in var. */
#define LOCK_AT(m, var) ((var) = __LINE__, pthread_mutex_lock(m))

static void *writer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "writer");
    pthread_mutex_lock(&table_lock);
    LOCK_AT(&log_lock, line_table_then_log);
    pthread_mutex_unlock(&log_lock);
    pthread_mutex_unlock(&table_lock);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "reader");
    pthread_mutex_lock(&log_lock);
    LOCK_AT(&table_lock, line_log_then_table);
    pthread_mutex_unlock(&table_lock);
    pthread_mutex_unlock(&log_lock);
    return NULL;
}

static int run_thread(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0)
        return 1;
    return pthread_join(t, NULL);
}

int main(void)
{
    if (run_thread(writer) || run_thread(reader))
        return 1;
    printf("lines %d %d\n", line_table_then_log, line_log_then_table);
    return 0;
}
