package hosts

import (
	"bytes"
	"errors"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// The raw structs mirror the file. Every optional key is a pointer so that
// "not written" differs from "written as zero": defaults fill only what is
// absent, and a bad value is reported, never replaced. Durations and sizes
// are strings here and are converted during validation, where each key's
// position is still known.

type rawConfig struct {
	ReadOnly          *bool        `toml:"read_only"`
	Bell              *bool        `toml:"bell"`
	AuditLog          *string      `toml:"audit_log"`
	MaxHandshakes     *int         `toml:"max_handshakes"`
	KeepaliveInterval *string      `toml:"keepalive_interval"`
	TCPKeepalive      *string      `toml:"tcp_keepalive"`
	SSHConfig         *string      `toml:"ssh_config"`
	HostKeyRecheck    *string      `toml:"host_key_recheck"`
	Defaults          *rawSettings `toml:"defaults"`
	Hosts             []rawHost    `toml:"hosts"`
	Serve             *rawServe    `toml:"serve"`
	Alerting          *rawAlerting `toml:"alerting"`
}

// rawSettings are the keys of [defaults], each also allowed in [[hosts]]
// (except concurrency, which is global).
type rawSettings struct {
	User           *string      `toml:"user"`
	Port           *int         `toml:"port"`
	IdentityFiles  *[]string    `toml:"identity_files"`
	UseAgent       *bool        `toml:"use_agent"`
	KnownHosts     *[]string    `toml:"known_hosts"`
	ConnectTimeout *string      `toml:"connect_timeout"`
	ProbeTimeout   *string      `toml:"probe_timeout"`
	ProbeInterval  *string      `toml:"probe_interval"`
	Concurrency    *int         `toml:"concurrency"`
	Hypervisor     *string      `toml:"hypervisor"`
	LibvirtSocket  *string      `toml:"libvirt_socket"`
	LibvirtURI     *string      `toml:"libvirt_uri"`
	Units          *[]string    `toml:"units"`
	Services       *[]string    `toml:"services"`
	Sudo           *bool        `toml:"sudo"`
	Checks         *[]string    `toml:"checks"`
	BackupInterval *string      `toml:"backup_interval"`
	Backups        *[]rawBackup `toml:"backups"`
	ImagePaths     *[]string    `toml:"image_paths"`
	MemFreeWarn    *string      `toml:"mem_free_warn"`
	MemFreeCrit    *string      `toml:"mem_free_crit"`
	DiskUseWarn    *string      `toml:"disk_use_warn"`
	DiskUseCrit    *string      `toml:"disk_use_crit"`
	LoadPerCPUWarn *float64     `toml:"load_per_cpu_warn"`
	SecurityCrit   *[]string    `toml:"security_crit"`
	SecurityIgnore *[]string    `toml:"security_ignore"`
	RestoreDir     *string      `toml:"restore_dir"`
	DrillRateMiB   *int         `toml:"drill_rate_mib"`
	VMActions      *[]string    `toml:"vm_actions"`
}

type rawHost struct {
	Name    *string   `toml:"name"`
	Address *string   `toml:"address"`
	Tags    *[]string `toml:"tags"`
	Jump    *string   `toml:"jump"`
	rawSettings
}

type rawBackup struct {
	Name     *string `toml:"name"`
	Path     *string `toml:"path"`
	MaxAge   *string `toml:"max_age"`
	MinSize  *string `toml:"min_size"`
	MinCount *int    `toml:"min_count"`
	Verify   *string `toml:"verify"`
	WSB      *bool   `toml:"wsb"`
	// Drill and DrillMaxAge: see Backup.
	Drill       *string `toml:"drill"`
	DrillMaxAge *string `toml:"drill_max_age"`
	// DrillBootTimeout and DrillBootMemoryMiB: see Backup.
	DrillBootTimeout   *string `toml:"drill_boot_timeout"`
	DrillBootMemoryMiB *int    `toml:"drill_boot_memory_mib"`
}

// decodeRaw decodes the document strictly. ok is false when nothing useful
// could be decoded (a TOML syntax error); the problems say why.
//
// go-toml's strict mode collects every unknown key, but it stops at the
// first value of the wrong type. When that happens the document is decoded
// again, leniently, into a map, and assignRaw rebuilds the raw config from
// it while reporting every wrong type and unknown key with its position.
// Limit: a TOML syntax error (or a key defined twice) stops go-toml's
// parser, so only that first error is reported.
func decodeRaw(data []byte, ps *problems) (*rawConfig, bool) {
	var raw rawConfig
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&raw)
	var missing *toml.StrictMissingError
	if err == nil || errors.As(err, &missing) {
		if missing != nil {
			for i := range missing.Errors {
				ps.unknownKey(&missing.Errors[i])
			}
		}
		return &raw, true
	}
	var generic map[string]any
	if lerr := toml.Unmarshal(data, &generic); lerr != nil {
		ps.decodeError(err)
		return nil, false
	}
	raw = rawConfig{}
	before := len(ps.list)
	assignRaw(&raw, generic, ps)
	if len(ps.list) == before {
		// The lenient pass saw nothing wrong, yet strict decoding failed:
		// report go-toml's own words rather than lose the problem.
		ps.decodeError(err)
	}
	return &raw, true
}

// unknownKey reports one key go-toml's strict mode found no field for.
func (ps *problems) unknownKey(e *toml.DecodeError) {
	line, col := e.Position()
	pos := Pos{Line: line, Col: col}
	path, ok := ps.idx.byKeyPos[pos]
	if !ok {
		for _, k := range e.Key() {
			path = joinKey(path, k)
		}
	}
	ps.list = append(ps.list, Problem{Pos: pos, KeyPath: path, Reason: unknownKeyReason(path, lastKey(e.Key()))})
}

// decodeError reports an error go-toml could not get past.
func (ps *problems) decodeError(err error) {
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		ps.list = append(ps.list, Problem{Reason: err.Error()})
		return
	}
	line, col := de.Position()
	var path string
	for _, k := range de.Key() {
		path = joinKey(path, k)
	}
	reason := strings.TrimPrefix(de.Error(), "toml: ")
	ps.list = append(ps.list, Problem{Pos: Pos{Line: line, Col: col}, KeyPath: path, Reason: reason})
}

func lastKey(k toml.Key) string {
	if len(k) == 0 {
		return ""
	}
	return k[len(k)-1]
}

// unknownKeyReason words an unknown key at path, suggesting the nearest
// key allowed there; secrets get a pointed answer since the config never
// holds them.
func unknownKeyReason(path, key string) string {
	switch strings.ToLower(key) {
	case "password", "passphrase", "secret":
		return "unknown key " + quote(key) + ": secrets never go in the config (use ssh-agent or key files)"
	}
	return "unknown key " + quote(key) + didYouMean(key, keysAt(path))
}
