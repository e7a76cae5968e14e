"""Photo Organizer: offline photo library with automatic albums and CLIP search.

Importing this package is cheap on purpose: no torch, no Qt. Heavy libraries are imported
lazily by the modules that need them, so the window and the command line start fast.
"""

__version__ = "0.1.0"
