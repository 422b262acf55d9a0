package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// psFailure is an error PowerShell itself would report, with the category
// and error id of its error record.
type psFailure struct{ msg, category, id string }

func (e *psFailure) Error() string { return e.msg }

// answer returns what a recognised script prints, from the scenario in dir.
// Most kinds print their file as it is; the VM list fails while vmms is not
// running (Get-VM needs it), as on Windows; a restart changes the scenario.
func answer(dir, kind, value string) (string, error) {
	switch kind {
	case kindVMs:
		return answerVMs(dir)
	case kindJournal:
		return readScenario(dir, "journal.txt")
	case kindRestart:
		return "", restartService(dir, value, time.Now())
	case kindVM:
		op, name, _ := strings.Cut(value, " ")
		return "", vmOp(dir, op, name)
	}
	return readScenario(dir, kind+".json")
}

// readScenario returns a scenario file with Windows line ends.
func readScenario(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", scenarioError(dir, err)
	}
	text := strings.TrimRight(string(b), "\r\n")
	if text == "" {
		return "", nil
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return strings.Join(lines, "\r\n") + "\r\n", nil
}

func scenarioError(dir string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("hvlab stand-in: no scenario in %s (install one with lab.sh hyperv N SCENARIO): %w", dir, err)
	}
	return fmt.Errorf("hvlab stand-in: scenario in %s: %w", dir, err)
}

// hypervisorDoc is hypervisor.json in the order HyperVHypervisorScript
// writes it; only the services are read, the rest is kept as it is.
type hypervisorDoc struct {
	HypervisorPresent json.RawMessage
	CimError          json.RawMessage `json:",omitempty"`
	OS                json.RawMessage `json:",omitempty"`
	OSVersion         json.RawMessage `json:",omitempty"`
	LaunchType        json.RawMessage
	BcdError          json.RawMessage `json:",omitempty"`
	Services          []serviceDoc
	Requirements      json.RawMessage `json:",omitempty"`
	RequirementsError json.RawMessage `json:",omitempty"`
}

// serviceDoc is one Get-Service entry of hypervisor.json.
type serviceDoc struct{ Name, Status, StartType string }

// Service states as Get-Service names them.
const (
	svcRunning  = "Running"
	svcNotFound = "NotFound"
)

func readHypervisor(dir string) (hypervisorDoc, error) {
	var doc hypervisorDoc
	b, err := os.ReadFile(filepath.Join(dir, "hypervisor.json"))
	if err != nil {
		return doc, scenarioError(dir, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return doc, fmt.Errorf("hvlab stand-in: %s/hypervisor.json: %w", dir, err)
	}
	return doc, nil
}

// service finds a service by name; Windows service names ignore case.
func (d *hypervisorDoc) service(name string) *serviceDoc {
	for i := range d.Services {
		if strings.EqualFold(d.Services[i].Name, name) && d.Services[i].Status != svcNotFound {
			return &d.Services[i]
		}
	}
	return nil
}

// answerVMs prints vms.json, or Get-VM's error while vmms is not running.
func answerVMs(dir string) (string, error) {
	doc, err := readHypervisor(dir)
	if err != nil {
		return "", err
	}
	if s := doc.service("vmms"); s != nil && s.Status != svcRunning {
		host, _ := os.Hostname()
		msg := fmt.Sprintf("Hyper-V encountered an error trying to access an object on computer '%s' because the object was not found. "+
			"The object might have been deleted, or you might not have permission to perform the task. "+
			"Verify that the Virtual Machine Management service on the computer is running.", strings.ToUpper(host))
		b, err := json.Marshal(struct {
			VMs   []struct{}
			Error string
		}{[]struct{}{}, msg})
		return string(b) + "\r\n", err
	}
	return readScenario(dir, "vms.json")
}

// restartService is Restart-Service: a service the scenario lists ends up
// Running (written back to hypervisor.json); any other does not exist.
// Restarting vmms logs its stop and start in journal.txt, as the VMMS admin
// log does.
func restartService(dir, name string, now time.Time) error {
	doc, err := readHypervisor(dir)
	if err != nil {
		return err
	}
	s := doc.service(name)
	if s == nil {
		return &psFailure{
			msg:      fmt.Sprintf("Restart-Service : Cannot find any service with service name '%s'.", name),
			category: "ObjectNotFound",
			id:       "NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.RestartServiceCommand",
		}
	}
	s.Status = svcRunning
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("hvlab stand-in: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, "hypervisor.json"), append(b, '\n')); err != nil {
		return err
	}
	if !strings.EqualFold(name, "vmms") {
		return nil
	}
	return appendJournal(dir, now,
		"Information 14098 The Virtual Machine Management service is shutting down.",
		"Information 14094 The Virtual Machine Management service started successfully.")
}

// writeAtomic replaces path with data, so a probe reading it concurrently
// sees the old or the new file, never half of one.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("hvlab stand-in: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o644)); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("hvlab stand-in: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("hvlab stand-in: %w", err)
	}
	return nil
}

// appendJournal adds events ("LEVEL ID MESSAGE") to journal.txt in the
// journal script's line format.
func appendJournal(dir string, now time.Time, events ...string) error {
	f, err := os.OpenFile(filepath.Join(dir, "journal.txt"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("hvlab stand-in: %w", err)
	}
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%s %s\n", now.Format("2006-01-02T15:04:05.0000000-07:00"), e)
	}
	_, werr := f.WriteString(b.String())
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("hvlab stand-in: %w", err)
	}
	return nil
}
