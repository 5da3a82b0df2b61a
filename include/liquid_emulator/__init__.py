"""A Liquid (ex-Quoine) REST API v2 emulator with deterministic account histories."""
