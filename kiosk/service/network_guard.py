"""Deny the kiosk process internet sockets, so no library can send anything anywhere.

MediaPipe's native library looks up play.googleapis.com (usage logging) once a detector has
run, and onnxruntime 1.29+ has telemetry of its own. The systemd unit already gives the kiosk
no network; this filter gives the same guarantee to a kiosk started by hand. A seccomp filter
(libseccomp, through pyseccomp) makes socket() fail with EACCES for AF_INET, AF_INET6 and
AF_PACKET in every thread, native ones included. AF_UNIX (display server, sd_notify) and
AF_NETLINK (device hotplug) stay open: neither leaves the machine.
"""

from __future__ import annotations

import errno
import logging
import socket

log = logging.getLogger(__name__)

DENIED_FAMILIES = {"AF_INET": socket.AF_INET, "AF_INET6": socket.AF_INET6,
                   "AF_PACKET": getattr(socket, "AF_PACKET", 17)}


def deny_network_sockets() -> str | None:
    """Install the filter for this process and the threads it has and will have.

    Returns None when the filter is in place, else why not (no libseccomp, a kernel without
    seccomp): the caller logs it, and `kiosk doctor` reports it; the kiosk still runs.
    """
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as exc:  # OSError: libseccomp.so.2 not installed
        return f"libseccomp unavailable ({exc})"
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)  # threads already running get it too
        for family in DENIED_FAMILIES.values():
            rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket",
                           seccomp.Arg(0, seccomp.EQ, family))
        rules.load()
    except OSError as exc:
        return f"seccomp filter refused ({exc})"
    return None


def internet_socket_denied() -> bool:
    """True when this process cannot open an internet socket (the filter works)."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except PermissionError:
        return True
    probe.close()
    return False
