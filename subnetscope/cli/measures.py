"""`subnetscope measures`: the registry as a table."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("measures", help="list the registered measures and their options",
                            description="List every registered measure with its metadata and options.")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..measures.registry import measure_table

    print(measure_table())
    return 0
