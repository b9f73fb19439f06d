// compose-validate loads a Compose file with compose-go, the loader Docker Compose itself uses:
// schema validation, interpolation (a required ${VAR:?} that is unset fails), extends and anchors,
// and the project's consistency checks (depends_on, networks, volumes and secrets that exist).
//
//	compose-validate [--profile NAME]... docker-compose.yml
//
// The environment comes from this process (and a .env beside the file, as Compose reads it). On
// success it prints the project's enabled services and profiles as JSON; on failure, the loader's
// error, and exits 1.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	var profiles, files []string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		if args[i] == "--profile" && i+1 < len(args) {
			profiles = append(profiles, args[i+1])
			i++
			continue
		}
		files = append(files, args[i])
	}
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-validate [--profile NAME]... compose.yml...")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(files,
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithName("switchboard"),
		cli.WithProfiles(profiles),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := cli.ProjectFromOptions(context.Background(), options)
	if err != nil {
		fail(err)
	}
	services := project.ServiceNames()
	sort.Strings(services)
	summary := map[string]any{"services": services, "profiles": project.Profiles}
	encoded, _ := json.Marshal(summary)
	fmt.Println(string(encoded))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-validate: %v\n", err)
	os.Exit(1)
}
