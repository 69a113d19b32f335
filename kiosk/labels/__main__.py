"""`python -m kiosk.labels QUERY...`: the curator command."""

import sys

from kiosk.labels.curator import main

sys.exit(main())
