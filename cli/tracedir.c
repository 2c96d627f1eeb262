/* The output directory of `ctrace run` (see tracedir.h).
 *
 * File names come from trace/format.h: process files `p<pid>.<k>.ctrace`
 * and the sequence file `seq.map`. */
#include "tracedir.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool tracedir_is_trace_file(const char *name)
{
    size_t len = strlen(name);
    static const char suffix[] = ".ctrace";
    size_t slen = sizeof suffix - 1;
    if (strcmp(name, "seq.map") == 0)
        return true;
    return name[0] == 'p' && len > slen + 1 &&
           strcmp(name + len - slen, suffix) == 0;
}

bool tracedir_looks_like_trace(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool empty = true, trace = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        empty = false;
        trace |= tracedir_is_trace_file(e->d_name);
    }
    closedir(d);
    return empty || trace;
}

/* 1 when `path` is a directory, 0 when it does not exist, -1 (with a
 * message) when it is something else or cannot be looked at. */
static int tracedir_stat(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "ctrace: cannot use %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "ctrace: cannot record into %s: it exists and is not a "
                "directory; remove it or choose another with -o\n",
                path);
        return -1;
    }
    return 1;
}

static int tracedir_remove_one(const char *path, const struct stat *st,
                               int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (remove(path) != 0) {
        fprintf(stderr, "ctrace: cannot remove %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Remove an old trace directory and everything in it, links not
 * followed. */
static int tracedir_remove(const char *dir)
{
    return nftw(dir, tracedir_remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0
                                                                         : -1;
}

static void tracedir_refuse(const char *dir, const char *action)
{
    fprintf(stderr,
            "ctrace: cannot %s %s: it is not a ctrace trace directory (no "
            "p*.ctrace or seq.map in it); remove it yourself or choose "
            "another with -o\n",
            action, dir);
}

/* DIR exists and is a trace: make DIR.old the trace before it. */
static int tracedir_keep_old(const char *dir)
{
    char old[PATH_MAX];
    if (snprintf(old, sizeof old, "%s.old", dir) >= (int)sizeof old) {
        fprintf(stderr, "ctrace: %s: path too long\n", dir);
        return -1;
    }
    int st = tracedir_stat(old);
    if (st < 0)
        return -1;
    if (st > 0) {
        if (!tracedir_looks_like_trace(old)) {
            tracedir_refuse(old, "replace");
            return -1;
        }
        if (tracedir_remove(old) != 0)
            return -1;
    }
    if (rename(dir, old) != 0) {
        fprintf(stderr, "ctrace: cannot rename %s to %s: %s\n", dir, old,
                strerror(errno));
        return -1;
    }
    return 0;
}

int tracedir_prepare(const char *dir, char *abs, size_t size)
{
    char path[PATH_MAX];
    size_t len = strlen(dir);
    /* "out/" must become "out.old", not "out/.old". */
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len == 0 || len >= sizeof path) {
        fprintf(stderr, "ctrace: bad trace directory '%s'\n", dir);
        return -1;
    }
    memcpy(path, dir, len);
    path[len] = '\0';

    int st = tracedir_stat(path);
    if (st < 0)
        return -1;
    if (st > 0) {
        if (!tracedir_looks_like_trace(path)) {
            tracedir_refuse(path, "record into");
            return -1;
        }
        if (tracedir_keep_old(path) != 0)
            return -1;
    }
    if (mkdir(path, 0777) != 0) {
        fprintf(stderr, "ctrace: cannot create %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    char real[PATH_MAX];
    if (!realpath(path, real) || strlen(real) >= size) {
        fprintf(stderr, "ctrace: cannot resolve %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    memcpy(abs, real, strlen(real) + 1);
    return 0;
}
