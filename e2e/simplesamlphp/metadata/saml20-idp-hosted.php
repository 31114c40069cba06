<?php
/*
 * The IdP: signs the Response and the Assertion with RSA-SHA256, using the
 * key pair params.json names (signing_key: "idp1" or "idp2" → certs/idp1.key,
 * certs/idp1.crt), and sends the email attribute as an emailAddress NameID.
 */
$p = require dirname(__DIR__) . '/params.php';

$metadata[$p['idp_entity_id']] = [
    'host' => '__DEFAULT__',
    'privatekey' => $p['signing_key'] . '.key',
    'certificate' => $p['signing_key'] . '.crt',
    'auth' => 'orgsso-users',

    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',

    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'email',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
];
