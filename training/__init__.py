"""Training loop (datasets from outcomes, re-ranker, encoder fine-tuning, MLflow): see issue 6."""
