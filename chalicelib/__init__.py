"""returns-desk's code: API blueprints, services, domain, repositories and integrations."""

import os

# pydantic looks for plugins by reading the entry points of every installed distribution when it
# builds its first validator: about 25 ms of each cold start. returns-desk uses none; a
# deployment that wants one sets the variable itself.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
