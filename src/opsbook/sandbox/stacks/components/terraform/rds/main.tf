# Sandbox RDS instance: a terraform_data stand-in for the real RDS module (works offline).
terraform {
  required_version = ">= 1.6"
}

variable "identifier" {
  type = string
}

variable "engine" {
  type = string
}

variable "instance_class" {
  type = string
}

variable "allocated_storage" {
  type = number
}

variable "max_allocated_storage" {
  type    = number
  default = 0
}

variable "backup_retention_period" {
  type    = number
  default = 7
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "multi_az" {
  type    = bool
  default = false
}

resource "terraform_data" "db" {
  input = {
    identifier              = var.identifier
    engine                  = var.engine
    instance_class          = var.instance_class
    allocated_storage       = var.allocated_storage
    max_allocated_storage   = var.max_allocated_storage
    backup_retention_period = var.backup_retention_period
    deletion_protection     = var.deletion_protection
    multi_az                = var.multi_az
    tags                    = var.tags
  }
}

output "identifier" {
  value = terraform_data.db.output.identifier
}

output "instance_class" {
  value = terraform_data.db.output.instance_class
}
