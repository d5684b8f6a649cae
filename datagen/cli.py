"""Command line: ``python -m datagen --customers N --seed S --out DIR [--end-date YYYY-MM-DD] [--identity-dirt]``."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from .generate import generate


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    """Click callback: ISO date string to ``date``."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.BadParameter("expected YYYY-MM-DD") from exc


@click.command(help="Generate deterministic sample exports (landing/) and ground truth for huaxiang.")
@click.option("--customers", default=10_000, show_default=True, type=click.IntRange(min=1), help="Number of persons.")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed; same seed, same bytes.")
@click.option("--out", "out_dir", default="data", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (landing/ and ground_truth/ are written inside).")
@click.option("--end-date", default="2026-06-30", show_default=True, callback=_parse_date,
              help="Last day of data (YYYY-MM-DD).")
@click.option("--years", default=3, show_default=True, type=click.IntRange(min=1), help="Years of history.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
@click.option("--activity", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True, max=10),
              help="Multiplies purchase rates and browsing (1.6: about 9 orders and 32 events per customer).")
@click.option("--identity-dirt/--no-identity-dirt", default=False, show_default=True,
              help="Add the identity dirt of issue 16: service-desk contacts, marketplace buyers, forms of address, "
                   "screen names, traditional characters, year-only birth dates, swapped name parts, weak store cards.")
def main(customers: int, seed: int, out_dir: Path, end_date: date, years: int, progress: bool,
         activity: float, identity_dirt: bool) -> None:
    """Run the generator and print its summary as JSON."""
    summary = generate(out_dir, customers=customers, seed=seed, end_date=end_date, years=years, progress=progress,
                       activity=activity, identity_dirt=identity_dirt)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
