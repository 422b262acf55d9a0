package remote

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEncodedCommandRoundTrip(t *testing.T) {
	for _, tc := range []struct{ name, script string }{
		{"ascii", "Get-VM"},
		{"empty", ""},
		{"bmp and astral", "Write-Output 'été 😀'"},
		{"newlines", "a\nb\r\nc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := EncodedCommand(tc.script)
			if !strings.HasPrefix(cmd, "powershell.exe -NoProfile -NonInteractive -EncodedCommand ") {
				t.Fatalf("prefix: %q", cmd)
			}
			got, ok := DecodeEncodedCommand(cmd)
			if !ok || got != tc.script {
				t.Fatalf("decode = %q, %v; want %q", got, ok, tc.script)
			}
		})
	}
}

func TestEncodedCommandKnownValue(t *testing.T) {
	// "dir" in UTF-16LE is 64 00 69 00 72 00, base64 ZABpAHIA, as
	// powershell.exe -EncodedCommand documents it.
	if got := EncodedCommand("dir"); got != psPrefix+"ZABpAHIA" {
		t.Fatalf("EncodedCommand(dir) = %q", got)
	}
}

func TestDecodeEncodedCommandRefuses(t *testing.T) {
	for _, cmd := range []string{
		"", "Get-VM", "powershell.exe -EncodedCommand ZABpAHIA",
		psPrefix + "!!!", psPrefix + "ZABpAHI", // odd byte count
		psPrefix + "ZABpAHIA; rm -rf /",
		psPrefix + "ANg=", // a lone surrogate
	} {
		if s, ok := DecodeEncodedCommand(cmd); ok {
			t.Errorf("DecodeEncodedCommand(%q) = %q, want refusal", cmd, s)
		}
	}
}

func TestPSQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"vmms", "'vmms'"},
		{"it's", "'it''s'"},
		{"a\u2019b", "'a\u2019\u2019b'"},
		{"$x `y", "'$x `y'"},
	} {
		if got := PSQuote(tc.in); got != tc.want {
			t.Errorf("PSQuote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWindowsPathValidation(t *testing.T) {
	cases := []struct {
		in         string
		path, glob bool
	}{
		{`D:\Backups\vm1.vhdx`, true, true},
		{`c:\Hyper-V\Virtual Hard Disks`, true, true},
		{`D:\Backups\*.vhdx`, false, true},
		{`D:\Backups\vm[12]?.zip`, false, true},
		{`D:\`, true, true},
		{`\\server\share\x`, false, false},
		{`/srv/backups/*.qcow2`, false, false},
		{`D:Backups`, false, false},
		{`D:\it's`, false, false},
		{"D:\\a\u2019b", false, false},
		{`D:\"x"`, false, false},
		{`D:\$env:TEMP`, false, false},
		{"D:\\a`b", false, false},
		{"D:\\a\nb", false, false},
		{`D:\a\..\b`, false, false},
		{`D:\a:stream`, false, false},
		{`D:\a/b`, false, false},
		{`D:\a|b`, false, false},
		{`D:\` + strings.Repeat("x", MaxWindowsPath), false, false},
		{"D:\\\xff", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := ValidWindowsPath(tc.in); got != tc.path {
				t.Errorf("ValidWindowsPath = %v, want %v (%s)", got, tc.path, WindowsPathProblem(tc.in, false))
			}
			if got := ValidWindowsGlob(tc.in); got != tc.glob {
				t.Errorf("ValidWindowsGlob = %v, want %v (%s)", got, tc.glob, WindowsPathProblem(tc.in, true))
			}
		})
	}
}

// allHyperVScripts returns every script with arguments at their limits.
func allHyperVScripts(t *testing.T) map[string]string {
	t.Helper()
	long := `D:\` + strings.Repeat("p", MaxWindowsPath-3)
	paths := make([]string, MaxResourcePaths)
	for i := range paths {
		paths[i] = long[:len(long)-1] + string(rune('a'+i))
	}
	res, err := HyperVResourcesScript(paths)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := HyperVBackupsScript(BackupQuery{Path: long[:len(long)-1] + "*", Verify: VerifySHA256, WSB: true})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := HyperVRestartScript("vmms")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"hypervisor": HyperVHypervisorScript, "vms": HyperVVMsScript, "resources": res,
		"backups": bk, "restart": rs, "journal": HyperVJournalScript,
	}
}

func TestHyperVScriptsFitCmdExe(t *testing.T) {
	for name, s := range allHyperVScripts(t) {
		t.Run(name, func(t *testing.T) {
			if n := len(EncodedCommand(s)); n >= MaxCommandLine {
				t.Errorf("command is %d characters, cmd.exe takes at most %d", n, MaxCommandLine)
			}
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Error("script holds invalid text")
			}
		})
	}
}

func TestHyperVScriptsShape(t *testing.T) {
	for name, s := range allHyperVScripts(t) {
		t.Run(name, func(t *testing.T) {
			if !strings.HasPrefix(s, psPreamble) {
				t.Error("script lacks the preamble")
			}
			if name == "restart" || name == "journal" {
				return
			}
			if !strings.HasSuffix(s, "ConvertTo-Json -Compress -Depth 4\n") {
				t.Error("JSON script does not end with one ConvertTo-Json")
			}
			if strings.Count(s, "ConvertTo-Json") != 1 {
				t.Error("more than one JSON document")
			}
		})
	}
	if !strings.Contains(HyperVHypervisorScript, "bcdedit /enum '{current}'") {
		t.Error("{current} must be quoted for PowerShell")
	}
	if !strings.Contains(HyperVJournalScript, "-MaxEvents 200 ") || HyperVJournalEvents != 200 {
		t.Error("journal event count out of step with HyperVJournalEvents")
	}
}

func TestHyperVBuildersQuoteAndRefuse(t *testing.T) {
	res, err := HyperVResourcesScript([]string{`C:\VMs`, `D:\Hyper-V`})
	if err != nil || !strings.Contains(res, `$p=@('C:\VMs','D:\Hyper-V')`) {
		t.Errorf("resources script: %v\n%s", err, res)
	}
	if res, err := HyperVResourcesScript(nil); err != nil || !strings.Contains(res, "$p=@()\n") {
		t.Errorf("resources with no paths: %v", err)
	}
	bk, err := HyperVBackupsScript(BackupQuery{Path: `D:\Backups\*.vhdx`, Verify: VerifyNone})
	if err != nil || !strings.Contains(bk, `Get-ChildItem -Path 'D:\Backups\*.vhdx' `) ||
		strings.Contains(bk, "Get-FileHash") || strings.Contains(bk, "Get-WBSummary") {
		t.Errorf("backups script: %v\n%s", err, bk)
	}
	rs, err := HyperVRestartScript("vmms")
	if err != nil || !strings.Contains(rs, "Restart-Service -Name 'vmms' -ErrorAction Stop") {
		t.Errorf("restart script: %v\n%s", err, rs)
	}
	if cmd, err := HyperVRestartCommand("vmms"); err != nil || cmd != EncodedCommand(rs) {
		t.Errorf("restart command: %v", err)
	}
	for name, fn := range map[string]func() error{
		"restart quote":    func() error { _, err := HyperVRestartScript("vmms'; Stop-Computer; '"); return err },
		"restart dash":     func() error { _, err := HyperVRestartCommand("-Force"); return err },
		"resources posix":  func() error { _, err := HyperVResourcesScript([]string{"/var/lib"}); return err },
		"resources dollar": func() error { _, err := HyperVResourcesScript([]string{`C:\$x`}); return err },
		"resources many":   func() error { _, err := HyperVResourcesScript(make([]string, MaxResourcePaths+1)); return err },
		"backup quote":     func() error { _, err := HyperVBackupsScript(BackupQuery{Path: `D:\a'b\*`}); return err },
		"backup qemu-img": func() error {
			_, err := HyperVBackupsScript(BackupQuery{Path: `D:\a\*`, Verify: VerifyQemuImg})
			return err
		},
	} {
		if err := fn(); !errors.Is(err, ErrBadArgument) {
			t.Errorf("%s: err = %v, want ErrBadArgument", name, err)
		}
	}
}

func FuzzDecodeEncodedCommand(f *testing.F) {
	f.Add(EncodedCommand("Get-VM"))
	f.Add(psPrefix + "ANg=")
	f.Add("powershell.exe")
	f.Fuzz(func(t *testing.T, cmd string) {
		s, ok := DecodeEncodedCommand(cmd)
		if ok && EncodedCommand(s) != cmd {
			t.Fatalf("accepted %q that does not round-trip", cmd)
		}
	})
}

func FuzzWindowsPath(f *testing.F) {
	for _, s := range []string{`D:\Backups\*.vhdx`, `C:\`, `D:\a'b`, "D:\\a\u2019", `D:\..\x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !ValidWindowsGlob(p) {
			if ValidWindowsPath(p) {
				t.Fatalf("%q is a valid path but not a valid glob", p)
			}
			return
		}
		q := PSQuote(p)
		if strings.ContainsAny(q[1:len(q)-1], psSingleQuotes+psDoubleQuotes+"$`\n\r") {
			t.Fatalf("accepted %q puts PowerShell syntax in %s", p, q)
		}
		if _, err := HyperVBackupsScript(BackupQuery{Path: p}); err != nil {
			t.Fatalf("valid glob %q refused by the builder: %v", p, err)
		}
	})
}

// Every script the builders make is recognised with its values; a script
// with a byte changed, added or a value spliced in is not.
func TestIdentifyHyperVScript(t *testing.T) {
	res, err := HyperVResourcesScript([]string{`C:\VMs`, `D:\Hyper-V VMs`})
	if err != nil {
		t.Fatal(err)
	}
	bk, err := HyperVBackupsScript(BackupQuery{Path: `E:\Backups\*.vhdx`, Verify: VerifySHA256, WSB: true})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := HyperVRestartScript("vmms")
	if err != nil {
		t.Fatal(err)
	}
	ours := []struct {
		script string
		want   HyperVScript
	}{
		{HyperVHypervisorScript, HyperVScript{Kind: ScriptHypervisor}},
		{HyperVVMsScript, HyperVScript{Kind: ScriptVMs}},
		{HyperVJournalScript, HyperVScript{Kind: ScriptJournal}},
		{res, HyperVScript{Kind: ScriptResources, Paths: []string{`C:\VMs`, `D:\Hyper-V VMs`}}},
		{bk, HyperVScript{Kind: ScriptBackups, Backup: BackupQuery{Path: `E:\Backups\*.vhdx`, Verify: VerifySHA256, WSB: true}}},
		{rs, HyperVScript{Kind: ScriptRestart, Service: "vmms"}},
	}
	for _, tc := range ours {
		t.Run(tc.want.Kind, func(t *testing.T) {
			got, ok := IdentifyHyperVScript(tc.script)
			if !ok || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("IdentifyHyperVScript = %+v, %v; want %+v", got, ok, tc.want)
			}
			for _, bad := range []string{tc.script + ";Stop-Computer", "x" + tc.script, tc.script[:len(tc.script)-1]} {
				if got, ok := IdentifyHyperVScript(bad); ok {
					t.Errorf("an altered script was recognised as %+v", got)
				}
			}
		})
	}
	spliced := strings.Replace(rs, "'vmms'", "'vmms';Stop-Computer;'x'", 1)
	if _, ok := IdentifyHyperVScript(spliced); ok {
		t.Error("a restart with a command spliced into its service was recognised")
	}
}
