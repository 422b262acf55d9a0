package remote

// HyperVSecurityScript reads the Hyper-V side of the security check. It
// prints {VMs, VMError, DeviceGuard, DeviceGuardError}:
//
//	VMs          @() of {Name, Generation, SecureBoot}: SecureBoot is
//	             Get-VMFirmware's "On"/"Off" for generation 2 VMs, null for
//	             generation 1 (no UEFI firmware), "Error: TEXT" when it failed
//	VMError      Get-VM's error text
//	DeviceGuard  Win32_DeviceGuard: {VBSStatus (0 off, 1 enabled but not
//	             running, 2 running), ServicesRunning, ServicesConfigured
//	             (1 Credential Guard, 2 HVCI, ...)}
//	DeviceGuardError  the query's error text (older Windows, no rights)
const HyperVSecurityScript = psPreamble + `$o=[ordered]@{VMs=@();VMError=$null;DeviceGuard=$null;DeviceGuardError=$null}
try{$o.VMs=@(Get-VM -ErrorAction Stop|ForEach-Object{$v=$_;$s=$null;if($v.Generation -eq 2){try{$s=(Get-VMFirmware -VM $v -ErrorAction Stop).SecureBoot.ToString()}catch{$s='Error: '+"$_"}};[ordered]@{Name=$v.Name;Generation=[int]$v.Generation;SecureBoot=$s}})}catch{$o.VMError="$_"}
try{$d=Get-CimInstance -ClassName Win32_DeviceGuard -Namespace 'root\Microsoft\Windows\DeviceGuard' -ErrorAction Stop;$o.DeviceGuard=[ordered]@{VBSStatus=[int]$d.VirtualizationBasedSecurityStatus;ServicesRunning=@($d.SecurityServicesRunning|ForEach-Object{[int]$_});ServicesConfigured=@($d.SecurityServicesConfigured|ForEach-Object{[int]$_})}}catch{$o.DeviceGuardError="$_"}` + psEmit
