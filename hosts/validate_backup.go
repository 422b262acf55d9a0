package hosts

import (
	"slices"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// applyBackups overlays backup_interval's companion list: a table that
// writes backups replaces the inherited list entirely, so [defaults]
// backups apply only to hosts that define none.
func (ps *problems) applyBackups(s *settings, raw *rawSettings, prefix string) {
	if raw.Backups == nil {
		return
	}
	key := joinKey(prefix, "backups")
	list := make([]Backup, 0, len(*raw.Backups))
	var names []string
	for i := range *raw.Backups {
		b := ps.backup(joinIndex(key, i), &(*raw.Backups)[i])
		if b.Name != "" && slices.Contains(names, b.Name) {
			ps.atf(joinKey(joinIndex(key, i), "name"), "backup name %s used twice", quote(b.Name))
		}
		names = append(names, b.Name)
		list = append(list, b)
	}
	s.backups, s.backupsFrom = list, key
}

// backup validates one backup spec; name, path and max_age are required.
func (ps *problems) backup(key string, raw *rawBackup) Backup {
	b := Backup{Verify: remote.VerifyNone}
	if v, ok := ps.required(key, "name", raw.Name); ok {
		b.Name, _ = ps.validString(joinKey(key, "name"), &v, badName)
	}
	if v, ok := ps.required(key, "path", raw.Path); ok {
		b.Path, _ = ps.validString(joinKey(key, "path"), &v, badGlob)
	}
	if v, ok := ps.required(key, "max_age", raw.MaxAge); ok {
		b.MaxAge, _ = ps.duration(joinKey(key, "max_age"), v)
	}
	if raw.MinSize != nil {
		n, why := parseSize(*raw.MinSize)
		if why != "" {
			ps.at(joinKey(key, "min_size"), why)
		}
		b.MinSize = n
	}
	if raw.MinCount != nil {
		if *raw.MinCount < 0 {
			ps.atf(joinKey(key, "min_count"), "min_count %d must not be negative", *raw.MinCount)
		}
		b.MinCount = *raw.MinCount
	}
	if raw.Verify != nil {
		b.Verify, _ = ps.validString(joinKey(key, "verify"), raw.Verify, badVerify)
	}
	if raw.WSB != nil {
		b.WSB = *raw.WSB
	}
	if raw.Drill != nil {
		b.Drill, _ = ps.validString(joinKey(key, "drill"), raw.Drill, badDrill)
	}
	if raw.DrillMaxAge != nil {
		b.DrillMaxAge, _ = ps.duration(joinKey(key, "drill_max_age"), *raw.DrillMaxAge)
	}
	ps.drillBoot(&b, key, raw)
	return b
}

// backupsForKind checks the backup specs in force against the host's
// hypervisor kind, known only once every layer is applied: Hyper-V hosts
// need Windows paths, cannot run qemu-img and may ask for wsb; libvirt
// hosts need POSIX paths and have no Windows Server Backup. A problem is
// placed where the list was written, so [defaults] problems repeat per
// host only when they differ by kind.
func (ps *problems) backupsForKind(s settings) {
	for i, b := range s.backups {
		key := joinIndex(s.backupsFrom, i)
		if b.Path == "" {
			continue // already reported
		}
		hyperv := s.hypervisor == KindHyperV
		switch {
		case hyperv && !remote.ValidWindowsGlob(b.Path):
			ps.atOnce(joinKey(key, "path"), "backup path "+quote(b.Path)+" of a hyperv host: "+remote.WindowsPathProblem(b.Path, true))
		case !hyperv && !remote.ValidGlob(b.Path):
			ps.atOnce(joinKey(key, "path"), "backup path "+quote(b.Path)+" is not a POSIX path: Windows paths are for hypervisor = \"hyperv\" hosts")
		}
		if hyperv && b.Verify == remote.VerifyQemuImg {
			ps.atOnce(joinKey(key, "verify"), "verify \"qemu-img\" is not available on hyperv hosts: want \"none\" or \"sha256\"")
		}
		if !hyperv && b.WSB {
			ps.atOnce(joinKey(key, "wsb"), "wsb (Windows Server Backup) applies only to hypervisor = \"hyperv\" hosts")
		}
	}
}

// atOnce reports a problem at key unless the same one is already reported.
func (ps *problems) atOnce(key, reason string) {
	for _, p := range ps.list {
		if p.KeyPath == key && p.Reason == reason {
			return
		}
	}
	ps.at(key, reason)
}

// required returns a required key's value, reporting it when missing (and
// not already reported as being of the wrong type).
func (ps *problems) required(table, key string, v *string) (string, bool) {
	if v == nil {
		// Not reported when the key, or the whole table, had the wrong type.
		if path := joinKey(table, key); !ps.bad[path] && !ps.bad[table] {
			ps.at(path, "missing required key "+quote(key))
		}
		return "", false
	}
	return *v, true
}

// badGlob accepts a POSIX or a Windows glob here; which one a host needs
// is checked by backupsForKind once its hypervisor kind is known.
func badGlob(s string) string {
	if remote.ValidGlob(s) || remote.ValidWindowsGlob(s) {
		return ""
	}
	if len(s) >= 2 && s[1] == ':' {
		return "invalid Windows backup path " + quote(s) + ": " + remote.WindowsPathProblem(s, true)
	}
	return "invalid backup path " + quote(s) + ": want an absolute path of letters, digits, / . _ - @ + , = and the glob characters * ? [ ]"
}

func badVerify(s string) string {
	switch s {
	case remote.VerifyNone, remote.VerifySHA256, remote.VerifyQemuImg:
		return ""
	}
	return "unknown verify method " + quote(s) + ": want " + quote(remote.VerifyNone) + ", " + quote(remote.VerifySHA256) + " or " + quote(remote.VerifyQemuImg)
}

func badDrill(s string) string {
	if s == DrillRestore || s == DrillBoot {
		return ""
	}
	return "unknown drill level " + quote(s) + ": want " + quote(DrillRestore) + " or " + quote(DrillBoot)
}
