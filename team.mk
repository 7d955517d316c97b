# The team setup (docs/team.md): the stacks' state in PostgreSQL. Included by the top Makefile
# (`-include team.mk`). A local cluster for trying it lives under ZFSFLEET_PG_RUN
# (default /var/tmp/zfs-fleet-pg), outside the repository; the file backend stays the default.
TEAMDB ?= tools/team-db.sh

.PHONY: team-db-up team-db-down team-db-status team-db-migrate-in team-db-migrate-out

# Start (creating on first use) the local PostgreSQL; idempotent. Prints how to point Pulumi at it.
team-db-up:
	@$(TEAMDB) start

# Stop it; the state stays in its run directory (`tools/team-db.sh remove` deletes it).
team-db-down:
	@$(TEAMDB) stop

team-db-status:
	@$(TEAMDB) status

# Move the lab stacks' state (lab-off1, lab-off2, lab-ovh3) from .pulumi/state into PostgreSQL, and
# back; each verifies the move and leaves the stack config files alone. ZFSFLEET_TEAM_STACKS picks
# other stacks, ZFSFLEET_PG_URL another server (the team's), ZFSFLEET_MIGRATE_FORCE=1 overwrites a
# target that changed since it was left behind (its export saved first).
team-db-migrate-in: toolchain team-db-up
	@$(TEAMDB) migrate-to-pg

team-db-migrate-out: toolchain team-db-up
	@$(TEAMDB) migrate-to-file

# The team setup proven on the lab (test/lab/team-lab.test.ts, about half an hour, so not part of
# `make test`): the demo with every stack's state in a PostgreSQL of its own, two working copies
# sharing lab-off2 (the second refused while the first holds it), and an up killed with SIGKILL in
# the middle of the restructure's renames, then cancelled, refreshed and rerun to convergence.
.PHONY: team-lab
team-lab: prepare build
	@$(ENV) ZFSFLEET_TEAM_LAB=1 vitest run --project lab test/lab/team-lab.test.ts
