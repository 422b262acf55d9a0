package hosts

import "strings"

// match evaluates a Match line. The criteria are ANDed: one that is known
// false makes the block inactive even when another cannot be evaluated.
func (ev *sshEval) match(args []string, where string) sshBlock {
	if len(args) == 0 {
		return sshBlock{unknown: where + ": Match without criteria"}
	}
	active, unknown := true, ""
	for i := 0; i < len(args); i++ {
		// The criterion is cut from its argument before lowering: lowering
		// may change the length of invalid UTF-8, so offsets into the lowered
		// text do not fit the original (a fuzz crasher).
		crit, negate := args[i], false
		if rest, ok := strings.CutPrefix(crit, "!"); ok {
			crit, negate = rest, true
		}
		arg, hasArg := "", false
		if k, v, ok := strings.Cut(crit, "="); ok {
			crit, arg, hasArg = k, v, true
		}
		crit = strings.ToLower(crit)
		switch crit {
		case "all":
			continue
		case "final":
			ev.sawFinal = true
			active = active && ev.final != negate
			continue
		}
		if !hasArg {
			if i+1 >= len(args) {
				return sshBlock{unknown: where + ": Match " + crit + " without an argument"}
			}
			i++
			arg = args[i]
		}
		ok, known := ev.criterion(crit, arg)
		switch {
		case !known && unknown == "":
			unknown = where + ": Match " + crit + " cannot be evaluated without running ssh (ssh_config = \"ssh\" does)"
		case known && ok == negate:
			active = false
		}
	}
	if !active {
		return sshBlock{}
	}
	if unknown != "" {
		return sshBlock{unknown: unknown}
	}
	return sshBlock{active: true}
}

// criterion evaluates one Match criterion; known is false for those only
// ssh can evaluate (exec runs a command; canonical needs DNS; others are
// newer than this parser).
func (ev *sshEval) criterion(crit, arg string) (ok, known bool) {
	switch crit {
	case "host":
		host := ev.q.alias
		if v := ev.vals[kwHostName]; len(v) > 0 {
			host = strings.ReplaceAll(v[0], "%h", ev.q.alias)
		}
		return matchPatternList(strings.ToLower(host), strings.Split(arg, ",")), true
	case "originalhost":
		return matchPatternList(strings.ToLower(ev.q.alias), strings.Split(arg, ",")), true
	case "user":
		u := ev.localUser
		if v := ev.vals[kwUser]; len(v) > 0 {
			u = v[0]
		}
		return matchPatternList(u, strings.Split(arg, ",")), true
	case "localuser":
		return matchPatternList(ev.localUser, strings.Split(arg, ",")), true
	}
	return false, false
}

// matchPatternList applies an ssh pattern list: any negated pattern that
// matches rejects; otherwise any plain pattern that matches accepts.
func matchPatternList(s string, patterns []string) bool {
	found := false
	for _, p := range patterns {
		p = strings.ToLower(p)
		if neg, ok := strings.CutPrefix(p, "!"); ok {
			if globMatch(neg, s) {
				return false
			}
			continue
		}
		if globMatch(p, s) {
			found = true
		}
	}
	return found
}

// globMatch is ssh's pattern match: '*' any run, '?' one character, every
// other character literal. The backtracking loop is bounded by
// len(p)*len(s).
func globMatch(p, s string) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// splitSSHLine splits one ssh_config line into its lower-case keyword and
// arguments: "Key value", "Key=value" and "Key = value" are all accepted,
// double quotes group words, and a word starting with '#' starts a comment.
func splitSSHLine(line string) (string, []string) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return strings.ToLower(line), nil
	}
	kw, rest := strings.ToLower(line[:end]), strings.TrimLeft(line[end:], " \t")
	if r, ok := strings.CutPrefix(rest, "="); ok {
		rest = r
	}
	return kw, splitSSHArgs(rest)
}

func splitSSHArgs(s string) []string {
	var out []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case !quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case !quoted && !inWord && c == '#':
			return out
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
