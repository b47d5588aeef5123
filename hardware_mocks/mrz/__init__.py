"""Simulated mrz device."""
