/* Issue 18 item 2: root rotates its trace next to a DIR.old that another
 * user planted in a shared sticky directory, while that user's racer
 * (sec_attacker) swaps a subdirectory of DIR.old for a symlink to a
 * directory of root's files.  A removal that walks by path deletes
 * root's files; ctrace must delete none, however often it is tried. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sec_common.h"

#define RACE_TRIES 150
#define RACE_SECONDS 40 /* bound on the whole loop */

/* Wait (bounded) until the racer owns path again. */
static bool race_wait_owned(const char *path)
{
    for (int i = 0; i < 2000; i++) {
        struct stat st;
        if (lstat(path, &st) == 0 && st.st_uid == SEC_UID)
            return true;
        usleep(1000);
    }
    return false;
}

static int race_remove_one(const char *path, const struct stat *st, int type,
                           struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* Root's own DIR.old after a rotation: safe to walk, the racer cannot
 * write into a directory root owns. */
static void race_clear_root_old(const char *old)
{
    struct stat st;
    if (lstat(old, &st) == 0 && st.st_uid == 0 && S_ISDIR(st.st_mode))
        nftw(old, race_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

Test(race, removal_of_old_dir_never_follows_swapped_symlinks, .timeout = 300)
{
    sec_require_other_user();
    const char *tmp = sec_shared_dir();
    const char *prot = sec_protected_make(tmp);
    char *dir = sec_path(tmp, "t"), *old = NULL;
    cr_assert(asprintf(&old, "%s.old", dir) > 0);
    sec_real_trace(dir);
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", RACE_SECONDS + 10);
    const char *racer[] = {getenv("SEC_ATTACKER"), old, prot, seconds, NULL};
    pid_t pid = sec_spawn_as_user(racer);

    time_t end = time(NULL) + RACE_SECONDS;
    int tries = 0, rotated = 0;
    while (tries < RACE_TRIES && time(NULL) < end) {
        if (!race_wait_owned(old))
            break;
        struct e2e_result r = sec_ctrace(dir);
        rotated += r.status == 0;
        if (getenv("SEC_RACE_DEBUG"))
            fprintf(stderr, "try %d: %s", tries, r.err);
        e2e_result_free(&r);
        race_clear_root_old(old);
        struct stat st;
        if (lstat(dir, &st) != 0) /* a failed rotation lost DIR */
            sec_real_trace(dir);
        tries++;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    int changed = sec_protected_changed(prot);
    cr_log_info("race: %d tries, %d rotations through the racer's DIR.old, "
                "%d of %d protected files changed",
                tries, rotated, changed, SEC_PROTECTED_FILES);
    fprintf(stderr,
            "race: %d tries, %d rotations through the racer's DIR.old, %d "
            "of %d protected files changed\n",
            tries, rotated, changed, SEC_PROTECTED_FILES);
    cr_expect_geq(tries, 5, "the racer never set DIR.old up");
    cr_expect_eq(changed, 0,
                 "root's files were deleted through the racer's "
                 "symlinks");
    cr_expect_eq(rotated, 0, "ctrace replaced another user's DIR.old");
}
