"""The base of the package's frozen dataclasses, :class:`ValueObject`: their classes become cheap to create.

A dataclass compiles every method it generates while its class is created, and on Python 3.10 and 3.11 that
compiling is most of the import time of the modules holding the typed inputs and report models, which a DAG
file loads on every parse. Those classes are declared ``@dataclass(frozen=True, eq=False, repr=False)`` on
:class:`ValueObject`: the dataclass still generates ``__init__`` and refuses assignment, and equality, hashing
and ``repr`` come from here, with the results the generated methods would give, shared by every class.
"""

from __future__ import annotations

import dataclasses
import reprlib
from typing import Any


def _compared(value: Any) -> tuple[Any, ...]:
    """The values of ``value``'s fields that take part in equality, in field order."""
    return tuple(getattr(value, field.name) for field in dataclasses.fields(value) if field.compare)


def _hashed(value: Any) -> tuple[Any, ...]:
    """The values of ``value``'s fields that take part in the hash, chosen as ``dataclass`` chooses them."""
    return tuple(
        getattr(value, field.name)
        for field in dataclasses.fields(value)
        if (field.compare if field.hash is None else field.hash)
    )


def _shown(value: Any) -> str:
    """``name=repr`` of ``value``'s fields shown in ``repr``, comma-separated."""
    return ", ".join(
        f"{field.name}={getattr(value, field.name)!r}" for field in dataclasses.fields(value) if field.repr
    )


class ValueObject:
    """Equality, hashing and ``repr`` of a frozen dataclass, as ``@dataclass(frozen=True)`` generates them.

    Instances are equal when they are of the same class and their compared fields are equal; the hash is that
    of the hashed fields; ``repr`` shows the class and every field shown in ``repr``.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    def __hash__(self) -> int:
        return hash(_hashed(self))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}({_shown(self)})"
