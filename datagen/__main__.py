"""``python -m datagen``: see :mod:`datagen.cli`."""

from .cli import main

main()
