"""dask_app.py: a small Dask computation with the threaded and the
processes schedulers (python3-dask).

The same bag of numbers is squared, filtered and summed twice; the
processes scheduler runs in spawned worker processes.  Nothing is wrong.
"""
import dask
import dask.bag


def square(x):
    return x * x


def even(x):
    return x % 2 == 0


def main():
    bag = dask.bag.from_sequence(range(40), npartitions=4)
    total = bag.map(square).filter(even).sum()
    print("threads", total.compute(scheduler="threads", num_workers=2))
    print("processes", total.compute(scheduler="processes", num_workers=2))


if __name__ == "__main__":
    main()
