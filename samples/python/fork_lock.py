"""fork_lock.py [user|logging] [bug|fixed]: fork while another thread
holds a lock.

A thread holds a lock while the main thread calls os.fork(); the child
then takes the same lock.
  user     the lock is the program's own threading.Lock (`cache_lock`)
  logging  the lock is a logging handler's: the handler was written for
           Pythons before 3.7 and makes its own lock in createLock(), so
           logging does not re-create it in the child as it does for
           handlers that keep the standard createLock()
  bug      the child blocks forever on a lock no thread of it will
           release: ctrace reports fork-with-lock-held with the Python
           lines of the fork, the holder and the child's wait, and
           `ctrace run` reports the child's hang and ends it
  fixed    user: main forks only after the holder released the lock;
           logging: the handler keeps logging's createLock(), whose lock
           the child gets anew
Events order the steps; nothing depends on timing.
"""
import logging
import os
import sys
import threading

WHICH = sys.argv[1] if len(sys.argv) > 1 else "user"
MODE = sys.argv[2] if len(sys.argv) > 2 else "bug"
holding = threading.Event()
may_release = threading.Event()
released = threading.Event()
cache_lock = threading.Lock()


class OldStyleHandler(logging.StreamHandler):
    """Blocks inside emit() (so inside the handler's lock) for the record
    that says so."""

    def createLock(self):
        if MODE == "bug":
            self.lock = threading.RLock()  # LINE:handler_lock
        else:
            super().createLock()

    def emit(self, record):
        if getattr(record, "hold", False):
            holding.set()
            may_release.wait()
        super().emit(record)


log = logging.getLogger("fork_lock")
log.propagate = False
log.setLevel(logging.INFO)
if WHICH == "logging":
    handler = OldStyleHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)


def holder():
    if WHICH == "user":
        with cache_lock:  # LINE:holder
            holding.set()
            may_release.wait()
    else:
        log.info("slow record", extra={"hold": True})  # LINE:holder_log
    released.set()


def child():
    if WHICH == "user":
        with cache_lock:  # LINE:child_wait
            pass
    else:
        log.info("child logs")  # LINE:child_log
    os._exit(0)


def main():
    t = threading.Thread(target=holder, name="holder")
    t.start()
    holding.wait()
    if MODE == "fixed" and WHICH == "user":
        may_release.set()
        released.wait()
    pid = os.fork()  # LINE:fork
    if pid == 0:
        child()
    if MODE == "fixed":  # the child's output first, always
        _, status = os.waitpid(pid, 0)
    may_release.set()
    t.join()
    if MODE == "bug":
        _, status = os.waitpid(pid, 0)
    print("child exited with", os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
