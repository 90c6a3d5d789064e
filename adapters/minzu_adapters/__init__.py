"""Storage adapters of minzu-core: ``memory`` (in-process) and ``sql`` (SQLAlchemy Core).

Adapters depend on :mod:`minzu_core`, never the reverse; they are found by URL scheme through
the ``minzu_core.stores`` entry-point group (see :func:`minzu_core.open_store`).
"""
