"""Simulated camera device."""
