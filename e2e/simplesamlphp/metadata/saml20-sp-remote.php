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
        'saml20.sign.assertion' => true,
        'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    ];
}
