################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name prefix for every resource, such as \"edu-platform-prod\". Required."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# VPC
################################################################################

variable "vpc_cidr" {
  description = "IPv4 CIDR of the new VPC, /16 to /24. Ignored when existing_vpc_id is set. Default: \"10.0.0.0/16\"."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR with a prefix length from /16 to /24."
  }
}

variable "availability_zones" {
  description = "Number of availability zones to spread the subnets over: 2 or 3. Default: 2."
  type        = number
  default     = 2

  validation {
    condition     = contains([2, 3], var.availability_zones)
    error_message = "availability_zones must be 2 or 3."
  }
}

variable "availability_zone_names" {
  description = "Explicit availability zone names to use (2 or 3, overriding availability_zones). Default: [] (as many of the region's zones as availability_zones says, the first in name order)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.availability_zone_names) == 0 || contains([2, 3], length(var.availability_zone_names))
    error_message = "availability_zone_names must be empty or hold 2 or 3 zone names."
  }
}

variable "vpc_tags" {
  description = "Extra tags for the VPC. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Existing VPC
################################################################################

variable "existing_vpc_id" {
  description = "ID of an existing VPC to use instead of creating one (vpc-...). When set, nothing but the lookups is created and the subnet IDs below are used. Default: null (create a VPC)."
  type        = string
  default     = null

  validation {
    condition     = var.existing_vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.existing_vpc_id))
    error_message = "existing_vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "existing_public_subnet_ids" {
  description = "Public subnet IDs of the existing VPC (for the load balancer). Used only with existing_vpc_id. Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "existing_private_subnet_ids" {
  description = "Private subnet IDs of the existing VPC (for tasks, databases, caches and Lambda). Used only with existing_vpc_id. Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# NAT gateways
################################################################################

variable "create_nat_gateway" {
  description = "Whether to give the private subnets internet egress through NAT gateways. Default: true."
  type        = bool
  default     = true
}

variable "single_nat_gateway" {
  description = "true: one NAT gateway shared by every AZ (cheaper, for dev); false: one NAT gateway per AZ (for prod). Default: true."
  type        = bool
  default     = true
}

################################################################################
# VPC endpoints
################################################################################

variable "create_s3_endpoint" {
  description = "Whether to create an S3 gateway endpoint on the private route tables. Default: true."
  type        = bool
  default     = true
}

variable "create_secretsmanager_endpoint" {
  description = "Whether to create a Secrets Manager interface endpoint in the private subnets (private DNS on). Default: true."
  type        = bool
  default     = true
}

################################################################################
# Flow logs
################################################################################

variable "create_flow_log" {
  description = "Whether to send VPC flow logs (all traffic) to a CloudWatch log group. Default: true."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the flow log group in days (a CloudWatch Logs retention value). Default: 30."
  type        = number
  default     = 30
}

variable "flow_log_kms_key_arn" {
  description = "KMS key ARN that encrypts the flow log group. Default: null (CloudWatch Logs' own encryption)."
  type        = string
  default     = null
}
