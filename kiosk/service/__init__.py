"""Operations: systemd notification and watchdog, metrics in the log, the health file.

Nothing here sees a frame: metrics and health carry numbers and component names only.
"""

from kiosk.service.health import Health, HealthWriter, read_health
from kiosk.service.metrics import Metrics
from kiosk.service.notify import Notifier

__all__ = ["Health", "HealthWriter", "Metrics", "Notifier", "read_health"]
