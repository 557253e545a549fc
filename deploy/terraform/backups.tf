# MongoDB backups (var.backups): the bucket the mongodb chart's backup CronJob uploads to, its
# retention (a lifecycle rule on the prefix), and two IAM users: a writer for the CronJob that may
# only put objects under the prefix (it can neither read nor delete a backup, so a leaked key cannot
# destroy them), and a reader for scripts/deploy/mongodb-restore.ts. Pods never use the node role
# (IMDS hop limit 1); their keys come from SSM Parameter Store into a Secret (docs/DEPLOY.md).
locals {
  backups_users = var.backups.enabled ? toset(["writer", "reader"]) : toset([])
}

resource "aws_s3_bucket" "backups" {
  count = var.backups.enabled ? 1 : 0

  bucket_prefix = "${var.name}-backups-"
  force_destroy = var.backups.force_destroy

  tags = local.tags
}

resource "aws_s3_bucket_public_access_block" "backups" {
  count = var.backups.enabled ? 1 : 0

  bucket                  = aws_s3_bucket.backups[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "backups" {
  count = var.backups.enabled ? 1 : 0

  bucket = aws_s3_bucket.backups[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backups" {
  count = var.backups.enabled ? 1 : 0

  bucket = aws_s3_bucket.backups[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "backups" {
  count = var.backups.enabled ? 1 : 0

  bucket = aws_s3_bucket.backups[0].id

  rule {
    id     = "expire-mongodb-archives"
    status = "Enabled"

    filter {
      prefix = "${var.backups.prefix}/"
    }

    expiration {
      days = var.backups.retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "backups_bucket" {
  count = var.backups.enabled ? 1 : 0

  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.backups[0].arn, "${aws_s3_bucket.backups[0].arn}/*"]

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

resource "aws_s3_bucket_policy" "backups" {
  count = var.backups.enabled ? 1 : 0

  bucket = aws_s3_bucket.backups[0].id
  policy = data.aws_iam_policy_document.backups_bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.backups]
}

data "aws_iam_policy_document" "backups_user" {
  for_each = local.backups_users

  dynamic "statement" {
    for_each = each.key == "writer" ? [1] : []

    content {
      sid       = "PutArchives"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.backups[0].arn}/${var.backups.prefix}/*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "reader" ? [1] : []

    content {
      sid       = "ListArchives"
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.backups[0].arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.backups.prefix}/*"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "reader" ? [1] : []

    content {
      sid       = "GetArchives"
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.backups[0].arn}/${var.backups.prefix}/*"]
    }
  }
}

resource "aws_iam_user" "backups" {
  for_each = local.backups_users

  name = "${var.name}-mongodb-backup-${each.key}"
  path = "/k3s/"

  tags = local.tags
}

resource "aws_iam_user_policy" "backups" {
  for_each = local.backups_users

  name   = "mongodb-backup-${each.key}"
  user   = aws_iam_user.backups[each.key].name
  policy = data.aws_iam_policy_document.backups_user[each.key].json
}

resource "aws_iam_access_key" "backups" {
  for_each = local.backups_users

  user = aws_iam_user.backups[each.key].name
}

# {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}: the keys of the Secret the CronJob reads
# (backup.credentialsSecret), so `kubectl create secret generic --from-env-file` can take it as is.
resource "aws_ssm_parameter" "backups_credentials" {
  for_each = local.backups_users

  name        = "${local.ssm_parameter_prefix}/mongodb-backup-${each.key}-credentials"
  description = "Access key of the MongoDB backup ${each.key} of ${var.name}"
  type        = "SecureString"
  value = jsonencode({
    AWS_ACCESS_KEY_ID     = aws_iam_access_key.backups[each.key].id
    AWS_SECRET_ACCESS_KEY = aws_iam_access_key.backups[each.key].secret
  })

  tags = local.tags
}
