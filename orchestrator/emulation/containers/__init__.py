"""Docker for container hosts: the engine, and images built here."""
