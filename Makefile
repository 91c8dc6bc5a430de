# hike — out-of-tree build.  `make` builds hiked, hikectl and the test
# binaries into $(B); `make check` runs the whole suite (see tests/check).
B        ?= build
CC       ?= cc
PKGS     := libcrypto libmnl libcpg libquorum libvotequorum libcmap libcfg \
            libprotobuf-c yaml-0.1 jansson
OPT      ?= -O2
SAN      ?=
CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP $(SAN) \
            -Iinclude -Inode -Isync -I$(B)/gen $(shell pkg-config --cflags $(PKGS))
LDFLAGS  += $(SAN)
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lpthread

PROTO_SRC := $(wildcard proto/*.proto)
PROTO_C   := $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTO_SRC))
PROTO_H   := $(PROTO_C:.c=.h)

# Everything under node/<dir>/ and sync/ is library code; node/*.c are mains.
# LIBDIRS can narrow the library to some directories while one is unfinished.
LIBDIRS  ?= $(wildcard node/*/) sync/
LIB_SRC  := $(foreach d,$(LIBDIRS),$(wildcard $(d:/=)/*.c)) $(PROTO_C)
LIB_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC:$(B)/%=%))
LIB      := $(B)/libhike.a

BIN      := $(B)/hiked $(B)/hikectl

# tests/common/*.c are shared helpers; every other tests/<dir>/test_*.c is
# one test binary, run by tests/check.
TCOMMON_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/common/*.c))
TEST_SRC := $(wildcard tests/unit/test_*.c tests/vectors/test_*.c \
              tests/exchange/test_*.c tests/sync/test_*.c)
TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all check deps sanitize fuzz clean bench
# keep object files of pattern-built tests (no rebuild, no rm noise)
.SECONDARY:
all: $(BIN) $(TEST_BIN) $(BENCH_BIN)

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	protoc-c --proto_path=proto --c_out=$(B)/gen $<

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-unused-parameter -c -o $@ $<

$(B)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/hiked: $(B)/obj/node/hiked.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/hikectl: $(B)/obj/node/hikectl.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/%.o $(TCOMMON_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

$(B)/bench/%: $(B)/obj/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the IKE load generator drives tests/common/initiator.c
$(B)/bench/ike_load: $(B)/obj/tests/bench/ike_load.o $(TCOMMON_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Everything CI runs; ends with "N passed, N failed".
check:
	tests/check

deps:
	deploy/deps.sh

sanitize:
	$(MAKE) B=build-san SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" OPT=-O1 all
	HIKE_BUILD=build-san HIKE_UNIT_ONLY=1 tests/check --no-deps

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BIN)
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BIN)

# (the library sources are listed so a codec change rebuilds the fuzzers;
# the test initiator is linked in for targets that need real SAs)
build-fuzz/%: tests/fuzz/%.c tests/common/initiator.c $(filter-out $(PROTO_C),$(LIB_SRC)) $(wildcard node/*/*.h sync/*.h include/hike/*.h tests/fuzz/*.h tests/sync/*.h tests/exchange/harness.h)
	$(MAKE) B=build-fuzz CC=clang SAN="-fsanitize=fuzzer-no-link,address,undefined" OPT=-O1 build-fuzz/libhike.a
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -Iinclude -Inode -Isync -Ibuild-fuzz/gen \
	  -o $@ $< tests/common/initiator.c build-fuzz/libhike.a $(LDLIBS)

clean:
	rm -rf $(B) build-san build-fuzz

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# --- install: hiked, hikectl, the systemd unit and an example config.
# `make install PREFIX=/usr DESTDIR=/tmp/root` stages a package
# (deploy/debian/build-deb.sh does so).
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DOCDIR   ?= $(PREFIX)/share/doc/hike
.PHONY: install
install: $(BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(B)/hiked $(DESTDIR)$(SBINDIR)/hiked
	install -m 0755 $(B)/hikectl $(DESTDIR)$(BINDIR)/hikectl
	sed 's|@SBINDIR@|$(SBINDIR)|g' deploy/systemd/hiked.service >$(DESTDIR)$(UNITDIR)/hiked.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hiked.service
	install -m 0644 deploy/systemd/hiked.example.yaml $(DESTDIR)$(DOCDIR)/examples/hiked.yaml
	install -m 0644 docs/config.md docs/deploy.md $(DESTDIR)$(DOCDIR)/
