<?php
/*
 * One username/password source whose users come from params.json:
 * attributes email, groups (several values) and displayName.
 */
$p = require __DIR__ . '/params.php';

$users = ['exampleauth:UserPass'];
foreach ($p['users'] as $u) {
    $users[$u['username'] . ':' . $u['password']] = [
        'email' => [$u['email']],
        'groups' => $u['groups'],
        'displayName' => [$u['displayName']],
    ];
}

$config = [
    'admin' => ['core:AdminPassword'],
    'orgsso-users' => $users,
];
