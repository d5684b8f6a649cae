"""Portable arithmetic macros (macros/portable.sql), run by dbt on DuckDB: the same results
Spark gives (tests/spark), where DuckDB's own operators would round differently."""

from __future__ import annotations

from fractions import Fraction

from dbt_inline import dbt_show

# numerator, denominator, places: exact halves, negative sides, zero, a quotient whose double
# (0.11814999...) and whose decimal at 6 places (0.118150) round the other way
QUOTIENTS = [("1218.86", "4", 2), ("-1218.86", "4", 2), ("1218.86", "-4", 2), ("130.00", "1", 2),
             ("25.00", "85.00", 4), ("0.10", "3", 4), ("10.97", "100", 4), ("0.00", "7", 2),
             ("66.85", "565.80", 4), ("1.00", "0", 2), ("2.50", "1", 0), ("-2.50", "1", 0)]


def _expected(numerator: str, denominator: str, places: int) -> str | None:
    """Half away from zero, in exact rationals."""
    n, d = Fraction(numerator), Fraction(denominator)
    if d == 0:
        return None
    q = abs(n / d) * 10 ** places
    whole = int(q) + (1 if q - int(q) >= Fraction(1, 2) else 0)
    value = Fraction(whole if n / d >= 0 else -whole, 10 ** places)
    return f"{float(value):.{places}f}"


def test_rounded_quotient_is_exact_half_away_from_zero(dbt_scratch):
    rows = " union all ".join(
        f"select {i} as id, cast({n} as decimal(18, 2)) as n, cast({d} as decimal(18, 2)) as d, {p} as places"
        for i, (n, d, p) in enumerate(QUOTIENTS))
    cases = " ".join(f"when {p} then cast({{{{ rounded_quotient('n', 'd', {p}) }}}} as varchar)"
                     for p in sorted({p for _, _, p in QUOTIENTS}))
    got = {r["id"]: r["q"] for r in dbt_show(f"select id, case places {cases} end as q from ({rows}) as t",
                                            dbt_scratch)}
    for i, (n, d, p) in enumerate(QUOTIENTS):
        expected = _expected(n, d, p)
        value = got[i]
        assert (value if value is None else f"{float(value):.{p}f}") == expected, (n, d, p, value)
