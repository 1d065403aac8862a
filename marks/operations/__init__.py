"""Running the service: outages of Redis, the static files' fingerprinted copies, rolling
upgrades."""
