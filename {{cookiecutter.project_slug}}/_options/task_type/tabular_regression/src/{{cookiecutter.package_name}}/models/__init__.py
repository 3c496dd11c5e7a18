"""Tabular regression models."""

from .regressor import TabularRegressor

__all__ = ["TabularRegressor"]
