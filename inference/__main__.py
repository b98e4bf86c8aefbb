import sys

from inference.cli import main

# Guarded: the demo training reads cases in spawned worker processes, which import this module.
if __name__ == "__main__":
    sys.exit(main())
