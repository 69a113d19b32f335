"""A small bounded least-recently-used cache (rendered text and label bands)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    """Keeps at most `maxsize` values; the least recently used one goes first."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        items = self._items
        try:
            value = items[key]
        except KeyError:
            self.misses += 1
            value = make()
            items[key] = value
            if len(items) > self.maxsize:
                items.popitem(last=False)
            return value
        self.hits += 1
        items.move_to_end(key)
        return value

    def clear(self) -> None:
        self._items.clear()
