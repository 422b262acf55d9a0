package probes

import (
	"errors"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

func FuzzParseKVMFacts(f *testing.F) {
	f.Add("kvm_dev=present\nkvm_access=rw\nkvm_module=kvm_intel\n")
	f.Add("kvm_dev=absent\nkvm_access=denied\n")
	f.Add("\xff\x00")
	f.Fuzz(func(t *testing.T, out string) {
		got, err := remote.ParseKVMFacts(out)
		if err != nil {
			if !errors.Is(err, remote.ErrUnparseable) {
				t.Fatalf("error not ErrUnparseable: %v", err)
			}
			return
		}
		for _, m := range got.Modules {
			if m != "kvm" && m != "kvm_intel" && m != "kvm_amd" {
				t.Fatalf("module %q accepted", m)
			}
		}
		if r := kvmResult(testHost("h"), got, nil, 0, testTime); r.Status != OK && r.Status != CRIT {
			t.Fatalf("parsed facts rated %v", r.Status)
		}
	})
}
