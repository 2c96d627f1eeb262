/* The ctrace subcommands: one entry function each, one file each
 * (cli/cmd_<name>.c).  main.c's command table names them.
 *
 * An entry function gets argv[0] = the command's name and argv[1..] its
 * arguments, handles its own --help, and returns the process exit status
 * (2 for usage errors). */
#ifndef CTRACE_CLI_COMMANDS_H
#define CTRACE_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_cc(int argc, char **argv);
int cmd_cxx(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_attach(int argc, char **argv);

#endif
