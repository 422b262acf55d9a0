package confirm

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/tui/keytest"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// TestAnswer is the confirm rule the console and the command line share.
func TestAnswer(t *testing.T) {
	for _, tc := range []struct {
		hosts int
		want  string
	}{{0, "yes"}, {1, "yes"}, {2, "2"}, {3, "3"}, {1000, "1000"}} {
		if got := Answer(tc.hosts); got != tc.want {
			t.Errorf("Answer(%d) = %q, want %q", tc.hosts, got, tc.want)
		}
	}
}

func TestDialog(t *testing.T) {
	three := []Target{{"a", "systemctl restart -- 'x'"}, {"b", "sudo -n systemctl restart -- 'x'"}, {"c", "systemctl restart -- 'x'"}}
	tests := []struct {
		name    string
		targets []Target
		keys    []string
		want    Outcome
	}{
		{"enter cancels by default", three, []string{"enter"}, Cancelled},
		{"esc cancels", three, []string{"3", "tab", "esc"}, Cancelled},
		{"confirm without count stays open", three, []string{"tab", "enter"}, Open},
		{"wrong count stays open", three, []string{"4", "tab", "enter"}, Open},
		{"letters are not typed", three, []string{"t", "h", "r", "e", "e", "tab", "enter"}, Open},
		{"count fixed with backspace", three, []string{"4", "backspace", "3", "tab", "enter"}, Confirmed},
		{"one host needs no count", three[:1], []string{"tab", "enter"}, Confirmed},
		{"tab twice is back on cancel", three[:1], []string{"tab", "tab", "enter"}, Cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(theme.New(true, false), "Restart", "x", tt.targets)
			d.SetSize(80, 24)
			for _, k := range tt.keys {
				d, _ = d.Update(keytest.Press(k))
			}
			if d.Outcome() != tt.want {
				t.Fatalf("outcome %v, want %v", d.Outcome(), tt.want)
			}
			for i, l := range strings.Split(ansi.Strip(d.View()), "\n") {
				if w := ansi.StringWidth(l); w != 76 {
					t.Fatalf("line %d is %d wide: %q", i, w, l)
				}
			}
		})
	}
}

func TestWrapAndJoin(t *testing.T) {
	long := "sudo -n systemctl restart -- 'a-very-long-unit-name@instance.service'"
	for _, w := range []int{10, 20, 33, 80} {
		parts := Wrap(long, w)
		if strings.ReplaceAll(strings.Join(parts, ""), " ", "") != strings.ReplaceAll(long, " ", "") {
			t.Fatalf("Wrap(%d) lost text: %q", w, parts)
		}
		for _, p := range parts {
			if ansi.StringWidth(p) > w {
				t.Fatalf("Wrap(%d) part %q too wide", w, p)
			}
		}
	}
	names := []string{"kvm-01", "kvm-02", "kvm-03", "kvm-04", "kvm-05"}
	tests := []struct {
		width int
		want  string
	}{
		{80, "kvm-01, kvm-02, kvm-03, kvm-04, kvm-05"},
		{30, "kvm-01, kvm-02, kvm-03 +2 more"}, {29, "kvm-01, kvm-02 +3 more"},
		{12, "kvm-01 +4 more"},
	}
	for _, tt := range tests {
		if got := JoinLimited(names, tt.width, "…"); got != tt.want {
			t.Errorf("JoinLimited(%d) = %q, want %q", tt.width, got, tt.want)
		}
	}
}

// A Hyper-V restart shows the script its -EncodedCommand carries, decoded
// from the exact command sent, beside the opaque command itself.
// Regenerate with: go test ./tui/confirm -run TestGoldenHyperV -update.
func TestGoldenHyperV(t *testing.T) {
	cmd, err := remote.HyperVRestartCommand("vmms")
	if err != nil {
		t.Fatal(err)
	}
	d := New(theme.New(true, false), "Restart", "vmms", []Target{{"hv-01", cmd}})
	d.SetSize(80, 24)
	view := ansi.Strip(d.View())
	if !strings.Contains(view, "Restart-Service -Name 'vmms' -ErrorAction Stop") {
		t.Fatalf("the decoded script is not shown:\n%s", view)
	}
	golden.RequireEqual(t, []byte(view))
}

// Only a command that decodes exactly gets a script line; control
// characters in a decoded script are stripped like remote text.
func TestScriptLines(t *testing.T) {
	tests := []struct {
		name, cmd string
		want      []string
	}{
		{"plain command", "systemctl restart -- 'libvirtd'", nil},
		{"not base64", "powershell.exe -NoProfile -NonInteractive -EncodedCommand !!", nil},
		{"script", remote.EncodedCommand("a\r\n\nb\x1b[31m\n"), []string{"a", "b[31m"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ScriptLines(tc.cmd); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("ScriptLines = %q, want %q", got, tc.want)
			}
		})
	}
}
