/* `ctrace run [OPTIONS] [--] PROGRAM [ARGS...]`: record a program, then
 * report.  Also what plain `ctrace PROGRAM ARGS...` does.
 *
 * Steps: options (CTRACE_OPTIONS, then the command line, which wins);
 * check the program (launch.c) before touching any directory, so a typo
 * never costs the previous trace; make room for the trace (tracedir.c);
 * run the program with the shim preloaded; report (run_report()); exit
 * with the program's status, or --error-exitcode when there are
 * findings.
 */
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "format.h"
#include "launch.h"
#include "live.h"
#include "options.h"
#include "report.h"
#include "run.h"
#include "tracedir.h"
#include "view.h"

/* Highest --stack-depth the shim records (it clamps to 1..64). */
#define RUN_STACK_DEPTH_MAX 64

static const struct opt_def run_option_defs[] = {
    {"output", 'o', OPT_STRING, offsetof(struct run_options, output), 0, 0,
     true, "DIR", "record into DIR (default " RUN_DEFAULT_DIR ")"},
    {"no-report", 0, OPT_FLAG, offsetof(struct run_options, no_report), 0, 0,
     true, NULL, "record only; do not print the report"},
    {"stack-depth", 0, OPT_INT, offsetof(struct run_options, stack_depth), 1,
     RUN_STACK_DEPTH_MAX, true, "N",
     "stack frames per sync call site (default 8)"},
    {"error-exitcode", 0, OPT_INT, offsetof(struct run_options, error_exitcode),
     0, 255, true, "N", "exit with N when the report has findings"},
    {"live", 0, OPT_FLAG, offsetof(struct run_options, live), 0, 0, false, NULL,
     "watch the program in the viewer while it runs (quitting asks "
     "whether to kill it)"},
    {"on-deadlock", 0, OPT_STRING, offsetof(struct run_options, on_deadlock), 0,
     0, true, "kill|abort|wait",
     "when threads deadlock or the program hangs while it runs: kill it "
     "(default), abort the stuck process (it dumps core), or report and "
     "wait"},
    {"hang-timeout", 0, OPT_INT, offsetof(struct run_options, hang_timeout), 1,
     7 * 24 * 3600, true, "SECONDS",
     "a process whose threads are all blocked this long hangs (default 10)"},
    {"exceptions", 0, OPT_STRING, offsetof(struct run_options, exceptions), 0,
     0, true, "fatal|all",
     "C++ throws in the exception groups: fatal (ending in std::terminate, "
     "the default) or all (caught ones too)"},
    {"suppressions", 0, OPT_STRING, offsetof(struct run_options, suppressions),
     0, 0, true, "FILE",
     "ignore findings matching FILE's rules, in the report and for "
     "--error-exitcode (as ctrace report)"},
    {"color", 0, OPT_STRING, offsetof(struct run_options, color), 0, 0, true,
     "auto|always|never",
     "colour the report (default auto: on a terminal, unless NO_COLOR is "
     "set or TERM=dumb)"},
    {0},
};

static void run_usage(FILE *out)
{
    fprintf(out, "Usage: ctrace run [OPTIONS] [--] PROGRAM [ARGS...]\n"
                 "   or: ctrace [OPTIONS] [--] PROGRAM [ARGS...]\n"
                 "\n"
                 "Run PROGRAM with libctrace.so preloaded, record its threads, "
                 "locks and\nprocesses (children included) into a trace "
                 "directory, then print the\nreport to stderr.  Exits with "
                 "PROGRAM's exit status (128+N if signal N\nkilled it).\n"
                 "\nOptions:\n");
    options_print_help(run_option_defs, out);
    fprintf(out,
            "\nOptions also come from CTRACE_OPTIONS, space-separated "
            "key=value pairs\n(stack_depth=16 no_report=1 output=DIR); the "
            "command line wins.  Keys\nctrace does not know are passed on "
            "to libctrace.so (with a warning\nwhen it does not know them "
            "either).\n");
}

/* CTRACE_OPTIONS keys that are not ctrace's go on to the shim as they
 * are. */
static void run_keep_for_shim(const char *token, void *arg)
{
    FILE *shim = arg;
    options_warn_unknown_env(token);
    fprintf(shim, "%s%s", ftell(shim) > 0 ? " " : "", token);
}

/* Options from CTRACE_OPTIONS then argv.  Returns -1 to go on with
 * argv[*first] as the program, else the exit status. */
static int run_parse(struct run_options *o, FILE *shim, const char *cmd,
                     int argc, char **argv, int *first)
{
    if (options_parse_env(run_option_defs, o, getenv(TRACE_OPTIONS_ENV),
                          run_keep_for_shim, shim) != 0)
        return OPTIONS_EXIT_USAGE;
    switch (options_parse_argv(run_option_defs, o, cmd, argc, argv, first)) {
    case OPT_HELP:
        run_usage(stdout);
        return 0;
    case OPT_ERROR:
        return OPTIONS_EXIT_USAGE;
    case OPT_OK:
        break;
    }
    if (*first >= argc) {
        fprintf(stderr, "%s: no program to run\nTry '%s --help'.\n", cmd, cmd);
        return OPTIONS_EXIT_USAGE;
    }
    if (o->on_deadlock && strcmp(o->on_deadlock, "kill") != 0 &&
        strcmp(o->on_deadlock, "abort") != 0 &&
        strcmp(o->on_deadlock, "wait") != 0) {
        fprintf(stderr,
                "%s: unknown --on-deadlock choice '%s' (kill, abort or wait)\n",
                cmd, o->on_deadlock);
        return OPTIONS_EXIT_USAGE;
    }
    if (o->exceptions && strcmp(o->exceptions, "fatal") != 0 &&
        strcmp(o->exceptions, "all") != 0) {
        fprintf(stderr, "%s: unknown --exceptions choice '%s' (fatal or all)\n",
                cmd, o->exceptions);
        return OPTIONS_EXIT_USAGE;
    }
    if (o->color && report_color_from_name(o->color) < 0) {
        fprintf(stderr,
                "%s: unknown --color choice '%s' (auto, always or never)\n",
                cmd, o->color);
        return OPTIONS_EXIT_USAGE;
    }
    if (o->stack_depth >= 0)
        fprintf(shim, "%sstack_depth=%d", ftell(shim) > 0 ? " " : "",
                o->stack_depth);
    return -1;
}

/* Wait for the program while the live monitor watches its trace for
 * deadlocks and hangs (docs/analysis.md). */
static int run_monitored(const struct run_options *o, const char *trace_dir,
                         pid_t pid)
{
    struct live_options lo = {
        .on_deadlock = o->on_deadlock ? (enum live_action)live_action_from_name(
                                            o->on_deadlock)
                                      : LIVE_KILL,
        .hang_timeout_ns =
            o->hang_timeout > 0 ? (uint64_t)o->hang_timeout * 1000000000ull : 0,
        .out = stderr,
        .color = report_color_from_name(o->color ? o->color : "auto"),
    };
    struct live_monitor *m = live_monitor_new(trace_dir, pid, &lo);
    if (m) {
        int status = launch_wait(pid, LIVE_TICK_MS, live_tick, m);
        live_monitor_free(m);
        return status;
    }
    return launch_wait(pid, 0, NULL, NULL);
}

/* Record argv[0..] into o->output.  Returns the program's exit status, or
 * ctrace's own failure status.  trace_dir is left empty unless the
 * program ran. */
static int run_record(const struct run_options *o, const char *shim_options,
                      char **argv, char *trace_dir, size_t size)
{
    struct launch_target target;
    char shim[PATH_MAX];
    int rc = launch_resolve(argv[0], &target);
    if (rc != 0)
        return rc;
    if (launch_find_shim(shim, sizeof shim) != 0 ||
        tracedir_prepare(o->output, trace_dir, size) != 0)
        return EXIT_FAILURE;
    pid_t pid;
    if (launch_setup_env(trace_dir, shim, shim_options) != 0) {
        fprintf(stderr, "ctrace: cannot set the environment\n");
        rc = EXIT_FAILURE;
    } else {
        rc = launch_spawn(&target, argv, &pid);
        /* From now on a closed stderr (`ctrace ... 2>&1 | head`) must not
         * kill ctrace before the live monitor has dealt with the program;
         * the program itself was spawned with its own disposition. */
        signal(SIGPIPE, SIG_IGN);
    }
    if (rc != 0) {
        trace_dir[0] = '\0'; /* nothing ran: nothing to report */
        return rc;
    }
    if (o->live) {
        /* --live: the viewer follows the trace while the program runs */
        tui_live_main(trace_dir, pid);
        return launch_wait(pid, 0, NULL, NULL);
    }
    return run_monitored(o, trace_dir, pid);
}

int cmd_run(int argc, char **argv)
{
    const char *cmd = strcmp(argv[0], "run") == 0 ? "ctrace run" : "ctrace";
    struct run_options o = {.output = RUN_DEFAULT_DIR,
                            .stack_depth = -1,
                            .error_exitcode = -1,
                            .hang_timeout = -1};
    char *shim_options = NULL;
    size_t shim_len = 0;
    FILE *shim = open_memstream(&shim_options, &shim_len);
    if (!shim)
        return EXIT_FAILURE;
    int first = 0;
    int rc = run_parse(&o, shim, cmd, argc, argv, &first);
    fclose(shim);
    if (rc >= 0) {
        free(shim_options);
        return rc;
    }
    char trace_dir[PATH_MAX];
    trace_dir[0] = '\0';
    int status =
        run_record(&o, shim_options, argv + first, trace_dir, sizeof trace_dir);
    free(shim_options);
    if (o.no_report || trace_dir[0] == '\0')
        return status;
    int findings = run_report(trace_dir, &o);
    return findings > 0 && o.error_exitcode >= 0 ? o.error_exitcode : status;
}
