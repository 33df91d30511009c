"""Learning from outcomes: datasets from the outcome events, the re-ranker, its assessment
and promotion gate, the fitted fusion weights and ad coder, encoder fine-tuning, the
external evaluation suites; runs and models tracked in MLflow (see docs/training.md)."""
