"""kpisite: publish performance indicators as a static website."""
from pathlib import Path

__version__ = "0.1.0"

PACKAGE = Path(__file__).resolve().parent
# The default theme: templates/, static/ and schema/. An installed wheel carries them in
# kpisite/_theme/ (setup.py puts them there); a checkout of the repository (or an editable
# install) has them at its top.
THEME = PACKAGE / "_theme" if (PACKAGE / "_theme").is_dir() else PACKAGE.parent
