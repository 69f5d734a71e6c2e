"""``python -m scientist`` runs the ``scientist`` command."""

from .cli import main

main()
