/* Decode speed of the trace reader (not a test: numbers for people).
 *
 *   reader_speed [-n EVENTS] [-t THREADS] [-k] DIR
 *
 * Writes a synthetic trace of EVENTS events (default 50M) into DIR with
 * the real writer -- THREADS threads (default 2) taking and releasing a
 * random one of 16 mutexes, as the overhead benchmark's workload does --
 * unless DIR already holds a trace, then reads it through the reader and
 * prints open time, merge time and events per second.  -k keeps DIR.
 *
 *   reader_speed -p PROCS [-k] DIR
 *
 * Writes a process tree instead: pid 1 forks PROCS-1 children, each with
 * one thread that starts and exits (the growth with the number of process
 * files: double PROCS and the times should about double). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"
#include "writer.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int speed_write(const char *dir, unsigned long events, int threads)
{
    struct trace_proc_writer pw;
    int rc =
        trace_writer_open_process(&pw, dir, 1, 0, 0, trace_clock_pick(), 1);
    if (rc) {
        fprintf(stderr, "reader_speed: %s: %s\n", dir, strerror(-rc));
        return -1;
    }
    struct trace_thread_writer *w[64];
    for (int i = 0; i < threads; i++)
        w[i] = trace_writer_thread_new(&pw, 100 + (uint32_t)i,
                                       trace_writer_next_serial(&pw));
    unsigned seed = 1;
    for (unsigned long i = 0; i < events / 2; i++) {
        struct trace_thread_writer *t = w[(i / 64) % (unsigned long)threads];
        seed = seed * 1103515245u + 12345u;
        uint64_t m = 0x601000 + 64 * ((seed >> 16) % 16);
        trace_emit_ordered(t, TRACE_EV_MUTEX_ACQUIRE, m, 0x401000, 0,
                           TRACE_FENCE_ACQUIRE);
        trace_emit_ordered(t, TRACE_EV_MUTEX_RELEASE, m, 0x401040, 0,
                           TRACE_FENCE_RELEASE);
    }
    for (int i = 0; i < threads; i++)
        trace_writer_thread_free(w[i]);
    trace_writer_close_process(&pw, 0);
    trace_writer_drop_process(&pw);
    return 0;
}

/* One image of the -p tree; its thread's events between start and exit
 * come from `body`. */
static int speed_write_proc(const char *dir, uint32_t pid, uint32_t ppid,
                            uint32_t forks)
{
    struct trace_proc_writer pw;
    int rc = trace_writer_open_process(&pw, dir, pid, ppid,
                                       ppid ? TRACE_FILE_FORKED : 0,
                                       trace_clock_pick(), 1);
    if (rc) {
        fprintf(stderr, "reader_speed: %s: %s\n", dir, strerror(-rc));
        return -1;
    }
    struct trace_thread_writer *w =
        trace_writer_thread_new(&pw, pid, trace_writer_next_serial(&pw));
    struct trace_process_info pi = {pid, ppid, UINT32_MAX, 0};
    trace_emit_payload(w, TRACE_EV_PROCESS_START, 0, 0, &pi, sizeof pi);
    for (uint32_t i = 0; i < forks; i++)
        trace_emit(w, TRACE_EV_FORK, 0, 0x401000, pid + 1 + i);
    trace_emit(w, TRACE_EV_PROCESS_EXIT, 0, 0, 0);
    trace_writer_thread_free(w);
    trace_writer_close_process(&pw, 0);
    trace_writer_drop_process(&pw);
    return 0;
}

/* pid 1 forks pids 2..procs (written first, so the children start
 * later). */
static int speed_write_tree(const char *dir, uint32_t procs)
{
    if (speed_write_proc(dir, 1, 0, procs - 1) < 0)
        return -1;
    for (uint32_t pid = 2; pid <= procs; pid++)
        if (speed_write_proc(dir, pid, 1, 0) < 0)
            return -1;
    return 0;
}

static bool dir_has_trace(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    while ((de = readdir(d)))
        found |= strstr(de->d_name, ".ctrace") != NULL;
    closedir(d);
    return found;
}

static void remove_trace(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    unsigned long events = 50000000;
    int threads = 2, opt;
    uint32_t procs = 0;
    bool keep = false;
    while ((opt = getopt(argc, argv, "n:t:kp:")) != -1) {
        if (opt == 'p')
            procs = (uint32_t)strtoul(optarg, NULL, 0);
        else if (opt == 'n')
            events = strtoul(optarg, NULL, 0);
        else if (opt == 't')
            threads = atoi(optarg);
        else if (opt == 'k')
            keep = true;
        else
            return 2;
    }
    if (optind != argc - 1 || threads < 1 || threads > 64) {
        fprintf(stderr,
                "usage: reader_speed [-n EVENTS] [-t THREADS] [-k] DIR\n"
                "       reader_speed -p PROCS [-k] DIR\n");
        return 2;
    }
    const char *dir = argv[optind];
    bool made = false;
    if (!dir_has_trace(dir)) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            perror(dir);
            return 1;
        }
        double t0 = seconds();
        if (procs ? speed_write_tree(dir, procs)
                  : speed_write(dir, events, threads) < 0)
            return 1;
        if (procs)
            printf("wrote %u process files in %.2f s\n", procs, seconds() - t0);
        else
            printf("wrote %lu events in %.2f s\n", events, seconds() - t0);
        made = true;
    }
    double t0 = seconds();
    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "reader_speed: %s\n", err.msg);
        return 1;
    }
    double t1 = seconds();
    struct trace_event ev;
    unsigned long n = 0, errors = 0;
    uint64_t sum = 0;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        if (rc < 0) {
            errors++;
            continue;
        }
        n++;
        sum += ev.obj ^ ev.ts_ns;
    }
    double t2 = seconds();
    trace_reader_close(r);
    printf("read %lu events (%lu errors, checksum %llx)\n", n, errors,
           (unsigned long long)sum);
    if (procs)
        printf("%u process files: open %.3f s, read %.3f s\n", procs, t1 - t0,
               t2 - t1);
    printf("open (scan) %.3f s  %.1f M events/s\n", t1 - t0,
           (double)n / (t1 - t0) / 1e6);
    printf("merge       %.3f s  %.1f M events/s\n", t2 - t1,
           (double)n / (t2 - t1) / 1e6);
    printf("total       %.3f s  %.1f M events/s\n", t2 - t0,
           (double)n / (t2 - t0) / 1e6);
    if (made && !keep)
        remove_trace(dir);
    return errors ? 1 : 0;
}
