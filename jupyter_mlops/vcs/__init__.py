"""Local git: the git command, remotes, commits onto branches, upstream merges, the main repo's registry."""
