# Sandbox DNS zone: a terraform_data stand-in for a Route 53 zone module (works offline).
terraform {
  required_version = ">= 1.6"
}

variable "zone_name" {
  type = string
}

variable "live_bucket" {
  type        = string
  description = "Where the sandbox keeps what AWS would answer for the zone (see data.terraform_remote_state.live)"
}

variable "live_key" {
  type = string
}

resource "terraform_data" "zone" {
  input = {
    name = var.zone_name
    tags = var.tags
  }
}

# A real zone module refreshes the zone's name servers from Route 53 on every plan. This stand-in reads
# them from the document the sandbox keeps as AWS's answer (an S3 object in state format), so a change
# made outside Terraform shows in `terraform plan` as a changed output, as a real refresh would, and a
# refresh-only apply (`terraform refresh`) records it.
data "terraform_remote_state" "live" {
  backend = "s3"
  config = {
    bucket                      = var.live_bucket
    key                         = var.live_key
    region                      = var.region
    use_path_style              = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_requesting_account_id  = true
    skip_region_validation      = true
  }
}

output "zone_name" {
  value = terraform_data.zone.output.name
}

output "name_servers" {
  value = data.terraform_remote_state.live.outputs.name_servers
}
