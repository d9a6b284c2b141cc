"""The one training loop, its checkpoints, batching, LM streams and schedules; it knows no model."""
