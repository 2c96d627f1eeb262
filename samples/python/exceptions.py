"""exceptions.py [bug|fixed]: Python exceptions that end a thread, a
process and the program.

  bug    thread "parser" dies of a ValueError (Python prints it through
         threading.excepthook), a multiprocessing Process "loader" dies of
         a KeyError (its child prints it and exits 1), then the main
         thread raises a RuntimeError that nobody catches (exit status 1).
         ctrace groups the three, each with its type, message and the
         Python line that raised it, in the process it happened in.
  fixed  each of them is caught where it is raised.
"""
import multiprocessing
import sys
import threading

MODE = sys.argv[1] if len(sys.argv) > 1 else "bug"


def parse():
    try:
        int("not a number")  # LINE:value_error
    except ValueError:
        if MODE == "bug":
            raise


def load():
    try:
        {}["config"]  # LINE:key_error
    except KeyError:
        if MODE == "bug":
            raise


def main():
    parser = threading.Thread(target=parse, name="parser")
    parser.start()
    parser.join()
    ctx = multiprocessing.get_context("fork")
    loader = ctx.Process(target=load, name="loader")
    loader.start()
    loader.join()
    print("loader exit code", loader.exitcode, flush=True)
    try:
        raise RuntimeError("giving up")  # LINE:runtime_error
    except RuntimeError:
        if MODE == "bug":
            raise


if __name__ == "__main__":
    main()
