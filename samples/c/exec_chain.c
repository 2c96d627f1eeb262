/* Sample: one process that execs itself through every member of the exec
 * family in turn, so one pid goes through nine images:
 *   (start) -execl-> 1 -execlp-> 2 -execle-> 3 -execv-> 4 -execvp-> 5
 *   -execvpe-> 6 -fexecve-> 7 -execveat-> 8 (prints "chain done", exits 0)
 * argv[1] is the step; the program's path is found again through
 * /proc/self/exe.  execle/execvpe/fexecve/execveat pass an environment
 * of their own with CHAIN_ENV=1 and no LD_PRELOAD: the chain must stay
 * traced anyway.  Each image prints "step N pid P". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static char chain_self[4096];
static char *chain_env[] = {(char *)"CHAIN_ENV=1", NULL};

static void chain_next(int step)
{
    char next[16];
    snprintf(next, sizeof next, "%d", step + 1);
    char *argv[] = {chain_self, next, NULL};
    switch (step) {
    case 0:
        execl(chain_self, chain_self, next, (char *)NULL);
        break;
    case 1:
        execlp(chain_self, chain_self, next, (char *)NULL);
        break;
    case 2:
        execle(chain_self, chain_self, next, (char *)NULL, chain_env);
        break;
    case 3:
        execv(chain_self, argv);
        break;
    case 4:
        execvp(chain_self, argv);
        break;
    case 5:
        execvpe(chain_self, argv, chain_env);
        break;
    case 6: {
        int fd = open(chain_self, O_RDONLY | O_CLOEXEC);
        fexecve(fd, argv, chain_env);
        break;
    }
    case 7:
        execveat(AT_FDCWD, chain_self, argv, chain_env, 0);
        break;
    }
    perror("exec");
    exit(1);
}

int main(int argc, char **argv)
{
    int step = argc > 1 ? atoi(argv[1]) : 0;
    ssize_t n = readlink("/proc/self/exe", chain_self, sizeof chain_self - 1);
    if (n <= 0)
        return 2;
    chain_self[n] = '\0';
    printf("step %d pid %d\n", step, (int)getpid());
    fflush(stdout);
    if (step >= 8) {
        printf("chain done\n");
        return 0;
    }
    chain_next(step);
    return 1;
}
