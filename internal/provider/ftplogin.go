package provider

// FTPLogin is implemented by a file-delivering connector whose provider
// logs in to shiphub's embedded FTP server (the courier's ftp_user and
// ftp_password); package intake/ftp gives every such connection an account.
type FTPLogin interface {
	FileReceiver
	// FTPLogin returns the account's user and password; an empty user
	// means the connection has no account.
	FTPLogin() (user, password string)
}
