"""Automatic albums: HDBSCAN clustering of DINOv2 (ITAE) features, stable identity, edits, names.

Modules, from the inside out:

* ``clustering``: features -> cluster labels (PCA, HDBSCAN, scaled parameters, granularity);
* ``identity``: matches new clusters to existing albums so user names and edits persist;
* ``store``: the ``albums``, ``album_members`` and ``album_exclusions`` tables;
* ``recluster`` / ``incremental``: the full re-cluster job and the cheap update for new photos;
* ``edits``: rename, merge, hide, remove a photo, export;
* ``naming``: CLIP zero-shot album names from ``photo_organizer/resources/album_vocabulary.json``;
* ``duplicates``: exact and near-identical photos, listed for review only.

Importing this package imports neither torch nor hdbscan; the heavy modules load on use.
"""
