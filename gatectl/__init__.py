"""The gate controller: state machine, policy, lists, audit, configuration and the ``egate`` CLI."""
