"""Wrong store URLs and options (issue 18): ``open_store`` answers a ``ConfigurationError``
(or ``UnknownStoreError``, one of them) naming the part of the URL that is wrong, with the
password masked, and for a missing driver what to install; never a raw driver exception."""

from __future__ import annotations

from typing import Any

import pytest

from minzu_core.errors import ConfigurationError, UnknownStoreError
from minzu_core.store import open_store

SECRET = "s3cret-pw"


@pytest.mark.parametrize(
    ("url", "code", "field"),
    [
        (f"postgresql://u:{SECRET}@h:notaport/db", "malformed_store_url", "url.port"),
        (f"postgresql://u:{SECRET}@[::1/db", "malformed_store_url", "url.host"),
        (
            f"postgresql+psycopg2://u:{SECRET}@127.0.0.1/db",
            "driver_not_installed",
            "url.drivername",
        ),
        ("sqlite+nosuch:///x.db", "unknown_driver", "url.drivername"),
        ("sqlite:///%00", "invalid_store_option", "url.database"),
        ("sqlite:///x.db?check_same_thread=maybe", "invalid_store_option", "url.query"),
        ("nosuch://x", "unknown_store", "url"),
        ("no-scheme-at-all", "malformed_store_url", "url"),
    ],
)
def test_wrong_urls_are_configuration_errors(url: str, code: str, field: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        open_store(url)
    assert (err.value.code, err.value.field) == (code, field)
    assert err.value.message_zh and err.value.message_en
    assert SECRET not in str(err.value) and SECRET not in repr(err.value.details)


def test_a_missing_driver_names_what_to_install() -> None:
    with pytest.raises(ConfigurationError) as err:
        open_store(f"postgresql+psycopg2://u:{SECRET}@127.0.0.1/db")
    assert "minzu-core[postgres]" in err.value.details["install"]
    assert "postgresql+psycopg://" in err.value.message_en
    assert "u:***@127.0.0.1" in err.value.message_en


def test_an_unknown_scheme_is_also_a_configuration_error() -> None:
    assert issubclass(UnknownStoreError, ConfigurationError)


@pytest.mark.parametrize("query", ["charset=nosuch", "bogus_arg=1"])
def test_options_the_mysql_driver_refuses(query: str, fresh_database: Any) -> None:
    db = fresh_database("mysql")
    with pytest.raises(ConfigurationError) as err:
        open_store(f"{db.url}?{query}")
    assert (err.value.code, err.value.field) == ("invalid_store_option", "url.query")
