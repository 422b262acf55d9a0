package fleet

import (
	"strings"

	"github.com/hvconsole/hvconsole/probes"
)

// Filter is a parsed filter expression: whitespace-separated terms that
// must all match. "status:crit" (any status word, or "pending") matches the
// host status, "tag:X" a tag exactly (case-insensitive), "site:X" the
// site exactly, and any other term a substring of the name, a tag or the
// site.
type Filter struct {
	text     string
	statuses []statusTerm
	tags     []string
	sites    []string
	subs     []string
}

type statusTerm struct {
	status  probes.Status
	pending bool
}

// ParseFilter parses the filter text. An unknown status word matches no
// host rather than being ignored, so a typo shows an empty table instead of
// a misleadingly full one.
func ParseFilter(text string) Filter {
	f := Filter{text: text}
	for _, term := range strings.Fields(strings.ToLower(text)) {
		switch {
		case strings.HasPrefix(term, "status:"):
			word := strings.TrimPrefix(term, "status:")
			if word == "pending" {
				f.statuses = append(f.statuses, statusTerm{pending: true})
				continue
			}
			if word == "" {
				continue // still being typed
			}
			s, err := probes.ParseStatus(word)
			if err != nil {
				s = probes.Status(-1)
			}
			f.statuses = append(f.statuses, statusTerm{status: s})
		case strings.HasPrefix(term, "tag:"):
			if t := strings.TrimPrefix(term, "tag:"); t != "" {
				f.tags = append(f.tags, t)
			}
		case strings.HasPrefix(term, "site:"):
			if s := strings.TrimPrefix(term, "site:"); s != "" {
				f.sites = append(f.sites, s)
			}
		default:
			f.subs = append(f.subs, term)
		}
	}
	return f
}

// Text is the filter as typed.
func (f Filter) Text() string { return f.text }

// Empty reports a filter that matches every host.
func (f Filter) Empty() bool { return len(f.statuses)+len(f.tags)+len(f.sites)+len(f.subs) == 0 }

// Match reports whether the host passes every term.
func (f Filter) Match(h *Host) bool {
	for _, s := range f.statuses {
		if s.pending != h.Pending() || (!s.pending && s.status != h.Status()) {
			return false
		}
	}
	for _, t := range f.tags {
		if !containsExact(h.lowerTags, t) {
			return false
		}
	}
	for _, s := range f.sites {
		if h.lowerSite != s {
			return false
		}
	}
	for _, sub := range f.subs {
		if !strings.Contains(h.lowerName, sub) && !containsSub(h.lowerTags, sub) && !strings.Contains(h.lowerSite, sub) {
			return false
		}
	}
	return true
}

// dependsOnStatus reports whether a status change can change the match.
func (f Filter) dependsOnStatus() bool { return len(f.statuses) > 0 }

func containsExact(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsSub(list []string, s string) bool {
	for _, v := range list {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}
