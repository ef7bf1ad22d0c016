"""The benchmark scripts' shared writer: each owns one marked block of benchmarks/README.md."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

README = Path(__file__).with_name("README.md")


def write_section(marker: str, title: str, command: str, text: str) -> None:
    """Replace the block between ``<!-- {marker}:start -->`` and ``:end`` with ``text``, or append a
    ``## {title}`` section holding it; written atomically so an interrupted run leaves the file whole."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{text}\n{end}"
    old = README.read_text() if README.exists() else "# Benchmarks\n"
    if start in old and end in old:
        new = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, old, flags=re.DOTALL)
    else:
        new = old.rstrip() + f"\n\n## {title}\n\n`{command}`\n\n" + block + "\n"
    mode = README.stat().st_mode & 0o777 if README.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".README.", dir=README.parent)
    with os.fdopen(fd, "w") as f:
        f.write(new)
    os.chmod(tmp, mode)  # mkstemp makes it private; keep the file's own permissions
    os.replace(tmp, README)
