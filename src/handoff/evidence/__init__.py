"""Evidence: what happened after release (outcomes, re-arrest), time in custody, and what-if replays."""
