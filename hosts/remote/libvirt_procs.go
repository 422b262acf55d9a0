package remote

// REMOTE_PROC_* numbers (libvirt's remote_protocol.x) of the procedures
// hvconsole calls, named as go-libvirt's generated code names them.
// go-libvirt keeps those constants in an internal package, so they are
// copied here once, for the probes' reply guard and the simulated daemon;
// TestProcNumbers checks each against the number go-libvirt's client sends.
const (
	ProcConnectOpen                             = 1
	ProcConnectClose                            = 2
	ProcConnectGetType                          = 3
	ProcConnectGetVersion                       = 4
	ProcNodeGetInfo                             = 6
	ProcConnectGetCapabilities                  = 7
	ProcDomainCreate                            = 9
	ProcDomainCreateXML                         = 10
	ProcDomainDestroy                           = 12
	ProcDomainGetXMLDesc                        = 14
	ProcDomainGetAutostart                      = 15
	ProcDomainGetInfo                           = 16
	ProcDomainLookupByName                      = 23
	ProcDomainResume                            = 28
	ProcNetworkGetAutostart                     = 44
	ProcConnectGetHostname                      = 59
	ProcAuthList                                = 66
	ProcAuthPolkit                              = 70
	ProcStoragePoolGetInfo                      = 87
	ProcStoragePoolGetAutostart                 = 89
	ProcNetworkIsActive                         = 152
	ProcConnectGetLibVersion                    = 157
	ProcDomainGetState                          = 212
	ProcNodeGetMemoryStats                      = 228
	ProcConnectListAllDomains                   = 273
	ProcConnectListAllStoragePools              = 281
	ProcConnectListAllNetworks                  = 283
	ProcConnectDomainEventCallbackRegisterAny   = 316
	ProcConnectDomainEventCallbackDeregisterAny = 317
	ProcConnectGetAllDomainStats                = 344
	// ProcDomainEventCallbackLifecycle numbers an event the daemon pushes,
	// not a call.
	ProcDomainEventCallbackLifecycle = 318
)

// The libvirt RPC message (virnetprotocol.x): a 4-byte big-endian length
// counting itself, a HeaderLen-byte header of six big-endian uint32s
// (program, version, procedure, type, serial, status) and an XDR body.
// RemoteProgram is the REMOTE_PROGRAM the Proc numbers above belong to, at
// RemoteVersion; the probes' reply guard and the simulated daemon share
// these.
const (
	RemoteProgram = 0x20008086
	RemoteVersion = 1
	HeaderLen     = 24
)

// Message types (virNetMessageType) and statuses (virNetMessageStatus).
const (
	MsgCall  = 0
	MsgReply = 1
	// MsgMessage (VIR_NET_MESSAGE) is a message no call asked for: an
	// event the daemon pushes, or a keepalive.
	MsgMessage = 2

	StatusOK    = 0
	StatusError = 1
)

// QEMUProgram is libvirt's QEMU-specific RPC program (qemu_protocol.x),
// and QEMUProcDomainAgentCommand its QEMU_PROC_DOMAIN_AGENT_COMMAND: the
// boot drill's guest-ping.
const (
	QEMUProgram                = 0x20008087
	QEMUProcDomainAgentCommand = 3
)
