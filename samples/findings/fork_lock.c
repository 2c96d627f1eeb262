/* fork_lock [warn|error|fixed]: fork while another thread holds a lock.
 * Thread "holder" takes pool_lock and waits; main forks meanwhile, so the
 * child starts with pool_lock locked by a thread it does not have.
 *   warn   (default) the child never touches pool_lock: a warning
 *   error  the child takes pool_lock and waits for ever (nobody in it can
 *          unlock it): ctrace reports the child's hang while it runs and
 *          ends it; the report shows the parent's holder and the child's
 *          lock
 *   fixed  main forks only after the holder has unlocked: the child takes
 *          pool_lock freely
 * Semaphores order the steps. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t holding, may_release, released;

static void *holder_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "holder");
    pthread_mutex_lock(&pool_lock); /* LINE:holder_lock */
    sem_post(&holding);
    sem_wait(&may_release);
    pthread_mutex_unlock(&pool_lock);
    sem_post(&released);
    return NULL;
}

static void child_main(int take_lock)
{
    if (take_lock) {
        pthread_mutex_lock(&pool_lock); /* LINE:child_lock */
        pthread_mutex_unlock(&pool_lock);
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "warn";
    int fixed = strcmp(mode, "fixed") == 0;
    sem_init(&holding, 0, 0);
    sem_init(&may_release, 0, 0);
    sem_init(&released, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, holder_thread, NULL);
    sem_wait(&holding);
    if (fixed) {
        sem_post(&may_release);
        sem_wait(&released);
    }
    pid_t pid = fork(); /* LINE:fork */
    if (pid == 0)
        child_main(strcmp(mode, "warn") != 0);
    if (!fixed)
        sem_post(&may_release);
    int status = 0;
    waitpid(pid, &status, 0); /* LINE:waitpid */
    pthread_join(t, NULL);
    printf("child %s %d\n", WIFEXITED(status) ? "exited" : "killed by",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return 0;
}
