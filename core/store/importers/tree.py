"""Putting an export's messages in an order a store can write: parents before children."""

from __future__ import annotations

from collections.abc import Callable, Hashable


def parents_first(
    parent_of: dict[str, str | None],
    sibling_order: Callable[[str], Hashable],
) -> list[tuple[str, str | None]]:
    """Every key once, as ``(key, parent)``, each after its parent (depth first, siblings by
    ``sibling_order``). A parent that is not a key makes a first message. A cycle (a node
    that is its own ancestor) is cut at its member that sorts first: that one becomes a
    first message, and the rest of the cycle hangs below it as before."""
    parent_of = {k: (p if p in parent_of and p != k else None) for k, p in parent_of.items()}
    children: dict[str | None, list[str]] = {}
    for key, parent in parent_of.items():
        children.setdefault(parent, []).append(key)
    for kids in children.values():
        kids.sort(key=sibling_order)
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()

    def walk(root: str) -> None:
        stack = [root]
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            out.append((key, parent_of[key]))
            stack.extend(reversed(children.get(key, ())))

    for root in children.get(None, ()):
        walk(root)
    for key in parent_of:
        if key in seen:
            continue
        # Unreached from any first message: it is on a cycle or hangs from one. Climb to the
        # cycle, cut it at its first member, and walk from there.
        path: list[str] = []
        on_path: set[str] = set()
        node = key
        while node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent_of[node]  # never None here: a None parent would have been reached
        cycle = path[path.index(node) :]
        cut = min(cycle, key=sibling_order)
        parent_of[cut] = None
        walk(cut)
    return out
