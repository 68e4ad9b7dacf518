"""Items: the documented shape is accepted, anything else is an ItemError naming the field."""

from __future__ import annotations

from typing import Any

import pytest

import inloop
from inloop import Item, ItemError


def test_minimal_item() -> None:
    item = Item.parse({"task_type": "t", "output": "o"})
    assert item.confidence is None
    assert item.context == ()
    assert item.input_messages() == ()


def test_full_item_with_chat_input() -> None:
    item = Item.parse(
        {
            "id": "x1",
            "task_type": "support_reply",
            "input": [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi"}],
            "output": "hello",
            "context": ["a passage"],
            "confidence": 0.91,
            "attributes": {"amount": 120, "is_new_user": False},
            "tags": ["billing"],
            "model": "m",
        }
    )
    assert [m.role for m in item.input_messages()] == ["system", "user"]
    assert Item.parse({"task_type": "t", "output": "o", "input": "q"}).input_messages()[0].role == "user"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"output": "o"}, "task_type: required field is missing"),
        ({"task_type": "t"}, "output: required field is missing"),
        (
            {"task_type": "t", "output": "o", "confidence": 1.2},
            "confidence: Input should be less than or equal",
        ),
        (
            {"task_type": "t", "output": "o", "confidence": True},
            "confidence: must be a number between 0 and 1",
        ),
        ({"task_type": "t", "output": "o", "colour": 1}, "colour: unknown key"),
        ({"task_type": "t", "output": "o", "input": [{"role": "robot", "content": "x"}]}, "input[0].role: "),
        ({"task_type": "t", "output": "o", "context": "not a list"}, "context: "),
        ({"task_type": "", "output": "o"}, "task_type: String should have at least 1 character"),
    ],
)
def test_bad_items_name_the_field(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(ItemError) as info:
        Item.parse(data)
    assert str(info.value).startswith(problem), str(info.value)


def test_not_an_object() -> None:
    with pytest.raises(ItemError, match="Input should be a valid dictionary"):
        Item.parse([1, 2])


def test_fingerprint_is_stable_and_content_based() -> None:
    a = Item(task_type="t", output="o", attributes={"b": 1, "a": 2})
    b = Item(task_type="t", output="o", attributes={"a": 2, "b": 1})
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != Item(task_type="t", output="p").fingerprint()


def test_public_api_is_sorted_and_importable() -> None:
    assert inloop.__all__ == sorted(inloop.__all__)
    for name in inloop.__all__:
        assert getattr(inloop, name) is not None
