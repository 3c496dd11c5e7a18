"""Tabular regression models."""

from .tabular import TabularRegressor

__all__ = ["TabularRegressor"]
