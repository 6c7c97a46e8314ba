# Sandbox EKS cluster: a terraform_data stand-in for the real EKS module (works offline).
terraform {
  required_version = ">= 1.6"
}

variable "cluster_name" {
  type = string
}

variable "kubernetes_version" {
  type = string
}

variable "node_groups" {
  type = map(object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  }))
}

resource "terraform_data" "cluster" {
  input = {
    name    = var.cluster_name
    version = var.kubernetes_version
    region  = var.region
    tags    = var.tags
  }
}

resource "terraform_data" "node_group" {
  for_each = var.node_groups

  input = {
    cluster        = var.cluster_name
    name           = each.key
    instance_types = each.value.instance_types
    min_size       = each.value.min_size
    desired_size   = each.value.desired_size
    max_size       = each.value.max_size
  }
}

output "cluster_name" {
  value = terraform_data.cluster.output.name
}

output "kubernetes_version" {
  value = terraform_data.cluster.output.version
}

output "node_groups" {
  value = { for k, ng in terraform_data.node_group : k => ng.output }
}
