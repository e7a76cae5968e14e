"""Timeline, events and places: capture times (``capture``), offline reverse geocoding
(``geocode``), event splitting (``events``), their SQL (``store``) and index-time jobs (``jobs``)."""
