/* `ctrace view [--follow] [DIR]`: explore a trace in the terminal (the
 * viewer itself lives in tui/; this file only reads the command line).
 *
 * Exit status: 0; 1 when the trace cannot be read or there is no
 * terminal; 2 for usage errors.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "options.h"
#include "run.h"
#include "view.h"

struct view_cli_options {
    bool follow;
};

static const struct opt_def view_option_defs[] = {
    {"follow", 'f', OPT_FLAG, offsetof(struct view_cli_options, follow), 0, 0,
     false, NULL,
     "keep reading DIR while a program writes it (quitting leaves the "
     "program running)"},
    {0},
};

static void view_usage(FILE *out)
{
    fprintf(out, "Usage: ctrace view [--follow] [DIR]\n"
                 "\n"
                 "Show the trace in DIR (default " RUN_DEFAULT_DIR ") as one "
                 "timeline row per thread,\ngrouped by process: what each "
                 "thread did (running, waiting for a lock,\nholding one, "
                 "waiting on a condition, semaphore, barrier or join), with\n"
                 "markers where findings and exceptions happened.  Press ? in "
                 "the viewer\nfor its keys.\n"
                 "\nOptions:\n");
    options_print_help(view_option_defs, out);
}

int cmd_view(int argc, char **argv)
{
    struct view_cli_options o = {0};
    int first = 0;
    switch (options_parse_argv(view_option_defs, &o, "ctrace view", argc, argv,
                               &first)) {
    case OPT_HELP:
        view_usage(stdout);
        return 0;
    case OPT_ERROR:
        return OPTIONS_EXIT_USAGE;
    case OPT_OK:
        break;
    }
    if (argc - first > 1) {
        fprintf(stderr, "ctrace view: one trace directory at most\n"
                        "Try 'ctrace view --help'.\n");
        return OPTIONS_EXIT_USAGE;
    }
    const char *dir = first < argc ? argv[first] : RUN_DEFAULT_DIR;
    return tui_view_main(dir, o.follow);
}
