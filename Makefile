# Convenience front end over CMake/CTest; see README.md.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build check test demo bench firmware clean

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

# Stop-and-wait against the windowed protocol over an emulated cellular link,
# then the largest image the slot takes over the gprs and gprs-bad presets
# (bench/README.md).
bench: build
	bench/run.sh $(BUILD)/bin
	bench/update-time $(BUILD)/bin

# The STM32F1 firmware, cross-built into $(BUILD)/firmware: bootloaders, the
# demo application signed with $(FOTA_KEY) (default: $(BUILD)/firmware/dev-key.pem,
# made once), and the QEMU variants; prints the size table
# (ports/stm32f1/build.sh). APP_VERSION is the demo's version.
APP_VERSION ?= 1.0.0
FOTA_KEY ?=
firmware: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target fota
	FOTA_KEY="$(FOTA_KEY)" sh ports/stm32f1/build.sh $(BUILD)/firmware $(BUILD)/bin/fota $(APP_VERSION)

clean:
	rm -rf $(BUILD)
