"""abba.py [inversion|deadlock|fixed]: two threads, two Locks, two orders.

  inversion  "mover" takes accounts_lock then audit_lock; "auditor" takes
             audit_lock then accounts_lock, but only after mover is done
             (a Barrier orders them), so nothing hangs this time:
             ctrace reports the lock-order inversion, with the Python
             lines of all four acquisitions.
  deadlock   the same two threads, each holding its first lock before
             either asks for its second (a Barrier again): the real
             deadlock, which `ctrace run` reports while it happens and
             ends.
  fixed      both threads take the locks in the same order.
"""
import sys
import threading

MODE = sys.argv[1] if len(sys.argv) > 1 else "inversion"
accounts_lock = threading.Lock()
audit_lock = threading.Lock()
both_hold_first = threading.Barrier(2)
mover_done = threading.Event()


def mover():
    with accounts_lock:  # LINE:mover_first
        if MODE == "deadlock":
            both_hold_first.wait()
        with audit_lock:  # LINE:mover_second
            pass
    mover_done.set()


def auditor():
    if MODE != "deadlock":
        mover_done.wait()
    first, second = ((accounts_lock, audit_lock) if MODE == "fixed"
                     else (audit_lock, accounts_lock))
    with first:  # LINE:auditor_first
        if MODE == "deadlock":
            both_hold_first.wait()
        with second:  # LINE:auditor_second
            pass


def main():
    threads = [threading.Thread(target=mover, name="mover"),
               threading.Thread(target=auditor, name="auditor")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("transfers audited")


if __name__ == "__main__":
    main()
