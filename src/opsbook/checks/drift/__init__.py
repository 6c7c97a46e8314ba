"""Friday drift review: Terraform state against the live estate, and resources no state holds."""
