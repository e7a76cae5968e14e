"""Names of the window's background jobs (shown in the status bar) and how often the grid
picks up new photos while the library is being updated."""

INDEXING = "Indexing"
ALBUMS = "Computing albums"
CALIBRATION = "Calibrating ITAE"
FINDING_DUPLICATES = "Finding duplicates"
LIVE_REFRESH_S = 2.0  # while indexing, the grid picks up new photos this often
