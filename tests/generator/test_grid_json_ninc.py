"""A vegas grid survives the JSON round trip of the run plan when its dimensions have different
numbers of increments (vegas pads ``vmap.grid``; the padding must not become bins)."""

import numpy as np
import vegas

from muonbsm.generator.checkpoint import grid_from_json, grid_to_json
from muonbsm.generator.sampling import Grid


def test_ragged_grid_round_trip() -> None:
    vmap = vegas.AdaptiveMap([[0.0, 0.3, 1.0], [0.0, 0.1, 0.5, 0.9, 1.0]])  # 2 and 4 increments
    grid = Grid(vmap, 1.0, 0.1, 1.0, 100)
    back = grid_from_json(grid_to_json(grid)).vmap
    u = np.random.default_rng(1).random((1000, 2))
    x1, j1, x2, j2 = np.empty_like(u), np.empty(1000), np.empty_like(u), np.empty(1000)
    vmap.map(u, x1, j1)
    back.map(u, x2, j2)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(j1, j2)
