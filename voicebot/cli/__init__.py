"""The ``voicebot`` command: one module per command group, each thin over the services."""
