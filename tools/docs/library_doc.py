"""Regenerate the generated parts of docs/library.md from the library itself, so the doc cannot drift.

    .venv/bin/python tools/docs/library_doc.py          # rewrite the generated blocks of docs/library.md
    .venv/bin/python tools/docs/library_doc.py --check  # exit 1 if the file is stale (tests/test_docs.py asserts the same)

Two blocks are generated; everything outside them is hand-written and kept as is:

- ``example``: examples/library_app/main.py, verbatim.
- ``reference``: one section per exported construct (``constructs_lib.__all__``): what it
  creates (its class docstring), the attributes it exposes (``self.<name> = ...`` in its
  methods, and its properties), its usage example, and one table per props dataclass it
  takes (directly or nested), with each field's type, default and the field's ``:param:``
  text from the dataclass docstring.

A block is delimited by ``<!-- <name>:begin ... -->`` and ``<!-- <name>:end -->`` (tools/docs/markers.py).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.docs.markers import Output, replace_block, write_or_check  # noqa: E402

GENERATOR = "tools/docs/library_doc.py"
DOC = ROOT / "docs" / "library.md"
EXAMPLE = ROOT / "examples" / "library_app" / "main.py"

#: Sections of the reference, in order; exported constructs not listed land in "Other".
GROUPS: dict[str, tuple[str, ...]] = {
    "Networking": ("SpokeNetwork", "PrivateDnsZone", "PrivateEndpoint"),
    "Data": ("PostgresFlexibleServer", "NfsFileShare", "PrivateKeyVault"),
    "Observability": ("LogAnalyticsWorkspace", "Diagnostics"),
    "Kubernetes": ("AksCluster", "AksHelmProvider", "PackageManagerRelease"),
    "Terraform state": ("StateBackend",),
    "Aspects": ("RequiredTags", "PolicyChecks"),
}

_PARAM = re.compile(r":param (\w+):")


# --------------------------------------------------------------------------- docstrings
def rst_to_md(text: str) -> str:
    """The few reST constructs our docstrings use, as Markdown."""
    # ":param x: text" and its indented continuation lines -> one Markdown bullet
    text = re.sub(r"^:param (\w+):(.*(?:\n[ \t]+\S.*)*)",
                  lambda m: f"- `{m.group(1)}`: " + " ".join(m.group(2).split()), text, flags=re.MULTILINE)
    text = re.sub(r":(?:class|data|meth|func|mod|attr):`~?([^`]+)`", lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", text)
    return text.replace("``", "`")


def param_docs(cls: type) -> dict[str, str]:
    """``:param name: text`` entries of a docstring, each joined to one line.

    An entry runs until the next ``:param`` or a blank line.
    """
    doc = inspect.cleandoc(cls.__doc__ or "")
    found: dict[str, str] = {}
    for paragraph in re.split(r"\n\s*\n", doc):
        marks = list(_PARAM.finditer(paragraph))
        for mark, following in zip(marks, [*marks[1:], None]):
            end = following.start() if following else len(paragraph)
            found[mark.group(1)] = " ".join(paragraph[mark.end():end].split())
    return found


def split_class_doc(cls: type) -> tuple[str, str]:
    """(description, example code) of a construct's docstring; the example follows ``Example::``."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    head, sep, tail = doc.partition("Example::")
    example, rest = "", ""
    if sep:
        lines = tail.split("\n")
        block: list[str] = []
        for index, line in enumerate(lines):
            if line.strip() and not line.startswith((" ", "\t")):
                rest = "\n".join(lines[index:])
                break
            block.append(line)
        example = textwrap.dedent("\n".join(block)).strip("\n")
    description = "\n\n".join(part.strip() for part in (head, rest) if part.strip())
    return rst_to_md(description), example


def _cell(text: str) -> str:
    return rst_to_md(text).replace("|", "\\|")


# --------------------------------------------------------------------------- introspection
def exported() -> dict[str, Any]:
    import constructs_lib

    return {name: getattr(constructs_lib, name) for name in constructs_lib.__all__}


def props_type(construct: type) -> type | None:
    """The dataclass a construct's ``__init__`` takes as ``props``."""
    hints = typing.get_type_hints(construct.__init__)
    candidate = hints.get("props")
    return candidate if dataclasses.is_dataclass(candidate) else None


def _dataclasses_in(hint: Any) -> Iterator[type]:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        yield hint
    for arg in typing.get_args(hint):
        yield from _dataclasses_in(arg)


def props_family(root: type) -> list[type]:
    """``root`` and the dataclasses its fields use, depth first, each once."""
    order: list[type] = []

    def visit(cls: type) -> None:
        if cls in order:
            return
        order.append(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            for nested in _dataclasses_in(hints[f.name]):
                visit(nested)

    visit(root)
    return order


def attributes(cls: type) -> tuple[list[str], list[str], list[str]]:
    """(instance attributes assigned as ``self.<name>`` in the class body, public properties, public methods)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    assigned: list[str] = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                    and target.value.id == "self" and not target.attr.startswith("_")
                    and target.attr not in assigned):
                assigned.append(target.attr)
    public = {name: value for name, value in vars(cls).items() if not name.startswith("_")}
    properties = [name for name, value in public.items() if isinstance(value, property)]
    methods = [name for name, value in public.items() if inspect.isfunction(value) and name != "visit"]
    return assigned, properties, methods


def default_text(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        value = f.default_factory()  # type: ignore[misc]
    else:
        return "**required**"
    if dataclasses.is_dataclass(value):
        return f"`{type(value).__name__}()`"
    if isinstance(value, tuple) and not value:
        return "`()`"
    return f"`{value!r}`"


# --------------------------------------------------------------------------- rendering
def props_table(cls: type) -> list[str]:
    docs = param_docs(cls)
    lines = [
        f"#### `{cls.__name__}`",
        "",
        "| prop | type | default | description |",
        "|---|---|---|---|",
    ]
    for f in dataclasses.fields(cls):
        type_text = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        lines.append(f"| `{f.name}` | `{_cell(type_text)}` | {default_text(f)} | {_cell(docs.get(f.name, ''))} |")
    return [*lines, ""]


def construct_section(name: str, cls: type, documented: set[type]) -> list[str]:
    description, example = split_class_doc(cls)
    lines = [f"### `{name}`", "", f"`from constructs_lib import {name}` (module `{cls.__module__}`)", "", description, ""]
    assigned, properties, methods = attributes(cls)
    parts = []
    if assigned:
        parts.append("attributes " + ", ".join(f"`.{a}`" for a in assigned))
    if properties:
        parts.append("properties " + ", ".join(f"`.{p}`" for p in properties))
    if methods:
        parts.append("methods " + ", ".join(f"`.{m}()`" for m in methods))
    if parts:
        lines += ["Exposes: " + "; ".join(parts) + ".", ""]
    if example:
        lines += ["```python", example, "```", ""]
    root = props_type(cls)
    if root is not None:
        for props in props_family(root):
            if props not in documented:
                documented.add(props)
                lines += props_table(props)
    return lines


def render_reference() -> str:
    from constructs import Construct

    names = exported()
    construct_like = {
        name: value for name, value in names.items()
        if isinstance(value, type) and (issubclass(value, Construct) or hasattr(value, "visit"))
    }
    grouped = {title: [n for n in members if n in construct_like] for title, members in GROUPS.items()}
    listed = {n for members in grouped.values() for n in members}
    other = sorted(set(construct_like) - listed)
    if other:
        grouped["Other"] = other

    documented: set[type] = set()
    lines: list[str] = []
    for title, members in grouped.items():
        if not members:
            continue
        lines += [f"## {title}", ""]
        for name in members:
            lines += construct_section(name, construct_like[name], documented)
    loose = [value for value in names.values()
             if isinstance(value, type) and dataclasses.is_dataclass(value) and value not in documented]
    if loose:
        lines += ["## Other props types", ""]
        for cls in loose:
            lines += props_table(cls)
    errors = [value for value in names.values() if isinstance(value, type) and issubclass(value, Exception)]
    if errors:
        lines += ["## Errors", ""]
        for cls in errors:
            lines += [f"### `{cls.__name__}`", "", rst_to_md(inspect.cleandoc(cls.__doc__ or "")), ""]
    return "\n".join(lines).rstrip("\n")


def render_example() -> str:
    return "```python\n" + EXAMPLE.read_text().rstrip("\n") + "\n```"


def render(text: str) -> str:
    """``text`` (the current doc) with both generated blocks brought up to date."""
    text = replace_block(text, "example", render_example(), GENERATOR)
    return replace_block(text, "reference", render_reference(), GENERATOR)


def outputs() -> list[Output]:
    return [Output(DOC, render)]


def main(argv: list[str]) -> int:
    return write_or_check(outputs(), check="--check" in argv)


if __name__ == "__main__":
    from cli.process import use_supported_node  # the project's Node for jsii (no EOL warning box)

    use_supported_node()
    from constructs_lib import lazy_providers

    lazy_providers.enable()
    sys.exit(main(sys.argv[1:]))
