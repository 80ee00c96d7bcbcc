"""Training, evaluation and data tooling for event-classifier (needs the ``train`` extra)."""
