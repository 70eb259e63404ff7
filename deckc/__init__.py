"""deckc: compile one lesson spec into a PPTX deck, a matching PDF, charts and an nbgrader assignment."""

__version__ = "0.1.0"
