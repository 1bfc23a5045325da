"""Where the admin API's body for opening a return used to live. The local stack, the benches
and the test fixtures build demo drafts with it from here; the API's models are in
api/models/ (this one in api/models/admin.py)."""

from chalicelib.api.models.admin import CreateRmaRequest

__all__ = ["CreateRmaRequest"]
