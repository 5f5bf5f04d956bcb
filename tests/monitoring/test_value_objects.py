from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, make_dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.value_objects import ValueObject


def specimen_fields() -> list[tuple[str, Any, Any]]:
    """Fields with every flag that changes equality, hashing or ``repr``."""
    return [
        ("number", int, field()),
        ("note", str, field(default="", compare=False)),
        ("secret", Any, field(default=None, repr=False)),
        ("weight", float, field(default=0.0, hash=False)),
    ]


Generated = make_dataclass("Generated", specimen_fields(), frozen=True)
Shared = make_dataclass("Shared", specimen_fields(), bases=(ValueObject,), frozen=True, eq=False, repr=False)


@dataclass(frozen=True, eq=False, repr=False)
class SharedChild(Shared):
    extra: int = 0


values = st.tuples(
    st.integers(-3, 3),
    st.sampled_from(["", "a"]),
    st.sampled_from([None, 1, "x"]),
    st.sampled_from([0.5, 1.5]),
)


@given(values, values)
def test_equality_and_hash_are_those_dataclass_generates(left: tuple[Any, ...], right: tuple[Any, ...]):
    assert (Shared(*left) == Shared(*right)) == (Generated(*left) == Generated(*right))
    assert (Shared(*left) != Shared(*right)) == (Generated(*left) != Generated(*right))
    assert hash(Shared(*left)) == hash(Generated(*left))


@given(values)
def test_repr_is_the_one_dataclass_generates(value: tuple[Any, ...]) -> None:
    assert repr(Shared(*value)) == repr(Generated(*value)).replace("Generated(", "Shared(", 1)


def test_a_recursive_value_shows_an_ellipsis_where_it_recurs() -> None:
    assert repr(Shared(1, note="n", secret="hidden")) == "Shared(number=1, note='n', weight=0.0)"
    holder = Shared(3, note="")
    object.__setattr__(holder, "note", holder)
    assert repr(holder) == "Shared(number=3, note=..., weight=0.0)"


def test_instances_of_other_classes_are_never_equal() -> None:
    assert Shared(1) != SharedChild(1)
    assert Shared(1) != Generated(1)
    assert Shared(1).__eq__((1,)) is NotImplemented


def test_instances_stay_frozen_dataclasses() -> None:
    value = SharedChild(1, extra=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.number = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del value.extra  # type: ignore[misc]
    assert dataclasses.is_dataclass(value) and dataclasses.replace(value, extra=3) == SharedChild(1, extra=3)
    assert dataclasses.asdict(value) == {"number": 1, "note": "", "secret": None, "weight": 0.0, "extra": 2}
    assert {value, SharedChild(1, extra=2)} == {value}
