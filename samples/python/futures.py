"""futures.py: concurrent.futures, threads and processes.

A ThreadPoolExecutor (threads named "fetch_0".. by thread_name_prefix) and
a ProcessPoolExecutor (forked workers) map the same function; futures are
waited for with as_completed.  Nothing is wrong here.
"""
import concurrent.futures as cf
import multiprocessing


def cube(x):
    return x ** 3


def main():
    with cf.ThreadPoolExecutor(max_workers=3,
                               thread_name_prefix="fetch") as pool:
        futures = [pool.submit(cube, x) for x in range(10)]
        print("threads", sorted(f.result() for f in cf.as_completed(futures)))
    ctx = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        print("processes", list(pool.map(cube, range(10))))


if __name__ == "__main__":
    main()
