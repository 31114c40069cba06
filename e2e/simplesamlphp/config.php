<?php
/*
 * SimpleSAMLphp 1.19 configuration of the local test IdP for orgsso.
 * Everything variable comes from params.json (see params.php).
 */
$p = require __DIR__ . '/params.php';
$state = $p['state_dir'];

$config = [
    'baseurlpath' => $p['base_url'],
    'certdir' => $state . '/certs/',
    'loggingdir' => $state . '/log/',
    'datadir' => $state . '/data/',
    'tempdir' => $state . '/tmp',
    'metadatadir' => __DIR__ . '/metadata/',

    'technicalcontact_name' => 'orgsso test IdP',
    'technicalcontact_email' => 'na@example.org',
    'timezone' => 'UTC',

    'secretsalt' => $p['secretsalt'],
    'auth.adminpassword' => $p['secretsalt'],
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,

    'showerrors' => true,
    'errorreporting' => false,
    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],

    'logging.level' => \SimpleSAML\Logger::DEBUG,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',

    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'enable.adfs-idp' => false,

    'module.enable' => [
        'exampleauth' => true,
        'core' => true,
        'saml' => true,
        'admin' => true,
    ],

    'session.duration' => 8 * 60 * 60,
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.cookie.path' => '/',
    'session.cookie.name' => 'OrgssoIdpSessionID',
    'session.phpsession.cookiename' => 'OrgssoIdp',
    'session.phpsession.savepath' => $state . '/sessions',
    'session.authtoken.cookiename' => 'OrgssoIdpAuthToken',
    'language.cookie.secure' => false,
    'language.cookie.samesite' => null,

    'store.type' => 'phpsession',

    'metadata.sources' => [
        ['type' => 'flatfile'],
    ],
];
