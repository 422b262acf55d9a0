// Package remote is the wire contract between hvconsole and a host: every
// command and PowerShell script we send is built here from constants and
// validated values (ValidUnit, ValidGlob, ValidPath, ValidWindowsPath),
// every answer is parsed here (the Parse functions, each fuzzed), and the
// text a host prints is cleaned here before anything shows it (Clean,
// CleanLine, CleanLog, and the per-rune rule Drop that the console applies
// again as it draws). The libvirt procedures we call are numbered here too
// (the Proc constants), for the probes' reply guard and the simulated
// daemon.
//
// It is a leaf: it imports nothing of ours and knows no statuses. The
// inventory (hosts) uses its validators, the probes build and parse with it,
// and the simulated fleet (hosts/simfleet) and the lab's powershell.exe
// stand-in (lab/powershell) read our commands back and answer them with it,
// so a command built here is the contract every host, real or simulated,
// answers.
package remote
