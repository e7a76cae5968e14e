"""Search results read as relevance a person understands (issue 12, 12): a percentage on one
scale before and after Refine, the green bar explained, and the hidden results one click away."""

from __future__ import annotations

from PySide6.QtCore import Qt

from photo_organizer.app.types import SearchRequest
from photo_organizer.ui.photo_model import Roles
from tests.test_ui_window import searchable, wait_for_ranking, window_on  # noqa: F401 - fixtures


def relevances(window) -> list[float]:
    return [window.model.index(row).data(Roles.Relevance) for row in range(window.model.rowCount())]


def test_relevance_is_a_percentage_on_one_scale_and_hidden_results_are_a_click_away(qtbot, ctx, searchable, window_on):  # noqa: F811
    window = window_on(ctx)
    window.run_search(SearchRequest(photo_id=searchable[0]))
    first_round = wait_for_ranking(qtbot, window, 0)
    shown = relevances(window)
    assert shown[0] == 1.0 and shown == sorted(shown, reverse=True) and 0 < shown[-1] < 1
    assert "Relevance 100%: a better match than 100% of the photos searched" in window.model.index(0).data(Qt.ItemDataRole.ToolTipRole)

    hidden = window.model.contents.hidden_count
    assert hidden > 0 and f"{hidden:,} less related hidden" in window.hidden_link.text()
    window.hidden_link.linkActivated.emit("show")
    qtbot.waitUntil(lambda: not window.search.is_busy() and window.model.rowCount() == len(first_round) + hidden, timeout=10000)
    assert window.model.photo_ids()[: len(first_round)] == first_round  # the others come last
    assert window.hidden_link.text() == "" and "less related ones shown last" in window.subtitle.text()
    assert relevances(window)[-1] < shown[-1]

    # After Refine the raw scores change scale; the percentages do not.
    window.mark(first_round[5], 1)
    window.search.refine()
    second_round = wait_for_ranking(qtbot, window, 1)
    assert window.model.contents.scores is not None and relevances(window)[0] == 1.0
    assert all(0 < value <= 1 for value in relevances(window))
    predicted_row = next(r for r in range(len(second_round)) if window.model.index(r).data(Roles.Predicted) == 1)
    tip = window.model.index(predicted_row).data(Qt.ItemDataRole.ToolTipRole)
    assert "Green bar: from your likes and dislikes, you will probably like this photo" in tip

    window.clear_search()
    window.run_search(SearchRequest(photo_id=searchable[1]))  # a new search hides the less related again
    wait_for_ranking(qtbot, window, 0)
    assert "less related hidden" in window.hidden_link.text()

