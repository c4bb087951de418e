#!/usr/bin/env bash
# gcf-deploy.sh: deploys the engine to Google Cloud Functions (2nd gen).
#
# Cloud Functions builds the Go package at the ROOT of the uploaded source,
# and this module's root holds no package (the layout keeps code in core/,
# adapters/, functions/). So the script stages a copy of the module in a
# temporary directory and adds one file at its root, package `edge`, that
# imports functions/gcf; that import registers the Edge (HTTP) and Flush
# (CloudEvent) functions with functions-framework-go. The repository itself
# is never changed.
#
# Then it runs, with the values below:
#   gcloud functions deploy $NAME --gen2 --runtime $RUNTIME --region $REGION \
#     --source $STAGE --entry-point Edge --trigger-http --allow-unauthenticated ...
#   gcloud pubsub topics create $NAME-flush
#   gcloud functions deploy $NAME-flush --gen2 ... --entry-point Flush --trigger-topic $NAME-flush
#   gcloud scheduler jobs create pubsub $NAME-flush --schedule "* * * * *" --topic $NAME-flush ...
#
# Usage: scripts/gcf-deploy.sh            stage and deploy (needs gcloud, a project)
#        scripts/gcf-deploy.sh --stage DIR  only stage the source into DIR (tests use it)
#        scripts/gcf-deploy.sh --print      stage into a temp dir and print the commands
# Env:   GCF_NAME=frontbase-edge  GCF_REGION=europe-west1  GCF_RUNTIME=go126
#        GCF_MEMORY=512Mi  FRONTBASE_ENV=cloud
#        GCF_SECRETS="FRONTBASE_SYSTEM_KEY=frontbase-system-key:latest,FRONTBASE_STATE_DB_TOKEN=frontbase-db-token:latest,FRONTBASE_REDIS_TOKEN=frontbase-redis-token:latest"
#                  secrets are Secret Manager references, never values on the command line
#        GCF_SERVICE_ACCOUNT  the functions' runtime service account (default: the
#                  project's Compute Engine default, PROJECT_NUMBER-compute@...);
#                  it is granted roles/secretmanager.secretAccessor on each secret
#                  of GCF_SECRETS before the deploy, which fails without it
#        FRONTBASE_STATE_DB_URL, FRONTBASE_REDIS_URL, FRONTBASE_TENANT, FRONTBASE_L1_TTL,
#        FRONTBASE_LOG_LEVEL, FRONTBASE_TRUSTED_PROXIES: passed through when set
#        (FRONTBASE_STATE_DB_URL is required in cloud mode: the script stops without it)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

NAME=${GCF_NAME:-frontbase-edge}
REGION=${GCF_REGION:-europe-west1}
RUNTIME=${GCF_RUNTIME:-go126}
MEMORY=${GCF_MEMORY:-512Mi}
SECRETS=${GCF_SECRETS:-FRONTBASE_SYSTEM_KEY=frontbase-system-key:latest,FRONTBASE_STATE_DB_TOKEN=frontbase-db-token:latest,FRONTBASE_REDIS_TOKEN=frontbase-redis-token:latest}

mode=deploy
STAGE=
case "${1:-}" in
--stage)
	mode=stage
	STAGE=${2:?--stage needs a directory}
	;;
--print) mode=print ;;
"") ;;
*)
	echo "usage: $0 [--stage DIR | --print]" >&2
	exit 2
	;;
esac

# stage DIR: the module's Go sources plus the root package.
stage() {
	local dir=$1
	mkdir -p "$dir"
	(cd "$ROOT" && tar -cf - --exclude='*_test.go' --exclude='testdata' go.mod go.sum core adapters functions) | tar -xf - -C "$dir"
	cat >"$dir/function.go" <<'GO'
// Package edge is the root package Cloud Functions builds. Importing
// functions/gcf registers the Edge (HTTP) and Flush (CloudEvent) functions;
// FUNCTION_TARGET (--entry-point) picks one. Written by scripts/gcf-deploy.sh.
package edge

import _ "github.com/frontbase/edge/functions/gcf"
GO
	printf '%s\n' '.git/' 'bin/' 'data/' '.deps/' >"$dir/.gcloudignore"
}

if [[ $mode == stage ]]; then
	stage "$STAGE"
	echo "staged Cloud Functions source in $STAGE"
	exit 0
fi

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/frontbase-gcf.XXXXXX")
[[ $mode == print ]] || trap 'rm -rf "$STAGE"' EXIT
stage "$STAGE"

if [[ ${FRONTBASE_ENV:-cloud} == cloud && -z ${FRONTBASE_STATE_DB_URL:-} ]]; then
	echo "gcf-deploy: FRONTBASE_STATE_DB_URL is required in cloud mode (libsql://<db>-<org>.turso.io)" >&2
	exit 2
fi

# Values may hold commas (FRONTBASE_TRUSTED_PROXIES is a list): gcloud's
# ^DELIM^ syntax picks a delimiter that no value holds.
envs="FRONTBASE_ENV=${FRONTBASE_ENV:-cloud}"
for v in FRONTBASE_STATE_DB_URL FRONTBASE_REDIS_URL FRONTBASE_TENANT FRONTBASE_L1_TTL FRONTBASE_LOG_LEVEL FRONTBASE_TRUSTED_PROXIES; do
	[[ -z ${!v:-} ]] || envs+="@$v=${!v}"
done
envs="^@^$envs"

# The secrets' names in Secret Manager (NAME of VAR=NAME:VERSION).
secret_names=()
IFS=, read -ra pairs <<<"$SECRETS"
for p in "${pairs[@]}"; do
	n=${p#*=}
	secret_names+=("${n%%:*}")
done

edge=(gcloud functions deploy "$NAME" --gen2 --runtime "$RUNTIME" --region "$REGION" --source "$STAGE"
	--entry-point Edge --trigger-http --allow-unauthenticated --memory "$MEMORY" --timeout 30s
	--set-env-vars "$envs" --set-secrets "$SECRETS")
topic=(gcloud pubsub topics create "$NAME-flush")
flush=(gcloud functions deploy "$NAME-flush" --gen2 --runtime "$RUNTIME" --region "$REGION" --source "$STAGE"
	--entry-point Flush --trigger-topic "$NAME-flush" --memory 256Mi --timeout 60s
	--set-env-vars "$envs" --set-secrets "$SECRETS")
job=(gcloud scheduler jobs create pubsub "$NAME-flush" --location "$REGION" --schedule "* * * * *"
	--topic "$NAME-flush" --message-body '{"reason":"schedule"}')

# The runtime service account must read the secrets, or the deploy fails
# ("Permission denied on secret"): grant it on each one.
grants=()
for n in "${secret_names[@]}"; do
	grants+=("gcloud secrets add-iam-policy-binding $n --member serviceAccount:\$SA --role roles/secretmanager.secretAccessor")
done

if [[ $mode == print ]]; then
	echo "# staged in $STAGE"
	echo "# SA=${GCF_SERVICE_ACCOUNT:-\$(gcloud projects describe \$(gcloud config get-value project) --format='value(projectNumber)')-compute@developer.gserviceaccount.com}"
	printf '%s\n' "${grants[@]}"
	printf '%q ' "${edge[@]}"; echo
	printf '%q ' "${topic[@]}"; echo
	printf '%q ' "${flush[@]}"; echo
	printf '%q ' "${job[@]}"; echo
	exit 0
fi

command -v gcloud >/dev/null 2>&1 || { echo "gcf-deploy: gcloud is required (https://cloud.google.com/sdk)" >&2; exit 1; }
SA=${GCF_SERVICE_ACCOUNT:-}
if [[ -z $SA ]]; then
	project=$(gcloud config get-value project 2>/dev/null)
	SA="$(gcloud projects describe "$project" --format='value(projectNumber)')-compute@developer.gserviceaccount.com"
fi
for n in "${secret_names[@]}"; do
	gcloud secrets add-iam-policy-binding "$n" --member "serviceAccount:$SA" --role roles/secretmanager.secretAccessor >/dev/null
done
if [[ -n ${GCF_SERVICE_ACCOUNT:-} ]]; then
	edge+=(--service-account "$SA")
	flush+=(--service-account "$SA")
fi
"${edge[@]}"
"${topic[@]}" 2>/dev/null || echo "topic $NAME-flush exists"
"${flush[@]}"
"${job[@]}" 2>/dev/null || gcloud scheduler jobs update pubsub "$NAME-flush" --location "$REGION" --schedule "* * * * *" --topic "$NAME-flush" --message-body '{"reason":"schedule"}'
gcloud functions describe "$NAME" --gen2 --region "$REGION" --format='value(serviceConfig.uri)'
