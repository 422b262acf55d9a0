package remote

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"
)

// The domain XML is built by encoding/xml: a hostile overlay path is data,
// never markup; the domain has the agent channel and no interface.
func TestDrillDomainXML(t *testing.T) {
	overlay := `/var/tmp/a</source><interface type='network'/>&x/hvconsole-drill-1/overlay.qcow2`
	doc, err := DrillDomainXML(DrillDomain{Name: "hvconsole-drill-web-0123abcd", Overlay: overlay, Arch: "x86_64", MemoryMiB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Type    string `xml:"type,attr"`
		Name    string `xml:"name"`
		Devices struct {
			Disks []struct {
				Source struct {
					File string `xml:"file,attr"`
				} `xml:"source"`
			} `xml:"disk"`
			Interfaces []struct{} `xml:"interface"`
			Channels   []struct {
				Target struct {
					Name string `xml:"name,attr"`
				} `xml:"target"`
			} `xml:"channel"`
		} `xml:"devices"`
	}
	if err := xml.Unmarshal([]byte(doc), &back); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	switch {
	case back.Type != "kvm" || back.Name != "hvconsole-drill-web-0123abcd":
		t.Errorf("type %q name %q", back.Type, back.Name)
	case len(back.Devices.Disks) != 1 || back.Devices.Disks[0].Source.File != overlay:
		t.Errorf("disks %+v, want the one overlay", back.Devices.Disks)
	case len(back.Devices.Interfaces) != 0 || strings.Contains(doc, "<interface"):
		t.Errorf("the drill domain has a network interface:\n%s", doc)
	case len(back.Devices.Channels) != 1 || back.Devices.Channels[0].Target.Name != GuestAgentChannel:
		t.Errorf("channels %+v, want the guest agent's", back.Devices.Channels)
	}
}

func TestDrillDomainXMLRefuses(t *testing.T) {
	good := DrillDomain{Name: "hvconsole-drill-web-0123abcd", Overlay: "/var/tmp/hvconsole-drill-1/overlay.qcow2", Arch: "x86_64", MemoryMiB: 512}
	tests := map[string]func(*DrillDomain){
		"real guest's name": func(d *DrillDomain) { d.Name = "web" },
		"relative overlay":  func(d *DrillDomain) { d.Overlay = "overlay.qcow2" },
		"quote in overlay":  func(d *DrillDomain) { d.Overlay = `/var/tmp/"x` },
		"odd arch":          func(d *DrillDomain) { d.Arch = "x86 64" },
		"no memory":         func(d *DrillDomain) { d.MemoryMiB = 0 },
	}
	if _, err := DrillDomainXML(good); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range tests {
		d := good
		mutate(&d)
		if _, err := DrillDomainXML(d); !errors.Is(err, ErrBadArgument) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestDrillDomainName(t *testing.T) {
	tests := []struct{ spec, random, want string }{
		{"web", "0123abcd", "hvconsole-drill-web-0123abcd"},
		{"Nightly DB/qcow2", "0123abcd", "hvconsole-drill-nightly-db-qcow2-0123abcd"},
		{"x", "not-hex!", ""},
		{"", "0123abcd", ""},
	}
	for _, tt := range tests {
		got, err := DrillDomainName(tt.spec, tt.random)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("DrillDomainName(%q, %q) = %q, %v; want %q", tt.spec, tt.random, got, err, tt.want)
		}
	}
}

func TestDrillOverlayCommand(t *testing.T) {
	cmd, err := DrillOverlayCommand("/var/tmp/it's", "7", true, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := `qemu-img create -q -f qcow2 -F qcow2 -b '/var/tmp/it'\''s/hvconsole-drill-7/image' '/var/tmp/it'\''s/hvconsole-drill-7/overlay.qcow2'`
	if !strings.HasPrefix(cmd, "timeout -k 5 60 prlimit ") || !strings.HasSuffix(cmd, want) {
		t.Errorf("overlay command:\n%s", cmd)
	}
	if raw, _ := DrillOverlayCommand("/var/tmp", "7", false, time.Minute); !strings.Contains(raw, " -F raw ") {
		t.Errorf("raw image: %s", raw)
	}
	for _, bad := range [][2]string{{"/", "7"}, {"/var/tmp", "../x"}, {"tmp", "7"}} {
		if _, err := DrillOverlayCommand(bad[0], bad[1], true, time.Minute); !errors.Is(err, ErrBadArgument) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// L2 restores like L1 but keeps the copy when (and only when) the script
// reached its end, in a folder QEMU's user can enter but not list.
func TestDrillCommandL2KeepsTheCopy(t *testing.T) {
	s := DrillSpec{ID: "7", File: "/srv/b/n.qcow2", Level: DrillL2, QCOW2: true, RestoreDir: "/var/tmp", ToolTimeout: time.Minute}
	cmd, err := DrillCommand(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"umask 077; keep=0\n", `trap '[ "$keep" = 1 ] || cleanup' EXIT`, `chmod 711 -- "$d"`,
		"keep=1\necho \"@@t end", `trap 'cleanup; exit 130' HUP INT TERM PIPE`, "qemu-img compare"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("L2 script lacks %q:\n%s", want, cmd)
		}
	}
	s.Level = DrillL1
	l1, _ := DrillCommand(s)
	if strings.Contains(l1, "keep") || strings.Contains(l1, "chmod") || !strings.Contains(l1, "trap cleanup EXIT") {
		t.Errorf("L1 script changed:\n%s", l1)
	}
}

const kvmCaps = `<capabilities><host><cpu><arch>x86_64</arch></cpu></host>
<guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/><domain type='kvm'/></arch></guest>
<guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest>
</capabilities>`

func TestParseKVMArch(t *testing.T) {
	tcg := strings.ReplaceAll(kvmCaps, "<domain type='kvm'/>", "")
	tests := []struct {
		name, caps, want string
		err              error
	}{
		{"host arch preferred", kvmCaps, "x86_64", nil},
		{"TCG only", tcg, "", ErrNoKVM},
		{"other arch", strings.Replace(kvmCaps, "<arch>x86_64</arch>", "<arch>aarch64</arch>", 1), "i686", nil},
		{"xen guest is not hvm kvm", `<capabilities><guest><os_type>xen</os_type><arch name='x86_64'><domain type='kvm'/></arch></guest></capabilities>`, "", ErrNoKVM},
		{"garbage", "<capabilities", "", ErrUnparseable},
		{"hostile arch", `<capabilities><guest><os_type>hvm</os_type><arch name='x86_64&quot;/&gt;&lt;evil'><domain type='kvm'/></arch></guest></capabilities>`, "", ErrNoKVM},
	}
	for _, tt := range tests {
		got, err := ParseKVMArch(tt.caps)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: got %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestParseAgentReply(t *testing.T) {
	tests := []struct {
		reply string
		err   error
		text  string
	}{
		{`{"return":{}}`, nil, ""},
		{`{"return": {}}` + "\n", nil, ""},
		{`{"error":{"class":"CommandNotFound","desc":"The command guest-ping has not been found"}}`, ErrAgentError, "CommandNotFound"},
		{`{"error":{"class":"\u001b[31mX","desc":"d"}}`, ErrAgentError, "X: d"},
		{`{}`, ErrUnparseable, ""},
		{`not json`, ErrUnparseable, ""},
		{strings.Repeat(" ", maxAgentReply+1), ErrUnparseable, ""},
	}
	for _, tt := range tests {
		err := ParseAgentReply(tt.reply)
		if !errors.Is(err, tt.err) || (err != nil && !strings.Contains(err.Error(), tt.text)) {
			t.Errorf("%.40q: err = %v, want %v containing %q", tt.reply, err, tt.err, tt.text)
		}
		if err != nil && strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%.40q: control character in %q", tt.reply, err)
		}
	}
}

func FuzzParseAgentReply(f *testing.F) {
	f.Add(`{"return":{}}`)
	f.Add(`{"error":{"class":"GenericError","desc":"x"}}`)
	f.Add(`{"return":null,"error":null}`)
	f.Fuzz(func(t *testing.T, in string) {
		err := ParseAgentReply(in)
		if err != nil && !errors.Is(err, ErrAgentError) && !errors.Is(err, ErrUnparseable) {
			t.Errorf("%q: unclassified error %v", in, err)
		}
	})
}

func FuzzParseKVMArch(f *testing.F) {
	f.Add(kvmCaps)
	f.Add(`<capabilities><guest><os_type>hvm</os_type><arch name='aarch64'><domain type='kvm'/></arch></guest></capabilities>`)
	f.Fuzz(func(t *testing.T, in string) {
		arch, err := ParseKVMArch(in)
		if err == nil && !archRE.MatchString(arch) {
			t.Errorf("%q: architecture %q not safe for the domain XML", in, arch)
		}
	})
}
