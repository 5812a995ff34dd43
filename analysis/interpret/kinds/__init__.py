"""Run kinds: each module registers its runner with ``analysis.runners.register``.

Imported once by ``AnalysisConfig.ready`` so the registry is complete in every process.
"""

from analysis.kinds import (  # noqa: F401
    build_signature,
    connectivity,
    enrichment,
    moa,
    signature_group,
)
