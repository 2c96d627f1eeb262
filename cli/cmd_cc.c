/* `ctrace cc ARGS...` and `ctrace c++ ARGS...`: compile and link like the
 * compiler they wrap ($CC / $CXX, default cc / c++), with
 * -fsanitize=thread instrumentation bound to ctrace's runtime (the
 * __tsan_* functions inside libctrace.so) instead of libtsan, so that the
 * program's memory accesses are recorded when it runs under `ctrace run`
 * (docs/races.md).
 *
 * Compiling adds -fsanitize=thread (before the user's arguments, so a
 * -fno-sanitize=thread of theirs wins).  Linking must not pull libtsan in:
 *  - clang: -fno-sanitize-link-runtime;
 *  - GCC has no such switch and always adds -ltsan (and its preinit
 *    object, which only calls __tsan_init): a directory of ours comes
 *    first on the library path with a libtsan.so that is a linker script
 *    naming libctrace.so.
 * Then -lctrace with an rpath to it, and --wrap=memcpy,memset,memmove so
 * that the copies of instrumented code are seen (compilers turn them
 * into calls to those functions).  Nothing else is rewritten: one
 * command that both compiles and links works, and so do mixed builds
 * (objects compiled by the plain compiler link in unchanged).
 *
 * The compiler replaces this process (exec), so its exit status and
 * output are the command's. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "launch.h"
#include "options.h"

#define CC_MAX_WORDS 32

enum cc_family { CC_GCC, CC_CLANG };

static void cc_usage(FILE *out, const char *name)
{
    fprintf(out,
            "Usage: ctrace %s ARGS...\n"
            "\n"
            "Compile and link like %s, adding ThreadSanitizer instrumentation "
            "bound to\nctrace's runtime instead of libtsan: the program's "
            "memory accesses are\nrecorded when it runs under 'ctrace run', "
            "and data races are reported.\n"
            "\n"
            "The compiler is $%s (default %s); GCC and clang are supported.  "
            "Mixed builds\nwork: objects compiled without ctrace link in "
            "unchanged.  Build systems can\nuse 'pkg-config --cflags --libs "
            "ctrace-tsan' instead.\n",
            name, strcmp(name, "c++") == 0 ? "c++" : "cc",
            strcmp(name, "c++") == 0 ? "CXX" : "CC",
            strcmp(name, "c++") == 0 ? "c++" : "cc");
}

/* Split $CC ("ccache gcc -m64") into words. */
static int cc_split(char *s, char **words, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t"); tok && n < max;
         tok = strtok(NULL, " \t"))
        words[n++] = tok;
    return n;
}

/* Options whose value is the next argument. */
static bool cc_takes_value(const char *a)
{
    static const char *const opts[] = {
        "-o",          "-I",
        "-D",          "-U",
        "-include",    "-imacros",
        "-isystem",    "-idirafter",
        "-iprefix",    "-iwithprefix",
        "-iquote",     "-x",
        "-MF",         "-MT",
        "-MQ",         "-L",
        "-l",          "-u",
        "-T",          "-Xlinker",
        "-Xassembler", "-Xpreprocessor",
        "-Xclang",     "-e",
        "-aux-info",   "-arch",
        "-target",     "--param",
        "-z",          "-isysroot",
        "--sysroot",
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strcmp(a, opts[i]) == 0)
            return true;
    return false;
}

/* Whether this command links: there is an input and no option stops the
 * driver before the link. */
static bool cc_links(int argc, char **argv)
{
    static const char *const stop[] = {"-c",           "-S",
                                       "-E",           "-M",
                                       "-MM",          "-fsyntax-only",
                                       "--version",    "-dumpversion",
                                       "-dumpmachine", "--help"};
    bool input = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        for (size_t k = 0; k < sizeof stop / sizeof stop[0]; k++)
            if (strcmp(a, stop[k]) == 0)
                return false;
        if (strncmp(a, "-print-", 7) == 0)
            return false;
        if (cc_takes_value(a)) {
            i++;
            continue;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0)
            input = true;
    }
    return input;
}

/* clang or GCC: by name when it says, else by what --version prints. */
static enum cc_family cc_family_of(char **words, int n)
{
    const char *base = strrchr(words[n - 1], '/');
    base = base ? base + 1 : words[n - 1];
    if (strstr(base, "clang"))
        return CC_CLANG;
    if (strstr(base, "gcc") || strstr(base, "g++"))
        return CC_GCC;
    int fd[2];
    if (pipe(fd) != 0)
        return CC_GCC;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        char *argv[CC_MAX_WORDS + 2];
        memcpy(argv, words, (size_t)n * sizeof *argv);
        argv[n] = "--version";
        argv[n + 1] = NULL;
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    char buf[512];
    size_t got = 0;
    ssize_t r;
    while (pid > 0 && got < sizeof buf - 1 &&
           (r = read(fd[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return strstr(buf, "clang") ? CC_CLANG : CC_GCC;
}

static int cmd_cc_main(int argc, char **argv, bool cxx)
{
    const char *name = argv[0];
    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cc_usage(stdout, name);
        return 0;
    }
    const char *env = getenv(cxx ? "CXX" : "CC");
    char *spec = strdup(env && *env ? env : cxx ? "c++" : "cc");
    char *words[CC_MAX_WORDS];
    int nw = spec ? cc_split(spec, words, CC_MAX_WORDS) : 0;
    if (nw == 0) {
        fprintf(stderr, "ctrace %s: $%s names no compiler\n", name,
                cxx ? "CXX" : "CC");
        return OPTIONS_EXIT_USAGE;
    }
    bool link = cc_links(argc - 1, argv + 1);
    char shim[4096], libdir[4096], stubdir[4200], lflag[4200], rflag[4300];
    if (link) {
        if (launch_find_shim(shim, sizeof shim) != 0)
            return LAUNCH_EXIT_NOT_FOUND;
        snprintf(libdir, sizeof libdir, "%s", shim);
        *strrchr(libdir, '/') = '\0';
        snprintf(stubdir, sizeof stubdir, "-L%s/tsan-stub", libdir);
        snprintf(lflag, sizeof lflag, "-L%s", libdir);
        snprintf(rflag, sizeof rflag, "-Wl,-rpath,%s", libdir);
    }
    enum cc_family fam = cc_family_of(words, nw);
    char **out = calloc((size_t)(nw + argc + 16), sizeof *out);
    if (!out)
        return 1;
    int n = 0;
    for (int i = 0; i < nw; i++)
        out[n++] = words[i];
    out[n++] = "-fsanitize=thread";
    if (fam == CC_GCC) /* ctrace does handle atomic_thread_fence */
        out[n++] = "-Wno-tsan";
    else /* with -g: an address index, which libdw needs to find lines */
        out[n++] = "-gdwarf-aranges";
    if (link && fam == CC_GCC) /* first: -ltsan must find ours */
        out[n++] = stubdir;
    for (int i = 1; i < argc; i++)
        out[n++] = argv[i];
    if (link) {
        if (fam == CC_CLANG)
            out[n++] = "-fno-sanitize-link-runtime";
        out[n++] = lflag;
        out[n++] = "-lctrace";
        out[n++] = rflag;
        out[n++] = "-Wl,--wrap=memcpy,--wrap=memset,--wrap=memmove";
    }
    out[n] = NULL;
    execvp(out[0], out);
    fprintf(stderr, "ctrace %s: cannot run %s: %s\n", name, out[0],
            strerror(errno));
    return errno == ENOENT ? LAUNCH_EXIT_NOT_FOUND : LAUNCH_EXIT_CANNOT_RUN;
}

int cmd_cc(int argc, char **argv) { return cmd_cc_main(argc, argv, false); }

int cmd_cxx(int argc, char **argv) { return cmd_cc_main(argc, argv, true); }
