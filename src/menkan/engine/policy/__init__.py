"""The policy language: models, YAML loading with located errors, and the shipped policy registry."""
