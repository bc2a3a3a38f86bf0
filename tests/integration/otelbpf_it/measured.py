"""Measured figures that tests print alongside their verdicts."""

import sys


def report(line: str) -> None:
    """A measured figure, on stderr so it shows in the unittest/ctest log."""
    sys.stderr.write(f"\n    [measured] {line}\n")
    sys.stderr.flush()
