"""Progress for long jobs: a tqdm bar on a terminal, plain log lines in logs and pipes (a leaf module)."""

from __future__ import annotations

import sys
import time


def is_terminal(stream=None) -> bool:
    """True when ``stream`` (default stderr, where progress goes) is an interactive terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LineProgress:
    """Progress as plain log lines (for logs and pipes): one every ``every`` seconds or tenth of the way."""

    def __init__(self, total: int, desc: str, unit: str = "ep", every: float = 30.0, stream=None):
        self.total, self.desc, self.unit, self.every = total, desc, unit, every
        self.stream = stream if stream is not None else sys.stderr
        self.n, self.postfix = 0, {}
        self.start = self.last = time.monotonic()
        self._tenth, self._printed = 0, -1
        self._print()

    def update(self, n: int = 1, postfix: dict | None = None) -> None:
        """Advance by ``n``; print a line when due."""
        self.n += n
        self.postfix = postfix or self.postfix
        tenth = self.n * 10 // max(self.total, 1)
        if tenth > self._tenth or time.monotonic() - self.last >= self.every:
            self._tenth = tenth
            self._print()

    def close(self) -> None:
        """Print the final line (when anything moved since the last one)."""
        if self.n != self._printed:
            self._print()

    def _print(self) -> None:
        self.last, self._printed = time.monotonic(), self.n
        extra = "".join(f", {k} {v}" for k, v in self.postfix.items())
        print(f"{self.desc}: {self.n}/{self.total} {self.unit} ({time.monotonic() - self.start:.0f} s){extra}",
              file=self.stream, flush=True)


class _BarProgress:
    """A tqdm bar with the same ``update(n, postfix)`` interface as :class:`LineProgress`."""

    def __init__(self, total: int, desc: str):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="ep", dynamic_ncols=True)

    def update(self, n: int = 1, postfix: dict | None = None) -> None:
        self.bar.update(n)
        if postfix:
            self.bar.set_postfix(postfix)

    def close(self) -> None:
        self.bar.close()


def progress_bar(total: int, desc: str, enabled: bool):
    """A tqdm bar on a terminal, plain lines otherwise, or None when ``enabled`` is False."""
    if not enabled:
        return None
    return _BarProgress(total, desc) if is_terminal() else LineProgress(total, desc)
