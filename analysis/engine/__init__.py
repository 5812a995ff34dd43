"""The pure numeric core: numpy/scipy (numba where it pays), no Django and no app.

Sub-packages by domain, each with a small public face: ``de`` (design, limma, edgeR),
``connectivity`` (reference metrics, query parsing, ``fast``), ``allpairs``; modules
``enrichment``, ``l1000``, ``explore``, ``stats``, ``moa``, ``tables``. ``configure()`` applies
the process-wide thread and LLVM settings; importing a module never does.
"""

from analysis.engine.runtime import configure

__all__ = ["configure"]
