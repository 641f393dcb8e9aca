"""monobot: answers questions from health-evidence monographs with cited excerpts."""

__version__ = "0.1.0"
