# Sandbox stand-in for opsbook's own access in each account (works offline): terraform_data resources
# holding what `opsbook iam role --format terraform` deploys as aws_iam_role / aws_iam_role_policy /
# aws_iam_policy in a real account: the role opsbook assumes, trusting opsbook's central account, with
# the read-only policy inline and one managed policy per procedure this account grants.
# The policies are `opsbook iam policy` and `opsbook iam policy --procedure <name>`, kept in policies/
# (tests/sandbox/test_opsbook_access.py fails when they are older than opsbook's checks and procedures).
terraform {
  required_version = ">= 1.6"
}

variable "role_name" {
  type        = string
  description = "The role opsbook assumes (opsbook.yaml accounts[].role_arn)"
}

variable "trust_account_id" {
  type        = string
  description = "opsbook's central account: its principals may assume the role"
}

variable "procedures" {
  type        = list(string)
  description = "Procedures granted in this account: a managed policy each (policies/<name>.json)"
  default     = []
}

locals {
  trust = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OpsbookAssume"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.trust_account_id}:root" }
      Action    = "sts:AssumeRole"
    }]
  }
  read_only = jsondecode(file("${path.module}/policies/read-only.json"))
}

resource "terraform_data" "role" {
  input = {
    name               = var.role_name
    assume_role_policy = jsonencode(local.trust)
    tags               = var.tags
  }
}

resource "terraform_data" "read_only" {
  input = {
    role   = var.role_name
    name   = "${var.role_name}-read-only"
    policy = jsonencode(local.read_only)
  }
}

resource "terraform_data" "procedure" {
  for_each = toset(var.procedures)
  input = {
    role   = var.role_name
    name   = "${var.role_name}-${each.key}"
    policy = jsonencode(jsondecode(file("${path.module}/policies/${each.key}.json")))
  }
}

output "role_arn" {
  value = "arn:aws:iam::${var.account_id}:role/${var.role_name}"
}
