<?php
/*
 * One service provider per organization registered in params.json:
 * entity ID {base}/organizations/{org}/saml/metadata,
 * ACS {base}/organizations/{org}/saml/consume (HTTP-POST).
 */
$p = require dirname(__DIR__) . '/params.php';

foreach ($p['sps'] as $sp) {
    $metadata[$sp['entity_id']] = [
        'AssertionConsumerService' => [
            [
                'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
                'Location' => $sp['acs_url'],
                'index' => 0,
            ],
        ],
        'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'simplesaml.nameidattribute' => 'email',
        'saml20.sign.response' => true,
        // sign_assertion false: only the Response is signed (Shibboleth's default).
        'saml20.sign.assertion' => $sp['sign_assertion'] ?? true,
        'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    ];
    // The SP's own certificates (PEM, from its metadata): encryption_certs makes
    // the IdP encrypt the assertion for the first; signing_certs makes it require
    // AuthnRequests signed by one of them.
    $keys = [];
    foreach (['encryption_certs' => 'encryption', 'signing_certs' => 'signing'] as $field => $use) {
        foreach ($sp[$field] ?? [] as $pem) {
            $keys[] = [
                'encryption' => $use === 'encryption',
                'signing' => $use === 'signing',
                'type' => 'X509Certificate',
                'X509Certificate' => preg_replace('/-----[^-]+-----|\s+/', '', $pem),
            ];
        }
    }
    if ($keys !== []) {
        $metadata[$sp['entity_id']]['keys'] = $keys;
    }
    $metadata[$sp['entity_id']]['assertion.encryption'] = !empty($sp['encryption_certs']);
    $metadata[$sp['entity_id']]['validate.authnrequest'] = !empty($sp['signing_certs']);
    $metadata[$sp['entity_id']]['redirect.validate'] = !empty($sp['signing_certs']);
}
