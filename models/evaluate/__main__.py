"""``python -m models.evaluate``: see :func:`models.evaluate.run.main`."""

from models.evaluate.run import main

raise SystemExit(main())
