"""Monthly cost estimates of Terraform plans, checked against each environment's budget (`toolkit cost`)."""
