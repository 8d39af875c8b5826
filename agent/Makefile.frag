# SPDX-License-Identifier: Apache-2.0
# `make test` for the phpize build: the .phpt suite (tests/agent/phpt) run by
# the same runner as meson's (tests/agent/run-phpt.sh) against
# modules/bvapm.so, with bvapm-fake-producer (testing/), built here, as the
# tests' stand-in drainer. Needs libjson-c-dev for the tool.
BVAPM_TOOL_SOURCES = $(bvapm_root)/testing/fake_producer.c \
	$(addprefix $(bvapm_root)/ring/,$(BVAPM_RING_SOURCES)) \
	$(bvapm_root)/record/record_build.c $(bvapm_root)/record/record_verify.c \
	$(bvapm_root)/record/record_read.c $(bvapm_root)/record/record_json.c

bvapm-fake-producer: $(BVAPM_TOOL_SOURCES)
	$(CC) -std=gnu11 -O2 -D_GNU_SOURCE -fno-strict-aliasing -I$(bvapm_root) \
		`pkg-config --cflags json-c` -o $@ $(BVAPM_TOOL_SOURCES) `pkg-config --libs json-c` -lpthread

test: bvapm-test
bvapm-test: all bvapm-fake-producer
	$(bvapm_root)/tests/agent/run-phpt.sh $(phplibdir)/bvapm.so $(builddir)/bvapm-fake-producer \
		$(bvapm_root)/tests/agent/phpt

.PHONY: bvapm-test

# ring/ and record/ objects live beside their sources, outside this directory.
clean: bvapm-clean
bvapm-clean:
	rm -f bvapm-fake-producer
	cd $(bvapm_root) && rm -rf ring/*.lo ring/*.dep ring/.libs record/*.lo record/*.dep record/.libs

.PHONY: bvapm-clean
