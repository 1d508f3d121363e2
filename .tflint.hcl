# tflint for modules/, their examples and terraform/ (`toolkit check --tflint`, the pre-commit hook).
# The terraform ruleset bundled in the tflint binary only: no plugin is installed or downloaded (offline), so the
# AWS ruleset's API-aware rules are not here; the AWS rules live in `toolkit check --rules` and --schema.
config {
  # Each module is linted on its own: following module calls would report a module's findings once per caller.
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended" # deprecated syntax, typed variables, required_version/providers, unused declarations
}

# Beyond the recommended preset, the rules terraform-aws-modules and cloudposse run.
rule "terraform_comment_syntax" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
  format  = "snake_case"
}

rule "terraform_standard_module_structure" {
  enabled = true
}

rule "terraform_unused_required_providers" {
  enabled = true
}
