"""Settings module for the baseline's `rq worker -c bench.baseline_settings`.

Importing the job module here loads twilio in the worker's main process, so each forked work horse
inherits it instead of importing it again per job: the baseline at its best, not a straw man.
"""

import bench.baseline_jobs  # noqa: F401
