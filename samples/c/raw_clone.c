/* raw_clone: two child processes made without fork(): one by libc's
 * clone(SIGCHLD) on a stack of its own, one by the clone system call,
 * which returns in the child like fork.  Each child locks and unlocks a
 * mutex CLONE_PAIRS times, says so on stdout and exits with status 7;
 * the parent reaps both.  Bug-free.  The children's pids differ per run:
 * they are printed on lines that begin with "pid_" (tests mask them). */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLONE_PAIRS 1000
#define CLONE_STACK (256 * 1024)

static pthread_mutex_t clone_lock = PTHREAD_MUTEX_INITIALIZER;
static long clone_counter;

/* The child's work: its own copy of the counter goes from 1 (the
 * parent's one pair) to CLONE_PAIRS + 1.  write(), not stdio: the
 * child of libc's clone() ends without flushing anything. */
static int clone_child(void *name)
{
    for (int i = 0; i < CLONE_PAIRS; i++) {
        pthread_mutex_lock(&clone_lock);
        clone_counter++;
        pthread_mutex_unlock(&clone_lock);
    }
    char line[64];
    int n = snprintf(line, sizeof line, "%s child counted %ld\n",
                     (const char *)name, clone_counter);
    if (write(1, line, (size_t)n) != n)
        return 1;
    return clone_counter == CLONE_PAIRS + 1 ? 7 : 1;
}

static void clone_reap(const char *name, pid_t pid)
{
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        printf("%s: no child\n", name);
        return;
    }
    printf("pid_%s %d\n", name, (int)pid);
    printf("%s exit %d\n", name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    fflush(stdout);
}

int main(void)
{
    pthread_mutex_lock(&clone_lock);
    clone_counter++;
    pthread_mutex_unlock(&clone_lock);
    fflush(stdout);

    char *stack = malloc(CLONE_STACK);
    if (!stack)
        return 2;
    pid_t a = clone(clone_child, stack + CLONE_STACK, SIGCHLD, "libc");
    clone_reap("libc", a);

    pid_t b = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
    if (b == 0)
        _exit(clone_child("syscall"));
    clone_reap("syscall", b);
    free(stack);
    printf("parent counted %ld\n", clone_counter);
    return 0;
}
