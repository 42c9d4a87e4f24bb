"""Users, SSO sessions, apps (clients) and their branding, connections, audit events."""
