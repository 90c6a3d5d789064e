"""Opening a store by URL (按 URL 打开存储).

Adapters register a factory under the entry-point group ``minzu_core.stores``, keyed by URL
scheme (``memory``, ``sqlite``, ``postgresql+psycopg`` …). :func:`open_store` finds the factory
for a URL, opens the backend and wraps it in a :class:`Store`, the object applications use.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from types import TracebackType
from typing import Any

from minzu_core.clock import Clock, system_clock
from minzu_core.disputes.model import DEFAULT_TARGET_DAYS
from minzu_core.errors import UnknownStoreError, ValidationError
from minzu_core.privacy.actor import Actor
from minzu_core.services.model import Calendar, CalendarDays
from minzu_core.store.ports import StoreBackend
from minzu_core.store.uow import UnitOfWork

__all__ = ["ENTRY_POINT_GROUP", "Store", "available_schemes", "open_store", "url_scheme"]

#: The entry-point group adapters register their factories under.
ENTRY_POINT_GROUP = "minzu_core.stores"


class Store:
    """An open store: the way into units of work.

    Example::

        store = open_store("memory://")
        with store.unit_of_work(Actor.system()) as uow:
            ...
            uow.commit()
    """

    def __init__(
        self,
        backend: StoreBackend,
        *,
        clock: Clock = system_clock,
        calendar: Calendar | None = None,
        dispute_target_days: int = DEFAULT_TARGET_DAYS,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.calendar: Calendar = calendar or CalendarDays()
        if dispute_target_days <= 0:
            raise ValidationError(
                "调解期限须为正整数天",
                "the mediation target must be positive",
                code="invalid_target",
                field="dispute_target_days",
            )
        self.dispute_target_days = dispute_target_days

    @property
    def url(self) -> str:
        """The store's URL (password masked)."""
        return self.backend.url

    def unit_of_work(self, actor: Actor) -> UnitOfWork:
        """A new unit of work for ``actor``; use it in a ``with`` block and call ``commit()``."""
        if not isinstance(actor, Actor):
            raise ValidationError(
                "须提供操作人", "an Actor is required", code="actor_required", field="actor"
            )
        return UnitOfWork(self.backend, actor, self.clock, self.calendar, self.dispute_target_days)

    def close(self) -> None:
        """Release the backend's resources."""
        self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"


def url_scheme(url: str) -> str:
    """The scheme of a store URL: ``"sqlite"`` for ``sqlite:///x.db``."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise UnknownStoreError(
            "存储 URL 格式不正确 (应为 scheme://...)",
            "malformed store URL (expected scheme://...)",
            code="malformed_store_url",
            field="url",
        )
    return scheme.lower()


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name.lower(): ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_schemes() -> list[str]:
    """The URL schemes of the installed storage adapters, sorted."""
    return sorted(_entry_points())


def open_store(
    url: str,
    *,
    clock: Clock = system_clock,
    calendar: Calendar | None = None,
    dispute_target_days: int = DEFAULT_TARGET_DAYS,
    **options: Any,
) -> Store:
    """Open the store at ``url`` with the adapter registered for its scheme.

    ``clock`` gives the time of every change; ``calendar`` counts promised days of service
    requests (calendar days by default; :class:`~minzu_core.services.WorkingDays` for working
    days); ``dispute_target_days`` is the mediation target (30 days by default). ``options``
    are passed to the adapter's factory. Raises :class:`UnknownStoreError`
    naming the installed schemes when none matches.
    """
    scheme = url_scheme(url)
    eps = _entry_points()
    ep = eps.get(scheme)
    if ep is None and "+" in scheme:
        ep = eps.get(scheme.split("+", 1)[0])
    if ep is None:
        installed = ", ".join(sorted(eps)) or "-"
        raise UnknownStoreError(
            f"没有可处理 '{scheme}' 的存储适配器; 已安装: {installed}",
            f"no storage adapter for scheme '{scheme}'; installed: {installed}",
            code="unknown_store",
            field="url",
            details={"installed": sorted(eps)},
        )
    factory = ep.load()
    backend = factory(url, **options)
    return Store(backend, clock=clock, calendar=calendar, dispute_target_days=dispute_target_days)
