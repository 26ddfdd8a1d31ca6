import sys

from qru_compile.cli import main

sys.exit(main())
