# Convenience front end over CMake/CTest; see README.md.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build check test demo bench clean

all: build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The whole test suite (unit, integration, power-cut sweep, cross build).
check test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The main job: sign two firmware versions and update a simulated device.
demo: build
	scripts/demo.sh $(BUILD)/bin

# Stop-and-wait against the windowed protocol over an emulated cellular link.
bench: build
	bench/run.sh $(BUILD)/bin

clean:
	rm -rf $(BUILD)
