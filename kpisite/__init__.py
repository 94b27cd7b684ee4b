"""kpisite: publish performance indicators as a static website."""
from pathlib import Path

__version__ = "0.1.0"

# The folder that holds templates/, static/ and schema/ (the repository, installed editable).
THEME = Path(__file__).resolve().parent.parent
