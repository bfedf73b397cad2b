"""Generate the azurerm 4 -> 5 table of docs/toolchains.md from ``AZURERM_5_CHANGES`` itself.

    .venv/bin/python tools/docs/toolchains_doc.py          # rewrite the table
    .venv/bin/python tools/docs/toolchains_doc.py --check  # exit 1 if it is stale (tests/test_docs.py asserts the same)

``constructs_lib.azurerm_versions.AZURERM_5_CHANGES`` is the one list of the argument differences
(tests/test_toolchains.py holds the synthesized output to it); the doc's ``azurerm-5-changes``
marker block shows it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from constructs_lib.azurerm_versions import AZURERM_5_CHANGES  # noqa: E402
from tools.docs.markers import Output, replace_block, write_or_check  # noqa: E402

GENERATOR = "tools/docs/toolchains_doc.py"
DOC = ROOT / "docs" / "toolchains.md"
BLOCK = "azurerm-5-changes"


def table() -> str:
    rows = ["| resource | argument | on azurerm 5 | why, and what the plan does |", "|---|---|---|---|"]
    rows += [f"| `{c.resource_type}` | `{c.argument}` | {c.change} | {c.reason} |" for c in AZURERM_5_CHANGES]
    return "\n".join(rows)


def outputs() -> list[Output]:
    return [Output(DOC, lambda current: replace_block(current, BLOCK, table(), GENERATOR))]


def main(argv: list[str]) -> int:
    return write_or_check(outputs(), check="--check" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
