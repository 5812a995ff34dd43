"""Run the R reference scripts of ../shared/oracle (test tooling only; the product never needs R)."""

import subprocess
from pathlib import Path

import pandas as pd

from tests.conftest import ORACLE


def run_oracle(rscript: str, script: str, *args: str | Path, timeout: int = 600) -> None:
    """Run ``Rscript ORACLE/script args...``; raise with R's stderr on failure."""
    cmd = [rscript, str(ORACLE / script), *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def read_oracle_table(path: str | Path) -> pd.DataFrame:
    """Read an oracle output TSV (gene id as string index, 'NA' as NaN)."""
    return pd.read_csv(path, sep="\t", index_col=0, dtype={0: str}, na_values=["NA"])
