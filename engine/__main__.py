"""``python -m cpadvisor`` = the ``cpadvisor`` command."""
from cpadvisor.cli.app import main

main()
