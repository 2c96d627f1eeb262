/* Forcing an interleaving without creating happens-before, for the race
 * samples.  A pipe orders two threads in time, and ctrace records no
 * synchronization for read() and write() on it: accesses ordered only by
 * the pipe stay unordered for the analysis (a race stays a race, as it
 * would with another schedule), while the program runs the same way
 * every time and never tears its data.
 *
 * A racy sample marks its two racing lines with a comment "RACE"; a
 * race between two executions of the same line marks that line once.
 * Race-free twins mark nothing.  "ALLOC" marks where a racing heap block
 * was allocated.  tests/races reads the markers. */
#ifndef CTRACE_SAMPLES_RACES_ORDER_H
#define CTRACE_SAMPLES_RACES_ORDER_H

#include <stdlib.h>
#include <unistd.h>

struct order {
    int fd[2];
};

static inline void order_init(struct order *o)
{
    if (pipe(o->fd) != 0)
        abort();
}

/* Let one order_wait() through. */
static inline void order_post(struct order *o)
{
    char c = 0;
    if (write(o->fd[1], &c, 1) != 1)
        abort();
}

static inline void order_wait(struct order *o)
{
    char c;
    if (read(o->fd[0], &c, 1) != 1)
        abort();
}

#endif
