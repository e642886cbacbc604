# Bucketdesk developer commands. Each installs what it needs first (scripts/setup.sh).
#   make run    build and start the app (ARGS="..." passes arguments to it)
#   make test   every check CI runs: fmt, UI typecheck/tests/build, clippy, cargo tests, GUI e2e
#   make setup  only install the tools (apt, npm, moto venv, tauri-driver, s3s-fs for the tests)
#   make e2e    only the GUI end-to-end tests (needs ui/dist built)
#   make package       the .deb and .rpm (release build, ~20 min cold); prints the .deb's path
#   make package-test  builds the .deb, installs it with dpkg -i, runs `bucketdesk --version`
.PHONY: run test setup e2e package package-test

run:
	@scripts/run.sh $(ARGS)

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh --tests

e2e:
	@scripts/setup.sh
	@scripts/e2e.sh

package:
	@scripts/package.sh

package-test:
	@scripts/package-test.sh
