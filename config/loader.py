"""Read and validate an environment file; every problem becomes one readable line."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config import rules
from config.schema import EnvironmentConfig

#: The config used when PPM_CONFIG is not set.
DEFAULT_CONFIG = Path(__file__).resolve().parent / "reference.yaml"
CONFIG_ENV = "PPM_CONFIG"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (plain YAML keeps the last, silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (lines {seen[key]} and {line}); keep one", key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class ConfigError(Exception):
    """The config file cannot be used. ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: list[str], note: str = ""):
        self.source = source
        self.problems = problems
        self.note = note
        text = f"{source}: {len(problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text + (f"\n  {note}" if note else ""))


def config_path() -> Path:
    """The config file named by PPM_CONFIG, else config/reference.yaml."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "literal[")):  # pydantic's internal validator steps
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` (for listing its allowed keys)."""
    model: Any = EnvironmentConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        annotation = field.annotation
        candidates = getattr(annotation, "__args__", (annotation,))
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return None
    return model


def _describe(error: dict[str, Any]) -> str:
    loc = error["loc"]
    path = _loc(loc)
    kind = error["type"]
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = sorted(model.model_fields) if model else []
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return f"{path}: unknown key{hint}; allowed keys here: {', '.join(allowed)}"
    message = error["msg"].removeprefix("Value error, ")
    message = message.replace("Input should be", "allowed:")
    if kind.endswith("_type") and isinstance(error.get("input"), (int, float)) and "str" in kind:
        message += " (quote it in YAML, e.g. \"16\")"
    return f"{path}: got {_short(error.get('input'))}; {message}"


def _short(value: Any, limit: int = 80) -> str:
    """repr() of a value, cut to ``limit`` characters (a whole mapping or a long string stays readable)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...'"[: 5 if text[0] == "'" else 4]


def parse_config(data: Any, source: str = "<config>") -> EnvironmentConfig:
    """Validate already-loaded YAML data; raise :class:`ConfigError` listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError(source, [f"(top level): got {type(data).__name__}; a YAML mapping of keys such as environment, location, zones"])
    try:
        cfg = EnvironmentConfig.model_validate(data)
    except ValidationError as exc:
        # The cross-field rules (config/rules.py) need every field valid, so they run on the next try.
        raise ConfigError(source, [_describe(e) for e in exc.errors()],
                          note="Then the cross-field rules (config/rules.py: sizes, zones, HA, address plan, ...) "
                               "are checked, once the problems above are fixed.") from None
    problems = rules.check(cfg)
    if problems:
        raise ConfigError(source, [str(p) for p in problems])
    return cfg


def load_config(path: str | os.PathLike[str] | None = None) -> EnvironmentConfig:
    """Read and validate a config file (default: :func:`config_path`)."""
    file = Path(path) if path is not None else config_path()
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [f"{CONFIG_ENV}: cannot read {source}: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [f"(file): not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                                   "save the file as UTF-8"]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(source, [f"(file): not valid YAML: {where}{getattr(exc, 'problem', exc)}"]) from None
    return parse_config(data, source)
