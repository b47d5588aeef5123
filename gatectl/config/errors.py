"""The one error a configuration raises."""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every one found."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid configuration\n" + "\n".join(f"  - {p}" for p in problems))
