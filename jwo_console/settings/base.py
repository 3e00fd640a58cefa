"""Settings shared by every environment, assembled from one module per concern.

Each module reads its variables from the environment through django-environ (``environment.py``);
the variables and their embedded defaults are listed in README.md ("Configuration").
``local``, ``test`` and ``production`` adjust what this assembles; ``operations.py`` comes last.
"""

from .alerts import *  # noqa: F403
from .amazon import *  # noqa: F403
from .celery import *  # noqa: F403
from .core import *  # noqa: F403
from .database import *  # noqa: F403
from .environment import *  # noqa: F403
from .environment import BASE_DIR, VAR_DIR, env, filesystem_broker_options  # noqa: F401
from .logging import *  # noqa: F403
from .partners import *  # noqa: F403
from .payments import *  # noqa: F403
from .portal import *  # noqa: F403
from .security import *  # noqa: F403

# isort: split
# Last, so that what operations work adds may read (and adjust) everything above.
from .operations import *  # noqa: F403
