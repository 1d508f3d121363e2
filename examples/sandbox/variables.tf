# Inputs: one variable per key of EnvironmentConfig.terraform_variables(), plus the emulator endpoint.
# Objects are `type = any` because Terraform 1.0 has no optional object attributes.

variable "environment" {
  description = "Environment name (the envs/NAME.yaml file), used in every resource name."
  type        = string
}

variable "project" {
  description = "Project name, the prefix of every resource name."
  type        = string
}

variable "aws_region" {
  description = "AWS region of every resource."
  type        = string
}

variable "aws_endpoint_url" {
  description = "Endpoint of the AWS emulator (moto) for every service; null talks to AWS. Passed as TF_VAR_aws_endpoint_url by the toolkit."
  type        = string
  default     = null
}

# Network
variable "network" {
  description = "Network settings: vpc_cidr, availability_zones (2-3), single_nat_gateway, existing_vpc_id."
  type        = any
}

# Database
variable "database" {
  description = "Database settings: engine_version, instance_class, allocated_storage_gb, parameters {name = value}, ..."
  type        = any
}

variable "create_db_instance" {
  description = "Whether to create the PostgreSQL instance (true, the default). The provider waits 30 s after creating one, so guard tests switch it off with TF_VAR_create_db_instance=false."
  type        = bool
  default     = true
}

variable "cache" {
  description = "Cache settings (unused by the sandbox: the emulator cannot create replication groups)."
  type        = any
}

# Compute
variable "compute" {
  description = "ECS service settings: cpu, memory_mib, min_tasks, max_tasks, container_image, container_port."
  type        = any
}

variable "waf" {
  description = "WAF settings (unused by the sandbox)."
  type        = any
}

variable "cdn" {
  description = "CDN settings (unused by the sandbox)."
  type        = any
}

variable "domain" {
  description = "Public domain and certificates (unused by the sandbox)."
  type        = any
}

variable "enable_xray" {
  description = "X-Ray sidecar switch (unused by the sandbox)."
  type        = bool
  default     = false
}

variable "audit" {
  description = "CloudTrail settings (unused by the sandbox)."
  type        = any
}

variable "backup" {
  description = "AWS Backup settings (unused by the sandbox)."
  type        = any
}

# Storage
variable "storage" {
  description = "Buckets by short name: versioning, lifecycle rules (transitions, expiration_days)."
  type        = any
}

# Monitoring
variable "monitoring" {
  description = "Alarm thresholds: latency_p95_ms, availability_min_percent, log_retention_days, alarm_emails."
  type        = any
}

variable "budget" {
  description = "Monthly budget range in USD (unused by the sandbox)."
  type        = any
}

variable "app_settings" {
  description = "Non-secret application settings, passed to the container as environment variables."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags merged into every resource's tags."
  type        = map(string)
  default     = {}
}

variable "db_password" {
  description = "Master password of the sandbox database. The emulator ignores it; real roots read it from Secrets Manager."
  type        = string
  default     = "emulator-only-password"
  sensitive   = true
}
