"""What every bench prints: its table aligned for the terminal, the same table in Markdown for
docs/PERFORMANCE.md, and the machine the figures come from."""

import os
import platform
from pathlib import Path


class Printed:
    """A bench's table: ``HEADER`` and ``ALIGNMENT`` (the Markdown separator row) on the class,
    ``facts`` (one line each: machine, server, method) and ``table_rows()`` on the instance."""

    HEADER: list[str]
    ALIGNMENT: str
    facts: list[str]

    def table_rows(self) -> list[list[str]]:
        """Return the rows as text cells (by default ``self.rows`` already is)."""
        return self.rows

    def text(self) -> str:
        rows = self.table_rows()
        table = [self.HEADER, *rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(self.HEADER))]

        def aligned(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        lines = [aligned(self.HEADER), "  ".join("-" * w for w in widths)]
        lines += [aligned(row) for row in rows]
        return "\n".join(["", *lines, "", *self.facts])

    def markdown(self, *, command: str) -> str:
        lines = [
            f"| {' | '.join(self.HEADER)} |",
            self.ALIGNMENT,
            *(f"| {' | '.join(row)} |" for row in self.table_rows()),
            "",
            *(f"- {fact}" for fact in self.facts),
            f"- command: `{command}`",
        ]
        return "\n".join(lines) + "\n"


def machine() -> str:
    """Describe the CPU and memory the figures come from."""
    cpu, memory = platform.processor() or platform.machine(), ""
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    if meminfo.exists():
        memory = f", {int(meminfo.read_text().split()[1]) / 2**20:.0f} GB RAM"
    return f"{os.cpu_count()} cores {cpu}{memory}"
