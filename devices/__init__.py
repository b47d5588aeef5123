"""Device drivers: each opened from a URL, each with ``health()`` and a timeout on every call."""
