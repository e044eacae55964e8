"""The dialogue engine (public surface restored once the NLU lands)."""
