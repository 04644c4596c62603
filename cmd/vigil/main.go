// Command vigil runs Vigil and its tools; see 'vigil help'.
package main

import (
	"os"

	"github.com/vigil-project/vigil/internal/cli"
)

func main() { os.Exit(cli.Main()) }
