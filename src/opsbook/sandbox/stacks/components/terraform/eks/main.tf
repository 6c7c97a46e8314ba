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

variable "opsbook_python" {
  type        = string
  default     = ""
  description = "The Python that runs opsbook's sandbox hook; set by opsbook against its sandbox (TF_VAR_opsbook_python)"
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

# A real EKS module's cluster resource calls UpdateClusterVersion when kubernetes_version changes. This
# stand-in does the same, against opsbook's sandbox only: opsbook sets opsbook_python (and the sandbox's
# endpoint) when it runs Terraform for the sandbox, and the hook starts the update there (one minor up;
# nothing when the minor is unchanged). Without opsbook_python the provisioner runs `true`: a plain
# `terraform apply` stays offline.
resource "terraform_data" "control_plane_version" {
  triggers_replace = var.kubernetes_version

  provisioner "local-exec" {
    interpreter = var.opsbook_python == "" ? ["true"] : [var.opsbook_python, "-m", "opsbook.sandbox.eks_version_hook"]
    command     = var.kubernetes_version
    environment = {
      CLUSTER_NAME = var.cluster_name
      REGION       = var.region
      ACCOUNT_ID   = var.account_id
    }
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
