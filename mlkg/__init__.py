"""mlkg: a knowledge graph of public machine-learning model zoos."""

__version__ = "0.1.0"
