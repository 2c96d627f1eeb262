/* `ctrace report [OPTIONS] [DIR]`: analyse a recorded trace and print
 * its findings as text, JSON or SARIF (analyzer/report.h does the work).
 *
 * Exit status (the same policy as dump and export): 0; N with
 * --error-exitcode=N when findings remain after suppressions; 1 when the
 * trace cannot be opened or is damaged (the report covers what could be
 * read; this wins over --error-exitcode), or the suppressions file
 * cannot be read; 2 for usage errors.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "format.h"
#include "options.h"
#include "report.h"

#define REPORT_DEFAULT_DIR "ctrace.data"
#define REPORT_HANG_TIMEOUT_MAX (7 * 24 * 3600)

struct report_cli_options {
    const char *format;
    const char *color;
    const char *suppressions;
    int error_exitcode;     /* -1: off */
    int hang_timeout;       /* seconds; -1: the analyzer's default */
    const char *output;     /* -o FILE; NULL: stdout */
    const char *exceptions; /* --exceptions=fatal|all */
};

static const struct opt_def report_option_defs[] = {
    {"format", 0, OPT_STRING, offsetof(struct report_cli_options, format), 0, 0,
     false, "text|json|sarif", "output format (default text)"},
    {"color", 0, OPT_STRING, offsetof(struct report_cli_options, color), 0, 0,
     true, "auto|always|never",
     "colour the text report (default auto: on a terminal, unless NO_COLOR "
     "is set)"},
    {"suppressions", 0, OPT_STRING,
     offsetof(struct report_cli_options, suppressions), 0, 0, true, "FILE",
     "ignore findings matching FILE's rules (ThreadSanitizer syntax: "
     "deadlock:, mutex:, thread:, race:, called_from_lib:)"},
    {"error-exitcode", 0, OPT_INT,
     offsetof(struct report_cli_options, error_exitcode), 0, 255, true, "N",
     "exit with N when the report has findings"},
    {"hang-timeout", 0, OPT_INT,
     offsetof(struct report_cli_options, hang_timeout), 1,
     REPORT_HANG_TIMEOUT_MAX, true, "SECONDS",
     "a process whose threads are all blocked this long hangs (default 10)"},
    {"output", 'o', OPT_STRING, offsetof(struct report_cli_options, output), 0,
     0, false, "FILE", "write the report to FILE instead of stdout"},
    {"exceptions", 0, OPT_STRING,
     offsetof(struct report_cli_options, exceptions), 0, 0, true, "fatal|all",
     "C++ throws in the exception groups: fatal (ending in std::terminate, "
     "the default) or all (caught ones too)"},
    {0},
};

static void report_usage(FILE *out)
{
    fprintf(out,
            "Usage: ctrace report [OPTIONS] [DIR]\n"
            "\n"
            "Analyse the trace in DIR (default " REPORT_DEFAULT_DIR ") and "
            "print its findings:\ndeadlocks, lock-order inversions, hangs, "
            "pthread misuse, fork hazards and\nlock contention, with "
            "symbolized stacks.\n"
            "\nOptions:\n");
    options_print_help(report_option_defs, out);
    fprintf(out, "\nOptions marked for CTRACE_OPTIONS may also come from "
                 "there (suppressions=FILE\nerror_exitcode=N); the command "
                 "line wins.\n");
    fprintf(out, "\nExit status: 0; N with --error-exitcode=N when there are "
                 "findings; 1 when the\ntrace cannot be opened or is damaged "
                 "(the reader's message names the file\nand offset; the "
                 "report covers what can be read; 1 wins over N); 2 on a\n"
                 "usage error.\n");
}

/* Options before and after DIR.  Returns -1 to go on, else an exit
 * status; *dir is the trace directory. */
static int report_parse(struct report_cli_options *o, int argc, char **argv,
                        const char **dir)
{
    switch (options_parse_operand(report_option_defs, o, "ctrace report", argc,
                                  argv, dir)) {
    case OPT_HELP:
        report_usage(stdout);
        return 0;
    case OPT_ERROR:
        return OPTIONS_EXIT_USAGE;
    case OPT_OK:
        break;
    }
    return -1;
}

/* Option strings to report_options; returns -1 with a message. */
static int report_convert(const struct report_cli_options *o,
                          struct report_options *ro)
{
    int f = report_format_from_name(o->format ? o->format : "text");
    int c = report_color_from_name(o->color ? o->color : "auto");
    if (f < 0) {
        fprintf(stderr,
                "ctrace report: unknown format '%s' (text, json or "
                "sarif)\n",
                o->format);
        return -1;
    }
    if (c < 0) {
        fprintf(stderr,
                "ctrace report: unknown colour choice '%s' (auto, "
                "always or never)\n",
                o->color);
        return -1;
    }
    ro->format = (enum report_format)f;
    ro->color = (enum report_color)c;
    ro->suppressions = o->suppressions;
    ro->hang_timeout_s = o->hang_timeout > 0 ? (unsigned)o->hang_timeout : 0;
    ro->exceptions_all = false;
    if (o->exceptions && strcmp(o->exceptions, "all") == 0) {
        ro->exceptions_all = true;
    } else if (o->exceptions && strcmp(o->exceptions, "fatal") != 0) {
        fprintf(stderr,
                "ctrace report: unknown --exceptions choice '%s' (fatal or "
                "all)\n",
                o->exceptions);
        return -1;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    struct report_cli_options o = {.error_exitcode = -1, .hang_timeout = -1};
    struct report_options ro;
    const char *dir = NULL;
    int rc = report_parse(&o, argc, argv, &dir);
    if (rc >= 0)
        return rc;
    if (report_convert(&o, &ro) != 0)
        return OPTIONS_EXIT_USAGE;
    if (!dir)
        dir = REPORT_DEFAULT_DIR;

    FILE *out = stdout;
    if (o.output && !(out = fopen(o.output, "w"))) {
        fprintf(stderr, "ctrace report: cannot write %s: %s\n", o.output,
                strerror(errno));
        return EXIT_FAILURE;
    }
    char err[1024];
    struct report_outcome outcome;
    rc = report_run(dir, &ro, out, &outcome, err, sizeof(err));
    if (out != stdout && fclose(out) != 0 && rc == 0) {
        snprintf(err, sizeof(err), "cannot write %s: %s", o.output,
                 strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "ctrace report: %s\n", err);
        return EXIT_FAILURE;
    }
    if (outcome.damaged) {
        fprintf(stderr,
                "ctrace report: %s is damaged: the report covers what could "
                "be read\n",
                dir);
        return EXIT_FAILURE;
    }
    if (outcome.findings > 0 && o.error_exitcode >= 0)
        return o.error_exitcode;
    return 0;
}
