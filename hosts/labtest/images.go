package labtest

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// QcowImage makes a qcow2 image of 256 MiB virtual size holding dataMiB of
// patterned data (0x5a) with the real qemu-img and qemu-io (qemu-utils,
// installed by lab.sh install) and returns its bytes.
func QcowImage(t testing.TB, dataMiB int) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img.qcow2")
	for _, c := range [][]string{
		{"qemu-img", "create", "-q", "-f", "qcow2", p, "256M"},
		{"qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 " + strconv.Itoa(dataMiB) + "M", p},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("labtest: %v: %v\n%s", c, err, out)
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("labtest: %v", err)
	}
	return b
}

// CorruptQcowRefcount returns a copy of a qcow2 image (made by QcowImage)
// whose last cluster, a data cluster, has refcount 0: metadata corruption
// that "qemu-img check" reports with exit 2.
func CorruptQcowRefcount(t testing.TB, img []byte) []byte {
	t.Helper()
	out := slices.Clone(img)
	table := binary.BigEndian.Uint64(out[48:56])
	block := binary.BigEndian.Uint64(out[table : table+8])
	idx := uint64(len(out))/65536 - 1
	if binary.BigEndian.Uint16(out[block+2*idx:]) != 1 {
		t.Fatalf("labtest: cluster %d of the image is not in use", idx)
	}
	binary.BigEndian.PutUint16(out[block+2*idx:], 0)
	return out
}
