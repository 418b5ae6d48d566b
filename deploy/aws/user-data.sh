#!/bin/bash
# facefleet worker boot — the user data every worker instance gets.
#
# You do not paste this anywhere: `facefleet start` (the supervisor) generates it for each launch
# (adapters/aws/ec2Compute.ts, renderUserData) with the worker's environment filled in. This copy
# shows what runs, so you can build an AMI or launch template that fits it. The AMI must have:
#   - Node.js 20+ on the PATH;
#   - facefleet in /opt/facefleet (`npm ci --omit=dev && npm run model:build`), or set
#     aws.names.appDir;
#   - a user `facefleet` that owns nothing but may read /opt/facefleet (or set aws.names.runAs,
#     empty to run as root);
#   - `runuser` and `shutdown` (any systemd distribution: Amazon Linux 2023, Ubuntu).
# The instance's credentials come from its instance profile (aws.names.instanceProfile, default
# facefleet-worker) — never from here: user data is readable by anyone who may describe the instance.
set -uo pipefail
install -d -m 0755 /etc/facefleet

# 1. The worker's environment: the config keys it needs (FACEFLEET_*: region, endpoints, queue,
#    bucket and table names, timeouts) and its identity. Generated per instance, e.g.:
cat > /etc/facefleet/worker.env <<'FACEFLEET_ENV'
FACEFLEET_BACKEND='aws'
FACEFLEET_AWS_REGION='eu-west-1'
FACEFLEET_AWS_NAME_PREFIX='facefleet'
FACEFLEET_VISIBILITY_TIMEOUT_SECONDS='30'
FACEFLEET_HEARTBEAT_SECONDS='5'
FACEFLEET_INSTANCE_ID='0m3k9x2a00abcdefghij'
FACEFLEET_FLEET='facefleet'
FACEFLEET_ENV
set -a; . /etc/facefleet/worker.env; set +a

# 2. The worker: polls the request queue, processes jobs, and exits after N empty polls
#    (it first terminates its own instance id through the EC2 API).
cd '/opt/facefleet'
# The prebuilt bundle (npm run worker:bundle in the image) boots without transpiling; else tsx.
runuser -u 'facefleet' -- sh -c 'if [ -f dist/facefleet-worker.mjs ]; then exec node dist/facefleet-worker.mjs; else exec node bin/facefleet.js worker; fi'

# 3. Whatever way the worker ended, power off: the instance is launched with
#    InstanceInitiatedShutdownBehavior=terminate, so this terminates it and billing stops.
echo "facefleet worker exited with $?; powering off" | systemd-cat -t facefleet 2>/dev/null || true
shutdown -h now
