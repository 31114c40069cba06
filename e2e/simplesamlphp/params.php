<?php
/*
 * Shared by every file of this configuration: reads params.json, written next
 * to config.php by whoever starts the IdP (the test harness or
 * scripts/saml-idp.sh). Read on every request, so rewriting params.json
 * switches the signing key or the registered service providers at once.
 */
if (!function_exists('orgsso_idp_params')) {
    function orgsso_idp_params(): array
    {
        $dir = getenv('SIMPLESAMLPHP_CONFIG_DIR') ?: __DIR__;
        $json = file_get_contents($dir . '/params.json');
        if ($json === false) {
            throw new \Exception('params.json is missing in ' . $dir);
        }
        return json_decode($json, true, 16, JSON_THROW_ON_ERROR);
    }
}
return orgsso_idp_params();
