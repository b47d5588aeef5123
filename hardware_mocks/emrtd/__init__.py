"""Simulated emrtd device."""
