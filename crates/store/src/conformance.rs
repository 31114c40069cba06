//! The conformance suite: behaviour every backend must show. Each case is a
//! `pub async fn` taking a fresh, empty, migrated store; backend crates turn
//! them into tests with `orgsso_store::conformance_suite!(make_store)`.

// Test code compiled into the library so both backend crates can run it: a
// failed expectation here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::*;
use orgsso_core::TokenScope;
use std::any::Any;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

/// A fresh store, and whatever must live as long as it (a temporary directory).
pub struct Fresh {
    pub store: Arc<dyn Store>,
    _keep_alive: Box<dyn Any + Send>,
}

impl Fresh {
    pub fn new(store: impl Store + 'static) -> Self {
        Self::keeping(store, ())
    }

    /// `keep_alive` is dropped only after the case has run.
    pub fn keeping(store: impl Store + 'static, keep_alive: impl Any + Send) -> Self {
        Self {
            store: Arc::new(store),
            _keep_alive: Box::new(keep_alive),
        }
    }
}

/// Generates one `#[tokio::test]` per conformance case. `$factory` is called
/// as `$factory().await` and returns `Option<Fresh>`; `None` skips the case
/// (the backend is not configured here), printing a note. The calling crate
/// needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr) => {
        $crate::conformance_suite!(@cases $factory;
            a_new_user_has_one_unverified_primary_email,
            users_are_found_by_id_and_by_username,
            users_are_listed_by_username,
            duplicate_username_is_a_conflict,
            user_and_org_names_share_one_namespace,
            duplicate_email_is_a_conflict_even_across_users,
            a_failed_user_creation_leaves_nothing_behind,
            password_and_display_name_can_be_changed,
            changing_a_missing_user_is_not_found,
            added_emails_start_unverified_and_not_primary,
            adding_an_email_to_a_missing_user_is_not_found,
            marking_an_email_verified_keeps_the_first_time,
            primary_email_cannot_be_removed,
            only_the_owner_can_remove_an_email,
            only_verified_emails_become_primary,
            verification_tokens_are_single_use,
            expired_verification_tokens_are_refused,
            removing_an_email_removes_its_verification_tokens,
            expired_sessions_are_not_returned,
            sessions_of_a_user_end_together_except_the_kept_one,
            expired_sessions_are_purged,
            tokens_are_found_by_hash_and_revoked_only_by_owner,
            token_names_are_unique_per_user,
            touching_a_token_records_its_last_use,
            creating_an_org_makes_the_creator_admin,
            a_failed_org_creation_leaves_nothing_behind,
            orgs_are_listed_by_name,
            org_settings_can_be_updated,
            members_are_listed_by_username_with_their_roles,
            adding_a_member_twice_is_a_conflict,
            adding_a_missing_user_or_to_a_missing_org_is_not_found,
            changing_a_non_member_is_not_found,
            last_admin_cannot_be_demoted,
            last_admin_cannot_be_removed,
            second_admin_can_then_be_demoted,
            concurrent_demotions_keep_one_admin,
            concurrent_removals_keep_one_admin,
            names_are_free_until_claimed,
            repos_are_found_by_owner_kind_and_name,
            repo_names_are_unique_per_owner_and_kind,
            a_repo_of_a_missing_owner_is_not_found,
            updating_a_repo_changes_visibility_readme_and_time,
            deleting_a_repo_removes_it,
            outbox_returns_newest_first,
            the_store_answers_ping,
            sso_configs_are_listed_newest_first_per_org,
            org_sso_defaults_to_disabled_with_seven_day_sessions,
            an_untested_config_cannot_be_enabled,
            a_config_of_another_org_cannot_be_enabled,
            a_tested_config_can_be_enabled_and_disabled,
            sso_options_are_saved,
            sso_sessions_expire,
            sso_session_is_replaced_on_new_login,
            sso_sessions_are_per_org,
            deleting_org_sessions_leaves_other_orgs_alone,
            sso_requests_are_single_use,
            another_session_cannot_take_or_cancel_a_pending_request,
            expired_sso_requests_are_refused,
            an_assertion_is_accepted_once,
            an_expired_assertion_record_no_longer_blocks,
            expired_sso_rows_are_purged_and_live_ones_kept,
            concurrent_assertions_with_one_id_are_accepted_once,
            the_same_assertion_id_from_another_issuer_is_distinct,
            audit_log_is_newest_first_and_per_org,
            the_last_failed_response_is_replaced,
            secrets_round_trip_as_bytes,
        );
    };
    (@cases $factory:expr; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fresh: ::std::option::Option<$crate::conformance::Fresh> = ($factory)().await;
                match fresh {
                    ::std::option::Option::Some(fresh) => {
                        $crate::conformance::$case(&*fresh.store).await;
                    }
                    ::std::option::Option::None => {
                        ::std::eprintln!(
                            "skipped {}: this backend is not configured here",
                            ::std::stringify!($case),
                        );
                    }
                }
            }
        )+
    };
}

const T0: Timestamp = Timestamp::from_unix(1_700_000_000);

fn at(seconds: i64) -> Timestamp {
    T0.plus_seconds(seconds)
}

fn uname(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

fn oname(raw: &str) -> OrgName {
    OrgName::parse(raw).unwrap()
}

fn rname(raw: &str) -> RepoName {
    RepoName::parse(raw).unwrap()
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: uname(name),
        display_name: format!("{name} display"),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1${name}"),
        email: email(&format!("{name}@example.com")),
        now: T0,
    }
}

async fn user(store: &dyn Store, name: &str) -> User {
    store.create_user(new_user(name)).await.unwrap().0
}

async fn org(store: &dyn Store, name: &str, creator: UserId) -> Org {
    store
        .create_org(NewOrg {
            name: oname(name),
            display_name: format!("{name} display"),
            default_role: Role::Read,
            creator,
            now: T0,
        })
        .await
        .unwrap()
}

fn session(id_hash: &str, user: UserId, expires_at: Timestamp) -> NewSession {
    NewSession {
        id_hash: id_hash.to_owned(),
        user,
        csrf_token: format!("csrf-{id_hash}"),
        created_at: T0,
        expires_at,
    }
}

fn token(user: UserId, name: &str, hash: &str) -> NewToken {
    NewToken {
        user,
        name: name.to_owned(),
        scope: TokenScope::Read,
        token_hash: hash.to_owned(),
        now: T0,
    }
}

fn repo(owner: Owner, kind: RepoKind, name: &str, created_by: UserId) -> NewRepo {
    NewRepo {
        owner,
        kind,
        name: rname(name),
        visibility: Visibility::Public,
        readme: format!("# {name}"),
        created_by,
        now: T0,
    }
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(result: StoreResult<T>, expected: Unique) {
    match result {
        Err(StoreError::Conflict(which)) => assert_eq!(which, expected),
        other => panic!("expected Conflict({expected:?}), got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: StoreResult<T>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[track_caller]
fn assert_last_admin<T: std::fmt::Debug>(result: StoreResult<T>) {
    match result {
        Err(StoreError::LastAdmin) => {}
        other => panic!("expected LastAdmin, got {other:?}"),
    }
}

/// Runs two futures concurrently on the current task, so both hold a
/// database connection at once (the store crate has no runtime of its own).
async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (out_a.unwrap(), out_b.unwrap())
}

async fn admins(store: &dyn Store, org: OrgId) -> Vec<UserId> {
    let members = store.members(org).await.unwrap();
    members
        .into_iter()
        .filter(|m| m.role == Role::Admin)
        .map(|m| m.user)
        .collect()
}

// ---- users -------------------------------------------------------------

pub async fn a_new_user_has_one_unverified_primary_email(store: &dyn Store) {
    let (user, primary) = store.create_user(new_user("Alice")).await.unwrap();
    assert_eq!(user.username.as_str(), "alice");
    assert_eq!(user.display_name, "Alice display");
    assert_eq!(user.created_at, T0);
    assert_eq!(primary.user, user.id);
    assert_eq!(primary.address, email("alice@example.com"));
    assert!(primary.primary);
    assert!(!primary.is_verified());
    assert_eq!(primary.created_at, T0);
    assert_eq!(
        store.emails_of(user.id).await.unwrap(),
        vec![primary.clone()]
    );
    assert_eq!(
        store
            .email_by_address(&email("alice@example.com"))
            .await
            .unwrap(),
        Some(primary)
    );
    assert_eq!(
        store.password_hash(user.id).await.unwrap().as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$Alice")
    );
}

pub async fn users_are_found_by_id_and_by_username(store: &dyn Store) {
    let alice = user(store, "alice").await;
    assert_eq!(
        store.user_by_id(alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.user_by_username(&uname("alice")).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_username(&uname("bob")).await.unwrap(), None);
    assert_eq!(
        store.user_by_id(UserId(alice.id.0 + 1000)).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .password_hash(UserId(alice.id.0 + 1000))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .email_by_address(&email("nobody@example.com"))
            .await
            .unwrap(),
        None
    );
}

pub async fn users_are_listed_by_username(store: &dyn Store) {
    for name in ["carol", "alice", "bob"] {
        user(store, name).await;
    }
    let names: Vec<String> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username.to_string())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
}

pub async fn duplicate_username_is_a_conflict(store: &dyn Store) {
    user(store, "alice").await;
    let mut again = new_user("alice");
    again.email = email("other@example.com");
    assert_conflict(store.create_user(again).await, Unique::Name);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

pub async fn user_and_org_names_share_one_namespace(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let clash = NewOrg {
        name: oname("alice"),
        display_name: "Alice Inc".into(),
        default_role: Role::Read,
        creator: alice.id,
        now: T0,
    };
    assert_conflict(store.create_org(clash).await, Unique::Name);

    org(store, "acme", alice.id).await;
    let mut clash = new_user("acme");
    clash.email = email("acme-person@example.com");
    assert_conflict(store.create_user(clash).await, Unique::Name);

    assert_eq!(store.list_orgs().await.unwrap().len(), 1);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

pub async fn duplicate_email_is_a_conflict_even_across_users(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let mut carol = new_user("carol");
    carol.email = email("alice@example.com");
    assert_conflict(store.create_user(carol).await, Unique::Email);
    assert_conflict(
        store
            .add_email(bob.id, &email("alice@example.com"), T0)
            .await,
        Unique::Email,
    );
    assert_conflict(
        store
            .add_email(alice.id, &email("alice@example.com"), T0)
            .await,
        Unique::Email,
    );
    // Addresses are stored normalized, so case never makes a second address.
    assert_conflict(
        store
            .add_email(bob.id, &email("ALICE@Example.com"), T0)
            .await,
        Unique::Email,
    );
}

pub async fn a_failed_user_creation_leaves_nothing_behind(store: &dyn Store) {
    user(store, "alice").await;
    let mut bob = new_user("bob");
    bob.email = email("alice@example.com");
    assert_conflict(store.create_user(bob).await, Unique::Email);
    assert_eq!(store.user_by_username(&uname("bob")).await.unwrap(), None);
    assert_eq!(store.owner_by_name("bob").await.unwrap(), None);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
    // The name was not claimed, so bob can sign up with another address.
    let (bob, primary) = store.create_user(new_user("bob")).await.unwrap();
    assert_eq!(
        store.owner_by_name("bob").await.unwrap(),
        Some(Owner::User(bob.id))
    );
    assert_eq!(primary.address, email("bob@example.com"));
}

pub async fn password_and_display_name_can_be_changed(store: &dyn Store) {
    let alice = user(store, "alice").await;
    store
        .set_password_hash(alice.id, "$argon2id$new")
        .await
        .unwrap();
    store
        .set_display_name(alice.id, "Alice Liddell")
        .await
        .unwrap();
    assert_eq!(
        store.password_hash(alice.id).await.unwrap().as_deref(),
        Some("$argon2id$new")
    );
    let reloaded = store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(reloaded.display_name, "Alice Liddell");
    assert_eq!(reloaded.username, alice.username);
}

pub async fn changing_a_missing_user_is_not_found(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let ghost = UserId(alice.id.0 + 1000);
    assert_not_found(store.set_password_hash(ghost, "x").await);
    assert_not_found(store.set_display_name(ghost, "x").await);
}

// ---- emails ------------------------------------------------------------

pub async fn added_emails_start_unverified_and_not_primary(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let added = store
        .add_email(alice.id, &email("alice@work.example"), at(5))
        .await
        .unwrap();
    assert_eq!(added.user, alice.id);
    assert!(!added.primary);
    assert!(!added.is_verified());
    assert_eq!(added.created_at, at(5));
    let emails = store.emails_of(alice.id).await.unwrap();
    let addresses: Vec<&str> = emails.iter().map(|e| e.address.as_str()).collect();
    assert_eq!(addresses, ["alice@example.com", "alice@work.example"]);
    assert_eq!(emails[1], added);
    assert_eq!(
        store
            .email_by_address(&email("alice@work.example"))
            .await
            .unwrap(),
        Some(added)
    );
}

pub async fn adding_an_email_to_a_missing_user_is_not_found(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let ghost = UserId(alice.id.0 + 1000);
    assert_not_found(
        store
            .add_email(ghost, &email("ghost@example.com"), T0)
            .await,
    );
    assert_eq!(
        store
            .email_by_address(&email("ghost@example.com"))
            .await
            .unwrap(),
        None
    );
}

pub async fn marking_an_email_verified_keeps_the_first_time(store: &dyn Store) {
    let (_, primary) = store.create_user(new_user("alice")).await.unwrap();
    store.mark_email_verified(primary.id, at(10)).await.unwrap();
    store.mark_email_verified(primary.id, at(20)).await.unwrap();
    let reloaded = store
        .email_by_address(&primary.address)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reloaded.verified_at, Some(at(10)));
    assert_not_found(
        store
            .mark_email_verified(EmailId(primary.id.0 + 1000), at(10))
            .await,
    );
}

pub async fn primary_email_cannot_be_removed(store: &dyn Store) {
    let (alice, primary) = store.create_user(new_user("alice")).await.unwrap();
    assert_not_found(store.remove_email(alice.id, primary.id).await);
    let other = store
        .add_email(alice.id, &email("alice@work.example"), T0)
        .await
        .unwrap();
    store.remove_email(alice.id, other.id).await.unwrap();
    assert_eq!(store.emails_of(alice.id).await.unwrap(), vec![primary]);
    assert_not_found(store.remove_email(alice.id, other.id).await);
}

pub async fn only_the_owner_can_remove_an_email(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let other = store
        .add_email(alice.id, &email("alice@work.example"), T0)
        .await
        .unwrap();
    assert_not_found(store.remove_email(bob.id, other.id).await);
    assert_eq!(store.emails_of(alice.id).await.unwrap().len(), 2);
}

pub async fn only_verified_emails_become_primary(store: &dyn Store) {
    let (alice, first) = store.create_user(new_user("alice")).await.unwrap();
    let (bob, bobs) = store.create_user(new_user("bob")).await.unwrap();
    let second = store
        .add_email(alice.id, &email("alice@work.example"), T0)
        .await
        .unwrap();

    assert_not_found(store.set_primary_email(alice.id, second.id).await);
    store.mark_email_verified(second.id, at(1)).await.unwrap();
    store.mark_email_verified(bobs.id, at(1)).await.unwrap();
    assert_not_found(store.set_primary_email(alice.id, bobs.id).await);
    assert_not_found(store.set_primary_email(bob.id, second.id).await);

    store.set_primary_email(alice.id, second.id).await.unwrap();
    let primaries: Vec<EmailId> = store
        .emails_of(alice.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.primary)
        .map(|e| e.id)
        .collect();
    assert_eq!(primaries, [second.id]);
    // Setting the current primary again changes nothing.
    store.set_primary_email(alice.id, second.id).await.unwrap();
    // The old primary is now an ordinary address and can go.
    store.remove_email(alice.id, first.id).await.unwrap();
    assert!(store.emails_of(bob.id).await.unwrap()[0].primary);
}

pub async fn verification_tokens_are_single_use(store: &dyn Store) {
    let (_, primary) = store.create_user(new_user("alice")).await.unwrap();
    store
        .create_email_verification(primary.id, "hash-1", at(3600))
        .await
        .unwrap();
    assert_eq!(
        store
            .take_email_verification("hash-1", at(10))
            .await
            .unwrap(),
        Some(primary.id)
    );
    assert_eq!(
        store
            .take_email_verification("hash-1", at(11))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .take_email_verification("unknown", at(11))
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        store
            .create_email_verification(EmailId(primary.id.0 + 1000), "hash-2", at(3600))
            .await,
    );
}

pub async fn expired_verification_tokens_are_refused(store: &dyn Store) {
    let (_, primary) = store.create_user(new_user("alice")).await.unwrap();
    store
        .create_email_verification(primary.id, "hash-1", at(3600))
        .await
        .unwrap();
    assert_eq!(
        store
            .take_email_verification("hash-1", at(3600))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .take_email_verification("hash-1", at(10))
            .await
            .unwrap(),
        None
    );
}

pub async fn removing_an_email_removes_its_verification_tokens(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let other = store
        .add_email(alice.id, &email("alice@work.example"), T0)
        .await
        .unwrap();
    store
        .create_email_verification(other.id, "hash-1", at(3600))
        .await
        .unwrap();
    store.remove_email(alice.id, other.id).await.unwrap();
    assert_eq!(
        store
            .take_email_verification("hash-1", at(10))
            .await
            .unwrap(),
        None
    );
}

// ---- sessions ----------------------------------------------------------

pub async fn expired_sessions_are_not_returned(store: &dyn Store) {
    let alice = user(store, "alice").await;
    store
        .create_session(session("s1", alice.id, at(100)))
        .await
        .unwrap();
    let found = store.session("s1", at(99)).await.unwrap().unwrap();
    assert_eq!(
        found,
        SessionRecord {
            id_hash: "s1".into(),
            user: alice.id,
            csrf_token: "csrf-s1".into(),
            created_at: T0,
            expires_at: at(100),
        }
    );
    assert_eq!(store.session("s1", at(100)).await.unwrap(), None);
    assert_eq!(store.session("unknown", T0).await.unwrap(), None);
    store.delete_session("s1").await.unwrap();
    assert_eq!(store.session("s1", T0).await.unwrap(), None);
    // Ending a session that is already gone is not an error: logout is idempotent.
    store.delete_session("s1").await.unwrap();
    assert_not_found(
        store
            .create_session(session("s2", UserId(alice.id.0 + 1000), at(100)))
            .await,
    );
}

pub async fn sessions_of_a_user_end_together_except_the_kept_one(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    for id in ["a1", "a2", "a3"] {
        store
            .create_session(session(id, alice.id, at(100)))
            .await
            .unwrap();
    }
    store
        .create_session(session("b1", bob.id, at(100)))
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_sessions_of_user(alice.id, Some("a2"))
            .await
            .unwrap(),
        2
    );
    assert!(store.session("a1", T0).await.unwrap().is_none());
    assert!(store.session("a2", T0).await.unwrap().is_some());
    assert!(store.session("b1", T0).await.unwrap().is_some());
    assert_eq!(
        store.delete_sessions_of_user(alice.id, None).await.unwrap(),
        1
    );
    assert!(store.session("a2", T0).await.unwrap().is_none());
    assert!(store.session("b1", T0).await.unwrap().is_some());
}

pub async fn expired_sessions_are_purged(store: &dyn Store) {
    let alice = user(store, "alice").await;
    store
        .create_session(session("old", alice.id, at(10)))
        .await
        .unwrap();
    store
        .create_session(session("edge", alice.id, at(20)))
        .await
        .unwrap();
    store
        .create_session(session("new", alice.id, at(30)))
        .await
        .unwrap();
    assert_eq!(store.delete_expired_sessions(at(20)).await.unwrap(), 2);
    assert!(store.session("new", at(20)).await.unwrap().is_some());
    assert_eq!(store.delete_expired_sessions(at(20)).await.unwrap(), 0);
}

// ---- access tokens -----------------------------------------------------

pub async fn tokens_are_found_by_hash_and_revoked_only_by_owner(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let mut new = token(alice.id, "laptop", "hash-laptop");
    new.scope = TokenScope::Write;
    let created = store.create_token(new).await.unwrap();
    assert_eq!(created.user, alice.id);
    assert_eq!(created.name, "laptop");
    assert_eq!(created.scope, TokenScope::Write);
    assert_eq!(created.created_at, T0);
    assert_eq!(created.last_used_at, None);
    assert_eq!(
        store.token_by_hash("hash-laptop").await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(store.token_by_hash("hash-other").await.unwrap(), None);

    assert_not_found(store.revoke_token(bob.id, created.id).await);
    assert!(store.token_by_hash("hash-laptop").await.unwrap().is_some());
    store.revoke_token(alice.id, created.id).await.unwrap();
    assert_eq!(store.token_by_hash("hash-laptop").await.unwrap(), None);
    assert_not_found(store.revoke_token(alice.id, created.id).await);
    assert_not_found(
        store
            .create_token(token(UserId(bob.id.0 + 1000), "x", "hash-x"))
            .await,
    );
}

pub async fn token_names_are_unique_per_user(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    store
        .create_token(token(alice.id, "ci", "hash-1"))
        .await
        .unwrap();
    assert_conflict(
        store.create_token(token(alice.id, "ci", "hash-2")).await,
        Unique::TokenName,
    );
    store
        .create_token(token(bob.id, "ci", "hash-3"))
        .await
        .unwrap();
    store
        .create_token(token(alice.id, "backup", "hash-4"))
        .await
        .unwrap();
    let names: Vec<String> = store
        .tokens_of(alice.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["backup", "ci"]);
}

pub async fn touching_a_token_records_its_last_use(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let created = store
        .create_token(token(alice.id, "ci", "hash-1"))
        .await
        .unwrap();
    store.touch_token(created.id, at(42)).await.unwrap();
    let found = store.token_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!(found.last_used_at, Some(at(42)));
    assert_eq!(store.tokens_of(alice.id).await.unwrap(), vec![found]);
    assert_not_found(
        store
            .touch_token(TokenId(created.id.0 + 1000), at(43))
            .await,
    );
}

// ---- organizations -----------------------------------------------------

pub async fn creating_an_org_makes_the_creator_admin(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = store
        .create_org(NewOrg {
            name: oname("Acme"),
            display_name: "Acme Corp".into(),
            default_role: Role::Contributor,
            creator: alice.id,
            now: at(7),
        })
        .await
        .unwrap();
    assert_eq!(acme.name.as_str(), "acme");
    assert_eq!(acme.display_name, "Acme Corp");
    assert_eq!(acme.default_role, Role::Contributor);
    assert_eq!(acme.created_at, at(7));
    assert_eq!(store.org_by_id(acme.id).await.unwrap(), Some(acme.clone()));
    assert_eq!(
        store.org_by_name(&oname("acme")).await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(store.org_by_name(&oname("other")).await.unwrap(), None);
    assert_eq!(
        store.org_by_id(OrgId(acme.id.0 + 1000)).await.unwrap(),
        None
    );
    assert_eq!(
        store.role_of(acme.id, alice.id).await.unwrap(),
        Some(Role::Admin)
    );
    assert_eq!(
        store.orgs_of_user(alice.id).await.unwrap(),
        vec![(acme.clone(), Role::Admin)]
    );
    assert_eq!(
        store.owner_by_name("acme").await.unwrap(),
        Some(Owner::Org(acme.id))
    );
    let members = store.members(acme.id).await.unwrap();
    assert_eq!(
        members,
        vec![Member {
            user: alice.id,
            username: alice.username.clone(),
            display_name: alice.display_name.clone(),
            role: Role::Admin,
            joined_at: at(7),
        }]
    );
}

pub async fn a_failed_org_creation_leaves_nothing_behind(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let ghost = NewOrg {
        name: oname("acme"),
        display_name: "Acme".into(),
        default_role: Role::Read,
        creator: UserId(alice.id.0 + 1000),
        now: T0,
    };
    assert_not_found(store.create_org(ghost).await);
    assert_eq!(store.org_by_name(&oname("acme")).await.unwrap(), None);
    assert_eq!(store.owner_by_name("acme").await.unwrap(), None);
    org(store, "acme", alice.id).await;
}

pub async fn orgs_are_listed_by_name(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let zeta = org(store, "zeta", alice.id).await;
    let acme = org(store, "acme", bob.id).await;
    let mid = org(store, "mid", bob.id).await;
    store
        .add_member(acme.id, alice.id, Role::Write, T0)
        .await
        .unwrap();
    let names: Vec<String> = store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name.to_string())
        .collect();
    assert_eq!(names, ["acme", "mid", "zeta"]);
    assert_eq!(
        store.orgs_of_user(alice.id).await.unwrap(),
        vec![(acme, Role::Write), (zeta, Role::Admin)]
    );
    assert_eq!(store.orgs_of_user(bob.id).await.unwrap().len(), 2);
    assert_eq!(store.role_of(mid.id, alice.id).await.unwrap(), None);
}

pub async fn org_settings_can_be_updated(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    store
        .update_org(acme.id, "ACME Holdings", Role::Contributor)
        .await
        .unwrap();
    let reloaded = store.org_by_id(acme.id).await.unwrap().unwrap();
    assert_eq!(reloaded.display_name, "ACME Holdings");
    assert_eq!(reloaded.default_role, Role::Contributor);
    assert_eq!(reloaded.name, acme.name);
    assert_not_found(
        store
            .update_org(OrgId(acme.id.0 + 1000), "x", Role::Read)
            .await,
    );
}

pub async fn members_are_listed_by_username_with_their_roles(store: &dyn Store) {
    let carol = user(store, "carol").await;
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", carol.id).await;
    store
        .add_member(acme.id, bob.id, Role::Contributor, at(1))
        .await
        .unwrap();
    store
        .add_member(acme.id, alice.id, Role::Read, at(2))
        .await
        .unwrap();
    let members: Vec<(String, Role, Timestamp)> = store
        .members(acme.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.username.to_string(), m.role, m.joined_at))
        .collect();
    assert_eq!(
        members,
        [
            ("alice".to_owned(), Role::Read, at(2)),
            ("bob".to_owned(), Role::Contributor, at(1)),
            ("carol".to_owned(), Role::Admin, T0),
        ]
    );
    store
        .set_member_role(acme.id, alice.id, Role::Write)
        .await
        .unwrap();
    assert_eq!(
        store.role_of(acme.id, alice.id).await.unwrap(),
        Some(Role::Write)
    );
    store.remove_member(acme.id, bob.id).await.unwrap();
    assert_eq!(store.role_of(acme.id, bob.id).await.unwrap(), None);
    assert_eq!(store.members(acme.id).await.unwrap().len(), 2);
}

pub async fn adding_a_member_twice_is_a_conflict(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    store
        .add_member(acme.id, bob.id, Role::Read, T0)
        .await
        .unwrap();
    assert_conflict(
        store.add_member(acme.id, bob.id, Role::Write, T0).await,
        Unique::Membership,
    );
    assert_conflict(
        store.add_member(acme.id, alice.id, Role::Read, T0).await,
        Unique::Membership,
    );
    assert_eq!(
        store.role_of(acme.id, bob.id).await.unwrap(),
        Some(Role::Read)
    );
    assert_eq!(
        store.role_of(acme.id, alice.id).await.unwrap(),
        Some(Role::Admin)
    );
}

pub async fn adding_a_missing_user_or_to_a_missing_org_is_not_found(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    assert_not_found(
        store
            .add_member(acme.id, UserId(alice.id.0 + 1000), Role::Read, T0)
            .await,
    );
    assert_not_found(
        store
            .add_member(OrgId(acme.id.0 + 1000), alice.id, Role::Read, T0)
            .await,
    );
}

pub async fn changing_a_non_member_is_not_found(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    assert_not_found(store.set_member_role(acme.id, bob.id, Role::Write).await);
    assert_not_found(store.remove_member(acme.id, bob.id).await);
    assert_not_found(
        store
            .set_member_role(OrgId(acme.id.0 + 1000), alice.id, Role::Read)
            .await,
    );
    assert_not_found(store.remove_member(OrgId(acme.id.0 + 1000), alice.id).await);
}

pub async fn last_admin_cannot_be_demoted(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    store
        .add_member(acme.id, bob.id, Role::Write, T0)
        .await
        .unwrap();
    for role in [Role::Write, Role::Contributor, Role::Read] {
        assert_last_admin(store.set_member_role(acme.id, alice.id, role).await);
    }
    // Re-affirming the admin role is not a demotion.
    store
        .set_member_role(acme.id, alice.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(admins(store, acme.id).await, [alice.id]);
}

pub async fn last_admin_cannot_be_removed(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    store
        .add_member(acme.id, bob.id, Role::Write, T0)
        .await
        .unwrap();
    assert_last_admin(store.remove_member(acme.id, alice.id).await);
    assert_eq!(
        store.role_of(acme.id, alice.id).await.unwrap(),
        Some(Role::Admin)
    );
    store.remove_member(acme.id, bob.id).await.unwrap();
    assert_last_admin(store.remove_member(acme.id, alice.id).await);
}

pub async fn second_admin_can_then_be_demoted(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    store
        .add_member(acme.id, bob.id, Role::Admin, T0)
        .await
        .unwrap();
    store
        .set_member_role(acme.id, alice.id, Role::Read)
        .await
        .unwrap();
    assert_eq!(admins(store, acme.id).await, [bob.id]);
    assert_last_admin(store.set_member_role(acme.id, bob.id, Role::Write).await);
    store
        .set_member_role(acme.id, alice.id, Role::Admin)
        .await
        .unwrap();
    store.remove_member(acme.id, bob.id).await.unwrap();
    assert_eq!(admins(store, acme.id).await, [alice.id]);
}

pub async fn concurrent_demotions_keep_one_admin(store: &dyn Store) {
    for round in 0..5 {
        let a = user(store, &format!("alice{round}")).await;
        let b = user(store, &format!("bob{round}")).await;
        let acme = org(store, &format!("acme{round}"), a.id).await;
        store
            .add_member(acme.id, b.id, Role::Admin, T0)
            .await
            .unwrap();
        let (ra, rb) = join2(
            store.set_member_role(acme.id, a.id, Role::Write),
            store.set_member_role(acme.id, b.id, Role::Write),
        )
        .await;
        let outcomes = [&ra, &rb];
        let ok = outcomes.iter().filter(|r| r.is_ok()).count();
        let refused = outcomes
            .iter()
            .filter(|r| matches!(r, Err(StoreError::LastAdmin)))
            .count();
        assert_eq!((ok, refused), (1, 1), "round {round}: {ra:?} {rb:?}");
        assert_eq!(admins(store, acme.id).await.len(), 1, "round {round}");
    }
}

pub async fn concurrent_removals_keep_one_admin(store: &dyn Store) {
    for round in 0..5 {
        let a = user(store, &format!("alice{round}")).await;
        let b = user(store, &format!("bob{round}")).await;
        let acme = org(store, &format!("acme{round}"), a.id).await;
        store
            .add_member(acme.id, b.id, Role::Admin, T0)
            .await
            .unwrap();
        let (ra, rb) = join2(
            store.remove_member(acme.id, a.id),
            store.remove_member(acme.id, b.id),
        )
        .await;
        let outcomes = [&ra, &rb];
        let ok = outcomes.iter().filter(|r| r.is_ok()).count();
        let refused = outcomes
            .iter()
            .filter(|r| matches!(r, Err(StoreError::LastAdmin)))
            .count();
        assert_eq!((ok, refused), (1, 1), "round {round}: {ra:?} {rb:?}");
        assert_eq!(admins(store, acme.id).await.len(), 1, "round {round}");
    }
}

// ---- repositories ------------------------------------------------------

pub async fn names_are_free_until_claimed(store: &dyn Store) {
    assert_eq!(store.owner_by_name("alice").await.unwrap(), None);
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    assert_eq!(
        store.owner_by_name("alice").await.unwrap(),
        Some(Owner::User(alice.id))
    );
    assert_eq!(
        store.owner_by_name("acme").await.unwrap(),
        Some(Owner::Org(acme.id))
    );
    assert_eq!(store.owner_by_name("bob").await.unwrap(), None);
}

pub async fn repos_are_found_by_owner_kind_and_name(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let mut new = repo(Owner::Org(acme.id), RepoKind::Model, "bert", alice.id);
    new.visibility = Visibility::Private;
    new.now = at(3);
    let bert = store.create_repo(new).await.unwrap();
    assert_eq!(bert.owner, Owner::Org(acme.id));
    assert_eq!(bert.owner_name, "acme");
    assert_eq!(bert.kind, RepoKind::Model);
    assert_eq!(bert.name, rname("bert"));
    assert_eq!(bert.visibility, Visibility::Private);
    assert_eq!(bert.readme, "# bert");
    assert_eq!(bert.created_by, Some(alice.id));
    assert_eq!((bert.created_at, bert.updated_at), (at(3), at(3)));
    assert_eq!(
        store
            .repo("acme", RepoKind::Model, &rname("bert"))
            .await
            .unwrap(),
        Some(bert.clone())
    );
    assert_eq!(
        store
            .repo("acme", RepoKind::Dataset, &rname("bert"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .repo("alice", RepoKind::Model, &rname("bert"))
            .await
            .unwrap(),
        None
    );

    let albert = store.create_repo(repo(
        Owner::Org(acme.id),
        RepoKind::Space,
        "albert",
        alice.id,
    ));
    let albert = albert.await.unwrap();
    let mine = store.create_repo(repo(
        Owner::User(alice.id),
        RepoKind::Dataset,
        "notes",
        alice.id,
    ));
    let mine = mine.await.unwrap();
    assert_eq!(mine.owner_name, "alice");
    assert_eq!(
        store.repos_of(Owner::Org(acme.id)).await.unwrap(),
        vec![albert, bert]
    );
    assert_eq!(
        store.repos_of(Owner::User(alice.id)).await.unwrap(),
        vec![mine]
    );
}

pub async fn repo_names_are_unique_per_owner_and_kind(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let owner = Owner::Org(acme.id);
    store
        .create_repo(repo(owner, RepoKind::Model, "bert", alice.id))
        .await
        .unwrap();
    assert_conflict(
        store
            .create_repo(repo(owner, RepoKind::Model, "bert", alice.id))
            .await,
        Unique::RepoName,
    );
    store
        .create_repo(repo(owner, RepoKind::Dataset, "bert", alice.id))
        .await
        .unwrap();
    store
        .create_repo(repo(
            Owner::User(alice.id),
            RepoKind::Model,
            "bert",
            alice.id,
        ))
        .await
        .unwrap();
    assert_eq!(store.repos_of(owner).await.unwrap().len(), 2);
}

pub async fn a_repo_of_a_missing_owner_is_not_found(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let ghost_org = Owner::Org(OrgId(acme.id.0 + 1000));
    let ghost_user = Owner::User(UserId(alice.id.0 + 1000));
    assert_not_found(
        store
            .create_repo(repo(ghost_org, RepoKind::Model, "xy", alice.id))
            .await,
    );
    assert_not_found(
        store
            .create_repo(repo(ghost_user, RepoKind::Model, "xy", alice.id))
            .await,
    );
    let orphan = repo(
        Owner::Org(acme.id),
        RepoKind::Model,
        "xy",
        UserId(alice.id.0 + 1000),
    );
    assert_not_found(store.create_repo(orphan).await);
    assert!(store
        .repos_of(Owner::Org(acme.id))
        .await
        .unwrap()
        .is_empty());
}

pub async fn updating_a_repo_changes_visibility_readme_and_time(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let created = store.create_repo(repo(
        Owner::User(alice.id),
        RepoKind::Model,
        "bert",
        alice.id,
    ));
    let created = created.await.unwrap();
    store
        .update_repo(created.id, Visibility::Private, "new readme", at(60))
        .await
        .unwrap();
    let reloaded = store
        .repo("alice", RepoKind::Model, &rname("bert"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reloaded.visibility, Visibility::Private);
    assert_eq!(reloaded.readme, "new readme");
    assert_eq!(reloaded.updated_at, at(60));
    assert_eq!(reloaded.created_at, created.created_at);
    let ghost = RepoId(created.id.0 + 1000);
    assert_not_found(
        store
            .update_repo(ghost, Visibility::Public, "", at(61))
            .await,
    );
}

pub async fn deleting_a_repo_removes_it(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let owner = Owner::User(alice.id);
    let bert = store
        .create_repo(repo(owner, RepoKind::Model, "bert", alice.id))
        .await
        .unwrap();
    let kept = store
        .create_repo(repo(owner, RepoKind::Model, "kept", alice.id))
        .await
        .unwrap();
    store.delete_repo(bert.id).await.unwrap();
    assert_eq!(
        store
            .repo("alice", RepoKind::Model, &rname("bert"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.repos_of(owner).await.unwrap(), vec![kept]);
    assert_not_found(store.delete_repo(bert.id).await);
    // The name is free again.
    store
        .create_repo(repo(owner, RepoKind::Model, "bert", alice.id))
        .await
        .unwrap();
}

// ---- outbox and health -------------------------------------------------

pub async fn outbox_returns_newest_first(store: &dyn Store) {
    let mut ids = Vec::new();
    for n in 0..3 {
        let mail = NewMail {
            to: email(&format!("user{n}@example.com")),
            subject: format!("subject {n}"),
            body: format!("body {n}"),
            now: at(n),
        };
        ids.push(store.push_mail(mail).await.unwrap());
    }
    assert!(ids[0] < ids[1] && ids[1] < ids[2]);
    let mails = store.outbox(2).await.unwrap();
    assert_eq!(
        mails,
        vec![
            OutboxMail {
                id: ids[2],
                to: "user2@example.com".into(),
                subject: "subject 2".into(),
                body: "body 2".into(),
                created_at: at(2),
            },
            OutboxMail {
                id: ids[1],
                to: "user1@example.com".into(),
                subject: "subject 1".into(),
                body: "body 1".into(),
                created_at: at(1),
            },
        ]
    );
    assert_eq!(store.outbox(10).await.unwrap().len(), 3);
}

pub async fn the_store_answers_ping(store: &dyn Store) {
    store.ping().await.unwrap();
    assert!(["sqlite", "postgres"].contains(&store.backend()));
}

// ---- organization SSO --------------------------------------------------

fn new_sso_config(org: OrgId, created_by: UserId, settings: &str, now: Timestamp) -> NewSsoConfig {
    NewSsoConfig {
        org,
        protocol: SsoProtocol::Oidc,
        settings: settings.to_owned(),
        secret_ciphertext: Some(vec![0, 1, 2, 255]),
        created_by,
        now,
    }
}

/// An org `name` administered by a new user `{name}-admin`, with one
/// configuration, tested if `tested`.
async fn org_with_config(store: &dyn Store, name: &str, tested: bool) -> (User, Org, SsoConfig) {
    let admin = user(store, &format!("{name}-admin")).await;
    let org = org(store, name, admin.id).await;
    let config = store
        .create_sso_config(new_sso_config(org.id, admin.id, "{}", T0))
        .await
        .unwrap();
    if tested {
        store
            .mark_sso_config_tested(config.id, at(1), "{\"email\":\"a@example.com\"}")
            .await
            .unwrap();
    }
    (admin, org, config)
}

fn sso_session_of(
    user: UserId,
    org: OrgId,
    config: SsoConfigId,
    subject: &str,
    expires_at: Timestamp,
) -> SsoSession {
    SsoSession {
        user,
        org,
        config,
        subject: subject.to_owned(),
        email: format!("{subject}@example.com"),
        created_at: T0,
        expires_at,
    }
}

fn sso_request(
    handle: &str,
    user: UserId,
    config: &SsoConfig,
    expires_at: Timestamp,
) -> SsoRequest {
    SsoRequest {
        handle_hash: handle.to_owned(),
        hub_session_hash: format!("hub-{handle}"),
        user,
        org: config.org,
        config: config.id,
        purpose: SsoPurpose::Test,
        return_to: "/acme".to_owned(),
        nonce: Some(format!("nonce-{handle}")),
        pkce_verifier: Some(format!("pkce-{handle}")),
        saml_request_id: None,
        created_at: T0,
        expires_at,
    }
}

pub async fn sso_configs_are_listed_newest_first_per_org(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    assert_eq!(store.latest_sso_config(acme.id).await.unwrap(), None);

    let first = store
        .create_sso_config(new_sso_config(acme.id, alice.id, "{\"v\":1}", T0))
        .await
        .unwrap();
    assert_eq!(
        first,
        SsoConfig {
            id: first.id,
            org: acme.id,
            protocol: SsoProtocol::Oidc,
            settings: "{\"v\":1}".into(),
            secret_ciphertext: Some(vec![0, 1, 2, 255]),
            created_by: Some(alice.id),
            created_at: T0,
            tested_at: None,
            test_result: None,
        }
    );
    // Saved within the same second: still the newer one wins.
    let second = store
        .create_sso_config(new_sso_config(acme.id, alice.id, "{\"v\":2}", T0))
        .await
        .unwrap();
    let other = store
        .create_sso_config(new_sso_config(globex.id, alice.id, "{\"v\":3}", at(5)))
        .await
        .unwrap();

    assert_eq!(
        store.latest_sso_config(acme.id).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        store.latest_sso_config(globex.id).await.unwrap(),
        Some(other)
    );
    assert_eq!(
        store.sso_config(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store
            .sso_config(SsoConfigId(first.id.0 + 1000))
            .await
            .unwrap(),
        None
    );

    // Testing one configuration leaves the others untested.
    store
        .mark_sso_config_tested(first.id, at(10), "{\"sub\":\"x\"}")
        .await
        .unwrap();
    let tested = store.sso_config(first.id).await.unwrap().unwrap();
    assert_eq!(tested.tested_at, Some(at(10)));
    assert_eq!(tested.test_result.as_deref(), Some("{\"sub\":\"x\"}"));
    assert_eq!(store.sso_config(second.id).await.unwrap(), Some(second));
    assert_not_found(
        store
            .mark_sso_config_tested(SsoConfigId(first.id.0 + 1000), at(10), "{}")
            .await,
    );
    assert_not_found(
        store
            .create_sso_config(new_sso_config(OrgId(acme.id.0 + 1000), alice.id, "{}", T0))
            .await,
    );
}

pub async fn org_sso_defaults_to_disabled_with_seven_day_sessions(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let sso = store.org_sso(acme.id).await.unwrap();
    assert_eq!(sso, OrgSso::default_for(acme.id));
    assert!(!sso.enabled);
    assert_eq!(sso.active_config, None);
    assert_eq!(sso.session_ttl_s, 7 * 24 * 3600);
    assert!(sso.allow_idp_initiated);
}

pub async fn an_untested_config_cannot_be_enabled(store: &dyn Store) {
    let (_, acme, config) = org_with_config(store, "acme", false).await;
    assert_not_found(store.enable_sso(acme.id, config.id).await);
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso::default_for(acme.id)
    );
    assert_not_found(
        store
            .enable_sso(acme.id, SsoConfigId(config.id.0 + 1000))
            .await,
    );
}

pub async fn a_config_of_another_org_cannot_be_enabled(store: &dyn Store) {
    let (_, acme, _) = org_with_config(store, "acme", true).await;
    let (_, _, globex_config) = org_with_config(store, "globex", true).await;
    assert_not_found(store.enable_sso(acme.id, globex_config.id).await);
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso::default_for(acme.id)
    );
}

pub async fn a_tested_config_can_be_enabled_and_disabled(store: &dyn Store) {
    let (admin, acme, config) = org_with_config(store, "acme", true).await;
    store.enable_sso(acme.id, config.id).await.unwrap();
    let enabled = store.org_sso(acme.id).await.unwrap();
    assert!(enabled.enabled);
    assert_eq!(enabled.active_config, Some(config.id));
    assert_eq!(enabled.session_ttl_s, OrgSso::DEFAULT_SESSION_TTL_S);

    // Enabling again with a newer tested configuration switches to it.
    let newer = store
        .create_sso_config(new_sso_config(acme.id, admin.id, "{\"v\":2}", at(2)))
        .await
        .unwrap();
    assert_not_found(store.enable_sso(acme.id, newer.id).await);
    assert_eq!(
        store.org_sso(acme.id).await.unwrap().active_config,
        Some(config.id)
    );
    store
        .mark_sso_config_tested(newer.id, at(3), "{}")
        .await
        .unwrap();
    store.enable_sso(acme.id, newer.id).await.unwrap();
    assert_eq!(
        store.org_sso(acme.id).await.unwrap().active_config,
        Some(newer.id)
    );

    store.disable_sso(acme.id).await.unwrap();
    let disabled = store.org_sso(acme.id).await.unwrap();
    assert!(!disabled.enabled);
    assert_eq!(disabled.active_config, None);
    store.disable_sso(acme.id).await.unwrap();
    assert_not_found(store.disable_sso(OrgId(acme.id.0 + 1000)).await);
}

pub async fn sso_options_are_saved(store: &dyn Store) {
    let (_, acme, config) = org_with_config(store, "acme", true).await;
    store.set_sso_options(acme.id, 3600, false).await.unwrap();
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso {
            org: acme.id,
            enabled: false,
            active_config: None,
            session_ttl_s: 3600,
            allow_idp_initiated: false,
        }
    );
    // Enabling and disabling keep the options, and the options keep the state.
    store.enable_sso(acme.id, config.id).await.unwrap();
    store.set_sso_options(acme.id, 7200, true).await.unwrap();
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso {
            org: acme.id,
            enabled: true,
            active_config: Some(config.id),
            session_ttl_s: 7200,
            allow_idp_initiated: true,
        }
    );
    store.disable_sso(acme.id).await.unwrap();
    assert_eq!(store.org_sso(acme.id).await.unwrap().session_ttl_s, 7200);
    assert_not_found(
        store
            .set_sso_options(OrgId(acme.id.0 + 1000), 60, true)
            .await,
    );
}

pub async fn sso_sessions_expire(store: &dyn Store) {
    let (admin, acme, config) = org_with_config(store, "acme", true).await;
    let session = sso_session_of(admin.id, acme.id, config.id, "admin", at(100));
    store.put_sso_session(session.clone()).await.unwrap();
    assert_eq!(
        store.sso_session(admin.id, acme.id, at(99)).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store.sso_session(admin.id, acme.id, at(100)).await.unwrap(),
        None
    );
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(99)).await.unwrap(),
        [session]
    );
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(100)).await.unwrap(),
        []
    );
}

pub async fn sso_session_is_replaced_on_new_login(store: &dyn Store) {
    let (admin, acme, config) = org_with_config(store, "acme", true).await;
    store
        .put_sso_session(sso_session_of(admin.id, acme.id, config.id, "old", at(100)))
        .await
        .unwrap();
    let newer = SsoSession {
        created_at: at(50),
        ..sso_session_of(admin.id, acme.id, config.id, "new", at(500))
    };
    store.put_sso_session(newer.clone()).await.unwrap();
    assert_eq!(
        store.sso_session(admin.id, acme.id, at(200)).await.unwrap(),
        Some(newer.clone())
    );
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(0)).await.unwrap(),
        [newer]
    );
}

pub async fn sso_sessions_are_per_org(store: &dyn Store) {
    let (alice, acme, acme_config) = org_with_config(store, "acme", true).await;
    let (_, globex, globex_config) = org_with_config(store, "globex", true).await;
    let session = sso_session_of(alice.id, acme.id, acme_config.id, "alice", at(100));
    store.put_sso_session(session.clone()).await.unwrap();
    assert_eq!(
        store.sso_session(alice.id, globex.id, at(0)).await.unwrap(),
        None
    );
    assert_eq!(
        store.sso_sessions_of_org(globex.id, at(0)).await.unwrap(),
        []
    );

    // A session must name a configuration of its own organization.
    assert_not_found(
        store
            .put_sso_session(sso_session_of(
                alice.id,
                globex.id,
                acme_config.id,
                "x",
                at(100),
            ))
            .await,
    );
    store
        .put_sso_session(sso_session_of(
            alice.id,
            globex.id,
            globex_config.id,
            "alice",
            at(100),
        ))
        .await
        .unwrap();
    assert_eq!(
        store.sso_session(alice.id, acme.id, at(0)).await.unwrap(),
        Some(session)
    );

    // Listed by email.
    let bob = user(store, "bob").await;
    let bob_session = sso_session_of(bob.id, acme.id, acme_config.id, "0bob", at(100));
    store.put_sso_session(bob_session.clone()).await.unwrap();
    let listed = store.sso_sessions_of_org(acme.id, at(0)).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.user).collect::<Vec<_>>(),
        [bob.id, alice.id]
    );
}

pub async fn deleting_org_sessions_leaves_other_orgs_alone(store: &dyn Store) {
    let (alice, acme, acme_config) = org_with_config(store, "acme", true).await;
    let (bob, globex, globex_config) = org_with_config(store, "globex", true).await;
    store
        .add_member(acme.id, bob.id, Role::Read, T0)
        .await
        .unwrap();
    for (user, org, config) in [
        (alice.id, acme.id, acme_config.id),
        (bob.id, acme.id, acme_config.id),
        (alice.id, globex.id, globex_config.id),
    ] {
        store
            .put_sso_session(sso_session_of(user, org, config, "s", at(100)))
            .await
            .unwrap();
    }
    assert_eq!(store.delete_sso_sessions_of_org(acme.id).await.unwrap(), 2);
    assert_eq!(store.sso_sessions_of_org(acme.id, at(0)).await.unwrap(), []);
    assert!(store
        .sso_session(alice.id, globex.id, at(0))
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.delete_sso_sessions_of_org(acme.id).await.unwrap(), 0);
}

pub async fn sso_requests_are_single_use(store: &dyn Store) {
    let (admin, _, config) = org_with_config(store, "acme", true).await;
    let request = sso_request("h1", admin.id, &config, at(600));
    store.create_sso_request(request.clone()).await.unwrap();
    let saml = SsoRequest {
        purpose: SsoPurpose::Login,
        nonce: None,
        pkce_verifier: None,
        saml_request_id: Some("_abc".into()),
        ..sso_request("h2", admin.id, &config, at(600))
    };
    store.create_sso_request(saml.clone()).await.unwrap();

    assert_eq!(
        store.take_sso_request("h1", "hub-h1", at(1)).await.unwrap(),
        Some(request)
    );
    assert_eq!(
        store.take_sso_request("h1", "hub-h1", at(1)).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .take_sso_request("unknown", "hub-unknown", at(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.take_sso_request("h2", "hub-h2", at(1)).await.unwrap(),
        Some(saml)
    );

    // Concurrent takes of one request: exactly one wins.
    store
        .create_sso_request(sso_request("h3", admin.id, &config, at(600)))
        .await
        .unwrap();
    let (a, b) = join2(
        store.take_sso_request("h3", "hub-h3", at(1)),
        store.take_sso_request("h3", "hub-h3", at(1)),
    )
    .await;
    let won = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|r| r.is_some())
        .count();
    assert_eq!(won, 1);
}

pub async fn another_session_cannot_take_or_cancel_a_pending_request(store: &dyn Store) {
    let (admin, _, config) = org_with_config(store, "acme", true).await;
    let request = sso_request("h1", admin.id, &config, at(600));
    store.create_sso_request(request.clone()).await.unwrap();
    assert!(store.sso_request_pending("h1", at(1)).await.unwrap());
    assert!(!store.sso_request_pending("unknown", at(1)).await.unwrap());

    assert_eq!(
        store
            .take_sso_request("h1", "hub-thief", at(1))
            .await
            .unwrap(),
        None
    );
    // Still pending for its own session, which takes it once.
    assert!(store.sso_request_pending("h1", at(1)).await.unwrap());
    assert_eq!(
        store.take_sso_request("h1", "hub-h1", at(1)).await.unwrap(),
        Some(request)
    );
    assert!(!store.sso_request_pending("h1", at(1)).await.unwrap());

    // An expired request is not pending.
    store
        .create_sso_request(sso_request("h2", admin.id, &config, at(600)))
        .await
        .unwrap();
    assert!(!store.sso_request_pending("h2", at(600)).await.unwrap());
}

pub async fn expired_sso_requests_are_refused(store: &dyn Store) {
    let (admin, _, config) = org_with_config(store, "acme", true).await;
    store
        .create_sso_request(sso_request("h1", admin.id, &config, at(600)))
        .await
        .unwrap();
    assert_eq!(
        store
            .take_sso_request("h1", "hub-h1", at(600))
            .await
            .unwrap(),
        None
    );
    // Refused once expired, even if asked again with an earlier time.
    assert_eq!(
        store.take_sso_request("h1", "hub-h1", at(1)).await.unwrap(),
        None
    );
}

pub async fn an_assertion_is_accepted_once(store: &dyn Store) {
    let issuer = "https://idp.example.com";
    assert!(store
        .remember_assertion(issuer, "_a1", at(300), T0)
        .await
        .unwrap());
    assert!(!store
        .remember_assertion(issuer, "_a1", at(300), at(1))
        .await
        .unwrap());
    assert!(!store
        .remember_assertion(issuer, "_a1", at(900), at(299))
        .await
        .unwrap());
    assert!(store
        .remember_assertion(issuer, "_a2", at(300), at(1))
        .await
        .unwrap());
}

pub async fn an_expired_assertion_record_no_longer_blocks(store: &dyn Store) {
    let issuer = "https://idp.example.com";
    assert!(store
        .remember_assertion(issuer, "_a1", at(300), T0)
        .await
        .unwrap());
    assert!(store
        .remember_assertion(issuer, "_a1", at(900), at(300))
        .await
        .unwrap());
    // The new record is the one that counts now.
    assert!(!store
        .remember_assertion(issuer, "_a1", at(900), at(600))
        .await
        .unwrap());
    assert!(store
        .remember_assertion(issuer, "_a1", at(1200), at(900))
        .await
        .unwrap());
}

pub async fn expired_sso_rows_are_purged_and_live_ones_kept(store: &dyn Store) {
    let (admin, _, config) = org_with_config(store, "acme", true).await;
    store
        .create_sso_request(sso_request("old", admin.id, &config, at(100)))
        .await
        .unwrap();
    store
        .create_sso_request(sso_request("new", admin.id, &config, at(900)))
        .await
        .unwrap();
    let issuer = "https://idp.example.com";
    assert!(store
        .remember_assertion(issuer, "_old", at(100), T0)
        .await
        .unwrap());
    assert!(store
        .remember_assertion(issuer, "_new", at(900), T0)
        .await
        .unwrap());
    assert_eq!(store.purge_expired_sso(at(500)).await.unwrap(), 2);
    // The live request and assertion record survive and still do their job.
    assert!(store
        .take_sso_request("new", "hub-new", at(500))
        .await
        .unwrap()
        .is_some());
    assert!(!store
        .remember_assertion(issuer, "_new", at(900), at(500))
        .await
        .unwrap());
    assert_eq!(store.purge_expired_sso(at(500)).await.unwrap(), 0);
}

pub async fn concurrent_assertions_with_one_id_are_accepted_once(store: &dyn Store) {
    let issuer = "https://idp.example.com";
    for round in 0..10 {
        let id = format!("_fresh{round}");
        let (a, b) = join2(
            store.remember_assertion(issuer, &id, at(300), T0),
            store.remember_assertion(issuer, &id, at(300), T0),
        )
        .await;
        let accepted = [a.unwrap(), b.unwrap()].iter().filter(|&&ok| ok).count();
        assert_eq!(accepted, 1, "round {round}, new id");

        // Two instances taking over the same expired record.
        let (a, b) = join2(
            store.remember_assertion(issuer, &id, at(900), at(300)),
            store.remember_assertion(issuer, &id, at(900), at(300)),
        )
        .await;
        let accepted = [a.unwrap(), b.unwrap()].iter().filter(|&&ok| ok).count();
        assert_eq!(accepted, 1, "round {round}, expired id");
    }
}

pub async fn the_same_assertion_id_from_another_issuer_is_distinct(store: &dyn Store) {
    assert!(store
        .remember_assertion("https://idp-a.example.com", "_a1", at(300), T0)
        .await
        .unwrap());
    assert!(store
        .remember_assertion("https://idp-b.example.com", "_a1", at(300), T0)
        .await
        .unwrap());
    assert!(!store
        .remember_assertion("https://idp-b.example.com", "_a1", at(300), T0)
        .await
        .unwrap());
}

pub async fn audit_log_is_newest_first_and_per_org(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    let entry = |org: OrgId, at: Timestamp, actor: Option<UserId>, event: &str| NewAuditEntry {
        org,
        at,
        actor,
        event: event.to_owned(),
        detail: format!("{event} detail"),
    };
    for new in [
        entry(acme.id, at(1), Some(alice.id), "sso.config_saved"),
        entry(globex.id, at(2), Some(alice.id), "sso.enabled"),
        entry(acme.id, at(3), None, "sso.login_failed"),
        // Same second as the previous one: the later append comes first.
        entry(acme.id, at(3), Some(alice.id), "sso.config_tested"),
    ] {
        store.append_audit(new).await.unwrap();
    }
    let log = store.audit_log(acme.id, 10).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
        ["sso.config_tested", "sso.login_failed", "sso.config_saved"]
    );
    assert!(log.iter().all(|e| e.org == acme.id));
    assert_eq!(
        log[1],
        AuditEntry {
            id: log[1].id,
            org: acme.id,
            at: at(3),
            actor: None,
            event: "sso.login_failed".into(),
            detail: "sso.login_failed detail".into(),
        }
    );
    assert_eq!(log[0].actor, Some(alice.id));
    assert_eq!(store.audit_log(acme.id, 2).await.unwrap(), log[..2]);
    assert_eq!(store.audit_log(globex.id, 10).await.unwrap().len(), 1);
    assert_not_found(
        store
            .append_audit(entry(OrgId(acme.id.0 + 1000), T0, None, "sso.enabled"))
            .await,
    );
}

pub async fn the_last_failed_response_is_replaced(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    assert_eq!(store.failed_response(acme.id).await.unwrap(), None);
    store
        .put_failed_response(acme.id, "PHNhbWxwOlJlc3BvbnNlIC8+", at(1))
        .await
        .unwrap();
    store
        .put_failed_response(acme.id, "PHNlY29uZCAvPg==", at(2))
        .await
        .unwrap();
    assert_eq!(
        store.failed_response(acme.id).await.unwrap(),
        Some(("PHNlY29uZCAvPg==".to_owned(), at(2)))
    );
    assert_eq!(store.failed_response(globex.id).await.unwrap(), None);
    assert_not_found(
        store
            .put_failed_response(OrgId(acme.id.0 + 1000), "x", at(1))
            .await,
    );
}

pub async fn secrets_round_trip_as_bytes(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    // Every byte value, including NUL and bytes that are not UTF-8.
    let secret: Vec<u8> = (0..=255u8).chain([0, 0xff, 0xc3]).collect();
    let saved = store
        .create_sso_config(NewSsoConfig {
            secret_ciphertext: Some(secret.clone()),
            protocol: SsoProtocol::Saml,
            ..new_sso_config(acme.id, alice.id, "{}", T0)
        })
        .await
        .unwrap();
    assert_eq!(saved.secret_ciphertext.as_deref(), Some(&secret[..]));
    let read = store.sso_config(saved.id).await.unwrap().unwrap();
    assert_eq!(read.secret_ciphertext, Some(secret));
    assert_eq!(read.protocol, SsoProtocol::Saml);

    let without = store
        .create_sso_config(NewSsoConfig {
            secret_ciphertext: None,
            ..new_sso_config(acme.id, alice.id, "{}", T0)
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .sso_config(without.id)
            .await
            .unwrap()
            .unwrap()
            .secret_ciphertext,
        None
    );
}
