"""Robust z-scores of L1000 level-3 data (CMap, Subramanian et al. 2017): one definition for
the engine (``analysis.engine.l1000``) and the demo loader (``signatures.demo``), which may not
import the engine."""

import numpy as np
import numpy.typing as npt

#: Consistency constant that makes the MAD estimate the standard deviation of a normal sample.
MAD_SCALE = 1.4826
#: Floor on the raw MAD (log2 expression units) before scaling: a gene that barely varies among
#: the reference wells would otherwise get enormous z-scores from measurement noise. 0.1 is
#: CMap's value (its z-scores use 1.4826 · max(MAD, 0.1)).
MAD_FLOOR = 0.1


def robust_zscore(
    values: np.ndarray, *, reference: np.ndarray | None = None, mad_floor: float = MAD_FLOOR
) -> np.ndarray:
    """Robust z-scores of level-3 expression, gene by gene (level 4, CMap "ZSPC"/"ZSVC").

    values (G, W): log2 expression of G genes in W wells of one plate. reference: a boolean
    mask (W,) of the reference wells, e.g. the plate's DMSO (vehicle control, "VC") wells;
    None = every well of the plate (plate population control, "PC"). For each gene,
    z = (x − median_ref) / (1.4826 · max(MAD_ref, mad_floor)), MAD_ref = median |x_ref −
    median_ref|; NaNs are ignored in the reference statistics.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("values must be genes × wells")
    ref = values if reference is None else values[:, boolean_mask(reference, values.shape[1])]
    if ref.shape[1] == 0:
        raise ValueError("the reference has no wells")
    median = np.nanmedian(ref, axis=1, keepdims=True)
    mad = np.nanmedian(np.abs(ref - median), axis=1, keepdims=True)
    return (values - median) / (MAD_SCALE * np.maximum(mad, mad_floor))


def boolean_mask(reference: npt.ArrayLike, n: int) -> np.ndarray:
    """A boolean mask of n entries (e.g. the reference wells), or ValueError."""
    mask = np.asarray(reference, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"the reference mask needs one entry per well ({n})")
    return mask
