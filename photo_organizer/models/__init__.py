"""Model registry, weights and encoders. Importing this package does not import torch."""
