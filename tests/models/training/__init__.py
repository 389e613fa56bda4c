"""Tests of models.training."""
