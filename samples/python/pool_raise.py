"""pool_raise.py [bug|fixed] [pool|futures]: a process pool whose tasks
raise: a multiprocessing Pool, or a concurrent.futures ProcessPoolExecutor.

  bug    3 of the 8 records are bad: parse() raises ValueError for each in
         a worker process, and the pool carries the exceptions back to the
         parent, which reports them.  ctrace records each where it was
         raised: one python-exception group, 3 failures, the workers' pids.
  fixed  the bad records are skipped before they are parsed.
"""
import concurrent.futures
import multiprocessing
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "bug"
POOL = sys.argv[2] if len(sys.argv) > 2 else "pool"
RECORDS = ["1", "2", "x", "4", "y", "6", "z", "8"]


def parse(record):
    return int(record)  # LINE:raise


def main():
    records = RECORDS if MODE == "bug" else [r for r in RECORDS if r.isdigit()]
    ctx = multiprocessing.get_context("fork")
    if POOL == "futures":
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
            results = [ex.submit(parse, r) for r in records]
            report(records, [f.result for f in results])
        return
    # leaving `with` terminates the workers (SIGTERM): on purpose, so no
    # failure of theirs
    with ctx.Pool(2) as pool:
        results = [pool.apply_async(parse, (r,)) for r in records]
        report(records, [res.get for res in results])


def report(records, getters):
    for r, get in zip(records, getters):
        try:
            print(r, "->", get())
        except ValueError as e:
            print(r, "-> failed:", e)


if __name__ == "__main__":
    main()
