"""GMT gene-set files: ``name<TAB>description<TAB>gene…``, one set a line (plain or gzip).

Empty fields (trailing tabs) are dropped and a gene listed twice is kept once, in first-seen
order. A name seen twice is refused, since it would silently merge two different sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.engine.formats.common import InputError, read_text


@dataclass(frozen=True)
class GeneSet:
    """One GMT line."""

    name: str
    description: str
    genes: list[str]


def read_gmt(path: Path | str) -> list[GeneSet]:
    """The sets of a GMT file, in file order; InputError naming the line on a bad one."""
    name = Path(path).name
    sets: list[GeneSet] = []
    seen: set[str] = set()
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            raise InputError(
                f"{name}: line {number} has {len(fields)} tab-separated field(s); a GMT line "
                "needs a name, a description and at least one gene"
            )
        set_name = fields[0].strip()
        genes = list(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
        if not genes:
            raise InputError(f"{name}: line {number} ({set_name!r}) has no genes")
        if set_name in seen:
            raise InputError(f"{name}: line {number}: duplicated gene-set name {set_name!r}")
        seen.add(set_name)
        sets.append(GeneSet(set_name, fields[1].strip(), genes))
    return sets
