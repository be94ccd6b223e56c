# hbasim — the front door.
#
#   make run                  build everything and run the main job (the storage stack workload)
#   make test                 the whole test suite; last line "N passed, N failed"
#   make lint                 Verilator -Wall lint, Yosys synthesis (cell counts), generated files up to date
#   make waves TEST=name [SEED=n]   rerun one test with FST waves and render a PNG
#   make bench                simulation and DMA throughput figures
#   make soak                 the seeded workload suites over many seeds (SOAK_RESEED, default 25)
#   make clean
#
# Two build variants share one source tree: `rel` (-O2, for run/bench/waves) and `san`
# (AddressSanitizer + UndefinedBehaviorSanitizer, for make test). BUILD= moves the build tree.

SHELL    := /bin/bash
BUILD    ?= build
SEED     ?= 1
RESEED   ?= 3
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
TIMEOUT  ?= 600
FILTER   ?=
VERILATOR ?= verilator

ifeq ($(V),1)
Q :=
else
Q := @
endif

.DEFAULT_GOAL := help
.PHONY: help deps run test test-bin lint waves bench soak clean check-gen gen-docs tools rtl-tests \
        FORCE

help:
	@sed -n '3,12p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------------------------------------
# Dependencies: installed with apt-get when missing (as root), or the exact command is printed.
deps:
	$(Q)tools/deps.sh

# ---------------------------------------------------------------------------------------------
# Sources

REGS       := $(wildcard rtl/*/data/*.regs)
BLOCKS     := $(basename $(notdir $(REGS)))
GEN        := $(BUILD)/gen
GEN_H      := $(patsubst %,$(GEN)/%_regs.h,$(BLOCKS))
GEN_PKG    := $(patsubst %,$(GEN)/%_reg_pkg.sv,$(BLOCKS))
RTL_SV     := $(sort $(wildcard rtl/*/*.sv))
RTL_ALL    := $(GEN_PKG) $(RTL_SV)

SIM_C      := $(sort $(wildcard sim/*.c))
MODELS_C   := $(sort $(wildcard models/*.c))
DRIVER_C   := $(sort $(wildcard driver/*/*.c driver/*.c))
TEST_C     := $(sort $(wildcard tests/harness/*.c tests/unit/*.c tests/sim/*.c tests/sysdma/*.c \
                                 tests/hba/*.c tests/system/*.c tests/hal/*.c tests/scsiport/*.c \
                                 tests/storport/*.c))
LIB_C      := $(SIM_C) $(MODELS_C) $(DRIVER_C)
INCLUDES   := -Isim -Imodels -Idriver -Idriver/include -Idriver/hal -Idriver/scsiport \
              -Idriver/storport -Idriver/miniport -Idriver/class -Idriver/port -Idriver/stack -Itests/harness -I$(GEN)

CC         ?= cc
CXX        ?= c++
CSTD       := -std=c11 -D_GNU_SOURCE
WARN       := -Wall -Wextra -Werror
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

CFLAGS_rel := $(CSTD) $(WARN) -O2 -g
CFLAGS_san := $(CSTD) $(WARN) -O1 -g $(SAN_FLAGS)
VOPT_rel   := -O2
VOPT_san   := -O1
VCXX_rel   := -g
VCXX_san   := -g $(SAN_FLAGS)
LDFLAGS_rel :=
LDFLAGS_san := $(SAN_FLAGS)

# ---------------------------------------------------------------------------------------------
# Tools and generated register files

REGTOOL := $(BUILD)/tools/regtool
RUNNER  := $(BUILD)/tools/runner

$(BUILD)/tools/%: tools/%.c | $(BUILD)/tools
	$(Q)$(CC) $(CSTD) $(WARN) -O2 -g -o $@ $<

$(BUILD)/tools $(GEN):
	$(Q)mkdir -p $@

tools: $(REGTOOL) $(RUNNER)

define regs_rules
$(GEN)/$(1)_regs.h: $(2) $(REGTOOL) | $(GEN)
	$(Q)$(REGTOOL) --c $$@ $$<
$(GEN)/$(1)_reg_pkg.sv: $(2) $(REGTOOL) | $(GEN)
	$(Q)$(REGTOOL) --sv $$@ $$<
$(GEN)/$(1)_registers.md: $(2) $(REGTOOL) | $(GEN)
	$(Q)$(REGTOOL) --md $$@ $$<
endef
$(foreach r,$(REGS),$(eval $(call regs_rules,$(basename $(notdir $(r))),$(r))))

# The test suite list: every TEST_SUITE(name) in tests/.
$(GEN)/suites.def: FORCE | $(GEN)
	$(Q)grep -rhoE '^TEST_SUITE\([a-z0-9_]+\)' tests --include='*.c' | sort -u \
	  | sed -E 's/TEST_SUITE\((.*)\)/SUITE(\1)/' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# Committed register docs are generated; check-gen fails when they are stale.
gen-docs: $(patsubst %,$(GEN)/%_registers.md,$(BLOCKS))
	$(Q)for b in $(BLOCKS); do mkdir -p docs/$$b && cp $(GEN)/$${b}_registers.md docs/$$b/registers.md; done
	@echo "register docs regenerated under docs/"

check-gen: $(patsubst %,$(GEN)/%_registers.md,$(BLOCKS))
	$(Q)ok=1; for b in $(BLOCKS); do \
	  if ! cmp -s $(GEN)/$${b}_registers.md docs/$$b/registers.md; then \
	    echo "check-gen: docs/$$b/registers.md is stale; run 'make gen-docs'"; ok=0; fi; done; \
	  [ $$ok = 1 ] && echo "check-gen: register docs match their descriptions"

# The DDK headers (driver/include) compile a miniport written from Microsoft's documentation
# unchanged: tests/ddk/*.c are compile-only checks, never linked (not in TEST_C).
DDK_CHECK_C := $(sort $(wildcard tests/ddk/*.c))
.PHONY: check-ddk
check-ddk:
	$(Q)p=0; f=0; for x in $(DDK_CHECK_C); do \
	  if $(CC) -std=c11 -Wall -Wextra -Werror -Idriver/include -fsyntax-only $$x; then \
	    p=$$((p+1)); echo "PASS ddk $$x"; else f=$$((f+1)); echo "FAIL ddk $$x"; fi; done; \
	  echo "$$p passed, $$f failed"; [ $$f = 0 ]

# ---------------------------------------------------------------------------------------------
# Verilated model and C objects, per variant

VFLAGS := --cc --top-module soc_top --trace-fst --trace-structs -Wall -Wno-fatal \
          --x-assign unique --x-initial unique -O3 -Mdir

# Each build variant holds two Verilated soc_top models (docs/harness.md "Model variants"):
# obj/ (HbaDmaChan 5, the default) and obj_ch1/ (HbaDmaChan 1: the HBA on an 8-bit channel),
# each with its own class prefix so both link into one binary; the Verilator runtime comes
# from obj/.
define model_rules
$(BUILD)/$(1)/$(2)/$(3).mk: $(RTL_ALL) sim/model.cpp | $(GEN)
	$(Q)mkdir -p $(BUILD)/$(1)/$(2)
	@echo "  VERILATE $(1) $(3)"
	$(Q)$(VERILATOR) $(VFLAGS) $(BUILD)/$(1)/$(2) --prefix $(3) -GHbaDmaChan=$(4) $(RTL_ALL) \
	  $(abspath sim/model.cpp) -CFLAGS "$(VCXX_$(1)) -I$(abspath sim) -DMODEL_CHAN=$(4)" \
	  > $(BUILD)/$(1)/verilate_$(2).log 2>&1 || { cat $(BUILD)/$(1)/verilate_$(2).log; exit 1; }

$(BUILD)/$(1)/$(2).stamp: $(BUILD)/$(1)/$(2)/$(3).mk
	@echo "  BUILD    $(1) verilated model $(3)"
	$(Q)$(MAKE) -s -C $(BUILD)/$(1)/$(2) -f $(3).mk OPT_FAST="$(VOPT_$(1))" OPT_SLOW="-O1" \
	  OPT_GLOBAL="$(VOPT_$(1))" $(5) > $(BUILD)/$(1)/vbuild_$(2).log 2>&1 \
	  || { cat $(BUILD)/$(1)/vbuild_$(2).log; exit 1; }
	$(Q)touch $$@
endef

define variant_rules
VOBJS_$(1) := $(addprefix $(BUILD)/$(1)/obj/,model.o verilated.o verilated_fst_c.o \
                verilated_threads.o Vsoc_top__ALL.a) \
              $(addprefix $(BUILD)/$(1)/obj_ch1/,model.o Vsoc_top_ch1__ALL.a)
$(call model_rules,$(1),obj,Vsoc_top,5,model.o verilated.o verilated_fst_c.o verilated_threads.o Vsoc_top__ALL.a)
$(call model_rules,$(1),obj_ch1,Vsoc_top_ch1,1,model.o Vsoc_top_ch1__ALL.a)

$(BUILD)/$(1)/libvsoc.stamp: $(BUILD)/$(1)/obj.stamp $(BUILD)/$(1)/obj_ch1.stamp
	$(Q)touch $$@

$(BUILD)/$(1)/c/%.o: %.c $(GEN_H) $(GEN)/suites.def
	$(Q)mkdir -p $$(dir $$@)
	@echo "  CC       $(1) $$<"
	$(Q)$(CC) $(CFLAGS_$(1)) $(INCLUDES) -MMD -MP -c -o $$@ $$<

$(BUILD)/$(1)/libhbasim.a: $(patsubst %.c,$(BUILD)/$(1)/c/%.o,$(LIB_C))
	$(Q)rm -f $$@ && ar rcs $$@ $$^

$(BUILD)/$(1)/hbasim_tests: $(patsubst %.c,$(BUILD)/$(1)/c/%.o,$(TEST_C)) $(BUILD)/$(1)/libhbasim.a \
                            $(BUILD)/$(1)/libvsoc.stamp
	@echo "  LINK     $$@"
	$(Q)$(CXX) $(LDFLAGS_$(1)) -o $$@ $$(filter %.o,$$^) $(BUILD)/$(1)/libhbasim.a \
	  $$(VOBJS_$(1)) -lz -pthread -latomic

-include $(shell find $(BUILD)/$(1)/c -name '*.d' 2>/dev/null)
endef
$(eval $(call variant_rules,rel))
$(eval $(call variant_rules,san))

# Standalone programs (tools/<name>.c) linked against the harness, models and drivers:
# sysdma_demo, hba_bench (make bench), stack_demo (make run, make bench).
TOOL_BINS := sysdma_demo hba_bench stack_demo
define tool_rule
$(BUILD)/$(1)/$(2): $(BUILD)/$(1)/c/tools/$(2).o $(BUILD)/$(1)/libhbasim.a $(BUILD)/$(1)/libvsoc.stamp
	@echo "  LINK     $$@"
	$(Q)$(CXX) $(LDFLAGS_$(1)) -o $$@ $$< $(BUILD)/$(1)/libhbasim.a $$(VOBJS_$(1)) \
	  -lz -pthread -latomic
endef
$(foreach v,rel san,$(foreach b,$(TOOL_BINS),$(eval $(call tool_rule,$(v),$(b)))))

# ---------------------------------------------------------------------------------------------
# Front-door targets

RUN_DIR := $(BUILD)/run
run: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/rel/stack_demo
	$(Q)mkdir -p $(RUN_DIR)
	$(Q)$(BUILD)/rel/stack_demo --seed $(SEED) --waves $(RUN_DIR)/stack.fst \
	  --report $(RUN_DIR)/report.txt

test-bin: $(BUILD)/san/hbasim_tests $(RUNNER)

# The whole suite: C tests (sanitized build) through the runner, then the RTL, tool and lint
# checks; tools/testall.sh adds the counts up and prints the final "N passed, N failed".
test: deps
	$(Q)$(MAKE) --no-print-directory test-bin $(REGTOOL) $(GEN_PKG)
	$(Q)BUILD=$(BUILD) JOBS=$(JOBS) SEED=$(SEED) RESEED=$(RESEED) TIMEOUT=$(TIMEOUT) \
	  FILTER="$(FILTER)" tools/testall.sh

lint: deps $(GEN_PKG)
	$(Q)BUILD=$(BUILD) tools/lint_all.sh $(GEN_PKG) -- $(RTL_SV)
	$(Q)$(MAKE) --no-print-directory check-gen

WAVES_DIR := $(BUILD)/waves
GTKW      ?= $(if $(filter hba%,$(TEST)),waves/hba.gtkw,waves/sysdma.gtkw)
waves: deps
	$(Q)test -n "$(TEST)" || { echo "usage: make waves TEST=suite.test [SEED=n]"; exit 2; }
	$(Q)$(MAKE) --no-print-directory $(BUILD)/rel/hbasim_tests
	$(Q)mkdir -p $(WAVES_DIR)
	$(Q)w=$(WAVES_DIR)/$(TEST).$(SEED); \
	  $(BUILD)/rel/hbasim_tests --test $(TEST) --seed $(SEED) --waves $$w.fst 2>&1 \
	    | tee $$w.log; rc=$${PIPESTATUS[0]}; \
	  echo "waves: $$w.fst"; \
	  if waves/render.sh --fail-log $$w.log $$w.fst $(GTKW) $$w.png \
	      > $(WAVES_DIR)/render.log 2>&1; then \
	    echo "picture: $$w.png"; \
	  else echo "picture: not rendered (see $(WAVES_DIR)/render.log)"; fi; \
	  echo "open with: gtkwave $$w.fst $(GTKW)"; exit $$rc

# Long runs, kept out of make test: the seeded workload suites over many seeds.
SOAK_FILTER ?= stack*,disk_class*,scsiport*,hbabm*,hba_xfer.random*,hba_ch8*
SOAK_RESEED ?= 25
soak: deps
	$(Q)$(MAKE) --no-print-directory test-bin
	$(Q)ASAN_OPTIONS=detect_leaks=1 $(RUNNER) --bin $(BUILD)/san/hbasim_tests -j $(JOBS) \
	  --seed $(SEED) --reseed $(SOAK_RESEED) --timeout $(TIMEOUT) --results $(BUILD)/soak \
	  --filter '$(SOAK_FILTER)'

bench: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/rel/sysdma_demo $(BUILD)/rel/hba_bench \
	  $(BUILD)/rel/stack_demo
	$(Q)BUILD=$(BUILD) SEED=$(SEED) tools/bench.sh

clean:
	rm -rf $(BUILD)

FORCE:
