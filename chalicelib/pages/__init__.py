"""The pages people open in a browser: the shoppers' portal and the merchant console.

Server-rendered with jinja2 (`rendering.py`), behind their own routes (`routing.py`), with the
few static files they need served by the app itself under content-hashed names (`assets.py`):
no CDN, nothing fetched from anywhere else.
"""
