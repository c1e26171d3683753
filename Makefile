# cplane: one Makefile for the whole tree.
#
#   make            build the host, plugins, fixture plugins, tests and benches
#   make run        install missing packages, build, start cplane
#   make test       install missing packages, build, run every test:
#                   plain, then ASan+UBSan (leaks fatal), then TSan
#   make bench      print the benchmark figures
#   make fuzz       run every fuzz target and the request fuzzer,
#                   FUZZ_SECONDS each (default 60)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Variants build into their own directories so they never mix objects:
# SAN=1 -> build/asan, TSAN=1 -> build/tsan, FUZZ=1 -> build/fuzz (clang,
# libFuzzer instrumentation with ASan+UBSan), otherwise build/release.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

PKGS     := libevent libevent_pthreads libevent_openssl json-c inih sqlite3 openssl yaml-0.1 \
            libpcre2-8
DEB_PKGS := build-essential pkg-config libevent-dev libjson-c-dev libinih-dev \
            libcmocka-dev libsqlite3-dev libssl-dev libyaml-dev abigail-tools \
            etcd-server etcd-client procps openssl curl jq python3-kubernetes prometheus \
            clang libpcre2-dev libjemalloc-dev

# CP_ASSERT (host/log/assert.h) checks invariants in the sanitizer builds
# only; release compiles them out.
ifeq ($(SAN),1)
  VARIANT  := asan
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
  ASSERTS  := -DCP_ASSERTS
else ifeq ($(TSAN),1)
  VARIANT  := tsan
  SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
  ASSERTS  := -DCP_ASSERTS
else ifeq ($(FUZZ),1)
  # libFuzzer needs clang; the host library gets the coverage hooks
  # (fuzzer-no-link) and each target links the fuzzer's main.
  VARIANT  := fuzz
  CC       := clang
  SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=all -fno-omit-frame-pointer
  ASSERTS  := -DCP_ASSERTS
else
  VARIANT  := release
  SANFLAGS :=
  ASSERTS  :=
endif

B := build/$(VARIANT)

# The release cplane binary allocates with jemalloc, as Redis does: the
# 30,000-replica run takes ~30% less CPU than with glibc's malloc, whose
# arenas and consolidation the API server's many small JSON objects,
# freed on other threads, make costly (README, bench table). MALLOC=libc
# keeps glibc's. The sanitizers bring their own allocators.
MALLOC ?= jemalloc
ifeq ($(VARIANT)-$(MALLOC),release-jemalloc)
  CPLANE_MALLOC := -ljemalloc
endif

# pkg-config is only asked once the packages are there (make deps).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
OPT     ?= -O2
CFLAGS  ?=
CFLAGS  += -std=gnu11 -g $(OPT) $(WARN) $(SANFLAGS) $(ASSERTS) -fPIC \
           -D_GNU_SOURCE -Isdk/include -Ihost $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -ldl -lpthread -lm
LDFLAGS += $(SANFLAGS)

# Plugins never link against the host: -z defs proves every symbol is
# resolved inside the .so itself.
PLUGIN_CFLAGS := -std=gnu11 -g $(OPT) $(WARN) $(SANFLAGS) -fPIC \
                 -fvisibility=hidden -Isdk/include
PLUGIN_LDFLAGS := -shared -Wl,-z,defs $(SANFLAGS)

HOST_SRCS := $(filter-out host/main.c,$(wildcard host/*.c host/*/*.c host/*/*/*.c))
# The built-in API schemas are JSON files assembled into the host with
# .incbin (host/apiserver/schemas/builtin.S).
SCHEMA_ASM  := host/apiserver/schemas/builtin.S
SCHEMA_JSON := $(wildcard host/apiserver/schemas/*.json)
HOST_OBJS := $(HOST_SRCS:%.c=$(B)/%.o) $(SCHEMA_ASM:%.S=$(B)/%.o)
HOST_LIB  := $(B)/libcplane-host.a

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

# The test kit (sdk/include/cplane/testing.h): the fake host's modules and
# the host modules they reuse, in one PIC archive that is installed, so a
# plugin's tests link one library (see sdk/cplane-testing.pc.in).
KIT_SRCS := $(wildcard sdk/testing/*.c)
KIT_OBJS := $(KIT_SRCS:%.c=$(B)/%.o)
KIT_LIB  := $(B)/libcplane-testing.a
# The template's tests (sdk/examples/template_test.c) run with the units.
UNIT_BINS += $(B)/tests/test_kit_template
# So do the example controllers' (sdk/examples/NAME_test.c for NAME.c, one
# plugin NAME-with-dashes.so each, built for tests/integration/sdk_examples.sh;
# installed as sources only, beside the template).
EXAMPLES    := configmap_hash done_after_delay
UNIT_BINS   += $(EXAMPLES:%=$(B)/tests/test_example_%)
EXAMPLE_SOS := $(foreach e,$(EXAMPLES),$(B)/plugins/$(subst _,-,$(e)).so)
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)

# Each plugins/NAME/ builds NAME.so from its own modules and the SDK's
# header-only helpers (sdk/include/cplane/*.h), nothing else.
PLUGIN_DIRS   := $(wildcard plugins/*/)
# The SDK's template is built and shipped as a default plugin too, so the
# example a plugin developer copies is always one the host really loads.
PLUGIN_SOS    := $(foreach d,$(PLUGIN_DIRS),$(B)/plugins/$(notdir $(d:%/=%)).so) \
                 $(B)/plugins/template.so $(B)/plugins/replicationcontroller.so
FIXTURE_SRCS  := $(wildcard tests/plugins/*.c)
FIXTURE_SOS   := $(FIXTURE_SRCS:tests/plugins/%.c=$(B)/tests/plugins/%.so)

# One libFuzzer target per tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/; always built in the fuzz variant.
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: all deps run test test-suite test-unit test-integration test-abi \
        bench install clean abi-baseline fuzz fuzz-targets test-fuzz
.DEFAULT_GOAL := all

all: $(B)/cplane $(PLUGIN_SOS) $(FIXTURE_SOS) $(UNIT_BINS) $(BENCH_BINS)
all: $(EXAMPLE_SOS)

# Installs only what is missing, so a second run costs one dpkg query.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "deps: run as root or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: all packages present"; fi

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -c -o $@ $<

$(SCHEMA_ASM:%.S=$(B)/%.o): $(SCHEMA_JSON)

$(HOST_LIB): $(HOST_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(KIT_LIB): $(KIT_OBJS) $(HOST_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Built by `make` (the kit's tests need it) and installed.
all install: $(KIT_LIB)

$(B)/cplane: $(B)/host/main.o $(HOST_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(CPLANE_MALLOC) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/*.h $(HOST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(HOST_LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

# test_NAME (tests/unit/test_NAME.c) for each plugins/NAME/ tests that
# plugin's modules without its glue (plugins/NAME/NAME.c), against the
# host's own object code, as a plugin sees it.
define PLUGIN_MODULE_TEST
$(1)_MODULES := $$(filter-out plugins/$(1)/$(1).c,$$(wildcard plugins/$(1)/*.c))
$(B)/tests/test_$(1): tests/unit/test_$(1).c $$($(1)_MODULES) $$(wildcard plugins/$(1)/*.h) tests/unit/*.h sdk/include/cplane/*.h $(HOST_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -Iplugins/$(1) -o $$@ $$< $$($(1)_MODULES) $(HOST_LIB) $$(LDFLAGS) $$(LDLIBS) -lcmocka
endef
$(foreach p,$(notdir $(PLUGIN_DIRS:%/=%)),$(eval $(call PLUGIN_MODULE_TEST,$(p))))

# Tests through the kit. test_kit_NAME links the in-tree plugin
# plugins/NAME/*.c unchanged; the template's test is
# the example in sdk/examples/.
$(B)/tests/test_testing_kit: tests/unit/test_testing_kit.c $(KIT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(KIT_LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

$(B)/tests/test_kit_template: sdk/examples/template_test.c sdk/examples/template.c $(KIT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) $(KIT_LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

$(B)/tests/test_example_%: sdk/examples/%_test.c sdk/examples/%.c sdk/include/cplane/*.h $(KIT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) $(KIT_LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

# The replicationcontroller plugin is the replicaset plugin's own sources
# built for the legacy kind (plugins/replicaset/rs.h), not a copy.
RC_SRCS := $(wildcard plugins/replicaset/*.c)
$(B)/tests/test_kit_replicationcontroller: tests/unit/test_kit_replicationcontroller.c $(KIT_LIB) $(RC_SRCS) $(wildcard plugins/replicaset/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRS_REPLICATIONCONTROLLER -Iplugins/replicaset -o $@ $< \
	  $(RC_SRCS) $(KIT_LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

$(B)/tests/test_kit_%: tests/unit/test_kit_%.c $(KIT_LIB) $(wildcard plugins/*/*.c plugins/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iplugins/$* -o $@ $< \
	  $(wildcard plugins/$*/*.c) $(KIT_LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

$(B)/fuzz/%: tests/fuzz/%.c $(HOST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(HOST_LIB) $(LDFLAGS) $(LDLIBS)

$(B)/bench/%: bench/%.c $(wildcard bench/*.c) $(HOST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(HOST_LIB) $(LDFLAGS) $(LDLIBS)

# A plugin's own headers are prerequisites too (second expansion: a
# plugin may have none).
.SECONDEXPANSION:
$(B)/plugins/%.so: $$(wildcard plugins/$$*/*.c plugins/$$*/*.h) sdk/include/cplane/*.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $(filter %.c,$^)

$(B)/plugins/replicationcontroller.so: $(RC_SRCS) $(wildcard plugins/replicaset/*.h) sdk/include/cplane/*.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DRS_REPLICATIONCONTROLLER $(PLUGIN_LDFLAGS) -o $@ $(RC_SRCS)

$(B)/plugins/template.so: sdk/examples/template.c sdk/include/cplane/*.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $<

$(B)/plugins/configmap-hash.so: sdk/examples/configmap_hash.c sdk/include/cplane/*.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $<

$(B)/plugins/done-after-delay.so: sdk/examples/done_after_delay.c sdk/include/cplane/*.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $<

$(B)/tests/plugins/%.so: tests/plugins/%.c sdk/include/cplane/*.h tests/plugins/*.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $<

-include $(shell find build -name '*.d' 2>/dev/null)

run: deps
	@$(MAKE) --no-print-directory $(B)/cplane $(PLUGIN_SOS)
	@mkdir -p $(B)/run
	$(B)/cplane --config config/cplane.ini --plugin-dir $(B)/plugins \
	  --data-dir $(B)/run

# The README's one test command: plain, then sanitizers, then TSan.
test: deps
	@$(MAKE) --no-print-directory test-suite
	@$(MAKE) --no-print-directory test-suite SAN=1
	@$(MAKE) --no-print-directory test-unit TSAN=1
	@$(MAKE) --no-print-directory test-fuzz
	@echo "make test: all variants passed"

test-suite: test-unit test-integration test-abi

test-unit: all
	@B=$(B) VARIANT=$(VARIANT) tests/run-unit.sh $(UNIT_BINS)

# Two scripts side by side: most of a script's time is spent waiting on
# controllers, and CI's time is bounded.
INTEGRATION_JOBS ?= 2
test-integration: all
	@B=$(B) VARIANT=$(VARIANT) INTEGRATION_JOBS=$(INTEGRATION_JOBS) \
	  tests/run-integration.sh

test-abi: deps
	@tests/abi/check.sh

abi-baseline:
	@tests/abi/check.sh --update

# The fuzz targets, built with clang in build/fuzz whatever the variant.
fuzz-targets:
	@$(MAKE) --no-print-directory FUZZ=1 $(FUZZ_BINS)

# A smoke run of every target over its seeds and a bounded number of
# mutations (tests/fuzz/run.sh), so a crash a seed or a shallow mutation
# finds fails the suite. The request fuzzer runs among the integration
# scripts (tests/integration/apiserver_request_fuzz.sh).
test-fuzz: deps
	@$(MAKE) --no-print-directory fuzz-targets
	@tests/fuzz/run.sh smoke $(FUZZ_BINS)

# Long runs: each target FUZZ_SECONDS, then the request fuzzer as long
# against the ASan+UBSan server.
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-targets
	@$(MAKE) --no-print-directory SAN=1 build/asan/cplane
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)
	@B=build/asan VARIANT=asan /usr/bin/python3 tests/fuzz/request_fuzzer.py \
	  --seconds $(FUZZ_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory all
	@for b in $(BENCH_BINS); do echo "== $$b"; $$b || exit 1; done

# cplane.pc states what the headers and the binary say, never a copy.
SDK_ABI := $(shell sed -n 's/^\#define CPLANE_ABI_MAJOR \([0-9]*\).*/\1/p' sdk/include/cplane/version.h).$(shell sed -n 's/^\#define CPLANE_ABI_MINOR \([0-9]*\).*/\1/p' sdk/include/cplane/version.h)
CPLANE_VERSION := $(shell sed -n 's/^\#define CPLANE_VERSION "\(.*\)"/\1/p' host/main.c)

install: $(B)/cplane $(PLUGIN_SOS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/cplane \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/cplane/plugins \
	  $(DESTDIR)$(PREFIX)/share/cplane/examples $(DESTDIR)$(PREFIX)/etc/cplane
	install -m 0755 $(B)/cplane $(DESTDIR)$(PREFIX)/bin/cplane
	install -m 0644 sdk/include/cplane/*.h $(DESTDIR)$(PREFIX)/include/cplane/
	for p in $(PLUGIN_SOS); do install -m 0755 $$p $(DESTDIR)$(PREFIX)/lib/cplane/plugins/; done
	install -m 0644 sdk/examples/* $(DESTDIR)$(PREFIX)/share/cplane/examples/
	install -d $(DESTDIR)$(PREFIX)/share/doc/cplane
	install -m 0644 docs/plugin-guide.md docs/plugin-testing.md docs/isolation.md \
	  $(DESTDIR)$(PREFIX)/share/doc/cplane/
	install -m 0644 config/cplane.ini $(DESTDIR)$(PREFIX)/etc/cplane/cplane.ini.example
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@ABI@|$(SDK_ABI)|g' \
	  -e 's|@VERSION@|$(CPLANE_VERSION)|g' sdk/cplane.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cplane.pc
	install -m 0644 $(KIT_LIB) $(DESTDIR)$(PREFIX)/lib/libcplane-testing.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBS@|$(strip $(LDLIBS))|g' \
	  -e 's|@SANFLAGS@|$(strip $(SANFLAGS))|g' sdk/cplane-testing.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cplane-testing.pc

clean:
	rm -rf build
