# This example takes no input: its settings are the locals in main.tf (region, name), so it plans and applies
# as it stands. The file is here for the standard module structure.
