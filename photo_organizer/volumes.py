"""Which volume a library folder lives on, and whether that volume is there now.

A folder on an unplugged drive, an unmounted share or under a renamed parent is *offline*, not
deleted: its photos must not be marked removed. A folder is offline when it is missing as a
whole, cannot be listed, or sits on another device than recorded while on its parent's device
(the drive is unmounted and the empty mount point shows). A drive mounted at a new place is
found by its volume UUID (``/dev/disk/by-uuid``) and the folder's path inside the volume.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BY_UUID = Path("/dev/disk/by-uuid")
MOUNTINFO = Path("/proc/self/mountinfo")


@dataclass(frozen=True)
class Volume:
    device: int
    uuid: str | None  # None when the system does not list one (tmpfs, network shares, ...)
    path_in_volume: str  # the folder's path below the volume's mount point, "" at the top


def mount_point(path: str) -> str:
    """The top folder of the file system holding ``path``."""
    current = os.path.realpath(path)
    device = os.stat(current).st_dev
    while current != os.path.dirname(current):
        parent = os.path.dirname(current)
        if os.stat(parent).st_dev != device:
            break
        current = parent
    return current


def volume_uuid(device: int, by_uuid: Path = BY_UUID) -> str | None:
    try:
        links = list(by_uuid.iterdir())
    except OSError:
        return None
    for link in links:
        try:
            if os.stat(link).st_rdev == device:
                return link.name
        except OSError:
            continue
    return None


def volume_of(path: str) -> Volume:
    """The volume of an existing folder (raises OSError when it cannot be reached)."""
    device = os.stat(path).st_dev
    relative = os.path.relpath(os.path.realpath(path), mount_point(path))
    return Volume(device, volume_uuid(device), "" if relative == "." else relative)


def offline_reason(path: str, recorded_device: int | None) -> str | None:
    """Why the folder cannot be scanned now (so its photos must be kept), or None when it can."""
    try:
        info = os.stat(path)
        with os.scandir(path):
            pass
    except FileNotFoundError:
        return "the folder is not there (an unplugged drive, an unmounted share or a renamed folder)"
    except OSError as error:
        return f"the folder cannot be opened ({error.strerror or error})"
    if recorded_device is not None and info.st_dev != recorded_device:
        parent = os.path.dirname(os.path.realpath(path))
        if parent != path and os.stat(parent).st_dev == info.st_dev and not os.listdir(path):
            return "its drive is not mounted (an empty mount point is there)"
    return None


def mount_points_of(device: int, mountinfo: Path = MOUNTINFO) -> list[str]:
    """Where the block device ``device`` is mounted now (from /proc/self/mountinfo)."""
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return []
    return [
        fields[4].replace("\\040", " ") for line in lines if len(fields := line.split()) > 4 and fields[2] == wanted
    ]


def relocated_path(uuid: str | None, path_in_volume: str | None, by_uuid: Path = BY_UUID) -> str | None:
    """Where an offline folder's volume shows up now, if it is mounted elsewhere."""
    if not uuid:
        return None
    try:
        device = os.stat(by_uuid / uuid).st_rdev
    except OSError:
        return None
    for mounted in mount_points_of(device):
        candidate = os.path.join(mounted, path_in_volume or "")
        if os.path.isdir(candidate):
            return os.path.normpath(candidate)
    return None
