package probes

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// Lab tests of the resources and storage checks on lab host 23. The checks
// are called directly over a real SSH connection and a real go-libvirt
// session, as the probe loop calls them. The lab's libvirtd serves the test
// driver, which keeps no node memory statistics: the check reads
// /proc/meminfo instead, and the lab's image folder is /var/lib/libvirt.

const resourcesLabHost = 23

// labResources is one open connection to a lab host: its inventory entry
// (from toml appended to the host's table, when given), the remote, the
// go-libvirt session and the check wrappers.
type labResources struct {
	lab  *labtest.Lab
	h    hosts.Host
	r    Conn
	sess *lvSession
	lv   *libvirt.Libvirt
}

// allowReplies lets sess take replies to procedures the probes never call.
func allowReplies(t *testing.T, sess *lvSession, types map[uint32]reflect.Type) {
	t.Helper()
	sess.dialer.mu.Lock()
	c := sess.dialer.conn
	sess.dialer.mu.Unlock()
	c.guard.mu.Lock()
	c.guard.extra = types
	c.guard.mu.Unlock()
}

func openLabResources(t *testing.T, n int, extra string) *labResources {
	t.Helper()
	l := labtest.Require(t)
	cfg, err := hosts.Load(l.ConfigPath)
	if err != nil {
		t.Fatalf("lab config: %v", err)
	}
	i := slices.IndexFunc(cfg.Hosts, func(h hosts.Host) bool { return h.Name == l.Host(n).Name })
	if i < 0 {
		t.Fatalf("lab host %d not in %s", n, l.ConfigPath)
	}
	h := cfg.Hosts[i]
	if extra != "" {
		h = withExtraKeys(t, l, h, extra)
	}
	pool := sshx.NewPool(sshx.Options{KeepaliveInterval: time.Second})
	t.Cleanup(func() { pool.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r, err := NewSSHTransport(pool).Connect(ctx, h)
	if err != nil {
		t.Fatalf("connect %s: %v", h.Name, err)
	}
	sess, err := openLibvirt(ctx, r, h)
	if err != nil {
		t.Fatalf("libvirt on %s: %v", h.Name, err)
	}
	t.Cleanup(func() { sess.close(2 * time.Second) })
	lv, ok := sess.api.(*libvirt.Libvirt)
	if !ok {
		t.Fatalf("session api is %T", sess.api)
	}
	return &labResources{lab: l, h: h, r: r, sess: sess, lv: lv}
}

// withExtraKeys loads the lab host again from a one-host inventory with
// extra keys, so the thresholds go through the real config loader.
func withExtraKeys(t *testing.T, l *labtest.Lab, h hosts.Host, extra string) hosts.Host {
	t.Helper()
	doc := "[[hosts]]\nname = " + strconv.Quote(h.Name) + "\naddress = " + strconv.Quote(h.Address) +
		"\nuser = " + strconv.Quote(h.User) + "\nidentity_files = [" + strconv.Quote(l.IdentityFile) + "]" +
		"\nknown_hosts = [" + strconv.Quote(l.KnownHosts) + "]\nuse_agent = false" +
		"\nlibvirt_uri = " + strconv.Quote(h.LibvirtURI) + "\n" + extra
	cfg, err := hosts.Load(l.WriteConfig(t, doc))
	if err != nil {
		t.Fatalf("config with %q: %v", extra, err)
	}
	return cfg.Hosts[0]
}

func (lr *labResources) resources(t *testing.T) (Result, *Resources) {
	ctx, cancel := context.WithTimeout(t.Context(), lr.h.ProbeTimeout)
	defer cancel()
	return resourcesCheck(ctx, lr.sess, lr.r.Exec, lr.h, time.Now())
}

func (lr *labResources) storage(t *testing.T) Result {
	ctx, cancel := context.WithTimeout(t.Context(), lr.h.ProbeTimeout)
	defer cancel()
	return storageCheck(ctx, lr.sess, lr.h, time.Now())
}

// The figures are the host's own: CPUs from the lab world, memory from
// /proc/meminfo, disk from df, all read independently here.
func TestLabResourcesReal(t *testing.T) {
	// A lab host shares the machine's load average, which other work on a
	// small machine can push past the default 2 per CPU: the load threshold
	// is lifted so the verdict speaks of this host's own figures only.
	lr := openLabResources(t, resourcesLabHost, `image_paths = ["/var/lib/libvirt", "/srv"]`+"\nload_per_cpu_warn = 1000\n")
	res, figs := lr.resources(t)
	t.Logf("%v %s\n%s", res.Status, res.Summary, res.Details)
	if res.Status != OK || figs == nil {
		t.Fatalf("resources on a quiet lab host: %v %q (%s)", res.Status, res.Summary, res.Err)
	}
	mem, err := remote.ParseMemInfo(lr.lab.Exec(t, resourcesLabHost, "cat", "/proc/meminfo"))
	if err != nil {
		t.Fatal(err)
	}
	if figs.CPUs != 8 || figs.MemTotal != mem.Total || figs.MemFree == 0 || figs.Load1 < 0 {
		t.Errorf("figures %+v, meminfo %+v", figs, mem)
	}
	dfOut, _ := lr.lab.Run(t.Context(), "exec", strconv.Itoa(resourcesLabHost), "df", "-P", "-B1", "--", "/var/lib/libvirt", "/srv")
	disks, err := remote.ParseDiskUsage([]string{"/var/lib/libvirt", "/srv"}, dfOut, 0)
	if err != nil || len(figs.Disks) != 2 {
		t.Fatalf("df in the lab: %v; check saw %+v", err, figs.Disks)
	}
	for i, d := range disks {
		if figs.Disks[i].Path != d.Path || figs.Disks[i].Total != d.Total || figs.Disks[i].Mount != d.Mount {
			t.Errorf("disk %d: check %+v, df %+v", i, figs.Disks[i], d)
		}
	}
	for _, want := range []string{"mem ", "% free, disk ", "load ", "/cpu"} {
		if !strings.Contains(res.Summary, want) {
			t.Errorf("summary %q lacks %q", res.Summary, want)
		}
	}
	if !strings.Contains(res.Details, "from /proc/meminfo") || !strings.Contains(res.Details, "to 2 running VMs") {
		t.Errorf("details:\n%s", res.Details)
	}
}

// A disk threshold set low in the config shows on the real filesystem; the
// default image folder, absent in the lab, is reported as not measured.
func TestLabResourcesDiskThreshold(t *testing.T) {
	lr := openLabResources(t, resourcesLabHost, `image_paths = ["/var/lib/libvirt"]`+"\ndisk_use_warn = \"1%\"\n")
	res, _ := lr.resources(t)
	if res.Status != WARN || !strings.Contains(res.Summary, "disk /var/lib/libvirt ") ||
		!strings.Contains(res.Summary, "full (warn above 1%)") {
		t.Errorf("got %v %q\n%s", res.Status, res.Summary, res.Details)
	}
	lr = openLabResources(t, resourcesLabHost, "")
	res, _ = lr.resources(t)
	if res.Status != UNKNOWN || !strings.Contains(res.Summary, "disk use unknown") {
		t.Errorf("missing default image folder: %v %q", res.Status, res.Summary)
	}
}

// A pool made inactive while set to autostart is CRIT. The test driver
// gives each connection its own copy of the world, so the pool is defined
// and stopped through the very connection the check uses.
func TestLabStoragePoolInactive(t *testing.T) {
	lr := openLabResources(t, resourcesLabHost, "")
	if res := lr.storage(t); res.Status != OK || res.Summary != "no storage pools" {
		t.Fatalf("lab world before: %v %q", res.Status, res.Summary)
	}
	const xml = `<pool type='dir'><name>lab-images</name><target><path>/var/lib/libvirt/lab-images</path></target></pool>`
	empty := reflect.TypeFor[struct{}]()
	allowReplies(t, lr.sess, map[uint32]reflect.Type{
		77: reflect.TypeFor[libvirt.StoragePoolDefineXMLRet](), // REMOTE_PROC_STORAGE_POOL_DEFINE_XML
		78: empty, 80: empty, 90: empty,                        // ..._CREATE, _DESTROY, _SET_AUTOSTART
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pool, err := call(ctx, lr.sess, "define pool", func(libvirtAPI) (libvirt.StoragePool, error) {
		pool, err := lr.lv.StoragePoolDefineXML(xml, 0)
		if err != nil {
			return pool, err
		}
		if err = lr.lv.StoragePoolCreate(pool, 0); err != nil {
			return pool, err
		}
		return pool, lr.lv.StoragePoolSetAutostart(pool, 1)
	})
	if err != nil {
		t.Fatalf("define pool: %v", err)
	}
	res := lr.storage(t)
	if res.Status != OK || !strings.HasPrefix(res.Summary, "1 of 1 pools running") ||
		!strings.Contains(res.Details, "pool lab-images: running, ") {
		t.Errorf("running pool: %v %q\n%s", res.Status, res.Summary, res.Details)
	}
	if _, err := call(ctx, lr.sess, "destroy pool", func(libvirtAPI) (struct{}, error) {
		return struct{}{}, lr.lv.StoragePoolDestroy(pool)
	}); err != nil {
		t.Fatalf("destroy pool: %v", err)
	}
	res = lr.storage(t)
	if res.Status != CRIT || !strings.HasPrefix(res.Summary, "pool lab-images inactive (autostart)") {
		t.Errorf("inactive autostart pool: %v %q\n%s", res.Status, res.Summary, res.Details)
	}
}
