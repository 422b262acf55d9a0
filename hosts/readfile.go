package hosts

import (
	"io"
	"os"
)

// ReadFileUpTo reads path, but at most max+1 bytes of it, so that a caller
// tells a file larger than max (len > max) without reading it whole. A
// file someone else can grow (an ssh_config include, the drills file) then
// never decides how much we allocate.
func ReadFileUpTo(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}
