"""Sample-group files: ``sample<TAB>group`` tables and GSEA categorical ``.cls`` files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.engine.formats.common import InputError, read_text


def _lines(path: Path | str) -> list[tuple[int, str]]:
    text = read_text(path)
    return [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def read_groups(path: Path | str) -> pd.Series:
    """``sample<TAB>group`` (with a header line) as group labels indexed by sample id.

    The columns are found by name (``sample``, ``group``), else the first two are used."""
    name = Path(path).name
    lines = _lines(path)
    if len(lines) < 2:
        raise InputError(f"{name}: needs a header 'sample<TAB>group' and at least one sample")
    header = [h.strip().lower() for h in lines[0][1].split("\t")]
    if len(header) < 2:
        raise InputError(f"{name}: line 1 must have two tab-separated fields, sample and group")
    si = header.index("sample") if "sample" in header else 0
    gi = header.index("group") if "group" in header else 1
    samples, groups = [], []
    for number, line in lines[1:]:
        cells = line.split("\t")
        if len(cells) <= max(si, gi):
            raise InputError(
                f"{name}: line {number} has {len(cells)} field(s), expected sample and group"
            )
        sample, group = cells[si].strip(), cells[gi].strip()
        if not sample or not group:
            raise InputError(f"{name}: line {number}: empty sample id or group")
        samples.append(sample)
        groups.append(group)
    out = pd.Series(groups, index=pd.Index(samples, name="sample"), name="group")
    dup = out.index[out.index.duplicated()]
    if len(dup):
        raise InputError(f"{name}: sample {dup[0]!r} is listed twice")
    return out


def read_cls(path: Path | str, samples: list[str] | None = None) -> pd.Series:
    """A GSEA categorical ``.cls`` file as group labels (indexed by ``samples`` if given)."""
    name = Path(path).name
    lines = [line.strip() for _, line in _lines(path)]
    if len(lines) < 3 or not lines[1].startswith("#"):
        raise InputError(f"{name}: a .cls file has a counts line, a '#' class line and labels")
    labels = lines[2].split()
    try:
        n = int(lines[0].split()[0])
    except ValueError:
        raise InputError(f"{name}: line 1 must start with the number of samples") from None
    if len(labels) != n:
        raise InputError(f"{name}: line 3 has {len(labels)} labels, line 1 announces {n}")
    if samples is not None and len(samples) != n:
        raise InputError(f"{name}: {n} labels for {len(samples)} samples")
    index = pd.Index(samples if samples is not None else range(n), name="sample")
    return pd.Series(labels, index=index, name="group")
