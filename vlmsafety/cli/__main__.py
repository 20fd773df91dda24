import sys

from vlmsafety.cli import main

sys.exit(main())
