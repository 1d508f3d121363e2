"""The toolkit's own records of an environment: the storage they share, checkpoints and the rollback journal."""
