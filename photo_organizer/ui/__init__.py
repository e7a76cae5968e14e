"""The desktop window (PySide6). Everything that imports Qt lives in this package.

Nothing here imports torch at module level: the window must be on screen before any model
library is loaded. Core features are reached through ``app.library_service.LibraryService`` (Qt-free, in
``photo_organizer/app/``).
"""
