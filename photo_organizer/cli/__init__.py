"""The ``photo-organizer`` command line. Each sub-module registers one group of commands."""
