// Command biadmin is a terminal administration console for Beyond Identity
// realms. Run it with --sandbox to try it on a local emulator of the service.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
