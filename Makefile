# migrate — PGXS build.  The version lives here and nowhere else by hand:
# migrate.control and META.json are checked against it by `make check-version`.
EXTENSION    = migrate
EXTVERSION   = 0.1.0

MODULE_big   = migrate
OBJS         = src/migrate.o src/redact.o src/options.o src/conninfo.o src/source.o \
               src/target.o src/child.o src/validate.o src/roles.o src/schema.o src/copy.o \
               src/protocol.o src/tasks.o src/scheduler.o src/worker.o src/worker_tasks.o \
               src/state.o src/pool.o src/dispatch.o src/plan.o src/steps.o src/coordinator.o \
               src/launcher.o src/api.o src/api_replication.o src/cleanup.o src/notify.o src/live.o src/replication.o \
               src/verify.o src/verify_run.o
PGFILEDESC   = "migrate - pull a whole PostgreSQL server into this one"

DATA_built   = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA         = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*--*.sql))

# pg_regress inputs live in sql/ and expected/ (one file a topic).
REGRESS      = api options validate engine replication
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

PG_CONFIG   ?= pg_config
PG_CPPFLAGS  = -I$(shell $(PG_CONFIG) --includedir) -Isrc -DMIGRATE_VERSION='"$(EXTVERSION)"'
SHLIB_LINK_INTERNAL = -L$(shell $(PG_CONFIG) --libdir) -lpq -lcurl

# Warnings are errors when WERROR=1 (make test and CI set it).  PostgreSQL's
# headers are not -Wextra clean, so the noisy classes are turned off.
PG_CFLAGS    = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
               -Wno-missing-field-initializers -Wno-cast-function-type
ifeq ($(WERROR),1)
PG_CFLAGS   += -Werror
endif

EXTRA_CLEAN  = $(DATA_built) results regression.diffs regression.out tmp_check log

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: sql/$(EXTENSION).sql
	cp $< $@

.PHONY: check-version test demo deps
check-version:
	@grep -q "^default_version = '$(EXTVERSION)'" $(EXTENSION).control || \
		{ echo "migrate.control does not say version $(EXTVERSION)"; exit 1; }
	@grep -q '"version": "$(EXTVERSION)"' META.json || \
		{ echo "META.json does not say version $(EXTVERSION)"; exit 1; }

# The README's two commands.  Both install what is missing (as root), build,
# and run the servers they need as an unprivileged user on free loopback ports.
deps:
	bash scripts/deps.sh

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh
