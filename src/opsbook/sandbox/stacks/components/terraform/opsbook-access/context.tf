variable "tenant" {
  type        = string
  description = "Tenant (organization unit), e.g. mycompany"
}

variable "stage" {
  type        = string
  description = "Stage (account), e.g. dev"
}

variable "environment" {
  type        = string
  description = "Environment (region short name), e.g. use1"
}

variable "region" {
  type        = string
  description = "AWS region"
}

variable "account_id" {
  type        = string
  description = "AWS account id"
  default     = ""
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource"
  default     = {}
}
