/* Test program: calls ctrace_record_exception() the way Python's startup
 * module will (docs/python.md): found at run time by name, as ctypes finds it,
 * so the program runs with or without ctrace.  Prints "hook found" or
 * "hook missing" first.
 *
 *   raise   one uncaught ZeroDivisionError with a three-frame traceback,
 *           then exit 1 as Python does
 *   nulls   the hook with every argument NULL (kind "thread"), exit 0
 *   huge    a 20 KB message and traceback (kind "pool"), exit 0: the
 *           payload is cut, the traceback keeps its innermost frame
 *   none    no call at all, exit 0: the twin with no failure */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*record_fn)(const char *kind, const char *type,
                          const char *message, const char *traceback);

static const char traceback[] = "Traceback (most recent call last):\n"
                                "  File \"/app/job.py\", line 30, in <module>\n"
                                "    main()\n"
                                "  File \"/app/job.py\", line 25, in main\n"
                                "    compute(0)\n"
                                "  File \"/app/job.py\", line 12, in compute\n"
                                "    return 1 / n\n"
                                "ZeroDivisionError: division by zero\n";

static void call_huge(record_fn rec)
{
    size_t n = 20000;
    char *msg = malloc(n + 1), *tb = malloc(n + 200);
    if (!msg || !tb)
        exit(2);
    memset(msg, 'm', n);
    msg[n] = '\0';
    size_t used = 0;
    used += (size_t)sprintf(tb, "Traceback (most recent call last):\n");
    while (used < n)
        used +=
            (size_t)sprintf(tb + used, "  File \"/app/deep.py\", line 7, in "
                                       "recurse\n    recurse(n - 1)\n");
    sprintf(tb + used, "  File \"/app/deep.py\", line 3, in leaf\n"
                       "    raise RuntimeError(\"deep\")\n"
                       "RuntimeError: deep\n");
    rec("pool", "RuntimeError", msg, tb);
    free(msg);
    free(tb);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "raise";
    record_fn rec = (record_fn)dlsym(RTLD_DEFAULT, "ctrace_record_exception");
    printf("hook %s\n", rec ? "found" : "missing");
    fflush(stdout);
    if (!rec || strcmp(mode, "none") == 0)
        return 0;
    if (strcmp(mode, "nulls") == 0) {
        rec(NULL, NULL, NULL, NULL);
        return 0;
    }
    if (strcmp(mode, "huge") == 0) {
        call_huge(rec);
        return 0;
    }
    rec("uncaught", "ZeroDivisionError", "division by zero", traceback);
    fputs(traceback, stderr);
    return 1;
}
