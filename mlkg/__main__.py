"""``python -m mlkg`` runs the command line."""

from mlkg.cli import main

main()
