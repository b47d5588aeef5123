"""Travellers on the simulated gate: scenario files (TOML), the runner that plays them through the real
controller and the simulated devices, and the gate benchmark. docs/rig.md describes the file format."""
