"""Indicators (指标): periods, definitions as data, results and charts (DESIGN §5).

* :mod:`~minzu_core.indicators.periods` — ``2019``, ``2019Q4``, ``2019-12``, ``2019-12-16`` and
  ``2019-01-01/2019-06-30``, with the previous period and the same period last year;
* :mod:`~minzu_core.indicators.definitions` — :class:`Indicator` and :class:`Measure`, declarative
  and JSON round-trippable, checked against the entity field registry;
* :mod:`~minzu_core.indicators.results` — :class:`ResultTable` (pandas, CSV, XLSX, Markdown,
  JSON), :func:`ratio`, :func:`suppress`, :func:`with_comparisons`;
* :mod:`~minzu_core.indicators.catalog` — the standard catalog of DESIGN §5 (:data:`CATALOG`);
* :mod:`~minzu_core.indicators.engine` — :func:`compute`: a request becomes one grouped
  aggregate query per measure and level, run inside the store (the port is
  :mod:`~minzu_core.indicators.query`; Python stores use :mod:`~minzu_core.indicators.rows`);
* :mod:`~minzu_core.indicators.charts` — PNG charts with Chinese labels (matplotlib optional;
  import it explicitly: ``from minzu_core.indicators import charts``).

pandas, openpyxl and matplotlib are optional: only the methods that need them import them.
"""

from minzu_core.indicators import catalog, definitions, engine, periods, query, results
from minzu_core.indicators._common import MissingDependencyError
from minzu_core.indicators.catalog import *  # noqa: F403
from minzu_core.indicators.definitions import *  # noqa: F403
from minzu_core.indicators.engine import *  # noqa: F403
from minzu_core.indicators.periods import *  # noqa: F403
from minzu_core.indicators.query import *  # noqa: F403
from minzu_core.indicators.results import *  # noqa: F403

__all__ = ["MissingDependencyError"]
__all__ += catalog.__all__
__all__ += definitions.__all__
__all__ += engine.__all__
__all__ += periods.__all__
__all__ += query.__all__
__all__ += results.__all__
