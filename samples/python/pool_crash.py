"""pool_crash.py [bug|fixed]: a process pool whose workers crash.

  bug    each of the 3 workers of a ProcessPoolExecutor takes one task, and
         the task reads a field of a NULL struct with ctypes (a C
         extension's bug, in miniature: ctypes.string_at(8, 8); address 0
         itself ctypes takes as "no data"): all 3 workers die of SIGSEGV
         and the pool breaks.  ctrace shows one group, SIGSEGV 3 times, with
         the workers' pids.  (A Barrier across the processes makes every
         task start before any crashes, and the tasks ignore the SIGTERM
         of the broken pool's clean-up, so each one gets to its crash.)
  fixed  the tasks read a real buffer.
"""
import concurrent.futures
import ctypes
import multiprocessing
import signal
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "bug"
WORKERS = 3
started = None


def init(barrier):
    global started
    started = barrier


def task(i):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    started.wait()
    buf = ctypes.create_string_buffer(b"record %d" % i)
    address = 8 if MODE == "bug" else ctypes.addressof(buf)
    return ctypes.string_at(address, 8)  # LINE:crash


def main():
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    with concurrent.futures.ProcessPoolExecutor(
            WORKERS, mp_context=ctx, initializer=init,
            initargs=(barrier,)) as pool:
        futures = [pool.submit(task, i) for i in range(WORKERS)]
        try:
            print(sorted(f.result().decode() for f in futures))
        except concurrent.futures.process.BrokenProcessPool:
            print("the pool broke: a worker died")


if __name__ == "__main__":
    main()
