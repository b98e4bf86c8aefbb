"""One lifecycle for every background job: imports, analysis runs, generation chunks (and the
generation runs they make up). ``model.BackgroundJob`` is the abstract model, ``lifecycle`` the
functions that move a job through queued -> running -> done | failed under a lease."""
