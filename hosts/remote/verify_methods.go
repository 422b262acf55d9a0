package remote

// Backup verification methods.
const (
	VerifyNone    = "none"
	VerifySHA256  = "sha256"
	VerifyQemuImg = "qemu-img"
)
