"""`kiosk doctor`: one screen of OK / WARN / FAIL lines for a technician; exit 1 on any FAIL.

Checks the configuration, the files it names, cameras and their modes, the display, the face
detector model, the classifier (manifest, sha256, the execution provider actually used and
why CUDA is not), the labels and vocabulary, the running service's health file (repeated
failures of a component), systemd's view of the unit, privacy and speech; then a few seconds'
self-test says whether this host can hold camera rate (`--no-selftest` skips it). Each
check is independent: one that crashes is reported as FAIL and the others still run. One
module per group of checks; this package re-exports what the CLI and the tests use.
"""

from kiosk.doctor.audio import check_audio
from kiosk.doctor.base import Check, Status
from kiosk.doctor.camera import (
    MAX_CAMERAS,
    check_cameras,
    list_video_devices,
    probe_camera,
    v4l2_modes,
)
from kiosk.doctor.config import check_config
from kiosk.doctor.display import check_display
from kiosk.doctor.labels import check_labels
from kiosk.doctor.models import check_classifier, check_detector
from kiosk.doctor.privacy import check_privacy
from kiosk.doctor.report import collect_checks, render, run_doctor
from kiosk.doctor.selftest import check_selftest
from kiosk.doctor.service import SERVICE_HEALTH_FILE, UNIT, check_health, check_systemd

__all__ = [
    "MAX_CAMERAS", "SERVICE_HEALTH_FILE", "UNIT", "Check", "Status", "check_audio", "check_cameras",
    "check_classifier", "check_config", "check_detector", "check_display", "check_health",
    "check_labels", "check_privacy", "check_selftest", "check_systemd", "collect_checks",
    "list_video_devices", "probe_camera", "render", "run_doctor", "v4l2_modes",
]
