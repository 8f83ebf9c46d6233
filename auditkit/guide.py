"""The numbers of Mage's best-practices guide, in one place.

Rules take them as their thresholds' defaults (a user's ``auditkit.yaml`` may change those),
and analytics, plots and the index draw the same bands and lines, so a chart and a finding
never disagree about what "too large" means.
"""
from __future__ import annotations

BLOCK_IDEAL_LINES = (50, 200)     # "Ideal: 50-200 lines of code per block"
BLOCK_MAX_LINES = 500             # "Maximum: 500 lines (consider splitting if larger)"
BLOCK_SUBFOLDER_DEPTH = 2         # "Keep subdirectory depth to 1-2 levels maximum"
PIPELINE_BLOCKS = (10, 30)        # "Block count: 10-30 blocks per pipeline"
PIPELINE_MAX_DEPTH = 7            # "Maximum 5-7 levels of dependencies"
PIPELINE_MAX_BRANCHES = 10        # "Limit parallel branches to 5-10"
