# Long-term metrics and logs (var.long_term_storage): a bucket per kind, and one IAM user limited to
# them for the Thanos sidecar and Loki. Pods never use the node role (IMDS hop limit 1): the key
# goes from SSM Parameter Store into Secrets in the monitoring namespace (docs/DEPLOY.md).
locals {
  long_term_buckets = var.long_term_storage.enabled ? {
    metrics = var.long_term_storage.metrics_retention_days
    logs    = var.long_term_storage.logs_retention_days + 7
  } : {}
}

resource "aws_s3_bucket" "long_term" {
  for_each = local.long_term_buckets

  bucket_prefix = "${var.name}-${each.key}-"
  force_destroy = var.long_term_storage.force_destroy

  tags = local.tags
}

resource "aws_s3_bucket_public_access_block" "long_term" {
  for_each = local.long_term_buckets

  bucket                  = aws_s3_bucket.long_term[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "long_term" {
  for_each = local.long_term_buckets

  bucket = aws_s3_bucket.long_term[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "long_term" {
  for_each = local.long_term_buckets

  bucket = aws_s3_bucket.long_term[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "long_term" {
  for_each = local.long_term_buckets

  bucket = aws_s3_bucket.long_term[each.key].id

  rule {
    id     = "expire-${each.key}"
    status = "Enabled"

    filter {}

    expiration {
      days = each.value
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "long_term_bucket" {
  for_each = local.long_term_buckets

  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.long_term[each.key].arn, "${aws_s3_bucket.long_term[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "long_term" {
  for_each = local.long_term_buckets

  bucket = aws_s3_bucket.long_term[each.key].id
  policy = data.aws_iam_policy_document.long_term_bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.long_term]
}

resource "aws_iam_user" "long_term" {
  count = var.long_term_storage.enabled ? 1 : 0

  name = "${var.name}-metrics-logs"
  path = "/k3s/"

  tags = local.tags
}

data "aws_iam_policy_document" "long_term_user" {
  count = var.long_term_storage.enabled ? 1 : 0

  statement {
    sid       = "ListTheBuckets"
    actions   = ["s3:ListBucket"]
    resources = [for bucket in aws_s3_bucket.long_term : bucket.arn]
  }

  statement {
    sid       = "ReadWriteObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for bucket in aws_s3_bucket.long_term : "${bucket.arn}/*"]
  }
}

resource "aws_iam_user_policy" "long_term" {
  count = var.long_term_storage.enabled ? 1 : 0

  name   = "metrics-logs-buckets"
  user   = aws_iam_user.long_term[0].name
  policy = data.aws_iam_policy_document.long_term_user[0].json
}

resource "aws_iam_access_key" "long_term" {
  count = var.long_term_storage.enabled ? 1 : 0

  user = aws_iam_user.long_term[0].name
}

resource "aws_ssm_parameter" "long_term_credentials" {
  count = var.long_term_storage.enabled ? 1 : 0

  name        = "${local.ssm_parameter_prefix}/metrics-logs-credentials"
  description = "Access key of the Thanos sidecar and Loki of ${var.name}"
  type        = "SecureString"
  value = jsonencode({
    AWS_ACCESS_KEY_ID     = aws_iam_access_key.long_term[0].id
    AWS_SECRET_ACCESS_KEY = aws_iam_access_key.long_term[0].secret
  })

  tags = local.tags
}
