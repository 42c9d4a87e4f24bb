"""The sign-in core: tickets, codes, magic links, browser binding, limits, addresses."""
