"""Offline stand-in for pypa's get-pip.py, for ansible-test's per-test virtualenvs.

ansible-test creates each sanity virtualenv --without-pip, then runs a get-pip.py
it downloads from a host this machine cannot reach. This script does the same
job: install Python's bundled pip (ensurepip), then let it install the exact
packages ansible-test asked for (e.g. pip==24.2) from the package index.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip.py's own switches; pip install does not know them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# ensurepip points PIP_CONFIG_FILE at /dev/null in this process; the real install
# must see the machine's pip configuration (index, certificates) again.
environment = dict(os.environ)
ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=environment))
