"""Organisations and responsibility (组织与责任): bodies, cadres and talent, appointments, the
responsibility policy and coverage report, the storage port and the repository.
"""

from __future__ import annotations

from minzu_core.labels import Choice, Graded
from minzu_core.organisation.bodies import Body, BodyKind
from minzu_core.organisation.cadres import (
    GradedHolder,
    Official,
    Rank,
    RankEntry,
    Technician,
    TitleEntry,
    TitleLevel,
)
from minzu_core.organisation.ports import (
    ORG_RECORDS,
    OrganisationPort,
    OrgQuery,
    OrgRecord,
    OrgRecordKind,
    OrgT,
    org_key,
    org_record_kind,
)
from minzu_core.organisation.repository import OrganisationRepository
from minzu_core.organisation.responsibility import (
    DEFAULT_POLICY,
    DEFAULT_ROLES,
    DESIGNATED_CADRE,
    ETHNIC_AFFAIRS_OFFICER,
    FIRST_RESPONSIBLE,
    LEADING_GROUP_LEADER,
    LEADING_GROUP_MEMBER,
    Appointment,
    ChainLink,
    CoverageReport,
    Holder,
    ResponsibilityChain,
    ResponsibilityPolicy,
    Role,
    RoleRule,
    Violation,
    ViolationKind,
    coverage_report,
)

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_ROLES",
    "DESIGNATED_CADRE",
    "ETHNIC_AFFAIRS_OFFICER",
    "FIRST_RESPONSIBLE",
    "LEADING_GROUP_LEADER",
    "LEADING_GROUP_MEMBER",
    "ORG_RECORDS",
    "Appointment",
    "Body",
    "BodyKind",
    "ChainLink",
    "Choice",
    "CoverageReport",
    "Graded",
    "GradedHolder",
    "Holder",
    "Official",
    "OrgQuery",
    "OrgRecord",
    "OrgRecordKind",
    "OrgT",
    "OrganisationPort",
    "OrganisationRepository",
    "Rank",
    "RankEntry",
    "ResponsibilityChain",
    "ResponsibilityPolicy",
    "Role",
    "RoleRule",
    "Technician",
    "TitleEntry",
    "TitleLevel",
    "Violation",
    "ViolationKind",
    "coverage_report",
    "org_key",
    "org_record_kind",
]
