package cli

// GlobalOptions are the flags every command takes, with the bosh CLI's
// names and environment variables.
type GlobalOptions struct {
	Environment    string
	Client         string
	ClientSecret   string
	CACert         string // PEM, or a path to a file holding it
	Deployment     string
	NonInteractive bool
	JSON           bool
	TTY            bool
	Help           bool
}

func (o *GlobalOptions) flags() *flagSet {
	fs := &flagSet{}
	fs.stringFlag(&o.Environment, "environment", "e", "URL", "Director environment name or URL (default: the local director)").env = "BOSH_ENVIRONMENT"
	fs.stringFlag(&o.CACert, "ca-cert", "", "PEM|PATH", "Director CA certificate path or value").env = "BOSH_CA_CERT"
	fs.stringFlag(&o.Client, "client", "", "NAME", "Override username").env = "BOSH_CLIENT"
	fs.stringFlag(&o.ClientSecret, "client-secret", "", "SECRET", "Override password").env = "BOSH_CLIENT_SECRET"
	fs.stringFlag(&o.Deployment, "deployment", "d", "NAME", "Deployment name").env = "BOSH_DEPLOYMENT"
	fs.boolFlag(&o.JSON, "json", "", "Output as JSON")
	fs.boolFlag(&o.TTY, "tty", "", "Force TTY-like output").env = "BOSH_TTY"
	fs.boolFlag(&o.NonInteractive, "non-interactive", "n", "Don't ask for user input").env = "BOSH_NON_INTERACTIVE"
	fs.boolFlag(&o.Help, "help", "h", "Show this help message")
	return fs
}
