# kapbook: build, run and test. Each target installs what it needs first
# (scripts/deps.sh), so `make test` works on a fresh Debian/Ubuntu machine.

export PATH := /usr/local/go/bin:$(PATH)

DATA_HOME := $(or $(XDG_DATA_HOME),$(HOME)/.local/share)
DEMO_DB := $(DATA_HOME)/kapbook/demo.db

# Fuzz targets as PACKAGE:TARGET, each run for FUZZTIME.
FUZZ_TARGETS ?= ./booking:FuzzLoadProtocol ./booking:FuzzRevealsTreatment ./booking:FuzzLoadClinic ./booking:FuzzCheckEmail ./calendar:FuzzImportBusy ./reminder:FuzzTemplate ./reminder:FuzzDotted
FUZZTIME ?= 15s

.PHONY: check build run test ux wine windows darwin-cli bench fuzz clean deps-build deps-test screenshots package coldstart soak

build: deps-build
	go build -o bin/kapbook .
	CGO_ENABLED=0 go build -o bin/kapctl ./cmd/kapctl

run: deps-build
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "make run: no display (DISPLAY and WAYLAND_DISPLAY are unset)."; \
	  echo "make run: run it from a desktop terminal, or off-screen with: xvfb-run -a make run"; \
	  exit 1; fi
	go build -o bin/kapbook .
	@if [ ! -e "$(DEMO_DB)" ]; then \
	  echo "go run ./cmd/kapctl --db \"$(DEMO_DB)\" init --demo --with-patients 6" && \
	  go run ./cmd/kapctl --db "$(DEMO_DB)" init --demo --with-patients 6; fi
	@# Fyne cannot parse the C locale and says so three times; give it a real one.
	case "$$LANG" in ""|C|C.*|POSIX) export LANG=en_US.UTF-8;; esac; bin/kapbook --db "$(DEMO_DB)"

# The team's habits, which fail the run: gofmt, go vet and staticcheck (a
# pinned version, fetched through the Go module proxy by go run).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
check:
	@files=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './.peers/*')); \
	  if [ -n "$$files" ]; then echo "make: gofmt -w would change:"; echo "$$files"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...

# The simulated clinic lives a whole year here (a quarter in a plain
# go test ./...), checked after every action. The store's suite runs a
# second time against a throwaway PostgreSQL (internal/pgtest): one suite,
# two stores. The packages whose state goroutines share run again under
# the race detector. Then the real window (window-smoke.sh), and two apps
# on one PostgreSQL that see another desk's booking (two-desks.sh), and a
# series booked from the keyboard in at most five actions (ux.sh). Last,
# the Windows build under Wine (wine-test.sh): kapctl.exe's walkthrough
# against Linux's, kapbook.exe in a window booking a series.
RACE_PKGS := ./booking ./store ./calendar ./reminder
test: deps-test check
	KAPBOOK_SIM_DAYS=365 go test -count=1 ./...
	KAPBOOK_TEST_STORE=postgres go test -count=1 ./store
	go test -race -count=1 $(RACE_PKGS)
	go test -race -short -count=1 ./calendar/caldav
	bash scripts/window-smoke.sh
	bash scripts/two-desks.sh
	bash scripts/ux.sh
	bash scripts/wine-test.sh

# Book a series for an existing patient in the real window, by keyboard,
# and count the actions (issue 14's goal: at most 5).
ux: deps-test
	bash scripts/ux.sh

# Five years of a 40-staff clinic, checked after every simulated day, and
# three more seeds of the demo clinic's year checked after every action;
# prints what happened and how often each rule was checked.
SOAK_YEARS ?= 5
soak:
	KAPBOOK_SOAK_YEARS=$(SOAK_YEARS) go test -count=1 -run '^TestSoak$$' -timeout 0 -v ./internal/clinicsim
	for seed in 2 3 4; do KAPBOOK_SIM_DAYS=365 KAPBOOK_SIM_SEED=$$seed go test -count=1 -run '^TestSimulatedYear$$' -timeout 0 -v ./internal/clinicsim || exit 1; done

# The reference planner takes seconds per plan by design, so it runs 3 times.
bench:
	go test -run '^$$' -bench 'BenchmarkPlanSeries$$' -benchtime 20x ./booking/
	go test -run '^$$' -bench 'BenchmarkPlanSeriesReference' -benchtime 3x ./booking/
	go test -run '^$$' -bench . -benchtime 20x ./store/
	go test -run '^$$' -bench 'BenchmarkExport' -benchtime 5x ./calendar/
	go test -run '^$$' -bench . -benchtime 3x ./calendar/caldav/
	go test -run '^$$' -bench 'BenchmarkCompose$$' -benchtime 2000x ./reminder/
	go test -run '^$$' -bench 'BenchmarkDispatchCeiling' -benchtime 3x ./reminder/
	go test -run '^$$' -bench 'BenchmarkMailpitCeiling' -benchtime 1x ./reminder/
	go test -run '^$$' -bench 'BenchmarkShellSwitch' -benchtime 200x ./ui/
	go test -run '^$$' -bench . -benchtime 20x ./ui/schedule/
	go test -run '^$$' -bench 'PatientSearch50k|PatientIndexBuild50k|BenchmarkProposal' -benchtime 10x ./booking/
	go test -run '^$$' -bench . -benchtime 10x ./ui/patients/ ./ui/today/ ./ui/settings/ ./ui/outbox/
	go test -run '^$$' -bench . -benchtime 20x ./internal/rulecheck/
	go test -run '^$$' -bench 'BenchmarkSimulatedYear' -benchtime 1x -timeout 0 ./internal/clinicsim/

fuzz:
	@for pt in $(FUZZ_TARGETS); do \
	  pkg=$${pt%%:*}; t=$${pt#*:}; \
	  echo "make fuzz: $$t in $$pkg for $(FUZZTIME)"; \
	  go test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# The README's screenshots: the real app under Xvfb on a fresh demo clinic.
screenshots: deps-test
	bash scripts/screenshots.sh

# A Linux package (.tar.xz with the binary, icon and .desktop file) in dist/,
# built by the fyne tool from FyneApp.toml and Icon.png.
# The fyne tool raises Build in FyneApp.toml on every run; keep the file as it was.
package: deps-build
	mkdir -p bin && cp FyneApp.toml bin/FyneApp.toml.keep
	go run fyne.io/tools/cmd/fyne@v1.7.4 package -os linux -release; rc=$$?; mv -f bin/FyneApp.toml.keep FyneApp.toml; exit $$rc
	mkdir -p dist && mv -f kapbook.tar.xz dist/
	@echo "make package: dist/kapbook.tar.xz"

# dist/kapbook-windows-amd64.zip: kapbook.exe and kapctl.exe for a clinic's
# Windows PCs, cross-built with MinGW-w64 (README, "Windows").
windows:
	bash scripts/windows.sh

# The Windows build, run under Wine and checked against Linux (part of test).
wine: deps-test
	bash scripts/wine-test.sh

# kapctl for Macs (Intel and Apple silicon); the desktop app needs the macOS
# SDK and is built on a Mac (docs/operations.md, "Macs").
darwin-cli:
	mkdir -p dist
	GOOS=darwin GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -o dist/kapctl-darwin-amd64 ./cmd/kapctl
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -o dist/kapctl-darwin-arm64 ./cmd/kapctl
	@echo "make darwin-cli: dist/kapctl-darwin-amd64, dist/kapctl-darwin-arm64"

# Cold start to a drawn window with 100,000 appointments, median of 5 runs.
coldstart: deps-test
	bash scripts/coldstart.sh

clean:
	rm -rf bin dist

deps-build:
	@bash scripts/deps.sh build

deps-test:
	@bash scripts/deps.sh test
