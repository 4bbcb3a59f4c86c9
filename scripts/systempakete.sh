#!/usr/bin/env bash
# Debian packages the tests need and pip cannot install: chromium (browser tests of the
# apps and maps) and nginx-light (the reverse-proxy test of the apps). Installs only what
# is missing; needs root. nginx's own service is not started: the test starts its own.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing+=(nginx-light)
[ ${#missing[@]} -eq 0 ] && exit 0
apt-get update -qq
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then  # keep apt from starting nginx's service
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  own_policy=1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
