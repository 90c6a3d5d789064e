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
from minzu_core.privacy.audit import AuditProblem
from minzu_core.privacy.extensions import ExtensionRegistry
from minzu_core.privacy.keys import KeyProvider
from minzu_core.privacy.permissions import DEFAULT_PERMISSION_POLICY, PermissionPolicy
from minzu_core.privacy.purposes import DEFAULT_PURPOSES, Purpose, PurposeVocabulary
from minzu_core.services.model import Calendar, CalendarDays
from minzu_core.store.audit import verify_store_audit
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
        permissions: PermissionPolicy = DEFAULT_PERMISSION_POLICY,
        purposes: PurposeVocabulary = DEFAULT_PURPOSES,
        keys: KeyProvider | None = None,
        extensions: ExtensionRegistry | None = None,
    ) -> None:
        self.backend = backend
        self.extensions = extensions or ExtensionRegistry(vocabulary=purposes)
        permissions.check_purposes(purposes)
        self.permissions = permissions
        self.purposes = purposes
        self.keys = keys
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

    def unit_of_work(
        self, actor: Actor, *, purpose: Purpose | str | None = None, reason: str = ""
    ) -> UnitOfWork:
        """A new unit of work for ``actor``; use it in a ``with`` block and call ``commit()``.

        ``purpose`` (a code or label of the store's purpose vocabulary, e.g. ``"服务办理"``)
        is the purpose of processing declared for clear reads: without one, or one the actor's
        roles are not granted for, personal fields come back masked. ``reason`` is recorded on
        the audit entries of reads. ``ValidationError(code="unknown_purpose")`` for a purpose
        the vocabulary does not hold."""
        if not isinstance(actor, Actor):
            raise ValidationError(
                "须提供操作人", "an Actor is required", code="actor_required", field="actor"
            )
        access = self.permissions.access(
            actor.roles, purpose, unrestricted=actor.unrestricted, vocabulary=self.purposes
        )
        return UnitOfWork(
            self.backend,
            actor,
            self.clock,
            self.calendar,
            self.dispute_target_days,
            access=access,
            reason=reason,
            audit_key=self.audit_key,
            extensions=self.extensions,
        )

    @property
    def audit_key(self) -> bytes | None:
        """The key the audit chain is hashed under (HMAC-SHA256), from the key provider."""
        return None if self.keys is None else self.keys.audit_key()

    def verify_audit(self, *, head: str | None = None) -> list[AuditProblem]:
        """Check the store's whole audit chain: the problems found, empty when it is intact.
        The first names the first entry altered, removed or inserted. ``head`` is the hash of
        the last entry as kept outside the store, if the host keeps it (detects a removed
        tail)."""
        session = self.backend.begin()
        try:
            return verify_store_audit(session, key=self.audit_key, head=head)
        finally:
            session.close()

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
    permissions: PermissionPolicy = DEFAULT_PERMISSION_POLICY,
    purposes: PurposeVocabulary = DEFAULT_PURPOSES,
    keys: KeyProvider | None = None,
    extensions: ExtensionRegistry | None = None,
    **options: Any,
) -> Store:
    """Open the store at ``url`` with the adapter registered for its scheme.

    ``clock`` gives the time of every change; ``calendar`` counts promised days of service
    requests (calendar days by default; :class:`~minzu_core.services.WorkingDays` for working
    days); ``dispute_target_days`` is the mediation target (30 days by default). ``options``
    are passed to the adapter's factory. ``permissions`` is the permission policy (roles →
    field groups; :data:`~minzu_core.privacy.DEFAULT_PERMISSION_POLICY` by default),
    ``purposes`` the purpose vocabulary, ``keys`` the key provider (the audit key, and the field
    keys of a store that encrypts at rest: a backend with ``use_keys``), ``extensions`` the
    declared extension fields of persons (none by default: every extension key is refused).
    Raises :class:`UnknownStoreError`
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
    if keys is not None:
        use_keys = getattr(backend, "use_keys", None)
        if callable(use_keys):
            use_keys(keys)
    return Store(
        backend,
        clock=clock,
        calendar=calendar,
        dispute_target_days=dispute_target_days,
        permissions=permissions,
        purposes=purposes,
        keys=keys,
        extensions=extensions,
    )
