"""The sidebar's Keywords section: the keyword hierarchy with photo counts; an entry shows the
photos with that keyword or one below it ("Trips" includes "Trips/2019/Lyon")."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTreeWidgetItem

from photo_organizer.app.curation_service import keyword_source
from photo_organizer.app.types import Source

AddEntry = Callable[[QTreeWidgetItem, str, Source], QTreeWidgetItem]


def fill_keywords(section: QTreeWidgetItem, nodes: tuple, add: AddEntry) -> None:
    section.takeChildren()
    _add_nodes(section, nodes, add)


def _add_nodes(parent: QTreeWidgetItem, nodes: tuple, add: AddEntry) -> None:
    for node in nodes:
        item = add(parent, f"{node.name}  ({node.count:,})", keyword_source(node.path))
        item.setToolTip(0, f"{node.path}\n{node.count:,} photos")
        _add_nodes(item, node.children, add)
        item.setExpanded(True)
