package simfleet

// hyperVHostConfig is the tail of a Hyper-V host's [[hosts]] entry: the
// kind, vmms as its service (the only one an operator may restart), the
// checks that apply to Windows, and a backup spec on its D:\Backups.
const hyperVHostConfig = `hypervisor = "hyperv"
units = ["vmms"]
services = ["vmms"]
checks = ["ssh", "hypervisor", "vms", "resources", "backups"]

[[hosts.backups]]
name = "nightly"
path = '` + HyperVBackupGlob + `'
max_age = "26h"
min_size = "1GiB"
verify = "sha256"
`
