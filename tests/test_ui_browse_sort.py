"""Browse views sort by newest, oldest, name or size (issue 12, 13); the order picked while
browsing never leaks into a search, and a search's order never leaks into the next one."""

from __future__ import annotations

from pathlib import Path

from photo_organizer.app.types import SearchRequest, Source
from tests.test_ui_window import searchable, wait_for_ranking, window_on  # noqa: F401 - fixtures


def choose(window, sort: str) -> None:
    index = window.sort_box.findData(sort)
    assert index >= 0, f"{sort} is not offered"
    window.sort_box.setCurrentIndex(index)


def test_browse_views_sort_and_the_order_stays_out_of_searches(qtbot, ctx, searchable, window_on):  # noqa: F811
    sizes = {pid: (pid * 7919) % 1000 for pid in searchable}  # sizes in another order than dates or names
    with ctx.library.transaction():
        for pid, size in sizes.items():
            ctx.library.db.execute("UPDATE photos SET size = ? WHERE id = ?", [size, pid])
    window = window_on(ctx)
    dates = {pid: ctx.library.photo(pid).taken_at for pid in searchable}
    names = {pid: Path(ctx.library.photo(pid).path).name for pid in searchable}
    assert window.sort_box.isVisible() and window.sort_box.currentText() == "Newest first"
    assert [window.sort_box.itemText(i) for i in range(window.sort_box.count())] == ["Newest first", "Oldest first", "Name", "Largest first"]
    shown = window.model.photo_ids()
    assert [dates[p] for p in shown] == sorted(dates.values(), reverse=True)

    choose(window, "oldest")
    assert [dates[p] for p in window.model.photo_ids()] == sorted(dates.values())
    choose(window, "size")
    assert [sizes[p] for p in window.model.photo_ids()] == sorted(sizes.values(), reverse=True)
    choose(window, "name")
    assert [names[p] for p in window.model.photo_ids()] == sorted(names.values())
    folder = window.backend.folders()[0]
    window.sidebar.select_source(Source("folder", folder.root_id, folder.path))
    assert window.title.text() == folder.path
    assert window.sort_box.currentText() == "Name"  # browsing keeps its order from view to view
    assert [names[p] for p in window.model.photo_ids()] == sorted(names.values())

    window.run_search(SearchRequest(photo_id=searchable[0]))
    wait_for_ranking(qtbot, window, 0)
    assert window.search.query.sort == "relevance" and window.sort_box.currentText() == "Best match"
    assert [window.sort_box.itemText(i) for i in range(window.sort_box.count())] == ["Best match", "Newest first"]
    choose(window, "date")
    qtbot.waitUntil(lambda: not window.search.is_busy() and window.search.query.sort == "date", timeout=10000)

    window.clear_search()
    assert window.sort_box.currentText() == "Name" and [names[p] for p in window.model.photo_ids()] == sorted(names.values())
    window.run_search(SearchRequest(photo_id=searchable[1]))  # the last search's "newest" does not carry over
    wait_for_ranking(qtbot, window, 0)
    assert window.search.query.sort == "relevance" and window.sort_box.currentText() == "Best match"
