"""Write a large JSON Lines file of items by repeating examples/items.jsonl with fresh ids.

Used by ``route_bench.py`` to measure ``inloop route`` on a million lines; usable alone too::

    python bench/make_big_file.py /tmp/items-1m.jsonl --lines 1000000

The file is written to the path given (a temporary directory in the bench), never into the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "items.jsonl"
_ID_PREFIX = '{"id": '


def _bodies(source: Path) -> list[str]:
    """Each example line without its id, as the text that follows ``{"id": "...",``."""
    bodies = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        data.pop("id", None)
        rest = json.dumps(data, ensure_ascii=False)
        bodies.append(rest[1:])  # drop the opening brace; the id goes in front
    return bodies


def write_big_file(path: Path, lines: int, source: Path = EXAMPLES, prefix: str = "big") -> int:
    """Write ``lines`` items cycling through ``source`` with ids ``{prefix}-0000001``...; return bytes."""
    bodies = _bodies(source)
    written = 0
    with path.open("w", encoding="utf-8") as fh:
        chunk: list[str] = []
        for n in range(lines):
            chunk.append(f'{_ID_PREFIX}"{prefix}-{n + 1:07d}", {bodies[n % len(bodies)]}\n')
            if len(chunk) == 10_000:
                text = "".join(chunk)
                fh.write(text)
                written += len(text.encode("utf-8"))
                chunk = []
        text = "".join(chunk)
        fh.write(text)
        written += len(text.encode("utf-8"))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the JSON Lines file to write")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--source", type=Path, default=EXAMPLES, help="items to repeat")
    args = parser.parse_args(argv)
    size = write_big_file(args.out, args.lines, args.source)
    print(f"wrote {args.lines:,} lines ({size / 1e6:,.1f} MB) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
