/* Descriptors the shim's own dependencies open while the shim runs.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h for the rules.
 *
 * libunwind validates addresses (when it falls back from DWARF to frame
 * chains) by writing them into a pipe of its own.  It opens that pipe at
 * its first use, which is the shim's start-up, and opens it again
 * whenever the program closed it.  In the lowest free descriptors, that
 * would shift every descriptor the program opens later (its first open()
 * would no longer be 3) and, in a program that closed 0-2, make the pipe
 * its stdin and stdout.  So a pipe made while the shim steps aside (the
 * `busy` flag: only the shim's dependencies run then) is moved above a
 * high floor, close-on-exec, before anyone sees it.  The trace files'
 * own descriptors are open only for the open/extend/mmap/close of a
 * chunk (docs/design.md rule 4): moving them would not shorten that moment.
 */
#include "shim.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Highest descriptor numbers used; no higher, so that the kernel's
 * descriptor table stays small when RLIMIT_NOFILE is huge. */
#define FD_TOP 1024
#define FD_ROOM 16 /* descriptors below the top the shim may take */

/* The lowest number a moved descriptor may get, or -1 when the limit
 * leaves no room above what programs use. */
static int fd_floor(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rlim_t top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FD_TOP
                     ? FD_TOP
                     : rl.rlim_cur;
    return top > 4 * FD_ROOM ? (int)(top - FD_ROOM) : -1;
}

/* Move both ends above the floor.  On failure nothing stays open: a
 * pipe the program could trip over is worse than none (libunwind then
 * treats the address as unreadable). */
static int fd_move_pair(int fds[2])
{
    int saved = errno, floor = fd_floor(), hi[2] = {-1, -1};
    for (int i = 0; i < 2 && floor >= 0; i++)
        hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, floor);
    close(fds[0]);
    close(fds[1]);
    if (hi[0] < 0 || hi[1] < 0) {
        if (hi[0] >= 0)
            close(hi[0]);
        errno = EMFILE;
        return -1;
    }
    fds[0] = hi[0];
    fds[1] = hi[1];
    errno = saved;
    return 0;
}

SHIM_EXPORT int pipe2(int fds[2], int flags)
{
    SHIM_REAL(pipe2);
    int rc = real(fds, flags);
    if (rc == 0 && SHIM_UNLIKELY(shim_tls.busy))
        rc = fd_move_pair(fds);
    return rc;
}

SHIM_EXPORT int pipe(int fds[2])
{
    SHIM_REAL(pipe);
    int rc = real(fds);
    if (rc == 0 && SHIM_UNLIKELY(shim_tls.busy))
        rc = fd_move_pair(fds);
    return rc;
}
