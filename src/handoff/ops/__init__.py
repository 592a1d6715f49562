"""The composition root: setup, serve, the demo, daily jobs, health and metrics. It may import every app;
no app imports it."""
