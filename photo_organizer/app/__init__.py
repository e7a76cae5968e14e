"""The app layer: what the window (and the command line) do with the core, without Qt.

``library_service.LibraryService`` is the front ends' door to the core, ``listing`` says what
a browse view shows, ``search_session`` runs a search session, ``types`` holds their data.
"""
