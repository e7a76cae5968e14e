"""Curation: ratings, reject, colour labels, keywords, captions and favourites, and their XMP.

model.py (values and rules), store.py (all SQL), xmp.py (libexiv2), edits.py (the user's
edits with undo, written to sidecars), sync.py (reading what other tools wrote, at index time).
"""
