"""A JSON-safe copy of a value the user handed over, made without running any of the user's code.

Recording an argument or a return value must not change what the program does,
so the SDK never iterates, calls or mutates a user's object. This module is
the one place where recorded values are read (on the background thread), and
it reads only what it can read without running code the user wrote:

* **copied**: None, bool, int, float, str, bytes, bytearray, list, tuple, dict,
  set, frozenset (subclasses too, read through the built-in type's own C
  methods, so an overridden ``__iter__`` or ``items`` is never called),
  dataclass instances (their fields), pydantic models (their fields and extras
  as stored: no ``model_dump``, serializers or computed fields), enum members
  (their value);
* **kept for the JSON encoder**: datetime, date, time, timedelta, UUID, Decimal;
* **written as their standard text**: subclasses of those, paths, exceptions
  (``"ValueError: message"`` when its arguments are plain values), and the
  built-in ``repr`` of range, complex, functions, classes, generators and
  coroutines (which does not run them);
* **described by their type alone**: everything else (iterators, files,
  streams, sockets, lazy sequences, your own classes), like Python's default
  ``repr``: ``"<itertools.count object at 0x7f...>"``. No ``repr``, ``len``,
  ``iter`` or attribute access happens.

Bounds, so that whatever is sent can be stored and read back: :data:`MAX_DEPTH`
nesting levels (a deeper value becomes a truncation marker), a node budget per
value (the rest of a too-large container becomes a marker), integers outside
signed 64 bits become decimal strings, NaN and infinities become null, cycles
become ``"<cycle>"``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import functools
import sys
import types
import uuid
from typing import Any

from ._limits import MAX_DEPTH, MAX_INT, MIN_INT

TRUNCATION_MARKER = "_observatory_truncated"
"""Key of the object that stands in for what was not recorded."""

DEFAULT_BUDGET = 64 * 1024
"""Values (container items, scalars) read from one recorded value at most."""

_INT_TEXT_MAX_BITS = 4000
"""Past this, an integer is described, not written out (Python refuses str() past ~4300 digits)."""

_LEAVES = frozenset({
    datetime.datetime, datetime.date, datetime.time, datetime.timedelta, uuid.UUID, decimal.Decimal,
})
# Subclasses of those are written with the base class's own method (an override is not called).
_AS_TEXT: tuple[tuple[type, Any], ...] = (
    (datetime.datetime, datetime.datetime.isoformat),
    (datetime.date, datetime.date.isoformat),
    (datetime.time, datetime.time.isoformat),
    (datetime.timedelta, datetime.timedelta.__str__),
    (uuid.UUID, uuid.UUID.__str__),
    (decimal.Decimal, decimal.Decimal.__str__),
)
# Types whose built-in repr is C code that neither runs nor reads user code.
_REPR_SAFE = frozenset({
    types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType, types.FunctionType,
    types.BuiltinFunctionType, range, complex, type,
})
_EXCEPTION_ARGS: Any = BaseException.__dict__["args"]
_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})
_SIMPLE = frozenset({str, bool, type(None)})


_METHOD_FUNC: Any = types.MethodType.__dict__["__func__"]


def describe(obj: Any) -> str:
    """A description of ``obj`` made from its type (and, for a few built-ins, their own repr)."""
    cls = type(obj)
    try:
        if cls in _REPR_SAFE:
            return repr(obj)
        if issubclass(cls, type):  # a class with its own metaclass (ABCs, models, enums)
            return type.__repr__(obj)
        if cls is types.MethodType:  # a callback such as self.on_token: its repr would repr self
            func = _METHOD_FUNC.__get__(obj)
            if type(func) is types.FunctionType:
                return f"<bound method {func.__qualname__}>"
    except Exception:
        pass
    return object.__repr__(obj)


def _big_int(value: int) -> str:
    bits = value.bit_length()
    if bits <= _INT_TEXT_MAX_BITS:
        try:
            return str(value)
        except ValueError:  # the user lowered sys.set_int_max_str_digits
            pass
    return f"<int of {bits} bits>"


def _exception_text(exc: BaseException) -> str:
    name = type(exc).__name__
    args = _EXCEPTION_ARGS.__get__(exc)  # the stored args: no __getattribute__ of theirs
    if not all(type(arg) in _PLAIN_SCALARS for arg in args):
        return name
    try:
        message = BaseException.__str__(exc)
    except Exception:
        return name
    return f"{name}: {message}" if message else name


@functools.lru_cache(maxsize=512)
def _dataclass_fields(cls: Any) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


@functools.lru_cache(maxsize=512)
def _excluded_model_fields(cls: Any) -> frozenset[str]:
    fields = getattr(cls, "__pydantic_fields__", None) or {}
    return frozenset(name for name, info in fields.items() if getattr(info, "exclude", None) is True)


def _pydantic_base() -> type | None:
    # Only when the program already imported pydantic: otherwise nothing can be a model.
    module = sys.modules.get("pydantic.main")
    base = getattr(module, "BaseModel", None) if module is not None else None
    return base if isinstance(base, type) else None


def _type_name(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _all_plain(pairs: list[tuple[Any, Any]]) -> bool:
    """Whether every key is a str and every value a str, bool, None or int64 (sent as is)."""
    for key, item in pairs:
        kind = type(item)
        if type(key) is not str or (kind not in _SIMPLE and (kind is not int or not MIN_INT <= item <= MAX_INT)):
            return False
    return True


def _too_deep(cls: type) -> dict[str, Any]:
    return {TRUNCATION_MARKER: True, "reason": "max_depth", "max_depth": MAX_DEPTH, "type": _type_name(cls)}


class _Walk:
    """One walk over one value: the values it may still read, the containers on the current path.

    Each container reserves its items from the budget before its children do,
    so a walk reads at most ``budget`` values, however they are nested.
    """

    __slots__ = ("left", "path")

    def __init__(self, budget: int) -> None:
        self.left = budget
        self.path: set[int] = set()

    def value(self, obj: Any, depth: int) -> Any:
        cls = type(obj)
        if cls in _SIMPLE:
            return obj
        if cls is int:
            return obj if MIN_INT <= obj <= MAX_INT else _big_int(obj)
        if cls is float:
            return obj if obj - obj == 0.0 else None  # NaN and ±inf give NaN here
        # Containers are copied by the built-in types' C code: atomic under the
        # GIL, and blind to an overridden __iter__, items or keys.
        if cls is dict:
            pairs = list(obj.items())
            if depth < MAX_DEPTH and len(pairs) <= self.left and _all_plain(pairs):
                self.left -= len(pairs)  # the usual leaf: no cycle possible, nothing to convert
                return dict(pairs)
            return self.mapping(obj, cls, pairs, depth)
        if cls is list:
            return self.items(obj, cls, obj.copy(), depth)
        if cls is tuple:
            return self.items(obj, cls, obj, depth)
        if cls in _LEAVES:
            return obj
        try:
            return self.other(obj, cls, depth)
        except Exception:
            return describe(obj)

    def _reserve(self, count: int) -> int:
        """How many of ``count`` items may be read (taken from the budget)."""
        left = self.left
        if count <= left:
            self.left = left - count
            return count
        self.left = 0
        return max(left, 0)

    def items(self, owner: Any, cls: type, items: list[Any] | tuple[Any, ...], depth: int) -> Any:
        if depth >= MAX_DEPTH:
            return _too_deep(cls)
        key = id(owner)
        path = self.path
        if key in path:
            return "<cycle>"
        path.add(key)
        try:
            count = len(items)
            keep = self._reserve(count)
            value = self.value
            depth += 1
            out = [
                item if (kind := type(item)) in _SIMPLE or (kind is int and MIN_INT <= item <= MAX_INT)
                else value(item, depth)
                for item in items[:keep]
            ]
            if keep < count:
                out.append({TRUNCATION_MARKER: True, "reason": "size", "omitted_items": count - keep})
            return out
        finally:
            path.discard(key)

    def mapping(self, owner: Any, cls: type, pairs: list[tuple[Any, Any]], depth: int) -> Any:
        if depth >= MAX_DEPTH:
            return _too_deep(cls)
        key = id(owner)
        path = self.path
        if key in path:
            return "<cycle>"
        path.add(key)
        try:
            count = len(pairs)
            keep = self._reserve(count)
            value = self.value
            text = self.key
            depth += 1
            out = {
                k if type(k) is str else text(k): (
                    v if (kind := type(v)) in _SIMPLE or (kind is int and MIN_INT <= v <= MAX_INT)
                    else value(v, depth)
                )
                for k, v in pairs[:keep]
            }
            if keep < count:
                out[TRUNCATION_MARKER] = {"reason": "size", "omitted_items": count - keep}
            return out
        finally:
            path.discard(key)

    def key(self, key: Any) -> str:
        cls = type(key)
        if cls is int:
            return str(key) if MIN_INT <= key <= MAX_INT else _big_int(key)
        if cls in _PLAIN_SCALARS:
            return str(key)
        try:
            if cls is tuple and len(key) <= 16 and all(type(k) in _PLAIN_SCALARS for k in key):
                return repr(key)
            if issubclass(cls, str):
                return str.__str__(key)
            if issubclass(cls, enum.Enum):
                value = object.__getattribute__(key, "_value_")
                return self.key(value) if type(value) in _PLAIN_SCALARS else describe(key)
        except Exception:  # a huge int in a tuple, an odd enum
            pass
        return describe(key)

    def other(self, obj: Any, cls: type, depth: int) -> Any:
        """Everything but the exact built-in types: subclasses, records, text, descriptions."""
        if issubclass(cls, enum.Enum):  # before int/str: IntEnum, StrEnum
            if depth >= MAX_DEPTH:
                return _too_deep(cls)
            return self.value(object.__getattribute__(obj, "_value_"), depth + 1)
        if issubclass(cls, dict):
            return self.mapping(obj, cls, list(dict.items(obj)), depth)
        if issubclass(cls, list):
            return self.items(obj, cls, list.copy(obj), depth)
        if issubclass(cls, tuple):
            return self.items(obj, cls, list(tuple.__iter__(obj)), depth)
        if issubclass(cls, set):
            return self.items(obj, cls, list(set.__iter__(obj)), depth)
        if issubclass(cls, frozenset):
            return self.items(obj, cls, list(frozenset.__iter__(obj)), depth)
        if issubclass(cls, str):
            return str.__str__(obj)
        if issubclass(cls, int):  # bool cannot be subclassed
            return self.value(int.__int__(obj), depth)
        if issubclass(cls, float):
            return self.value(float.__float__(obj), depth)
        if issubclass(cls, (bytes, bytearray)):
            data = bytes(memoryview(obj)) if cls is not bytes else obj
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return "base64:" + base64.b64encode(data).decode("ascii")
        if dataclasses.is_dataclass(cls):
            fields = []
            for name in _dataclass_fields(cls):
                try:
                    fields.append((name, object.__getattribute__(obj, name)))
                except AttributeError:
                    continue
            return self.mapping(obj, cls, fields, depth)
        model = _pydantic_base()
        if model is not None and issubclass(cls, model):
            stored = object.__getattribute__(obj, "__dict__")
            if getattr(cls, "__pydantic_root_model__", False) is True:  # RootModel: its root value
                return self.value(dict.get(stored, "root"), depth)
            model_class: Any = cls
            excluded = _excluded_model_fields(model_class)
            fields = [(k, v) for k, v in dict.items(stored) if k not in excluded]
            extra = object.__getattribute__(obj, "__pydantic_extra__")
            if type(extra) is dict:
                fields.extend(dict.items(extra))
            return self.mapping(obj, cls, fields, depth)
        for base, as_text in _AS_TEXT:
            if issubclass(cls, base):
                return as_text(obj)
        if issubclass(cls, BaseException):
            return _exception_text(obj)
        pathlib = sys.modules.get("pathlib")
        if pathlib is not None and issubclass(cls, pathlib.PurePath):
            return pathlib.PurePath.__str__(obj)
        return describe(obj)


def plain(value: Any, budget: int = DEFAULT_BUDGET) -> Any:
    """A JSON-safe copy of ``value`` (see the module docstring); never raises, never runs user code."""
    cls = type(value)
    if cls in _SIMPLE or (cls is int and MIN_INT <= value <= MAX_INT):
        return value
    try:
        if cls is dict:  # the usual top level: a few arguments or metadata keys, nothing to convert
            pairs = list(value.items())
            if len(pairs) <= budget and _all_plain(pairs):
                return dict(pairs)
        return _Walk(budget).value(value, 0)
    except Exception:  # RecursionError on a tiny thread stack, MemoryError...
        try:
            return describe(value)
        except Exception:
            return "<unrecordable value>"


def repair_text(value: Any) -> Any:
    """``value`` (already plain) with lone surrogates in its strings replaced, so it encodes as UTF-8."""
    cls = type(value)
    if cls is str:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if cls is dict:
        return {repair_text(k): repair_text(v) for k, v in value.items()}
    if cls is list:
        return [repair_text(v) for v in value]
    return value
