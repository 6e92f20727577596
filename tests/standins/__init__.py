"""Local stand-ins for services that cannot run on a test machine (GitHub, the KFP API server).

Each follows the public documentation of the service it stands in for, and names the page in a
comment wherever the product relies on a status code or a payload.
"""
