# Pins issue 13 defect 11: an environment's budget covers that environment's costs only (its Environment
# cost allocation tag), not the whole account.
provider "aws" {
  region = "sa-east-1"
}

variables {
  environment = "dev"
  project     = "edu-platform"
  aws_region  = "sa-east-1"
}

run "budget_filtered_by_environment_tag" {
  command = plan

  assert {
    condition     = [for filter in module.monitoring.budget_cost_filters : { name = filter.name, values = tolist(filter.values) }] == [{ name = "TagKeyValue", values = tolist(["user:Environment$dev"]) }]
    error_message = "dev's budget must only see costs tagged Environment=dev."
  }
}
