"""Activities, training and recognition (宣传教育、培训与示范创建)."""

from __future__ import annotations

from minzu_core.activities.model import (
    DEFAULT_ACTIVITY_TYPES,
    LANGUAGE_TRAINING,
    PLAQUE_CEREMONY,
    SAFETY_EDUCATION,
    Activity,
    ActivityTotals,
    ActivityType,
    DemonstrationSite,
    Enrollment,
    Honour,
    ServiceHours,
    SiteLevel,
    SiteStatus,
    SiteStatusEntry,
    TrainingCourse,
    VolunteerMembership,
    VolunteerServiceKind,
    default_activity_type,
)

__all__ = [
    "DEFAULT_ACTIVITY_TYPES",
    "LANGUAGE_TRAINING",
    "PLAQUE_CEREMONY",
    "SAFETY_EDUCATION",
    "Activity",
    "ActivityTotals",
    "ActivityType",
    "DemonstrationSite",
    "Enrollment",
    "Honour",
    "ServiceHours",
    "SiteLevel",
    "SiteStatus",
    "SiteStatusEntry",
    "TrainingCourse",
    "VolunteerMembership",
    "VolunteerServiceKind",
    "default_activity_type",
]
