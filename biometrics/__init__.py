"""Face capture, quality, 1:1 verification and presentation-attack detection on numpy images.

See docs/biometrics.md.
"""
