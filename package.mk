# The provider as a package another project installs (provider/README.md).
# `make pack` writes provider/zfs-fleet-provider-<version>.tgz; npm pack runs
# the build first (the package's prepack script). Included by the Makefile
# (`-include package.mk`).
.PHONY: pack
pack: deps
	@$(ENV) cd provider && npm pack
