"""Terraform state artefacts: the state lock and the runs alive on this machine."""
