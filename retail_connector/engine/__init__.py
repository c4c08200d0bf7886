"""The channel-agnostic engine: intake, import, export, locks, circuit breaker, hashing."""
