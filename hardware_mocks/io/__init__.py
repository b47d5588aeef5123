"""Simulated io device."""
