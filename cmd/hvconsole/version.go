package main

import (
	"runtime/debug"
	"strings"
)

// version may be set at build time with -ldflags "-X main.version=...";
// otherwise versionText reads the module version and the VCS stamp the Go
// toolchain embeds in every binary it builds.
var version = ""

// versionText is "v1.2.0 (rev 1a2b3c4d5e6f, 2026-11-27T03:00:00Z)", with
// "modified" when the tree had uncommitted changes; the parts the build
// info lacks are left out ("(devel)" is how `go build` names a checkout).
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return orText(version, "unknown (no build info)")
	}
	return describeBuild(version, info)
}

func describeBuild(override string, info *debug.BuildInfo) string {
	v := orText(override, info.Main.Version)
	v = orText(v, "(devel)")
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var parts []string
	if rev != "" {
		parts = append(parts, "rev "+rev[:min(len(rev), 12)])
	}
	if at != "" {
		parts = append(parts, at)
	}
	if modified {
		parts = append(parts, "modified")
	}
	if len(parts) == 0 {
		return v
	}
	return v + " (" + strings.Join(parts, ", ") + ")"
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
