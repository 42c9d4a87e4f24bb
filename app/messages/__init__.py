"""Messages: Liquid rendering, composing a ticket's message, operator overrides."""
