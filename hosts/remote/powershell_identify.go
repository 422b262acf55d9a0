package remote

import "strings"

// Kinds of hvconsole's own PowerShell scripts, as IdentifyHyperVScript
// names them.
const (
	ScriptHypervisor = "hypervisor"
	ScriptVMs        = "vms"
	ScriptResources  = "resources"
	ScriptBackups    = "backups"
	ScriptJournal    = "journal"
	ScriptRestart    = "restart"
	ScriptSecurity   = "security"
	ScriptDrill      = "drill"
	ScriptVM         = "vm"
)

// HyperVScript is a script recognised as one of ours, with the values its
// builder was given.
type HyperVScript struct {
	Kind    string
	Paths   []string    // ScriptResources
	Backup  BackupQuery // ScriptBackups
	Service string      // ScriptRestart
	Drill   DrillSpec   // ScriptDrill (ID, File, Level, RestoreDir)
	VMOp    string      // ScriptVM: VMStart, VMResume or VMDestroy
	VM      string      // ScriptVM: the VM's name
}

// IdentifyHyperVScript recognises a decoded script that this package
// built: a constant script by exact comparison, a built one by reading its
// values and building it again, so only a byte-for-byte match counts. The
// simulated Hyper-V hosts (demo fleet and lab stand-in) answer only what it
// recognises, as a real host would run only what hvconsole sends.
func IdentifyHyperVScript(script string) (HyperVScript, bool) {
	switch script {
	case HyperVHypervisorScript:
		return HyperVScript{Kind: ScriptHypervisor}, true
	case HyperVVMsScript:
		return HyperVScript{Kind: ScriptVMs}, true
	case HyperVJournalScript:
		return HyperVScript{Kind: ScriptJournal}, true
	case HyperVSecurityScript:
		return HyperVScript{Kind: ScriptSecurity}, true
	}
	if paths, ok := rebuildResources(script); ok {
		return HyperVScript{Kind: ScriptResources, Paths: paths}, true
	}
	if spec, ok := rebuildBackups(script); ok {
		return HyperVScript{Kind: ScriptBackups, Backup: spec}, true
	}
	if d, ok := rebuildDrill(script); ok {
		return HyperVScript{Kind: ScriptDrill, Drill: d}, true
	}
	if op, name, ok := rebuildVM(script); ok {
		return HyperVScript{Kind: ScriptVM, VMOp: op, VM: name}, true
	}
	if svc, ok := rebuildRestart(script); ok {
		return HyperVScript{Kind: ScriptRestart, Service: svc}, true
	}
	return HyperVScript{}, false
}

func rebuildResources(script string) ([]string, bool) {
	_, rest, ok := strings.Cut(script, "$p=@(")
	if !ok {
		return nil, false
	}
	var paths []string
	for range MaxResourcePaths + 1 {
		if !strings.HasPrefix(rest, "'") {
			break
		}
		p, r, ok := psUnquote(rest)
		if !ok {
			return nil, false
		}
		paths, rest = append(paths, p), strings.TrimPrefix(r, ",")
	}
	again, err := HyperVResourcesScript(paths)
	return paths, err == nil && again == script
}

func rebuildBackups(script string) (BackupQuery, bool) {
	_, rest, ok := strings.Cut(script, "Get-ChildItem -Path ")
	if !ok {
		return BackupQuery{}, false
	}
	glob, _, ok := psUnquote(rest)
	if !ok {
		return BackupQuery{}, false
	}
	for _, verify := range []string{VerifyNone, VerifySHA256} {
		for _, wsb := range []bool{false, true} {
			spec := BackupQuery{Path: glob, Verify: verify, WSB: wsb}
			if again, err := HyperVBackupsScript(spec); err == nil && again == script {
				return spec, true
			}
		}
	}
	return BackupQuery{}, false
}

func rebuildRestart(script string) (string, bool) {
	_, rest, ok := strings.Cut(script, "Restart-Service -Name ")
	if !ok {
		return "", false
	}
	svc, _, ok := psUnquote(rest)
	if !ok {
		return "", false
	}
	again, err := HyperVRestartScript(svc)
	return svc, err == nil && again == script
}

// psUnquote reads the PowerShell single-quoted string (a doubled quote is
// one quote) at the start of s and returns it and the rest of s.
// Typographic quotes are not undone: validation refuses them, so a script
// holding one is not recognised.
func psUnquote(s string) (word, rest string, ok bool) {
	if !strings.HasPrefix(s, "'") {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] != '\'':
			b.WriteByte(s[i])
		case i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		default:
			return b.String(), s[i+1:], true
		}
	}
	return "", "", false
}
