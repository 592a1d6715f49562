"""Reading jail exports: stream, map, validate, write in batches, report what was rejected and why."""
