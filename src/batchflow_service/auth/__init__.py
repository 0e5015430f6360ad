"""Users, roles, passwords, tokens and OIDC: who may do what."""
