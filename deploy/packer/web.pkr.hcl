# Bakes an AMI and its driftwarden manifest in one build: the provisioner runs `driftwarden bake`
# on the finished filesystem, and the manifest post-processor carries the result (with the AMI id)
# into packer-manifest.json, which `driftwarden manifest import` reads.
#
#   packer init . && packer build -var channel=web .
#   driftwarden manifest import packer-manifest.json
packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "channel" {
  type        = string
  default     = "web"
  description = "driftwarden channel: a newer image in the same channel supersedes older ones"
}

variable "driftwarden_version" {
  type    = string
  default = "0.1.0"
}

locals {
  timestamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "amazon-ebs" "web" {
  region        = var.region
  instance_type = "t3.small"
  ssh_username  = "admin"
  ami_name      = "${var.channel}-${local.timestamp}"
  source_ami_filter {
    filters = {
      name                = "debian-12-amd64-*"
      virtualization-type = "hvm"
    }
    owners      = ["136693071363"] # Debian
    most_recent = true
  }
  # What the manifest's launch section below promises: IMDSv2 only.
  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }
  tags = {
    role                   = var.channel
    "managed-by"           = "packer"
    "driftwarden:channel"  = var.channel
  }
}

build {
  sources = ["source.amazon-ebs.web"]

  # 1. Everything the image should contain (your own provisioning goes here).
  provisioner "shell" {
    inline = [
      "sudo apt-get update",
      "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y nginx nodejs npm",
      "sudo systemctl enable nginx",
    ]
  }

  # 2. driftwarden itself, for `bake` now and the agent on running instances later.
  provisioner "shell" {
    inline = [
      "sudo npm install --global driftwarden@${var.driftwarden_version}",
      "sudo install -d -m 0755 /etc/driftwarden",
    ]
  }
  provisioner "file" {
    sources     = ["../systemd/driftwarden-agent.service", "../systemd/driftwarden-agent.timer", "select.txt"]
    destination = "/tmp/"
  }
  provisioner "shell" {
    inline = [
      "sudo install -m 0644 /tmp/driftwarden-agent.service /tmp/driftwarden-agent.timer /etc/systemd/system/",
      "sudo install -m 0644 /tmp/select.txt /etc/driftwarden/select.txt",
      "sudo systemctl enable driftwarden-agent.timer",
    ]
  }

  # 3. Last step on the instance: describe the finished filesystem. Anything changed after this is drift.
  #    SOURCE_DATE_EPOCH is left unset so baking the same tree twice gives the same bytes.
  provisioner "shell" {
    inline = [
      "sudo driftwarden bake --root / --channel ${var.channel} --select /etc/driftwarden/select.txt --output /tmp/driftwarden-host.json",
    ]
  }
  provisioner "file" {
    direction   = "download"
    source      = "/tmp/driftwarden-host.json"
    destination = "driftwarden-host.json"
  }

  # 4. The manifest post-processor writes the AMI id per region (artifact_id); custom_data points
  #    driftwarden at the baked host section, relative to packer-manifest.json.
  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
    custom_data = {
      channel              = var.channel
      driftwarden_manifest = "driftwarden-host.json"
    }
  }
}
