/* The trace directory of `ctrace run -o DIR` (docs/security.md): ctrace
 * rotates and removes only what it created itself, never follows a
 * planted symlink, never touches another user's directory, and keeps its
 * files private.  Hostile objects are planted in a shared sticky
 * directory and owned by a second user (uid SEC_UID); afterwards nothing
 * outside ctrace's own files may have changed. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "sec_common.h"

static ino_t sec_ino(const char *path)
{
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "%s is gone", path);
    return st.st_ino;
}

static char *sec_old(const char *dir)
{
    char *old = NULL;
    cr_assert(asprintf(&old, "%s.old", dir) > 0);
    return old;
}

/* Issue 18 item 1: a directory holding a p*.ctrace file is not a trace. */
Test(dir, unmarked_directory_is_never_moved_nor_deleted)
{
    const char *dir = sec_path(e2e_tmpdir(), "work");
    cr_assert_eq(mkdir(dir, 0755), 0);
    char *notes = sec_path(dir, "notes.txt"), *p = sec_path(dir, "p1.ctrace");
    sec_write(notes, "keep me\n", 0644);
    sec_write(p, "", 0644);
    for (int run = 0; run < 2; run++) {
        struct e2e_result r = sec_ctrace(dir);
        sec_expect_refused(&r, "remove or rename it yourself");
        e2e_result_free(&r);
    }
    char *text = sec_read(notes);
    cr_expect(text && strcmp(text, "keep me\n") == 0, "notes.txt is gone");
    cr_expect(!sec_exists(sec_old(dir)), "%s was renamed", dir);
    free(text);
}

/* A trace written before the marker existed: refused, with advice. */
Test(dir, trace_without_marker_is_refused)
{
    const char *dir = sec_path(e2e_tmpdir(), "ctrace.data");
    cr_assert_eq(mkdir(dir, 0700), 0);
    sec_write(sec_path(dir, "seq.map"), "", 0600);
    sec_write(sec_path(dir, "p10.0.ctrace"), "", 0600);
    struct e2e_result r = sec_ctrace(dir);
    sec_expect_refused(&r, "remove or rename it yourself");
    cr_expect(sec_exists(sec_path(dir, "p10.0.ctrace")));
    e2e_result_free(&r);
}

Test(dir, rotation_keeps_one_old_trace)
{
    const char *dir = sec_path(e2e_tmpdir(), "t");
    char *old = sec_old(dir);
    sec_real_trace(dir);
    ino_t first = sec_ino(dir);
    sec_real_trace(dir);
    cr_expect_eq(sec_ino(old), first, "the first trace is not DIR.old");
    ino_t second = sec_ino(dir);
    sec_real_trace(dir);
    cr_expect_eq(sec_ino(old), second, "DIR.old was not replaced");
    cr_expect_neq(sec_ino(dir), second);
}

/* Trace files hold command lines, exception messages, thread names. */
Test(dir, trace_files_are_private)
{
    const char *dir = sec_path(e2e_tmpdir(), "t");
    mode_t mask = umask(022);
    sec_real_trace(dir);
    umask(mask);
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0700, "directory mode %o",
                 st.st_mode & 07777);
    cr_expect(sec_exists(sec_path(dir, TRACE_DIR_MARKER)), "no marker");
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        cr_assert_eq(fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
        cr_expect(S_ISREG(st.st_mode), "%s is not a regular file", e->d_name);
        cr_expect_eq(st.st_mode & 07777, 0600, "%s: mode %o", e->d_name,
                     st.st_mode & 07777);
        files++;
    }
    closedir(d);
    cr_expect_geq(files, 3, "marker, seq.map and a process file expected");
}

/* DIR.old with a file ctrace did not write: nothing is removed. */
Test(dir, old_trace_with_a_foreign_file_is_kept)
{
    const char *dir = sec_path(e2e_tmpdir(), "t");
    char *old = sec_old(dir);
    sec_real_trace(dir);
    sec_real_trace(dir);
    char *notes = sec_path(old, "notes.txt");
    sec_write(notes, "keep me\n", 0600);
    ino_t dir_ino = sec_ino(dir);
    struct e2e_result r = sec_ctrace(dir);
    sec_expect_refused(&r, "notes.txt");
    cr_expect(sec_exists(notes), "notes.txt was removed");
    cr_expect(sec_exists(sec_path(old, TRACE_DIR_MARKER)));
    cr_expect_eq(sec_ino(dir), dir_ino, "DIR was moved");
    e2e_result_free(&r);
}

/* ---- hostile objects in a shared directory ---- */

Test(shared, symlink_as_dir_is_not_followed)
{
    sec_require_other_user();
    const char *tmp = sec_shared_dir();
    const char *prot = sec_protected_make(tmp);
    char *dir = sec_path(tmp, "t");
    cr_assert_eq(symlink(prot, dir), 0);
    sec_give_away(dir);
    struct e2e_result r = sec_ctrace(dir);
    sec_expect_refused(&r, "symbolic link");
    cr_expect_eq(sec_protected_changed(prot), 0);
    cr_expect(!sec_exists(sec_path(prot, TRACE_DIR_MARKER)));
    cr_expect(!sec_exists(sec_old(dir)), "the symlink was renamed");
    e2e_result_free(&r);
}

Test(shared, symlink_as_old_dir_is_not_followed)
{
    sec_require_other_user();
    const char *tmp = sec_shared_dir();
    const char *prot = sec_protected_make(tmp);
    char *dir = sec_path(tmp, "t"), *old = sec_old(dir);
    sec_real_trace(dir);
    ino_t dir_ino = sec_ino(dir);
    cr_assert_eq(symlink(prot, old), 0);
    sec_give_away(old);
    struct e2e_result r = sec_ctrace(dir);
    sec_expect_refused(&r, "symbolic link");
    cr_expect_eq(sec_protected_changed(prot), 0);
    cr_expect_eq(sec_ino(dir), dir_ino, "DIR was moved");
    e2e_result_free(&r);
}

/* A symlink or a FIFO among DIR.old's files: ctrace refuses and removes
 * nothing, not even the link. */
static void sec_plant_in_old(bool fifo)
{
    const char *tmp = sec_shared_dir();
    const char *prot = sec_protected_make(tmp);
    char *dir = sec_path(tmp, "t"), *old = sec_old(dir);
    sec_real_trace(dir);
    sec_real_trace(dir);
    char *planted = sec_path(old, "seq.map");
    cr_assert_eq(unlink(planted), 0);
    if (fifo)
        cr_assert_eq(mkfifo(planted, 0600), 0);
    else
        cr_assert_eq(symlink(sec_path(prot, "f000"), planted), 0);
    struct e2e_result r = sec_ctrace(dir);
    sec_expect_refused(&r, "seq.map");
    cr_expect(sec_exists(planted), "the planted seq.map was removed");
    cr_expect(sec_exists(sec_path(old, TRACE_DIR_MARKER)));
    cr_expect_eq(sec_protected_changed(prot), 0);
    e2e_result_free(&r);
}

Test(shared, symlink_inside_old_dir_is_left_alone) { sec_plant_in_old(false); }

Test(shared, fifo_inside_old_dir_is_left_alone) { sec_plant_in_old(true); }

/* A trace look-alike of another user as DIR or DIR.old. */
static char *sec_foreign_trace(const char *path)
{
    cr_assert_eq(mkdir(path, 0777), 0);
    chmod(path, 0777);
    char *p = sec_path(path, "p1.ctrace"),
         *marker = sec_path(path, TRACE_DIR_MARKER);
    sec_write(p, "theirs\n", 0644);
    sec_write(marker, TRACE_DIR_MARKER_TEXT, 0644);
    sec_give_away(p);
    sec_give_away(marker);
    sec_give_away(path);
    free(marker);
    return p;
}

Test(shared, dir_of_another_user_is_not_moved)
{
    sec_require_other_user();
    const char *tmp = sec_shared_dir();
    char *dir = sec_path(tmp, "t");
    char *theirs = sec_foreign_trace(dir);
    struct e2e_result r = sec_ctrace(dir);
    sec_expect_refused(&r, "another user");
    cr_expect(sec_exists(theirs), "their directory was moved");
    cr_expect(!sec_exists(sec_old(dir)));
    e2e_result_free(&r);
}

Test(shared, old_dir_of_another_user_is_not_removed)
{
    sec_require_other_user();
    const char *tmp = sec_shared_dir();
    char *dir = sec_path(tmp, "t"), *old = sec_old(dir);
    sec_real_trace(dir);
    ino_t dir_ino = sec_ino(dir);
    char *theirs = sec_foreign_trace(old);
    struct e2e_result r = sec_ctrace(dir);
    sec_expect_refused(&r, "another user");
    cr_expect(sec_exists(theirs), "their file was removed");
    cr_expect_eq(sec_ino(dir), dir_ino, "DIR was moved");
    e2e_result_free(&r);
}
