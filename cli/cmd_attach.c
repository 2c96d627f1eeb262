/* `ctrace attach [OPTIONS] PID`: explain a process that is already stuck,
 * without restarting it (attach/attach.h does the work; docs/attach.md).
 *
 * Exit status: 0; N with --error-exitcode=N when there are findings; 1
 * when the process cannot be attached (no such process, not permitted,
 * exited meanwhile); 2 for usage errors.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "commands.h"
#include "options.h"

struct attach_cli_options {
    const char *format;
    const char *color;
    bool children;
    int error_exitcode; /* -1: off */
    const char *output;
};

static const struct opt_def attach_option_defs[] = {
    {"format", 0, OPT_STRING, offsetof(struct attach_cli_options, format), 0, 0,
     false, "text|json|sarif", "output format (default text)"},
    {"color", 0, OPT_STRING, offsetof(struct attach_cli_options, color), 0, 0,
     false, "auto|always|never", "colour the text report (default auto)"},
    {"children", 0, OPT_FLAG, offsetof(struct attach_cli_options, children), 0,
     0, false, NULL,
     "also every process below PID, with waits through pipes, sockets and "
     "waitpid between them"},
    {"error-exitcode", 0, OPT_INT,
     offsetof(struct attach_cli_options, error_exitcode), 0, 255, false, "N",
     "exit with N when the report has findings"},
    {"output", 'o', OPT_STRING, offsetof(struct attach_cli_options, output), 0,
     0, false, "FILE", "write the report to FILE instead of stdout"},
    {0},
};

static void attach_usage(FILE *out)
{
    fprintf(out,
            "Usage: ctrace attach [OPTIONS] PID\n"
            "\n"
            "Stop the running process PID for a moment, read every thread's "
            "stack and what\nit is blocked in (locks and their holders, "
            "conditions, semaphores, pipes,\nwaitpid, Python locks), report "
            "deadlocks and hangs as `ctrace report` does,\nand let it run on. "
            "The process need not have been started under ctrace.\n"
            "\nOptions:\n");
    options_print_help(attach_option_defs, out);
}

/* Options to attach_options; returns -1 with a message. */
static int attach_convert(const struct attach_cli_options *o,
                          struct attach_options *ao)
{
    int f = report_format_from_name(o->format ? o->format : "text");
    int c = report_color_from_name(o->color ? o->color : "auto");
    if (f < 0 || c < 0) {
        fprintf(stderr, "ctrace attach: unknown %s '%s'\n",
                f < 0 ? "format" : "colour choice",
                f < 0 ? o->format : o->color);
        return -1;
    }
    ao->format = (enum report_format)f;
    ao->color = (enum report_color)c;
    ao->children = o->children;
    return 0;
}

static int attach_pid(const char *s, pid_t *pid)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || *end || v <= 0 || v > 0x3fffffff) {
        fprintf(stderr, "ctrace attach: expected a process id, got '%s'\n",
                s ? s : "");
        return -1;
    }
    *pid = (pid_t)v;
    return 0;
}

int cmd_attach(int argc, char **argv)
{
    struct attach_cli_options o = {.error_exitcode = -1};
    const char *operand = NULL;
    switch (options_parse_operand(attach_option_defs, &o, "ctrace attach", argc,
                                  argv, &operand)) {
    case OPT_HELP:
        attach_usage(stdout);
        return 0;
    case OPT_ERROR:
        return OPTIONS_EXIT_USAGE;
    case OPT_OK:
        break;
    }
    struct attach_options ao;
    pid_t pid;
    if (attach_convert(&o, &ao) != 0 || attach_pid(operand, &pid) != 0)
        return OPTIONS_EXIT_USAGE;
    FILE *out = stdout;
    if (o.output && !(out = fopen(o.output, "w"))) {
        fprintf(stderr, "ctrace attach: cannot write %s: %s\n", o.output,
                strerror(errno));
        return EXIT_FAILURE;
    }
    char err[1024];
    size_t nfindings = 0;
    int rc = attach_run(pid, &ao, out, &nfindings, err, sizeof err);
    if (out != stdout && fclose(out) != 0 && rc == 0) {
        snprintf(err, sizeof err, "cannot write %s: %s", o.output,
                 strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "ctrace attach: %s\n", err);
        return EXIT_FAILURE;
    }
    return nfindings > 0 && o.error_exitcode >= 0 ? o.error_exitcode : 0;
}
