"""The generated repository: rendering the template, and who owns each file."""
