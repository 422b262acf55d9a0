package sshx

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// knownHostsRecheck is how often, at most, a known_hosts file is stat'ed
// to notice that it changed on disk. Connections in between use the parsed
// copy: a connect never reads the disk, and an edited file (a host key fixed
// after a mismatch) is picked up within this delay, without a restart.
const knownHostsRecheck = time.Second

// knownHostsCache holds every known_hosts file a Pool uses, each parsed
// once and shared by all its connections. It is safe for concurrent use.
type knownHostsCache struct {
	// now and stat are the clock and os.Stat; tests swap them.
	now  func() time.Time
	stat func(string) (os.FileInfo, error)

	mu     sync.Mutex
	files  map[string]*cachedFile
	parses int // files parsed so far, for tests
}

// cachedFile is one path's parsed contents and the identity of the file
// they were read from.
type cachedFile struct {
	mu      sync.Mutex // one caller re-checks a file at a time
	parsed  *knownHostsFile
	err     error
	id      fileID
	checked time.Time // last stat
}

// fileID tells whether a file changed: a new inode (an editor's rename), a
// new size or a new modification time.
type fileID struct {
	dev, ino uint64
	size     int64
	mtime    time.Time
}

func newKnownHostsCache() *knownHostsCache {
	return &knownHostsCache{now: time.Now, stat: os.Stat, files: map[string]*cachedFile{}}
}

// get returns path parsed, re-reading it when it changed since the last
// check and that check is older than knownHostsRecheck.
func (c *knownHostsCache) get(path string) (*knownHostsFile, error) {
	c.mu.Lock()
	cf := c.files[path]
	if cf == nil {
		cf = &cachedFile{}
		c.files[path] = cf
	}
	c.mu.Unlock()

	cf.mu.Lock()
	defer cf.mu.Unlock()
	now := c.now()
	if !cf.checked.IsZero() && now.Sub(cf.checked) < knownHostsRecheck {
		return cf.parsed, cf.err
	}
	cf.checked = now
	fi, err := c.stat(path)
	if err != nil {
		cf.parsed, cf.err, cf.id = nil, fmt.Errorf("sshx: known_hosts: %w", err), fileID{}
		return nil, cf.err
	}
	id := identify(fi)
	if cf.parsed != nil && id == cf.id {
		return cf.parsed, nil
	}
	cf.parsed, cf.err = c.parse(path)
	cf.id = id
	return cf.parsed, cf.err
}

func (c *knownHostsCache) parse(path string) (*knownHostsFile, error) {
	c.mu.Lock()
	c.parses++
	c.mu.Unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sshx: known_hosts: %w", err)
	}
	f, err := parseKnownHosts(path, data)
	if err != nil {
		return nil, fmt.Errorf("sshx: known_hosts: %w", err)
	}
	return f, nil
}

// parseCount is how many times a file was parsed.
func (c *knownHostsCache) parseCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parses
}

func identify(fi os.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), uint64(st.Ino)
	}
	return id
}
