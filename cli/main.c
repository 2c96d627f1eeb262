/* The `ctrace` command: top-level options and dispatch to subcommands.
 *
 * Commands are one table (name, summary, entry function), as tmux
 * does it: adding a command is one line here plus its cmd_<name>.c.  A
 * first argument that is not a command is a program: `ctrace PROG ARGS`
 * means `ctrace run PROG ARGS` (options included: `ctrace -o DIR PROG`).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ctrace_config.h"
#include "options.h"

struct command {
    const char *name;
    const char *summary; /* one line for `ctrace --help` */
    int (*exec)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", "record a program, then report its concurrency bugs", cmd_run},
    {"report", "analyse a recorded trace", cmd_report},
    {"view", "explore a trace in the terminal", cmd_view},
    {"export", "convert a trace for other viewers (Chrome/Perfetto JSON)",
     cmd_export},
    {"dump", "print every event of a trace, in order", cmd_dump},
    {"attach", "explain a running process that is stuck", cmd_attach},
    {"cc", "compile C, recording memory accesses for races", cmd_cc},
    {"c++", "compile C++, recording memory accesses for races", cmd_cxx},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void main_usage(FILE *out)
{
    fprintf(out, "Usage: ctrace [run] [OPTIONS] [--] PROGRAM [ARGS...]\n"
                 "       ctrace COMMAND [ARGS...]\n"
                 "       ctrace --help | --version\n"
                 "\n"
                 "Record a program's threads, locks and processes, then "
                 "report its concurrency\nbugs.  A trace directory "
                 "(default ctrace.data) keeps the recording.\n"
                 "\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'ctrace COMMAND --help' describes a command.  Options "
                 "also come from\nCTRACE_OPTIONS (space-separated "
                 "key=value, like TSAN_OPTIONS).\n");
}

static const struct command *main_find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stderr);
        return OPTIONS_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        main_usage(stdout);
        return 0;
    }
    if (strcmp(first, "--version") == 0) {
        printf("ctrace %s\n", CTRACE_VERSION);
        return 0;
    }
    const struct command *c = main_find_command(first);
    if (c)
        return c->exec(argc - 1, argv + 1);
    return cmd_run(argc, argv);
}
