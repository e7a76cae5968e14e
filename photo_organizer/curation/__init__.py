"""Curation: ratings, reject, colour labels, keywords, captions and favourites, and their XMP.

model.py (values and rules), xmp.py (libexiv2), edits.py (the user's
edits with undo, written to sidecars), sync.py (reading what other tools wrote, at index time).
The SQL is in ``photo_organizer.storage.curation`` (methods of ``Library``).
"""
