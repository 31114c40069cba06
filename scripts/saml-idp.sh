#!/usr/bin/env bash
# Starts the same SAML 2.0 IdP the end-to-end tests use (Debian's SimpleSAMLphp under
# `php -S`, configured from e2e/simplesamlphp/) with one organization of a running orgsso
# registered as its service provider, and prints what the organization admin pastes into
# orgsso's SSO settings.
#
#   scripts/saml-idp.sh ORG [PORT]        (default port 9500)
#
# ORGSSO_BASE_URL (default http://127.0.0.1:8080) is where orgsso serves; the SP entity ID
# is $ORGSSO_BASE_URL/organizations/ORG/saml/metadata, the ACS
# $ORGSSO_BASE_URL/organizations/ORG/saml/consume. Several organizations: ORG1,ORG2.
# SAML_IDP_STATE (default ~/.local/state/orgsso-saml-idp/PORT) keeps the IdP's keys, so
# the certificate stays the same across restarts; SAML_IDP_KEY=idp2 signs with the second
# key pair (to try a key rotation). Users: see e2e/simplesamlphp/users.json.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || "$1" == -* ]]; then
  echo "usage: $0 ORG[,ORG…] [PORT]" >&2
  exit 2
fi
orgs=$1
port=${2:-9500}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
templates="$root/e2e/simplesamlphp"
base=${ORGSSO_BASE_URL:-http://127.0.0.1:8080}
base=${base%/}
key=${SAML_IDP_KEY:-idp1}
ssp=${ORGSSO_SIMPLESAMLPHP_DIR:-/usr/share/simplesamlphp}
state=${SAML_IDP_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/orgsso-saml-idp/$port}

missing=()
command -v php >/dev/null || missing+=(php-cli)
php -r 'exit(extension_loaded("dom") ? 0 : 1);' 2>/dev/null || missing+=(php-xml)
[[ -f "$ssp/www/saml2/idp/SSOService.php" ]] || missing+=(simplesamlphp)
command -v openssl >/dev/null || missing+=(openssl)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "saml-idp: missing: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
if [[ "$key" != idp1 && "$key" != idp2 ]]; then
  echo "saml-idp: SAML_IDP_KEY must be idp1 or idp2" >&2
  exit 2
fi

mkdir -p "$state"/{config/metadata,certs,log,data,tmp,sessions}
chmod 700 "$state"
cp "$templates"/{config.php,authsources.php,params.php} "$state/config/"
cp "$templates"/metadata/*.php "$state/config/metadata/"
for k in idp1 idp2; do
  if [[ ! -f "$state/certs/$k.key" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$state/certs/$k.key" -out "$state/certs/$k.crt" \
      -subj "/CN=orgsso local IdP key ${k#idp}" 2>/dev/null
  fi
done
[[ -f "$state/secretsalt" ]] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$state/secretsalt"

idp_base="http://127.0.0.1:$port"
ORGS="$orgs" BASE="$base" IDP_BASE="$idp_base" STATE="$state" KEY="$key" \
USERS="$templates/users.json" php -r '
  $sps = [];
  foreach (explode(",", getenv("ORGS")) as $org) {
      $org = trim($org);
      if ($org === "") continue;
      $sp = getenv("BASE") . "/organizations/" . $org . "/saml";
      $sps[] = ["entity_id" => "$sp/metadata", "acs_url" => "$sp/consume"];
  }
  $idp = getenv("IDP_BASE");
  $params = [
      "base_url" => "$idp/",
      "idp_entity_id" => "$idp/saml2/idp/metadata.php",
      "secretsalt" => trim(file_get_contents(getenv("STATE") . "/secretsalt")),
      "state_dir" => getenv("STATE"),
      "signing_key" => getenv("KEY"),
      "sps" => $sps,
      "users" => json_decode(file_get_contents(getenv("USERS")), true, 16, JSON_THROW_ON_ERROR),
  ];
  file_put_contents(getenv("STATE") . "/config/params.json",
      json_encode($params, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");
'

first_org=${orgs%%,*}
other=idp2
[[ "$key" == idp2 ]] && other=idp1
cat <<INFO
SAML IdP (SimpleSAMLphp $(dpkg-query -W -f='${Version}' simplesamlphp 2>/dev/null || echo '?')) for organization(s) "$orgs"
of $base is starting on $idp_base (Ctrl-C stops it).

  In orgsso, open $base/organizations/$first_org/settings/sso and enter:
    IdP sign-on URL   $idp_base/saml2/idp/SSOService.php
    IdP entity ID     $idp_base/saml2/idp/metadata.php
    Certificate       (signing with $key)
$(sed 's/^/      /' "$state/certs/$key.crt")
  …or paste the IdP metadata XML from $idp_base/saml2/idp/metadata.php
  Then "Update and test configuration", sign in at the IdP, and enable SSO.

  IdP-initiated login (the app tile):
    $idp_base/saml2/idp/SSOService.php?spentityid=$(php -r 'echo rawurlencode($argv[1]);' "$base/organizations/$first_org/saml/metadata")

  Users (username / password → NameID email, groups):
$(php -r 'foreach (json_decode(file_get_contents($argv[1]), true) as $u)
  printf("    %-6s / %-15s → %s, groups %s\n", $u["username"], $u["password"], $u["email"], implode(", ", $u["groups"]));' "$templates/users.json")
  They must be verified emails of the hub accounts that sign in.

  The IdP's other certificate ($other; for a key-rotation trial: add it next to the
  first, test, enable, then restart with SAML_IDP_KEY=$other):
$(sed 's/^/      /' "$state/certs/$other.crt")
  State and logs: $state (log/simplesamlphp.log)
INFO

cd "$ssp/www"
SIMPLESAMLPHP_CONFIG_DIR="$state/config" exec php -S "127.0.0.1:$port" -t "$ssp/www" 2>>"$state/log/php-server.log"
