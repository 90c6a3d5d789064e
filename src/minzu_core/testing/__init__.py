"""Public test kit for storage adapters (适配器契约测试).

``StoreContract`` is the contract suite every storage adapter must pass; the hypothesis
strategies in :mod:`minzu_core.testing.strategies` generate valid and invalid codes, ID numbers,
units and persons. Both need the ``dev`` extra (pytest, hypothesis).

To prove a third-party adapter, subclass the suite in a test module and provide a fresh, empty
backend::

    import pytest
    from minzu_core.testing import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store_backend(self):
            backend = my_adapter.open("mystore://test")
            yield backend
            backend.close()

The class is not collected by pytest on its own (its name does not start with ``Test``).

The stateful machines of :mod:`minzu_core.testing.stateful` (``LedgerAgree``,
``ServiceRequestsAgree``, ``DisputesAgree``) compare an adapter with the memory store over random
sequences of operations: subclass one, override ``open_candidate`` to open your store, and expose
its ``TestCase`` (see that module). :mod:`minzu_core.testing.samples` holds the sample hierarchy
and person the suites build on. :class:`~minzu_core.testing.pii.PiiScanner` finds raw ID
numbers, phones and full names of the test data in log records, error messages and reprs (the
library's own suite runs it on every test; see ``tests/conftest.py``).
"""

from minzu_core.testing.contract import StoreContract
from minzu_core.testing.pii import Finding, PiiScanner, ScanResult

__all__ = ["Finding", "PiiScanner", "ScanResult", "StoreContract"]
