# Offline tests of the subnet plan and the API allow-list rules (no providers, no cloud calls).

variables {
  vpc_cidr          = "10.0.0.0/16"
  azs               = ["us-east-1a", "us-east-1b"]
  api_allowed_cidrs = ["203.0.113.0/24"]
}

run "two_azs_get_one_public_and_one_private_subnet_each" {
  command = plan

  assert {
    condition     = output.public_subnet_cidrs == { "us-east-1a" = "10.0.0.0/20", "us-east-1b" = "10.0.16.0/20" }
    error_message = "Unexpected public subnets: ${jsonencode(output.public_subnet_cidrs)}"
  }

  assert {
    condition     = output.private_subnet_cidrs == { "us-east-1a" = "10.0.128.0/20", "us-east-1b" = "10.0.144.0/20" }
    error_message = "Unexpected private subnets: ${jsonencode(output.private_subnet_cidrs)}"
  }

  assert {
    condition     = length(output.all_subnet_cidrs) == 4 && output.subnet_prefix_length == 20
    error_message = "Expected four /20 subnets, got ${jsonencode(output.all_subnet_cidrs)}"
  }
}

run "subnets_fit_the_vpc_and_never_overlap" {
  command = plan

  variables {
    vpc_cidr       = "172.20.0.0/24"
    azs            = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
    subnet_newbits = 3
  }

  # A subnet lies inside the VPC when its first address, masked to the VPC prefix, is the VPC.
  assert {
    condition = alltrue([
      for cidr in output.all_subnet_cidrs : cidrsubnet("${cidrhost(cidr, 0)}/24", 0, 0) == var.vpc_cidr
    ])
    error_message = "A subnet lies outside ${var.vpc_cidr}: ${jsonencode(output.all_subnet_cidrs)}"
  }

  # Two CIDRs overlap exactly when one contains the other's first address.
  assert {
    condition = alltrue(flatten([
      for i, a in output.all_subnet_cidrs : [
        for j, b in output.all_subnet_cidrs :
        i == j || cidrsubnet("${cidrhost(b, 0)}/${split("/", a)[1]}", 0, 0) != a
      ]
    ]))
    error_message = "Subnets overlap: ${jsonencode(output.all_subnet_cidrs)}"
  }

  assert {
    condition     = length(output.all_subnet_cidrs) == 8 && output.subnet_prefix_length == 27
    error_message = "Expected eight /27 subnets, got ${jsonencode(output.all_subnet_cidrs)}"
  }
}

run "adding_an_az_keeps_existing_subnets" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1b", "us-east-1c"]
  }

  assert {
    condition = (
      output.public_subnet_cidrs["us-east-1b"] == "10.0.16.0/20" &&
      output.private_subnet_cidrs["us-east-1b"] == "10.0.144.0/20"
    )
    error_message = "A third AZ renumbered existing subnets: ${jsonencode(output.all_subnet_cidrs)}"
  }
}

run "rejects_vpc_prefix_outside_16_to_24" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.0/8"
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_vpc_cidr_with_host_bits" {
  command = plan

  variables {
    vpc_cidr = "10.0.1.0/16"
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_more_than_four_azs" {
  command = plan

  variables {
    azs = ["a", "b", "c", "d", "e"]
  }

  expect_failures = [var.azs]
}

run "rejects_repeated_az" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1a"]
  }

  expect_failures = [var.azs]
}

run "rejects_subnet_newbits_below_3" {
  command = plan

  variables {
    subnet_newbits = 2
  }

  expect_failures = [var.subnet_newbits]
}

run "rejects_subnets_smaller_than_28" {
  command = plan

  variables {
    vpc_cidr       = "10.0.0.0/24"
    subnet_newbits = 5
  }

  expect_failures = [output.public_subnet_cidrs]
}

run "rejects_empty_api_allow_list" {
  command = plan

  variables {
    api_allowed_cidrs = []
  }

  expect_failures = [var.api_allowed_cidrs]
}

run "rejects_invalid_api_cidr" {
  command = plan

  variables {
    api_allowed_cidrs = ["203.0.113.7"]
  }

  expect_failures = [var.api_allowed_cidrs]
}

run "rejects_public_api_without_opt_in" {
  command = plan

  variables {
    api_allowed_cidrs = ["203.0.113.0/24", "0.0.0.0/0"]
  }

  expect_failures = [output.api_allowed_cidrs]
}

run "accepts_public_api_with_opt_in" {
  command = plan

  variables {
    api_allowed_cidrs = ["0.0.0.0/0"]
    allow_public_api  = true
  }

  assert {
    condition     = output.api_allowed_cidrs == tolist(["0.0.0.0/0"])
    error_message = "Expected the explicit public API opt-in to pass through."
  }
}
