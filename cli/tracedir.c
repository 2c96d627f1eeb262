/* The output directory of `ctrace run` (see tracedir.h and
 * docs/security.md).
 *
 * DIR may sit in a directory others can write (/tmp), so every step
 * works relative to descriptors, never by walking a path twice: the
 * parent is opened once, DIR and DIR.old are looked at with
 * AT_SYMLINK_NOFOLLOW and opened with O_NOFOLLOW|O_DIRECTORY, and the
 * files of an old trace are unlinked by name inside its descriptor,
 * never recursively.  ctrace moves or empties a directory only when it
 * marked it (TRACE_DIR_MARKER), the same user owns it, nobody else can
 * write it, and it holds nothing but regular files with ctrace's own
 * names: the marker, `seq.map`, `p<pid>.<k>.ctrace`. */
#include "tracedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"

#define TRACEDIR_ADVICE                                                        \
    "; remove or rename it yourself, or choose another with -o"

/* A directory entry of the parent, as found: its descriptor and stat. */
struct tracedir_entry {
    const char *path; /* for messages */
    const char *base; /* name inside the parent */
    int fd;           /* open directory, or -1 */
    struct stat st;
};

/* ctrace's own file names: the marker, seq.map, p<digits>.<digits>.ctrace */
static bool tracedir_is_own_name(const char *name)
{
    if (strcmp(name, TRACE_DIR_MARKER) == 0 || strcmp(name, "seq.map") == 0)
        return true;
    const char *p = name;
    if (*p++ != 'p')
        return false;
    for (int part = 0; part < 2; part++) {
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != '.')
            return false;
    }
    return strcmp(p, "ctrace") == 0;
}

/* Look at parent/base without following a link.  0 missing, 1 an open
 * directory in e->fd, -1 refused (printed). */
static int tracedir_open_entry(int parent, struct tracedir_entry *e)
{
    e->fd = -1;
    if (fstatat(parent, e->base, &e->st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "ctrace: cannot use %s: %s\n", e->path,
                strerror(errno));
        return -1;
    }
    if (S_ISLNK(e->st.st_mode)) {
        fprintf(stderr,
                "ctrace: cannot use %s: it is a symbolic link; ctrace never "
                "follows one there" TRACEDIR_ADVICE "\n",
                e->path);
        return -1;
    }
    if (!S_ISDIR(e->st.st_mode)) {
        fprintf(stderr,
                "ctrace: cannot record into %s: it exists and is not a "
                "directory; remove it or choose another with -o\n",
                e->path);
        return -1;
    }
    struct stat now;
    e->fd = openat(parent, e->base,
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (e->fd < 0 || fstat(e->fd, &now) != 0 || now.st_ino != e->st.st_ino ||
        now.st_dev != e->st.st_dev) {
        fprintf(stderr,
                "ctrace: cannot use %s: it changed while ctrace "
                "looked at it\n",
                e->path);
        return -1;
    }
    return 1;
}

/* The directory is ours to use: same owner, nobody else can write. */
static int tracedir_check_owner(const struct tracedir_entry *e)
{
    if (e->st.st_uid != geteuid()) {
        fprintf(stderr,
                "ctrace: cannot use %s: it belongs to another user "
                "(uid %u)" TRACEDIR_ADVICE "\n",
                e->path, (unsigned)e->st.st_uid);
        return -1;
    }
    if (e->st.st_mode & (S_IWGRP | S_IWOTH)) {
        fprintf(stderr,
                "ctrace: cannot use %s: others can write to it" TRACEDIR_ADVICE
                "\n",
                e->path);
        return -1;
    }
    return 0;
}

/* true when the directory carries a marker ctrace wrote. */
static bool tracedir_is_marked(int dfd)
{
    int fd = openat(dfd, TRACE_DIR_MARKER,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[sizeof TRACE_DIR_MARKER_TEXT];
    struct stat st;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n == (ssize_t)sizeof buf - 1 &&
           memcmp(buf, TRACE_DIR_MARKER_TEXT, sizeof buf - 1) == 0;
}

/* A listing of the open directory from its start (the descriptor stays
 * open: a dup shares its position, hence the rewind). */
static DIR *tracedir_list(int dfd)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0)
        close(fd);
    if (d)
        rewinddir(d);
    return d;
}

/* Every entry of the directory is a regular file with one of ctrace's
 * names (none at all when `own` is false), or the first that is not is
 * named.  Returns 0, -1 with the name in bad (size cap). */
static int tracedir_scan(int dfd, bool own, char *bad, size_t cap)
{
    DIR *d = tracedir_list(dfd);
    if (!d) {
        snprintf(bad, cap, "(cannot list it: %s)", strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (!own || !tracedir_is_own_name(e->d_name) ||
            fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
            snprintf(bad, cap, "%s", e->d_name);
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* An existing DIR or DIR.old that ctrace may move or empty. */
static int tracedir_check_trace(const struct tracedir_entry *e)
{
    if (tracedir_check_owner(e) != 0)
        return -1;
    if (!tracedir_is_marked(e->fd)) {
        fprintf(stderr,
                "ctrace: cannot use %s: it is not a ctrace trace directory "
                "(no %s marker in it: not a trace, or one from a ctrace "
                "older than the marker)" TRACEDIR_ADVICE "\n",
                e->path, TRACE_DIR_MARKER);
        return -1;
    }
    char bad[NAME_MAX + 64];
    if (tracedir_scan(e->fd, true, bad, sizeof bad) != 0) {
        fprintf(stderr,
                "ctrace: cannot use %s: it holds %s, which is not a file "
                "ctrace wrote" TRACEDIR_ADVICE "\n",
                e->path, bad);
        return -1;
    }
    return 0;
}

/* Unlink ctrace's files inside the (checked) directory, the marker last
 * so that an interrupted removal can be done again; then the directory
 * itself, if its name still leads to it. */
static int tracedir_remove_old(int parent, struct tracedir_entry *e)
{
    DIR *d = tracedir_list(e->fd);
    if (!d)
        return -1;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        struct stat st;
        if (!tracedir_is_own_name(de->d_name) ||
            strcmp(de->d_name, TRACE_DIR_MARKER) == 0 ||
            fstatat(e->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        unlinkat(e->fd, de->d_name, 0);
    }
    closedir(d);
    unlinkat(e->fd, TRACE_DIR_MARKER, 0);
    struct stat now;
    if (fstatat(parent, e->base, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
        now.st_ino != e->st.st_ino || now.st_dev != e->st.st_dev ||
        unlinkat(parent, e->base, AT_REMOVEDIR) != 0) {
        fprintf(stderr, "ctrace: cannot remove %s: %s" TRACEDIR_ADVICE "\n",
                e->path, errno ? strerror(errno) : "it changed");
        return -1;
    }
    return 0;
}

/* DIR becomes DIR.old, atomically, and only if no DIR.old appeared in
 * the meantime (RENAME_NOREPLACE).  A file system without it gets a
 * plain rename only where nobody else can write the parent. */
static int tracedir_rotate(int parent, const struct tracedir_entry *dir,
                           const struct tracedir_entry *old)
{
    if (renameat2(parent, dir->base, parent, old->base, RENAME_NOREPLACE) == 0)
        return 0;
    struct stat pst;
    if (errno == EINVAL && fstat(parent, &pst) == 0 &&
        pst.st_uid == geteuid() && !(pst.st_mode & (S_IWGRP | S_IWOTH)) &&
        renameat(parent, dir->base, parent, old->base) == 0)
        return 0;
    fprintf(stderr, "ctrace: cannot rename %s to %s: %s\n", dir->path,
            old->path, strerror(errno));
    return -1;
}

/* Keep the existing trace DIR (checked) as DIR.old. */
static int tracedir_keep_old(int parent, struct tracedir_entry *dir)
{
    char old_path[PATH_MAX + 8], old_base[NAME_MAX + 8];
    snprintf(old_path, sizeof old_path, "%s.old", dir->path);
    if (snprintf(old_base, sizeof old_base, "%s.old", dir->base) > NAME_MAX) {
        fprintf(stderr, "ctrace: %s: name too long\n", old_path);
        return -1;
    }
    struct tracedir_entry old = {.path = old_path, .base = old_base};
    int st = tracedir_open_entry(parent, &old);
    int rc = st;
    if (st > 0)
        rc = tracedir_check_trace(&old) == 0 &&
                     tracedir_remove_old(parent, &old) == 0
                 ? 0
                 : -1;
    if (old.fd >= 0)
        close(old.fd);
    return rc == 0 ? tracedir_rotate(parent, dir, &old) : -1;
}

/* Write the marker into the fresh directory (mode 0700). */
static int tracedir_mark(int dfd, const char *path)
{
    char text[128];
    int len = snprintf(text, sizeof text, "%sformat %u\n",
                       TRACE_DIR_MARKER_TEXT, (unsigned)TRACE_FORMAT_VERSION);
    int fd = openat(dfd, TRACE_DIR_MARKER,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = fchmod(dfd, 0700) == 0 && fd >= 0 &&
              write(fd, text, (size_t)len) == len;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (!ok)
        fprintf(stderr, "ctrace: cannot mark %s as a trace directory: %s\n",
                path, strerror(e));
    return ok ? 0 : -1;
}

/* Create DIR (0700) and mark it; return its descriptor in e->fd. */
static int tracedir_create(int parent, struct tracedir_entry *e)
{
    if (mkdirat(parent, e->base, 0700) != 0) {
        fprintf(stderr, "ctrace: cannot create %s: %s\n", e->path,
                strerror(errno));
        return -1;
    }
    if (tracedir_open_entry(parent, e) <= 0 || tracedir_check_owner(e) != 0)
        return -1;
    char bad[NAME_MAX + 64];
    if (tracedir_scan(e->fd, false, bad, sizeof bad) != 0) { /* not ours */
        fprintf(stderr, "ctrace: %s changed while ctrace created it (%s)\n",
                e->path, bad);
        return -1;
    }
    return tracedir_mark(e->fd, e->path);
}

/* An empty, unmarked directory of the user's own, nobody else can write:
 * ctrace records into it as it is. */
static bool tracedir_is_empty_own(const struct tracedir_entry *e)
{
    char bad[NAME_MAX + 64];
    return e->st.st_uid == geteuid() &&
           !(e->st.st_mode & (S_IWGRP | S_IWOTH)) &&
           tracedir_scan(e->fd, false, bad, sizeof bad) == 0;
}

/* Split DIR ("a/b/", "b", "/b") into its parent and last name. */
static int tracedir_split(const char *dir, char *path, char *parent,
                          const char **base)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') /* "out/" is "out" */
        len--;
    if (len == 0 || len >= PATH_MAX)
        return -1;
    memcpy(path, dir, len);
    path[len] = '\0';
    char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash)
        strcpy(parent, ".");
    else if (slash == path)
        strcpy(parent, "/");
    else {
        memcpy(parent, path, (size_t)(slash - path));
        parent[slash - path] = '\0';
    }
    return **base && strcmp(*base, ".") != 0 && strcmp(*base, "..") != 0 &&
                   strlen(*base) + 4 <= NAME_MAX
               ? 0
               : -1;
}

/* The absolute path of parent/base, through the parent's real path. */
static int tracedir_absolute(const char *parent, const char *base, char *abs,
                             size_t size)
{
    char real[PATH_MAX];
    if (!realpath(parent, real) ||
        (size_t)snprintf(abs, size, "%s%s%s", real,
                         strcmp(real, "/") == 0 ? "" : "/", base) >= size) {
        fprintf(stderr, "ctrace: cannot resolve %s: %s\n", parent,
                strerror(errno));
        return -1;
    }
    return 0;
}

int tracedir_prepare(const char *dir, char *abs, size_t size)
{
    char path[PATH_MAX], parent_path[PATH_MAX];
    const char *base;
    if (tracedir_split(dir, path, parent_path, &base) != 0) {
        fprintf(stderr, "ctrace: bad trace directory '%s'\n", dir);
        return -1;
    }
    int parent =
        open(parent_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* trusted */
    if (parent < 0) {
        fprintf(stderr, "ctrace: cannot use %s: %s\n", parent_path,
                strerror(errno));
        return -1;
    }
    struct tracedir_entry e = {.path = path, .base = base};
    int st = tracedir_open_entry(parent, &e);
    int rc = st < 0 ? -1 : 0;
    bool in_place = st > 0 && tracedir_is_empty_own(&e);
    if (in_place) {
        rc = tracedir_mark(e.fd, path); /* `mkdir out; ctrace -o out` */
    } else if (st > 0) {
        rc = tracedir_check_trace(&e) == 0 ? tracedir_keep_old(parent, &e) : -1;
        close(e.fd);
        e.fd = -1;
    }
    if (rc == 0 && !in_place)
        rc = tracedir_create(parent, &e);
    if (e.fd >= 0)
        close(e.fd);
    if (rc == 0)
        rc = tracedir_absolute(parent_path, base, abs, size);
    close(parent);
    return rc;
}
