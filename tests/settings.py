"""The suite's settings: the site's own (cmr_reader/settings.py, DEBUG off as a site runs it), with
the two things a test machine differs in, set before those settings are read:

- plain HTTP: the test client and the live server speak no TLS (HTTPS=0);
- fixed keys, so that a PostgreSQL run (DATABASE_URL, where the site refuses to make its own keys)
  starts and subprocesses (gunicorn, db_worker) agree with the test process.

Tests that check the defaults themselves start fresh processes with an environment of their own
(tests/deployment_tests/).
"""

import os

os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-never-used-outside-the-test-suite-0123456789")
os.environ.setdefault("PSEUDONYM_KEY", "test-only-pseudonym-key")

from cmr_reader.settings import *  # noqa: E402, F403
