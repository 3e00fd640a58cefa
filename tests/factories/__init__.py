"""factory_boy factories, one for every model (tests/test_factories.py checks that),
grouped by area. Import them from here: ``from tests.factories import OrderFactory``."""

from .catalog import *  # noqa: F403
from .operations import *  # noqa: F403
from .orders import *  # noqa: F403
from .payments import *  # noqa: F403
from .sandbox import *  # noqa: F403
from .shoppers import *  # noqa: F403
from .stores import *  # noqa: F403
from .stores import PASSWORD  # noqa: F401
