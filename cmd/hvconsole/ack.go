package main

import (
	"github.com/hvconsole/hvconsole/attach"
	"github.com/hvconsole/hvconsole/tui"
)

// An attached console's acks go to its collectors (tui.AckRemote).
var _ tui.AckRemote = (*attach.Fleet)(nil)
