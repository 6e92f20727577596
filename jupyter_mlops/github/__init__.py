"""GitHub services for the operations: the REST client and what push and secrets need from GitHub.

Nothing heavy is imported here; PyGithub, requests and pynacl load when a client is made.
"""
