package probes

import (
	"github.com/digitalocean/go-libvirt"
)

// stubLibvirt is the tests' libvirtAPI, the libvirt seam's one double (see
// double_test.go). Defaults: ConnectToURI and Disconnect succeed; every
// other procedure fails with errNoStub, so a test that reaches one it did
// not script sees why. A stateful fake (the fleet's fakeSession, fakeNode,
// fakeSecurity) keeps its state in its own type and hands its methods to
// these fields.
type stubLibvirt struct {
	ConnectToURIFn                          func(uri libvirt.ConnectURI) error
	DisconnectFn                            func() error
	ConnectGetLibVersionFn                  func() (uint64, error)
	ConnectGetVersionFn                     func() (uint64, error)
	ConnectGetHostnameFn                    func() (string, error)
	ConnectGetTypeFn                        func() (string, error)
	ConnectListAllDomainsFn                 func(need int32, flags libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error)
	ConnectGetAllDomainStatsFn              func(doms []libvirt.Domain, stats, flags uint32) ([]libvirt.DomainStatsRecord, error)
	DomainGetStateFn                        func(dom libvirt.Domain, flags uint32) (int32, int32, error)
	DomainGetAutostartFn                    func(dom libvirt.Domain) (int32, error)
	ConnectListAllNetworksFn                func(need int32, flags libvirt.ConnectListAllNetworksFlags) ([]libvirt.Network, uint32, error)
	NodeGetInfoFn                           func() ([32]int8, uint64, int32, int32, int32, int32, int32, int32, error)
	NodeGetMemoryStatsFn                    func(n, cell int32, flags uint32) ([]libvirt.NodeGetMemoryStats, int32, error)
	DomainGetInfoFn                         func(dom libvirt.Domain) (uint8, uint64, uint64, uint16, uint64, error)
	ConnectListAllStoragePoolsFn            func(need int32, flags libvirt.ConnectListAllStoragePoolsFlags) ([]libvirt.StoragePool, uint32, error)
	StoragePoolGetInfoFn                    func(pool libvirt.StoragePool) (uint8, uint64, uint64, uint64, error)
	StoragePoolGetAutostartFn               func(pool libvirt.StoragePool) (int32, error)
	ConnectGetCapabilitiesFn                func() (string, error)
	DomainGetXMLDescFn                      func(dom libvirt.Domain, flags libvirt.DomainXMLFlags) (string, error)
	DomainLookupByNameFn                    func(name string) (libvirt.Domain, error)
	DomainCreateFn                          func(dom libvirt.Domain) error
	DomainResumeFn                          func(dom libvirt.Domain) error
	DomainDestroyFn                         func(dom libvirt.Domain) error
	DomainCreateXMLFn                       func(xml string, flags libvirt.DomainCreateFlags) (libvirt.Domain, error)
	QEMUDomainAgentCommandFn                func(dom libvirt.Domain, cmd string, timeout int32, flags uint32) (libvirt.OptString, error)
	ConnectDomainEventCallbackRegisterAnyFn func(eventID int32, dom libvirt.OptDomain) (int32, error)
}

var _ libvirtAPI = (*stubLibvirt)(nil)

func (s *stubLibvirt) ConnectToURI(uri libvirt.ConnectURI) error {
	if s.ConnectToURIFn == nil {
		return nil
	}
	return s.ConnectToURIFn(uri)
}

func (s *stubLibvirt) Disconnect() error {
	if s.DisconnectFn == nil {
		return nil
	}
	return s.DisconnectFn()
}

func (s *stubLibvirt) ConnectGetLibVersion() (uint64, error) {
	if s.ConnectGetLibVersionFn == nil {
		return 0, errNoStub
	}
	return s.ConnectGetLibVersionFn()
}

func (s *stubLibvirt) ConnectGetVersion() (uint64, error) {
	if s.ConnectGetVersionFn == nil {
		return 0, errNoStub
	}
	return s.ConnectGetVersionFn()
}

func (s *stubLibvirt) ConnectGetHostname() (string, error) {
	if s.ConnectGetHostnameFn == nil {
		return "", errNoStub
	}
	return s.ConnectGetHostnameFn()
}

func (s *stubLibvirt) ConnectGetType() (string, error) {
	if s.ConnectGetTypeFn == nil {
		return "", errNoStub
	}
	return s.ConnectGetTypeFn()
}

func (s *stubLibvirt) ConnectListAllDomains(need int32, flags libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error) {
	if s.ConnectListAllDomainsFn == nil {
		return nil, 0, errNoStub
	}
	return s.ConnectListAllDomainsFn(need, flags)
}

func (s *stubLibvirt) ConnectGetAllDomainStats(doms []libvirt.Domain, stats, flags uint32) ([]libvirt.DomainStatsRecord, error) {
	if s.ConnectGetAllDomainStatsFn == nil {
		return nil, errNoStub
	}
	return s.ConnectGetAllDomainStatsFn(doms, stats, flags)
}

func (s *stubLibvirt) DomainGetState(dom libvirt.Domain, flags uint32) (int32, int32, error) {
	if s.DomainGetStateFn == nil {
		return 0, 0, errNoStub
	}
	return s.DomainGetStateFn(dom, flags)
}

func (s *stubLibvirt) DomainGetAutostart(dom libvirt.Domain) (int32, error) {
	if s.DomainGetAutostartFn == nil {
		return 0, errNoStub
	}
	return s.DomainGetAutostartFn(dom)
}

func (s *stubLibvirt) ConnectListAllNetworks(need int32, flags libvirt.ConnectListAllNetworksFlags) ([]libvirt.Network, uint32, error) {
	if s.ConnectListAllNetworksFn == nil {
		return nil, 0, errNoStub
	}
	return s.ConnectListAllNetworksFn(need, flags)
}

func (s *stubLibvirt) NodeGetInfo() ([32]int8, uint64, int32, int32, int32, int32, int32, int32, error) {
	if s.NodeGetInfoFn == nil {
		return [32]int8{}, 0, 0, 0, 0, 0, 0, 0, errNoStub
	}
	return s.NodeGetInfoFn()
}

func (s *stubLibvirt) NodeGetMemoryStats(n, cell int32, flags uint32) ([]libvirt.NodeGetMemoryStats, int32, error) {
	if s.NodeGetMemoryStatsFn == nil {
		return nil, 0, errNoStub
	}
	return s.NodeGetMemoryStatsFn(n, cell, flags)
}

func (s *stubLibvirt) DomainGetInfo(dom libvirt.Domain) (uint8, uint64, uint64, uint16, uint64, error) {
	if s.DomainGetInfoFn == nil {
		return 0, 0, 0, 0, 0, errNoStub
	}
	return s.DomainGetInfoFn(dom)
}

func (s *stubLibvirt) ConnectListAllStoragePools(need int32, flags libvirt.ConnectListAllStoragePoolsFlags) ([]libvirt.StoragePool, uint32, error) {
	if s.ConnectListAllStoragePoolsFn == nil {
		return nil, 0, errNoStub
	}
	return s.ConnectListAllStoragePoolsFn(need, flags)
}

func (s *stubLibvirt) StoragePoolGetInfo(pool libvirt.StoragePool) (uint8, uint64, uint64, uint64, error) {
	if s.StoragePoolGetInfoFn == nil {
		return 0, 0, 0, 0, errNoStub
	}
	return s.StoragePoolGetInfoFn(pool)
}

func (s *stubLibvirt) StoragePoolGetAutostart(pool libvirt.StoragePool) (int32, error) {
	if s.StoragePoolGetAutostartFn == nil {
		return 0, errNoStub
	}
	return s.StoragePoolGetAutostartFn(pool)
}

func (s *stubLibvirt) ConnectGetCapabilities() (string, error) {
	if s.ConnectGetCapabilitiesFn == nil {
		return "", errNoStub
	}
	return s.ConnectGetCapabilitiesFn()
}

func (s *stubLibvirt) DomainGetXMLDesc(dom libvirt.Domain, flags libvirt.DomainXMLFlags) (string, error) {
	if s.DomainGetXMLDescFn == nil {
		return "", errNoStub
	}
	return s.DomainGetXMLDescFn(dom, flags)
}

func (s *stubLibvirt) DomainLookupByName(name string) (libvirt.Domain, error) {
	if s.DomainLookupByNameFn == nil {
		return libvirt.Domain{}, errNoStub
	}
	return s.DomainLookupByNameFn(name)
}

func (s *stubLibvirt) DomainCreate(dom libvirt.Domain) error {
	if s.DomainCreateFn == nil {
		return errNoStub
	}
	return s.DomainCreateFn(dom)
}

func (s *stubLibvirt) DomainResume(dom libvirt.Domain) error {
	if s.DomainResumeFn == nil {
		return errNoStub
	}
	return s.DomainResumeFn(dom)
}

func (s *stubLibvirt) DomainDestroy(dom libvirt.Domain) error {
	if s.DomainDestroyFn == nil {
		return errNoStub
	}
	return s.DomainDestroyFn(dom)
}

func (s *stubLibvirt) DomainCreateXML(xml string, flags libvirt.DomainCreateFlags) (libvirt.Domain, error) {
	if s.DomainCreateXMLFn == nil {
		return libvirt.Domain{}, errNoStub
	}
	return s.DomainCreateXMLFn(xml, flags)
}

func (s *stubLibvirt) QEMUDomainAgentCommand(dom libvirt.Domain, cmd string, timeout int32, flags uint32) (libvirt.OptString, error) {
	if s.QEMUDomainAgentCommandFn == nil {
		return nil, errNoStub
	}
	return s.QEMUDomainAgentCommandFn(dom, cmd, timeout, flags)
}

func (s *stubLibvirt) ConnectDomainEventCallbackRegisterAny(eventID int32, dom libvirt.OptDomain) (int32, error) {
	if s.ConnectDomainEventCallbackRegisterAnyFn == nil {
		return 0, errNoStub
	}
	return s.ConnectDomainEventCallbackRegisterAnyFn(eventID, dom)
}
