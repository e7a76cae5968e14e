"""The sidebar's timeline entries: "On this day", the events (title, cover, count) and the
Places tree (country → region → city with counts). A mixin of ``Sidebar``: it fills the
"Timeline" and "Places" sections the sidebar creates."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QTreeWidgetItem

from photo_organizer.app.timeline import ON_THIS_DAY, PlaceNode
from photo_organizer.app.types import Source
from photo_organizer.storage.timeline import EventRow
from photo_organizer.ui import icons

EVENTS_SHOWN = 200  # the newest; older events stay reachable through the scrubber


class TimelineSections:
    """Mixin of ``Sidebar`` (uses its ``_section``, ``_add`` and ``_keeping_selection``)."""

    _timeline: QTreeWidgetItem
    _places: QTreeWidgetItem

    def _build_timeline_sections(self) -> None:
        self._timeline = self._section("Timeline")
        self._places = self._section("Places")
        self._on_this_day_item = self._add(self._timeline, ON_THIS_DAY.title, ON_THIS_DAY, icons.icon("photos"))
        self._on_this_day_item.setToolTip(0, "Photos taken on this date in earlier years")
        self._event_items: dict[int, QTreeWidgetItem] = {}
        self._places.setHidden(True)

    def set_on_this_day(self, count: int) -> None:
        self._on_this_day_item.setText(0, f"{ON_THIS_DAY.title}  ({count:,})")

    def set_events(self, events: list[EventRow]) -> None:
        """Newest first, under the timeline; each shows its cover once loaded."""
        from photo_organizer.ui.sidebar import COVER_ROLE, ICON_SIDE

        with self._keeping_selection():
            for item in self._event_items.values():
                self._timeline.removeChild(item)
            self._event_items.clear()
            for event in events[:EVENTS_SHOWN]:
                source = Source("event", event.id, event.title)
                item = self._add(self._timeline, f"{event.title}  ({event.photo_count:,})", source, icons.icon("album"))
                item.setData(0, COVER_ROLE, event.cover_photo_id)
                item.setSizeHint(0, QSize(0, ICON_SIDE + 6))
                self._event_items[event.id] = item

    def set_places(self, places: list[PlaceNode]) -> None:
        with self._keeping_selection():
            self._places.takeChildren()
            for country in places:
                self._add_place(self._places, country)
            self._places.setHidden(not places)

    def _add_place(self, parent: QTreeWidgetItem, node: PlaceNode) -> None:
        source = Source("place", None, node.name, node.place)
        item = self._add(parent, f"{node.name}  ({node.count:,})", source, icons.icon("folder"))
        for child in node.children:
            self._add_place(item, child)
