"""Interchange (数据交换): the 台账 ledger files and the partner exchange package."""

from __future__ import annotations
