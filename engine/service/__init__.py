"""The HTTP service (``cpadvisor serve``): the JSON API under /v1 and the consultants' web page."""
