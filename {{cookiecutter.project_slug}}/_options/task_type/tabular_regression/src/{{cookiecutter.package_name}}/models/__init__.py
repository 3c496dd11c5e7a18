"""Tabular regression models."""

from .task import TabularRegressor

__all__ = ["TabularRegressor"]
