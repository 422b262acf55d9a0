package hosts

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoad1000Hosts measures loading a large inventory (decode, index,
// validation, jump resolution); startup cost grows with the fleet.
func BenchmarkLoad1000Hosts(b *testing.B) {
	var doc strings.Builder
	doc.WriteString("[defaults]\nuser = \"ops\"\n[[hosts]]\nname = \"bastion\"\naddress = \"10.0.0.1\"\n")
	for i := range 1000 {
		fmt.Fprintf(&doc, "[[hosts]]\nname = \"kvm-%04d\"\naddress = \"10.1.%d.%d\"\ntags = [\"rack-%d\"]\njump = \"bastion\"\n",
			i, i/250, i%250+1, i%20)
	}
	path := writeConfig(b, doc.String())
	opts := hermetic()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadWith(path, opts); err != nil {
			b.Fatal(err)
		}
	}
}
