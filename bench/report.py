"""The one table format every benchmark prints."""

from __future__ import annotations

Row = tuple[str, float, str, str, bool]  # measure, figure, unit, target ("" = information), met


def print_table(title: str, rows: list[Row]) -> bool:
    """Print the rows under ``title``; True when every row with a target met it."""
    print(f"\n{title}")
    print(f"{'measure':<52}{'figure':>14}  {'target':<16} result")
    ok = True
    for name, value, unit, target, passed in rows:
        figure = f"{value:,.2f} {unit}"
        verdict = ("pass" if passed else "MISS") if target else ""
        print(f"{name:<52}{figure:>14}  {target:<16} {verdict}")
        ok = ok and passed
    return ok
