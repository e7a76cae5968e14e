"""CLIP search with like/dislike relevance feedback (no torch at import).

* ``engine.SearchEngine``: the facade the command line and the GUI call (its docstring shows
  the whole API: ``search``, ``mark``, ``refine``, ``reset_feedback``, ``resume``, ``round``).
* ``query``: ``SearchQuery``, ``SearchView``, ``SearchFilters``, ``Result``.
* ``feedback``: the 1-NN predictor of Nara et al. (ECCV-W 2024) and the baselines (Rocchio,
  balanced linear classifier, none), on similarity columns shared with the evaluation.
* ``index``: the in-memory matrix of unit CLIP vectors, kept in sync with the database.
* ``session``: sessions and marks in the ``search_sessions`` / ``feedback`` tables.
* ``query_encoding`` / ``text_tower`` / ``clip_tokenizer``: query vectors from a cache, the
  ONNX text tower (no torch) or the torch model cut to the query's length.
"""

from photo_organizer.search.engine import SearchEngine
from photo_organizer.search.feedback import FeedbackOptions
from photo_organizer.search.query import Result, SearchFilters, SearchQuery, SearchView

__all__ = ["FeedbackOptions", "Result", "SearchEngine", "SearchFilters", "SearchQuery", "SearchView"]
