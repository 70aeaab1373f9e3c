"""A telemetry engineer can import telecnn.kernels without paying for torch."""

from __future__ import annotations

import subprocess
import sys


def test_importing_kernels_does_not_import_torch_pandas_or_matplotlib() -> None:
    code = (
        "import sys, numpy as np\n"
        "import telecnn.kernels as k\n"
        "k.conv1d(np.arange(10.0), k.get_kernel('edge'), padding='same')\n"
        "k.max_pool2d(np.ones((4, 4)), 2)\n"
        "print(sorted(m for m in ('torch', 'pandas', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
