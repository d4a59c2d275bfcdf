"""``python -m recordpack``."""

from recordpack.cli import main

main()
