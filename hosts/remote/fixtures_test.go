package remote

import "strings"

// Sample host output the parser tests read.
var (
	hashA = strings.Repeat("ab", 32)
	hashB = strings.Repeat("cd", 32)
)

const (
	qemuCleanOut = "No errors were found on the image.\n" +
		"29491/32768 = 90.00% allocated, 1.50% fragmented, 0.00% compressed clusters\nImage end offset: 1933000704\n"
	dfHeader      = "Filesystem 1-blocks Used Available Capacity Mounted on\n"
	memInfoSample = "MemTotal:       104857600 kB\nMemFree:         1048576 kB\nMemAvailable:   52428800 kB\nBuffers:          1024 kB\n"
)
