# The OpenZFS lab (lab/README.md). Included by the top Makefile.
LABCTL ?= lab/labctl

.PHONY: lab-image lab-up lab-status lab-reset lab-seed lab-down

lab-image:
	$(LABCTL) image

lab-up:
	$(LABCTL) up

lab-status:
	$(LABCTL) status

lab-reset:
	$(LABCTL) reset

lab-seed:
	$(LABCTL) seed-legacy

lab-down:
	$(LABCTL) down
