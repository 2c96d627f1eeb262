"""ctrace's Python startup module (docs/python.md).

`ctrace run` puts this directory first on PYTHONPATH, so every Python
process of a traced run imports this module at start-up, as `site` does
with any sitecustomize.  It does two things and nothing else:

 1. when the process is being traced (CTRACE_DIR is set and libctrace.so
    is loaded), it installs the hooks of `_ctrace` (exceptions and thread
    names reported to the shim; see _ctrace.py);
 2. it runs the sitecustomize this one hides: the next one on sys.path
    after this directory (Debian's, a virtualenv's, the user's), exactly
    once, so that start-up behaves as it would without ctrace.

Whatever the chained module raises goes on to `site`, which prints it as
it would have.  Nothing here writes to stdout or stderr.
"""

import os as _os
import sys as _sys


def _ctrace_chain():
    """Run the next sitecustomize on sys.path after this directory."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    rest, seen = [], False
    for entry in _sys.path:
        if seen:
            rest.append(entry)
        elif isinstance(entry, str) and entry and \
                _os.path.abspath(entry) == here:
            seen = True
    if not seen:
        return None
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec
    spec = PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ctrace_start():
    if not _os.environ.get("CTRACE_DIR"):
        return
    try:
        import _ctrace
    except ImportError:
        return
    _ctrace.install()


try:
    _ctrace_chained = _ctrace_chain()
finally:
    # the hooks wrap whatever the chained module installed (an
    # excepthook, say), even when it failed half-way
    _ctrace_start()
