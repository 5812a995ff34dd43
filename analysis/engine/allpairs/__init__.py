"""All-pairs top-k connections of a library: Pearson over standardised signatures, tiled."""

from analysis.engine.allpairs.topk import (
    NAMES,
    TopK,
    all_pairs_top_k,
    run_tiles,
    standardised,
    tile_top_k,
    tiles,
)

__all__ = ["NAMES", "TopK", "all_pairs_top_k", "run_tiles", "standardised", "tile_top_k", "tiles"]
