/* Sample: children that end every way a process ends, and a parent that
 * waits for each and then returns from main with status 2.
 *   child 0: exit(0)            child 1: exit(1)
 *   child 2: _exit(1)           child 3: killed by SIGKILL (its own)
 *   child 4: returns 5 from a function that calls _Exit(5)
 * Prints "child K pid P status S" per child (S is the raw wait status),
 * in child order. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_CHILDREN 5

static void exit_child(int k)
{
    switch (k) {
    case 0:
        exit(0);
    case 1:
        exit(1);
    case 2:
        _exit(1);
    case 3:
        raise(SIGKILL);
        break;
    default:
        _Exit(5);
    }
    _exit(9);
}

int main(void)
{
    for (int k = 0; k < EXIT_CHILDREN; k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            return 3;
        if (pid == 0)
            exit_child(k);
        int st = 0;
        if (waitpid(pid, &st, 0) != pid)
            return 3;
        printf("child %d pid %d status %d\n", k, (int)pid, st);
    }
    return 2;
}
