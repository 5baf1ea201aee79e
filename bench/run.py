#!/usr/bin/env python3
"""ussl benchmark harness, called by bench/run.sh (which builds the programs and enters a private network
namespace). The harness is the package bench/usslbench; see its __init__ for what it measures."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from usslbench.main import main  # noqa: E402

if __name__ == "__main__":
    main()
