"""The pages, one module per audience (and the common ones: sign-in, tasks)."""
