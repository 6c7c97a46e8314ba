# Sandbox VPC: a terraform_data stand-in for the real VPC module (no provider needed, works offline).
terraform {
  required_version = ">= 1.6"
}

variable "name" {
  type = string
}

variable "cidr_block" {
  type = string
}

variable "availability_zones" {
  type    = list(string)
  default = []
}

variable "nat_gateway_enabled" {
  type    = bool
  default = true
}

resource "terraform_data" "vpc" {
  input = {
    name                = var.name
    cidr_block          = var.cidr_block
    availability_zones  = var.availability_zones
    nat_gateway_enabled = var.nat_gateway_enabled
    region              = var.region
    tags                = var.tags
  }
}

output "vpc_name" {
  value = terraform_data.vpc.output.name
}

output "vpc_cidr" {
  value = terraform_data.vpc.output.cidr_block
}
