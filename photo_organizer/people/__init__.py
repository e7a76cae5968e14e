"""People: faces found in the photos, grouped into people the user can name, merge and correct.

* ``faces_pass``: the index stage that finds faces and their descriptors (dlib);
* ``grouping``: faces into people (incremental after indexing; full re-clustering on demand);
* ``clustering``: the pure distance and chinese-whispers logic, and why it was chosen;
* ``detection``: the dlib models, the decode size, face crops;
* ``crops``: a face's crop from the library, for the window;
* ``store``: all SQL of the feature, and its schema migration.
"""
