"""``python -m jobwatch_cli COMMAND``, which ``./jobwatch COMMAND`` runs from a clone."""

from jobwatch_cli.cli import run

run()
