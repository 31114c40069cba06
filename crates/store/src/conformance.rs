//! The conformance suite: behaviour every backend must show. Each case is a
//! `pub async fn` taking a fresh, empty, migrated store; backend crates turn
//! them into tests with `orgsso_store::conformance_suite!(make_store)`.

// Test code compiled into the library so both backend crates can run it: a
// failed expectation here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::*;
use orgsso_core::{SsoMode, TokenScope};
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
            revoking_an_orgs_sessions_leaves_other_orgs_alone,
            enabling_requires_the_admins_own_recent_test,
            enabling_ends_the_orgs_sessions_and_pending_sign_ins,
            disabling_ends_the_orgs_sessions_and_pending_sign_ins,
            a_session_cannot_open_after_sso_was_disabled_or_reconfigured,
            logging_out_ends_the_browsers_sso_sessions,
            lowering_the_timeout_shortens_open_sessions,
            a_token_counts_a_session_of_any_browser_a_browser_only_its_own,
            viewer_in_org_reports_role_mode_domain_and_session,
            only_verified_emails_exactly_at_the_domain_count,
            domains_are_unique_per_org_and_counted,
            enabled_orgs_listing_a_domain_exclude_disabled_ones,
            sso_prompts_list_orgs_without_a_live_session,
            revoking_one_member_leaves_the_others,
            password_change_style_deletion_ends_all_of_a_users_sso_sessions,
            purging_expired_sso_sessions_keeps_live_ones,
            org_sessions_are_listed_by_email_user_and_time,
            a_sign_in_racing_a_disable_never_outlives_it,
            sso_requests_are_single_use,
            another_session_cannot_take_or_cancel_a_pending_request,
            expired_sso_requests_are_refused,
            an_assertion_is_accepted_once,
            an_expired_assertion_record_no_longer_blocks,
            expired_sso_rows_are_purged_and_live_ones_kept,
            concurrent_assertions_with_one_id_are_accepted_once,
            the_same_assertion_id_from_another_issuer_is_distinct,
            audit_log_is_newest_first_and_per_org,
            audit_pages_filter_and_continue_from_a_cursor,
            the_last_failed_response_is_replaced,
            secrets_round_trip_as_bytes,
            sp_keys_are_created_once_per_use,
            sp_key_rotation_keeps_the_previous_key_until_retired,
            sso_identity_is_linked_at_the_first_sign_in_and_updated_at_later_ones,
            another_subject_for_a_linked_member_changes_nothing,
            a_subject_links_to_one_member_per_org,
            unlinking_lets_the_next_sign_in_link_anew,
            sso_identities_outlive_purged_sessions,
            sso_identities_of_an_org_are_listed_by_user,
            sso_users_of_an_org_are_its_members_and_identity_holders,
            role_mapping_is_set_replaced_and_removed,
            users_of_an_email_domain_are_those_with_a_verified_address_there,
            tokens_of_users_are_listed_by_owner_then_name,
            sign_in_claims_are_replaced_and_listed_for_current_members,
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

/// A test round trip by `admin` at `at` whose identity was `admin`'s own.
fn test_by(admin: UserId, at: Timestamp) -> SsoTestOutcome {
    SsoTestOutcome {
        by: admin,
        at,
        result: "{\"email\":\"a@example.com\"}".to_owned(),
        identity_matches: true,
    }
}

/// An org `name` administered by a new user `{name}-admin`, with one
/// configuration, tested by that admin at `at(1)` if `tested`.
async fn org_with_config(store: &dyn Store, name: &str, tested: bool) -> (User, Org, SsoConfig) {
    let admin = user(store, &format!("{name}-admin")).await;
    let org = org(store, name, admin.id).await;
    let config = store
        .create_sso_config(new_sso_config(org.id, admin.id, "{}", T0))
        .await
        .unwrap();
    if tested {
        store
            .mark_sso_config_tested(config.id, test_by(admin.id, at(1)))
            .await
            .unwrap();
    }
    (admin, org, config)
}

/// An org as `org_with_config`, with SSO enforced by its admin.
async fn org_with_sso(store: &dyn Store, name: &str) -> (User, Org, SsoConfig) {
    let (admin, org, config) = org_with_config(store, name, true).await;
    store
        .enable_sso(org.id, config.id, SsoMode::Enforced, admin.id, T0)
        .await
        .unwrap();
    (admin, org, config)
}

/// A signed-in browser of `user`: the hub session `id_hash`, which an SSO
/// session must belong to.
async fn browser(store: &dyn Store, id_hash: &str, user: UserId) {
    store
        .create_session(session(id_hash, user, at(1_000_000)))
        .await
        .unwrap();
}

fn sso_session_of(
    hub_session_hash: &str,
    user: UserId,
    org: OrgId,
    config: SsoConfigId,
    subject: &str,
    expires_at: Timestamp,
) -> SsoSession {
    SsoSession {
        hub_session_hash: hub_session_hash.to_owned(),
        user,
        org,
        config,
        subject: subject.to_owned(),
        email: format!("{subject}@example.com"),
        created_at: T0,
        expires_at,
    }
}

/// Whether `viewer_in_org` sees a live SSO session of `user` in `org`.
async fn live(
    store: &dyn Store,
    org: OrgId,
    user: UserId,
    hub_session_hash: Option<&str>,
    now: Timestamp,
) -> bool {
    store
        .viewer_in_org(org, user, hub_session_hash, now)
        .await
        .unwrap()
        .live_session
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
        cancelled: false,
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
            tested_by: None,
            tested_identity_matches: false,
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
        .mark_sso_config_tested(
            first.id,
            SsoTestOutcome {
                by: alice.id,
                at: at(10),
                result: "{\"sub\":\"x\"}".into(),
                identity_matches: false,
            },
        )
        .await
        .unwrap();
    let tested = store.sso_config(first.id).await.unwrap().unwrap();
    assert_eq!(tested.tested_at, Some(at(10)));
    assert_eq!(tested.test_result.as_deref(), Some("{\"sub\":\"x\"}"));
    assert_eq!(tested.tested_by, Some(alice.id));
    assert!(!tested.tested_identity_matches);
    assert_eq!(store.sso_config(second.id).await.unwrap(), Some(second));
    // A later test replaces the outcome.
    store
        .mark_sso_config_tested(first.id, test_by(alice.id, at(20)))
        .await
        .unwrap();
    let retested = store.sso_config(first.id).await.unwrap().unwrap();
    assert_eq!(retested.tested_at, Some(at(20)));
    assert!(retested.tested_identity_matches);
    assert_not_found(
        store
            .mark_sso_config_tested(SsoConfigId(first.id.0 + 1000), test_by(alice.id, at(10)))
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
    assert!(!sso.enabled());
    assert_eq!(sso.mode, SsoMode::Off);
    assert_eq!(sso.active_config, None);
    assert_eq!(sso.session_ttl_s, 7 * 24 * 3600);
    assert!(sso.allow_idp_initiated);
    assert!(sso.jit_membership);
}

pub async fn an_untested_config_cannot_be_enabled(store: &dyn Store) {
    let (admin, acme, config) = org_with_config(store, "acme", false).await;
    assert_not_found(
        store
            .enable_sso(acme.id, config.id, SsoMode::Enforced, admin.id, T0)
            .await,
    );
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso::default_for(acme.id)
    );
    assert_not_found(
        store
            .enable_sso(
                acme.id,
                SsoConfigId(config.id.0 + 1000),
                SsoMode::Enforced,
                admin.id,
                T0,
            )
            .await,
    );
}

pub async fn a_config_of_another_org_cannot_be_enabled(store: &dyn Store) {
    let (_, acme, _) = org_with_config(store, "acme", true).await;
    let (globex_admin, _, globex_config) = org_with_config(store, "globex", true).await;
    assert_not_found(
        store
            .enable_sso(
                acme.id,
                globex_config.id,
                SsoMode::Enforced,
                globex_admin.id,
                T0,
            )
            .await,
    );
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso::default_for(acme.id)
    );
}

pub async fn a_tested_config_can_be_enabled_and_disabled(store: &dyn Store) {
    let (admin, acme, config) = org_with_config(store, "acme", true).await;
    store
        .enable_sso(acme.id, config.id, SsoMode::Optional, admin.id, T0)
        .await
        .unwrap();
    let enabled = store.org_sso(acme.id).await.unwrap();
    assert!(enabled.enabled());
    assert_eq!(enabled.mode, SsoMode::Optional);
    assert_eq!(enabled.active_config, Some(config.id));
    assert_eq!(enabled.session_ttl_s, OrgSso::DEFAULT_SESSION_TTL_S);

    // Enabling again with a newer tested configuration switches to it.
    let newer = store
        .create_sso_config(new_sso_config(acme.id, admin.id, "{\"v\":2}", at(2)))
        .await
        .unwrap();
    assert_not_found(
        store
            .enable_sso(acme.id, newer.id, SsoMode::Enforced, admin.id, T0)
            .await,
    );
    assert_eq!(
        store.org_sso(acme.id).await.unwrap().active_config,
        Some(config.id)
    );
    store
        .mark_sso_config_tested(newer.id, test_by(admin.id, at(3)))
        .await
        .unwrap();
    store
        .enable_sso(acme.id, newer.id, SsoMode::Enforced, admin.id, T0)
        .await
        .unwrap();
    let switched = store.org_sso(acme.id).await.unwrap();
    assert_eq!(switched.active_config, Some(newer.id));
    assert_eq!(switched.mode, SsoMode::Enforced);

    // `Off` is what disabling is for.
    assert_not_found(
        store
            .enable_sso(acme.id, newer.id, SsoMode::Off, admin.id, T0)
            .await,
    );
    assert_eq!(store.org_sso(acme.id).await.unwrap(), switched);

    assert_eq!(store.disable_sso(acme.id).await.unwrap(), 0);
    let disabled = store.org_sso(acme.id).await.unwrap();
    assert!(!disabled.enabled());
    assert_eq!(disabled.mode, SsoMode::Off);
    assert_eq!(disabled.active_config, None);
    assert_eq!(store.disable_sso(acme.id).await.unwrap(), 0);
    assert_not_found(store.disable_sso(OrgId(acme.id.0 + 1000)).await);
}

pub async fn sso_options_are_saved(store: &dyn Store) {
    let (admin, acme, config) = org_with_config(store, "acme", true).await;
    store
        .set_sso_options(
            acme.id,
            SsoOptions {
                session_ttl_s: 3600,
                allow_idp_initiated: false,
                jit_membership: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso {
            org: acme.id,
            mode: SsoMode::Off,
            active_config: None,
            session_ttl_s: 3600,
            allow_idp_initiated: false,
            jit_membership: false,
        }
    );
    // Enabling and disabling keep the options, and the options keep the state.
    store
        .enable_sso(acme.id, config.id, SsoMode::Enforced, admin.id, T0)
        .await
        .unwrap();
    assert_eq!(store.org_sso(acme.id).await.unwrap().session_ttl_s, 3600);
    store
        .set_sso_options(
            acme.id,
            SsoOptions {
                session_ttl_s: 7200,
                allow_idp_initiated: true,
                jit_membership: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso {
            org: acme.id,
            mode: SsoMode::Enforced,
            active_config: Some(config.id),
            session_ttl_s: 7200,
            allow_idp_initiated: true,
            jit_membership: true,
        }
    );
    store.disable_sso(acme.id).await.unwrap();
    let disabled = store.org_sso(acme.id).await.unwrap();
    assert_eq!(disabled.session_ttl_s, 7200);
    assert!(disabled.allow_idp_initiated && disabled.jit_membership);
    assert_not_found(
        store
            .set_sso_options(
                OrgId(acme.id.0 + 1000),
                SsoOptions {
                    session_ttl_s: 3600,
                    allow_idp_initiated: true,
                    jit_membership: true,
                },
            )
            .await,
    );
}

pub async fn sso_sessions_expire(store: &dyn Store) {
    let (admin, acme, config) = org_with_sso(store, "acme").await;
    browser(store, "b1", admin.id).await;
    let session = sso_session_of("b1", admin.id, acme.id, config.id, "admin", at(100));
    store.put_sso_session(session.clone()).await.unwrap();
    assert!(live(store, acme.id, admin.id, Some("b1"), at(99)).await);
    assert!(!live(store, acme.id, admin.id, Some("b1"), at(100)).await);
    assert!(!live(store, acme.id, admin.id, None, at(100)).await);
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
    let (admin, acme, config) = org_with_sso(store, "acme").await;
    browser(store, "b1", admin.id).await;
    store
        .put_sso_session(sso_session_of(
            "b1",
            admin.id,
            acme.id,
            config.id,
            "old",
            at(100),
        ))
        .await
        .unwrap();
    let newer = SsoSession {
        created_at: at(50),
        ..sso_session_of("b1", admin.id, acme.id, config.id, "new", at(500))
    };
    store.put_sso_session(newer.clone()).await.unwrap();
    assert!(live(store, acme.id, admin.id, Some("b1"), at(200)).await);
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(60)).await.unwrap(),
        [newer]
    );
}

pub async fn sso_sessions_are_per_org(store: &dyn Store) {
    let (alice, acme, acme_config) = org_with_sso(store, "acme").await;
    let (_, globex, globex_config) = org_with_sso(store, "globex").await;
    store
        .add_member(globex.id, alice.id, Role::Read, T0)
        .await
        .unwrap();
    browser(store, "a", alice.id).await;
    let session = sso_session_of("a", alice.id, acme.id, acme_config.id, "alice", at(100));
    store.put_sso_session(session.clone()).await.unwrap();
    assert!(!live(store, globex.id, alice.id, Some("a"), at(0)).await);
    assert!(!live(store, globex.id, alice.id, None, at(0)).await);
    assert_eq!(
        store.sso_sessions_of_org(globex.id, at(0)).await.unwrap(),
        []
    );

    // A session must name a configuration of its own organization.
    assert_not_found(
        store
            .put_sso_session(sso_session_of(
                "a",
                alice.id,
                globex.id,
                acme_config.id,
                "x",
                at(100),
            ))
            .await,
    );
    assert!(!live(store, globex.id, alice.id, Some("a"), at(0)).await);
    store
        .put_sso_session(sso_session_of(
            "a",
            alice.id,
            globex.id,
            globex_config.id,
            "alice",
            at(100),
        ))
        .await
        .unwrap();
    assert!(live(store, globex.id, alice.id, Some("a"), at(0)).await);
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(0)).await.unwrap(),
        [session]
    );

    // Listed by email.
    let bob = user(store, "bob").await;
    browser(store, "b", bob.id).await;
    let bob_session = sso_session_of("b", bob.id, acme.id, acme_config.id, "0bob", at(100));
    store.put_sso_session(bob_session.clone()).await.unwrap();
    let listed = store.sso_sessions_of_org(acme.id, at(0)).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.user).collect::<Vec<_>>(),
        [bob.id, alice.id]
    );
}

pub async fn revoking_an_orgs_sessions_leaves_other_orgs_alone(store: &dyn Store) {
    let (alice, acme, acme_config) = org_with_sso(store, "acme").await;
    let (bob, globex, globex_config) = org_with_sso(store, "globex").await;
    store
        .add_member(acme.id, bob.id, Role::Read, T0)
        .await
        .unwrap();
    browser(store, "a", alice.id).await;
    browser(store, "b", bob.id).await;
    for (hub, user, org, config) in [
        ("a", alice.id, acme.id, acme_config.id),
        ("b", bob.id, acme.id, acme_config.id),
        ("a", alice.id, globex.id, globex_config.id),
    ] {
        store
            .put_sso_session(sso_session_of(hub, user, org, config, "s", at(100)))
            .await
            .unwrap();
    }
    assert_eq!(store.revoke_sso_sessions(acme.id, None).await.unwrap(), 2);
    assert_eq!(store.sso_sessions_of_org(acme.id, at(0)).await.unwrap(), []);
    assert!(live(store, globex.id, alice.id, Some("a"), at(0)).await);
    assert_eq!(store.revoke_sso_sessions(acme.id, None).await.unwrap(), 0);
    // The hub sessions themselves stay.
    assert!(store.session("a", T0).await.unwrap().is_some());
}

/// Adds `address` to `user` and verifies it.
async fn verified_email(store: &dyn Store, user: UserId, address: &str) {
    let added = store.add_email(user, &email(address), T0).await.unwrap();
    store.mark_email_verified(added.id, T0).await.unwrap();
}

fn login_request(
    handle: &str,
    user: UserId,
    config: &SsoConfig,
    expires_at: Timestamp,
) -> SsoRequest {
    SsoRequest {
        purpose: SsoPurpose::Login,
        ..sso_request(handle, user, config, expires_at)
    }
}

pub async fn enabling_requires_the_admins_own_recent_test(store: &dyn Store) {
    let (alice, acme, config) = org_with_config(store, "acme", false).await;
    let bob = user(store, "bob").await;
    store
        .add_member(acme.id, bob.id, Role::Admin, T0)
        .await
        .unwrap();
    let enable = |admin: UserId, mode: SsoMode, since: Timestamp| {
        store.enable_sso(acme.id, config.id, mode, admin, since)
    };

    // A round trip in which the IdP asserted someone else does not count.
    store
        .mark_sso_config_tested(
            config.id,
            SsoTestOutcome {
                identity_matches: false,
                ..test_by(alice.id, at(100))
            },
        )
        .await
        .unwrap();
    assert_not_found(enable(alice.id, SsoMode::Enforced, T0).await);

    store
        .mark_sso_config_tested(config.id, test_by(alice.id, at(100)))
        .await
        .unwrap();
    // Another admin cannot enable on the strength of Alice's test.
    assert_not_found(enable(bob.id, SsoMode::Enforced, T0).await);
    // A test older than the caller allows does not count.
    assert_not_found(enable(alice.id, SsoMode::Enforced, at(101)).await);
    assert_not_found(enable(alice.id, SsoMode::Off, T0).await);
    assert_not_found(
        store
            .enable_sso(
                OrgId(acme.id.0 + 1000),
                config.id,
                SsoMode::Enforced,
                alice.id,
                T0,
            )
            .await,
    );
    assert_eq!(
        store.org_sso(acme.id).await.unwrap(),
        OrgSso::default_for(acme.id)
    );
    // A test at exactly `tested_since` is recent enough.
    enable(alice.id, SsoMode::Optional, at(100)).await.unwrap();
    assert_eq!(
        store.org_sso(acme.id).await.unwrap().mode,
        SsoMode::Optional
    );

    // Bob's own test now counts for Bob, and only for him.
    store
        .mark_sso_config_tested(config.id, test_by(bob.id, at(300)))
        .await
        .unwrap();
    assert_not_found(enable(alice.id, SsoMode::Enforced, T0).await);
    assert_eq!(
        store.org_sso(acme.id).await.unwrap().mode,
        SsoMode::Optional
    );
    enable(bob.id, SsoMode::Enforced, at(300)).await.unwrap();
    assert_eq!(
        store.org_sso(acme.id).await.unwrap().mode,
        SsoMode::Enforced
    );
}

pub async fn enabling_ends_the_orgs_sessions_and_pending_sign_ins(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let (_, globex, globex_config) = org_with_sso(store, "globex").await;
    let bob = user(store, "bob").await;
    store
        .add_member(acme.id, bob.id, Role::Read, T0)
        .await
        .unwrap();
    browser(store, "a", alice.id).await;
    browser(store, "b", bob.id).await;
    for (hub, user, org, config) in [
        ("a", alice.id, acme.id, config.id),
        ("b", bob.id, acme.id, config.id),
        ("a", alice.id, globex.id, globex_config.id),
    ] {
        store
            .put_sso_session(sso_session_of(hub, user, org, config, "s", at(1000)))
            .await
            .unwrap();
    }
    for request in [
        login_request("acme-login", bob.id, &config, at(600)),
        sso_request("acme-test", alice.id, &config, at(600)),
        login_request("globex-login", alice.id, &globex_config, at(600)),
    ] {
        store.create_sso_request(request).await.unwrap();
    }

    // Enabling again, even with the same configuration, starts afresh.
    store
        .enable_sso(acme.id, config.id, SsoMode::Optional, alice.id, T0)
        .await
        .unwrap();
    assert_eq!(store.sso_sessions_of_org(acme.id, at(1)).await.unwrap(), []);
    assert!(!live(store, acme.id, alice.id, None, at(1)).await);
    assert!(!live(store, acme.id, bob.id, None, at(1)).await);
    let cancelled = store
        .take_sso_request("acme-login", "hub-acme-login", at(1))
        .await
        .unwrap()
        .expect("the pending sign-in is kept, marked");
    assert!(cancelled.cancelled);
    // An admin's test in progress and the other org are left alone.
    let test = store
        .take_sso_request("acme-test", "hub-acme-test", at(1))
        .await
        .unwrap();
    assert!(!test.expect("the admin's test is kept").cancelled);
    let other = store
        .take_sso_request("globex-login", "hub-globex-login", at(1))
        .await
        .unwrap();
    assert!(!other.expect("another org's sign-in is kept").cancelled);
    assert!(live(store, globex.id, alice.id, Some("a"), at(1)).await);
    // The hub sessions themselves stay.
    assert!(store.session("b", at(1)).await.unwrap().is_some());
}

pub async fn disabling_ends_the_orgs_sessions_and_pending_sign_ins(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let (_, globex, globex_config) = org_with_sso(store, "globex").await;
    browser(store, "a1", alice.id).await;
    browser(store, "a2", alice.id).await;
    for (hub, org, config) in [
        ("a1", acme.id, config.id),
        ("a2", acme.id, config.id),
        ("a1", globex.id, globex_config.id),
    ] {
        store
            .put_sso_session(sso_session_of(hub, alice.id, org, config, "s", at(1000)))
            .await
            .unwrap();
    }
    for request in [
        login_request("acme-login", alice.id, &config, at(600)),
        sso_request("acme-test", alice.id, &config, at(600)),
        login_request("globex-login", alice.id, &globex_config, at(600)),
    ] {
        store.create_sso_request(request).await.unwrap();
    }

    assert_eq!(store.disable_sso(acme.id).await.unwrap(), 2);
    assert_eq!(store.sso_sessions_of_org(acme.id, at(1)).await.unwrap(), []);
    let cancelled = store
        .take_sso_request("acme-login", "hub-acme-login", at(1))
        .await
        .unwrap()
        .expect("the pending sign-in is kept, marked");
    assert!(cancelled.cancelled);
    let test = store
        .take_sso_request("acme-test", "hub-acme-test", at(1))
        .await
        .unwrap();
    assert!(!test.expect("the admin's test is kept").cancelled);
    let other = store
        .take_sso_request("globex-login", "hub-globex-login", at(1))
        .await
        .unwrap();
    assert!(!other.expect("another org's sign-in is kept").cancelled);
    assert!(live(store, globex.id, alice.id, Some("a1"), at(1)).await);
    assert_eq!(store.disable_sso(acme.id).await.unwrap(), 0);

    // Turned on again, nothing of the earlier sessions comes back.
    store
        .enable_sso(acme.id, config.id, SsoMode::Enforced, alice.id, T0)
        .await
        .unwrap();
    assert!(!live(store, acme.id, alice.id, None, at(1)).await);
}

pub async fn a_session_cannot_open_after_sso_was_disabled_or_reconfigured(store: &dyn Store) {
    let (alice, acme, config) = org_with_config(store, "acme", true).await;
    browser(store, "a", alice.id).await;
    let opened =
        |config: SsoConfigId| sso_session_of("a", alice.id, acme.id, config, "a", at(1000));

    // Never enabled: nothing to sign in to.
    assert_not_found(store.put_sso_session(opened(config.id)).await);
    store
        .enable_sso(acme.id, config.id, SsoMode::Enforced, alice.id, T0)
        .await
        .unwrap();
    // The browser's hub session must exist.
    assert_not_found(
        store
            .put_sso_session(SsoSession {
                hub_session_hash: "gone".into(),
                ..opened(config.id)
            })
            .await,
    );
    store.put_sso_session(opened(config.id)).await.unwrap();
    assert!(live(store, acme.id, alice.id, Some("a"), at(1)).await);

    // A sign-in that started with the old configuration cannot finish under the new one.
    let newer = store
        .create_sso_config(new_sso_config(acme.id, alice.id, "{\"v\":2}", at(2)))
        .await
        .unwrap();
    store
        .mark_sso_config_tested(newer.id, test_by(alice.id, at(3)))
        .await
        .unwrap();
    store
        .enable_sso(acme.id, newer.id, SsoMode::Enforced, alice.id, T0)
        .await
        .unwrap();
    assert_not_found(store.put_sso_session(opened(config.id)).await);
    assert!(!live(store, acme.id, alice.id, Some("a"), at(4)).await);
    store.put_sso_session(opened(newer.id)).await.unwrap();
    assert!(live(store, acme.id, alice.id, Some("a"), at(4)).await);

    // Nor one that started before a disable.
    store.disable_sso(acme.id).await.unwrap();
    assert_not_found(store.put_sso_session(opened(newer.id)).await);
    assert_eq!(store.sso_sessions_of_org(acme.id, at(4)).await.unwrap(), []);
    assert!(!live(store, acme.id, alice.id, None, at(4)).await);
}

pub async fn logging_out_ends_the_browsers_sso_sessions(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let (_, globex, globex_config) = org_with_sso(store, "globex").await;
    for hub in ["a1", "a2", "a3"] {
        browser(store, hub, alice.id).await;
    }
    for (hub, org, config) in [
        ("a1", acme.id, config.id),
        ("a2", acme.id, config.id),
        ("a3", acme.id, config.id),
        ("a1", globex.id, globex_config.id),
    ] {
        store
            .put_sso_session(sso_session_of(hub, alice.id, org, config, hub, at(1000)))
            .await
            .unwrap();
    }

    // Logging out of one browser ends its SSO sessions in every org.
    store.delete_session("a1").await.unwrap();
    assert!(!live(store, acme.id, alice.id, Some("a1"), at(1)).await);
    assert!(!live(store, globex.id, alice.id, None, at(1)).await);
    assert!(live(store, acme.id, alice.id, Some("a2"), at(1)).await);
    let hubs = |sessions: Vec<SsoSession>| {
        sessions
            .into_iter()
            .map(|s| s.hub_session_hash)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        hubs(store.sso_sessions_of_org(acme.id, at(1)).await.unwrap()),
        ["a2", "a3"]
    );

    // "Log out other browsers" keeps the current one's.
    store
        .delete_sessions_of_user(alice.id, Some("a3"))
        .await
        .unwrap();
    assert_eq!(
        hubs(store.sso_sessions_of_org(acme.id, at(1)).await.unwrap()),
        ["a3"]
    );
    store.delete_sessions_of_user(alice.id, None).await.unwrap();
    assert!(!live(store, acme.id, alice.id, None, at(1)).await);
    assert_eq!(store.sso_sessions_of_org(acme.id, at(1)).await.unwrap(), []);
}

pub async fn lowering_the_timeout_shortens_open_sessions(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    browser(store, "a", alice.id).await;
    let session = sso_session_of("a", alice.id, acme.id, config.id, "alice", at(100_000));
    store.put_sso_session(session.clone()).await.unwrap();
    let set_ttl = |session_ttl_s: i64| {
        store.set_sso_options(
            acme.id,
            SsoOptions {
                session_ttl_s,
                allow_idp_initiated: true,
                jit_membership: true,
            },
        )
    };
    let prompted = |now: Timestamp| async move {
        !store
            .sso_prompts(alice.id, Some("a"), now)
            .await
            .unwrap()
            .is_empty()
    };

    set_ttl(3600).await.unwrap();
    assert!(live(store, acme.id, alice.id, Some("a"), at(3599)).await);
    assert!(!live(store, acme.id, alice.id, Some("a"), at(3600)).await);
    assert!(!live(store, acme.id, alice.id, None, at(3600)).await);
    assert!(!prompted(at(3599)).await);
    assert!(prompted(at(3600)).await);
    // The list reports when the session ends under the timeout as it is now.
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(3599)).await.unwrap(),
        [SsoSession {
            expires_at: at(3600),
            ..session.clone()
        }]
    );
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(3600)).await.unwrap(),
        []
    );

    // Raised again, the IdP's own limit is the earlier one.
    set_ttl(OrgSso::DEFAULT_SESSION_TTL_S).await.unwrap();
    assert!(live(store, acme.id, alice.id, Some("a"), at(3600)).await);
    assert_eq!(
        store.sso_sessions_of_org(acme.id, at(3600)).await.unwrap(),
        [session]
    );
    assert!(!live(store, acme.id, alice.id, Some("a"), at(100_000)).await);
}

pub async fn a_token_counts_a_session_of_any_browser_a_browser_only_its_own(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let bob = user(store, "bob").await;
    store
        .add_member(acme.id, bob.id, Role::Read, T0)
        .await
        .unwrap();
    browser(store, "a1", alice.id).await;
    browser(store, "a2", alice.id).await;
    browser(store, "b", bob.id).await;

    // Bob's session counts for nobody else, whatever browser asks.
    store
        .put_sso_session(sso_session_of(
            "b",
            bob.id,
            acme.id,
            config.id,
            "bob",
            at(1000),
        ))
        .await
        .unwrap();
    assert!(live(store, acme.id, bob.id, Some("b"), at(1)).await);
    assert!(live(store, acme.id, bob.id, None, at(1)).await);
    assert!(!live(store, acme.id, bob.id, Some("a1"), at(1)).await);
    assert!(!live(store, acme.id, alice.id, None, at(1)).await);
    assert!(!live(store, acme.id, alice.id, Some("b"), at(1)).await);

    store
        .put_sso_session(sso_session_of(
            "a1",
            alice.id,
            acme.id,
            config.id,
            "alice",
            at(1000),
        ))
        .await
        .unwrap();
    assert!(live(store, acme.id, alice.id, Some("a1"), at(1)).await);
    assert!(!live(store, acme.id, alice.id, Some("a2"), at(1)).await);
    assert!(live(store, acme.id, alice.id, None, at(1)).await);

    let prompts = |hub: Option<&'static str>| async move {
        store
            .sso_prompts(alice.id, hub, at(1))
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.org)
            .collect::<Vec<_>>()
    };
    assert_eq!(prompts(Some("a1")).await, []);
    assert_eq!(prompts(Some("a2")).await, [oname("acme")]);
    assert_eq!(prompts(None).await, []);
}

pub async fn viewer_in_org_reports_role_mode_domain_and_session(store: &dyn Store) {
    let (alice, acme, config) = org_with_config(store, "acme", true).await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    store
        .add_member(acme.id, bob.id, Role::Write, T0)
        .await
        .unwrap();
    verified_email(store, bob.id, "bob@acme.com").await;
    verified_email(store, carol.id, "carol@acme.com").await;
    store.add_sso_domain(acme.id, "acme.com", T0).await.unwrap();
    // Dave is in the domain of another organization only.
    verified_email(store, dave.id, "dave@initech.com").await;
    let initech = org(store, "initech", dave.id).await;
    store
        .add_sso_domain(initech.id, "initech.com", T0)
        .await
        .unwrap();
    browser(store, "b", bob.id).await;
    let viewer = |user: UserId, hub: Option<&'static str>| async move {
        store
            .viewer_in_org(acme.id, user, hub, at(1))
            .await
            .unwrap()
    };
    let expect =
        |role: Option<Role>, mode: SsoMode, in_domain: bool, live_session: bool| ViewerInOrg {
            role,
            mode,
            in_domain,
            live_session,
        };

    // Off: the domain does not matter yet.
    assert_eq!(
        viewer(bob.id, Some("b")).await,
        expect(Some(Role::Write), SsoMode::Off, false, false)
    );
    assert_eq!(
        viewer(carol.id, None).await,
        expect(None, SsoMode::Off, false, false)
    );

    store
        .enable_sso(acme.id, config.id, SsoMode::Optional, alice.id, T0)
        .await
        .unwrap();
    assert_eq!(
        viewer(alice.id, None).await,
        expect(Some(Role::Admin), SsoMode::Optional, false, false)
    );
    assert_eq!(
        viewer(bob.id, Some("b")).await,
        expect(Some(Role::Write), SsoMode::Optional, true, false)
    );
    assert_eq!(
        viewer(carol.id, None).await,
        expect(None, SsoMode::Optional, true, false)
    );
    assert_eq!(
        viewer(dave.id, None).await,
        expect(None, SsoMode::Optional, false, false)
    );

    store
        .put_sso_session(sso_session_of(
            "b",
            bob.id,
            acme.id,
            config.id,
            "bob",
            at(1000),
        ))
        .await
        .unwrap();
    assert_eq!(
        viewer(bob.id, Some("b")).await,
        expect(Some(Role::Write), SsoMode::Optional, true, true)
    );

    // Enforcing starts afresh.
    store
        .enable_sso(acme.id, config.id, SsoMode::Enforced, alice.id, T0)
        .await
        .unwrap();
    assert_eq!(
        viewer(bob.id, Some("b")).await,
        expect(Some(Role::Write), SsoMode::Enforced, true, false)
    );

    assert_not_found(
        store
            .viewer_in_org(OrgId(acme.id.0 + 1000), bob.id, None, at(1))
            .await,
    );
}

pub async fn only_verified_emails_exactly_at_the_domain_count(store: &dyn Store) {
    let (_, acme, _) = org_with_sso(store, "acme").await;
    store.add_sso_domain(acme.id, "acme.com", T0).await.unwrap();
    let mut counted = Vec::new();
    let mut ignored = Vec::new();
    for (name, addresses, counts) in [
        ("exact", &["exact@acme.com"][..], true),
        // Two addresses, one account.
        (
            "twice",
            &["twice@acme.com", "twice.other@acme.com"][..],
            true,
        ),
        ("sub", &["sub@eng.acme.com"][..], false),
        ("prefixed", &["prefixed@notacme.com"][..], false),
        ("suffixed", &["suffixed@acme.com.evil.io"][..], false),
        ("local", &["acme.com@evil.io"][..], false),
    ] {
        let account = user(store, name).await;
        for address in addresses {
            verified_email(store, account.id, address).await;
        }
        if counts {
            counted.push(account.id);
        } else {
            ignored.push(account.id);
        }
    }
    // Unverified: not until verified.
    let pending = user(store, "pending").await;
    let unverified = store
        .add_email(pending.id, &email("pending@acme.com"), T0)
        .await
        .unwrap();

    let in_domain = |user: UserId| async move {
        store
            .viewer_in_org(acme.id, user, None, at(1))
            .await
            .unwrap()
            .in_domain
    };
    let prompted = |user: UserId| async move {
        !store
            .sso_prompts(user, None, at(1))
            .await
            .unwrap()
            .is_empty()
    };
    for &user in &counted {
        assert!(in_domain(user).await, "{user:?}");
        assert!(prompted(user).await, "{user:?}");
    }
    for &user in ignored.iter().chain([&pending.id]) {
        assert!(!in_domain(user).await, "{user:?}");
        assert!(!prompted(user).await, "{user:?}");
    }
    let count = || async move { store.sso_domains(acme.id).await.unwrap()[0].verified_accounts };
    assert_eq!(count().await, 2);

    store
        .mark_email_verified(unverified.id, at(1))
        .await
        .unwrap();
    assert!(in_domain(pending.id).await);
    assert!(prompted(pending.id).await);
    assert_eq!(count().await, 3);
}

pub async fn domains_are_unique_per_org_and_counted(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    assert_eq!(store.sso_domains(acme.id).await.unwrap(), []);
    for domain in ["example.org", "acme.com"] {
        store.add_sso_domain(acme.id, domain, T0).await.unwrap();
    }
    assert_conflict(
        store.add_sso_domain(acme.id, "acme.com", at(1)).await,
        Unique::SsoDomain,
    );
    // Another org may list the same domain.
    store
        .add_sso_domain(globex.id, "acme.com", T0)
        .await
        .unwrap();
    verified_email(store, alice.id, "alice@example.org").await;
    let bob = user(store, "bob").await;
    verified_email(store, bob.id, "bob@example.org").await;

    let domain = |domain: &str, verified_accounts: i64| SsoDomain {
        domain: domain.to_owned(),
        verified_accounts,
    };
    assert_eq!(
        store.sso_domains(acme.id).await.unwrap(),
        [domain("acme.com", 0), domain("example.org", 2)]
    );

    store.remove_sso_domain(acme.id, "acme.com").await.unwrap();
    assert_not_found(store.remove_sso_domain(acme.id, "acme.com").await);
    assert_not_found(store.remove_sso_domain(acme.id, "unlisted.com").await);
    assert_eq!(
        store.sso_domains(acme.id).await.unwrap(),
        [domain("example.org", 2)]
    );
    assert_eq!(
        store.sso_domains(globex.id).await.unwrap(),
        [domain("acme.com", 0)]
    );
    // Listed again after removal.
    store
        .add_sso_domain(acme.id, "acme.com", at(2))
        .await
        .unwrap();
    assert_not_found(
        store
            .add_sso_domain(OrgId(acme.id.0 + 1000), "acme.com", T0)
            .await,
    );
}

pub async fn enabled_orgs_listing_a_domain_exclude_disabled_ones(store: &dyn Store) {
    let (_, acme, _) = org_with_sso(store, "acme").await;
    let (_, globex, _) = org_with_sso(store, "globex").await;
    let (_, initech, _) = org_with_config(store, "initech", true).await;
    let (_, hooli, _) = org_with_sso(store, "hooli").await;
    for org in [&acme, &globex, &initech] {
        store.add_sso_domain(org.id, "acme.com", T0).await.unwrap();
    }
    store
        .add_sso_domain(hooli.id, "hooli.com", T0)
        .await
        .unwrap();
    let listing = |domain: &'static str, except: OrgId| async move {
        store
            .enabled_orgs_with_domain(domain, except)
            .await
            .unwrap()
    };

    assert_eq!(listing("acme.com", acme.id).await, [oname("globex")]);
    assert_eq!(
        listing("acme.com", initech.id).await,
        [oname("acme"), oname("globex")]
    );
    assert_eq!(listing("hooli.com", acme.id).await, [oname("hooli")]);
    assert_eq!(listing("hooli.com", hooli.id).await, []);
    assert_eq!(listing("eng.acme.com", initech.id).await, []);

    store.disable_sso(globex.id).await.unwrap();
    assert_eq!(listing("acme.com", acme.id).await, []);
    assert_eq!(listing("acme.com", initech.id).await, [oname("acme")]);
}

pub async fn sso_prompts_list_orgs_without_a_live_session(store: &dyn Store) {
    let alice = user(store, "alice").await;
    browser(store, "a", alice.id).await;
    verified_email(store, alice.id, "alice@globex.com").await;
    // Acme: enforced, Alice a member.
    let (_, acme, acme_config) = org_with_sso(store, "acme").await;
    store
        .add_member(acme.id, alice.id, Role::Read, T0)
        .await
        .unwrap();
    // Globex: optional, Alice not a member but in its domain.
    let (globex_admin, globex, globex_config) = org_with_config(store, "globex", true).await;
    store
        .enable_sso(
            globex.id,
            globex_config.id,
            SsoMode::Optional,
            globex_admin.id,
            T0,
        )
        .await
        .unwrap();
    store
        .add_sso_domain(globex.id, "globex.com", T0)
        .await
        .unwrap();
    // Initech: SSO on, but Alice neither a member nor in its domain.
    let (_, initech, _) = org_with_sso(store, "initech").await;
    store
        .add_sso_domain(initech.id, "initech.com", T0)
        .await
        .unwrap();
    // Listed once even where Alice is both a member and in the domain.
    store
        .add_sso_domain(acme.id, "globex.com", T0)
        .await
        .unwrap();
    // Hooli: Alice a member and in its domain, but SSO off.
    let (_, hooli, _) = org_with_config(store, "hooli", true).await;
    store
        .add_member(hooli.id, alice.id, Role::Read, T0)
        .await
        .unwrap();
    store
        .add_sso_domain(hooli.id, "globex.com", T0)
        .await
        .unwrap();

    let prompts =
        |now: Timestamp| async move { store.sso_prompts(alice.id, Some("a"), now).await.unwrap() };
    assert_eq!(
        prompts(at(1)).await,
        [
            SsoPrompt {
                org: oname("acme"),
                mode: SsoMode::Enforced,
            },
            SsoPrompt {
                org: oname("globex"),
                mode: SsoMode::Optional,
            },
        ]
    );

    store
        .put_sso_session(sso_session_of(
            "a",
            alice.id,
            acme.id,
            acme_config.id,
            "alice",
            at(1000),
        ))
        .await
        .unwrap();
    store
        .put_sso_session(sso_session_of(
            "a",
            alice.id,
            globex.id,
            globex_config.id,
            "alice",
            at(50),
        ))
        .await
        .unwrap();
    assert_eq!(prompts(at(49)).await, []);
    // Globex's session ran out.
    assert_eq!(
        prompts(at(50)).await,
        [SsoPrompt {
            org: oname("globex"),
            mode: SsoMode::Optional,
        }]
    );
}

pub async fn revoking_one_member_leaves_the_others(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let (_, globex, globex_config) = org_with_sso(store, "globex").await;
    let bob = user(store, "bob").await;
    store
        .add_member(acme.id, bob.id, Role::Read, T0)
        .await
        .unwrap();
    browser(store, "a1", alice.id).await;
    browser(store, "a2", alice.id).await;
    browser(store, "b", bob.id).await;
    for (hub, user, org, config) in [
        ("a1", alice.id, acme.id, config.id),
        ("a2", alice.id, acme.id, config.id),
        ("b", bob.id, acme.id, config.id),
        ("a1", alice.id, globex.id, globex_config.id),
    ] {
        store
            .put_sso_session(sso_session_of(hub, user, org, config, "s", at(1000)))
            .await
            .unwrap();
    }

    assert_eq!(
        store
            .revoke_sso_sessions(acme.id, Some(alice.id))
            .await
            .unwrap(),
        2
    );
    assert!(!live(store, acme.id, alice.id, None, at(1)).await);
    assert!(live(store, acme.id, bob.id, Some("b"), at(1)).await);
    assert!(live(store, globex.id, alice.id, Some("a1"), at(1)).await);
    assert_eq!(
        store
            .revoke_sso_sessions(acme.id, Some(alice.id))
            .await
            .unwrap(),
        0
    );
    // Alice stays signed in to the hub.
    assert!(store.session("a1", at(1)).await.unwrap().is_some());
}

pub async fn password_change_style_deletion_ends_all_of_a_users_sso_sessions(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let (_, globex, globex_config) = org_with_sso(store, "globex").await;
    let bob = user(store, "bob").await;
    browser(store, "a1", alice.id).await;
    browser(store, "a2", alice.id).await;
    browser(store, "b", bob.id).await;
    for (hub, user, org, config) in [
        ("a1", alice.id, acme.id, config.id),
        ("a2", alice.id, globex.id, globex_config.id),
        ("b", bob.id, acme.id, config.id),
    ] {
        store
            .put_sso_session(sso_session_of(hub, user, org, config, "s", at(1000)))
            .await
            .unwrap();
    }

    assert_eq!(
        store.delete_sso_sessions_of_user(alice.id).await.unwrap(),
        2
    );
    assert!(!live(store, acme.id, alice.id, None, at(1)).await);
    assert!(!live(store, globex.id, alice.id, None, at(1)).await);
    assert!(live(store, acme.id, bob.id, Some("b"), at(1)).await);
    assert!(store.session("a2", at(1)).await.unwrap().is_some());
    assert_eq!(
        store.delete_sso_sessions_of_user(alice.id).await.unwrap(),
        0
    );
}

pub async fn purging_expired_sso_sessions_keeps_live_ones(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    browser(store, "a", alice.id).await;
    browser(store, "b", bob.id).await;
    // Carol's hub session ends before her SSO session would.
    store
        .create_session(session("c", carol.id, at(200)))
        .await
        .unwrap();
    for (hub, user, expires_at) in [
        ("a", alice.id, at(500)),
        ("b", bob.id, at(900)),
        ("c", carol.id, at(900)),
    ] {
        store
            .put_sso_session(sso_session_of(
                hub, user, acme.id, config.id, hub, expires_at,
            ))
            .await
            .unwrap();
    }

    // Expiring at `now` counts as expired.
    assert_eq!(store.purge_expired_sso(at(500)).await.unwrap(), 1);
    assert_eq!(store.purge_expired_sso(at(500)).await.unwrap(), 0);
    let users =
        |sessions: Vec<SsoSession>| sessions.into_iter().map(|s| s.user).collect::<Vec<_>>();
    assert_eq!(
        users(store.sso_sessions_of_org(acme.id, at(1)).await.unwrap()),
        [bob.id, carol.id]
    );
    assert!(live(store, acme.id, bob.id, Some("b"), at(500)).await);

    // Purging expired hub sessions ends their SSO sessions too.
    assert_eq!(store.delete_expired_sessions(at(500)).await.unwrap(), 1);
    assert_eq!(
        users(store.sso_sessions_of_org(acme.id, at(1)).await.unwrap()),
        [bob.id]
    );
}

pub async fn org_sessions_are_listed_by_email_user_and_time(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    let bob = user(store, "bob").await;
    for hub in ["a1", "a2"] {
        browser(store, hub, alice.id).await;
    }
    browser(store, "b", bob.id).await;
    // Put in an order that is none of the sort keys.
    for (hub, user, email, created_at) in [
        ("a1", alice.id, "same@example.com", at(20)),
        ("b", bob.id, "same@example.com", at(5)),
        ("a2", alice.id, "same@example.com", at(10)),
    ] {
        store
            .put_sso_session(SsoSession {
                email: email.to_owned(),
                created_at,
                ..sso_session_of(hub, user, acme.id, config.id, "s", at(1000))
            })
            .await
            .unwrap();
    }
    let aaron = user(store, "aaron").await;
    browser(store, "z", aaron.id).await;
    store
        .put_sso_session(SsoSession {
            email: "zed@example.com".into(),
            ..sso_session_of("z", aaron.id, acme.id, config.id, "s", at(1000))
        })
        .await
        .unwrap();
    let listed = store.sso_sessions_of_org(acme.id, at(30)).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|s| s.hub_session_hash.as_str())
            .collect::<Vec<_>>(),
        ["a2", "a1", "b", "z"]
    );
}

pub async fn a_sign_in_racing_a_disable_never_outlives_it(store: &dyn Store) {
    let (alice, acme, config) = org_with_config(store, "acme", true).await;
    browser(store, "a", alice.id).await;
    for round in 0..10 {
        store
            .enable_sso(acme.id, config.id, SsoMode::Enforced, alice.id, T0)
            .await
            .unwrap();
        let (put, disabled) = join2(
            store.put_sso_session(sso_session_of(
                "a",
                alice.id,
                acme.id,
                config.id,
                "alice",
                at(1000),
            )),
            store.disable_sso(acme.id),
        )
        .await;
        // Either the session opened first and the disable ended it, or the
        // disable came first and the session never opened.
        match put {
            Ok(()) => assert_eq!(disabled.unwrap(), 1, "round {round}"),
            Err(StoreError::NotFound) => assert_eq!(disabled.unwrap(), 0, "round {round}"),
            Err(other) => panic!("round {round}: {other:?}"),
        }
        assert_eq!(
            store.revoke_sso_sessions(acme.id, None).await.unwrap(),
            0,
            "round {round}"
        );
    }
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
        actor_kind: ActorKind::User,
        actor,
        event: event.to_owned(),
        target: None,
        outcome: AuditOutcome::Success,
        detail: format!("{event} detail"),
        details: "{}".into(),
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
            actor_kind: ActorKind::User,
            actor: None,
            event: "sso.login_failed".into(),
            target: None,
            outcome: AuditOutcome::Success,
            detail: "sso.login_failed detail".into(),
            details: "{}".into(),
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

fn new_sp_key(usage: SpKeyUse, tag: &str) -> NewSpKey {
    NewSpKey {
        usage,
        private_key_ciphertext: vec![0, 255, 7, tag.len() as u8],
        certificate_pem: format!("cert {tag}"),
    }
}

pub async fn sp_keys_are_created_once_per_use(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    assert!(store.sp_keys(acme.id).await.unwrap().is_empty());
    let first = [
        new_sp_key(SpKeyUse::Encryption, "enc-1"),
        new_sp_key(SpKeyUse::Signing, "sig-1"),
    ];
    assert_eq!(
        store.create_sp_keys(acme.id, &first, at(1)).await.unwrap(),
        2
    );
    // A second first use (another instance) finds the keys there and changes nothing.
    let again = [
        new_sp_key(SpKeyUse::Encryption, "enc-x"),
        new_sp_key(SpKeyUse::Signing, "sig-x"),
    ];
    assert_eq!(
        store.create_sp_keys(acme.id, &again, at(2)).await.unwrap(),
        0
    );
    let keys = store.sp_keys(acme.id).await.unwrap();
    let summary: Vec<(SpKeyUse, bool, &str)> = keys
        .iter()
        .map(|k| (k.usage, k.current, k.certificate_pem.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (SpKeyUse::Signing, true, "cert sig-1"),
            (SpKeyUse::Encryption, true, "cert enc-1"),
        ]
    );
    assert_eq!(keys[0].private_key_ciphertext, vec![0, 255, 7, 5]);
    assert_eq!(keys[0].created_at, at(1));
    assert!(store.sp_keys(globex.id).await.unwrap().is_empty());
}

pub async fn sp_key_rotation_keeps_the_previous_key_until_retired(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let next = [
        new_sp_key(SpKeyUse::Signing, "sig-2"),
        new_sp_key(SpKeyUse::Encryption, "enc-2"),
    ];
    // Nothing to rotate before the keys exist.
    assert!(!store.rotate_sp_keys(acme.id, &next, at(2)).await.unwrap());
    let first = [
        new_sp_key(SpKeyUse::Signing, "sig-1"),
        new_sp_key(SpKeyUse::Encryption, "enc-1"),
    ];
    store.create_sp_keys(acme.id, &first, at(1)).await.unwrap();
    assert!(store.rotate_sp_keys(acme.id, &next, at(2)).await.unwrap());
    let summary = |keys: Vec<SpKey>| -> Vec<(SpKeyUse, bool, String)> {
        keys.into_iter()
            .map(|k| (k.usage, k.current, k.certificate_pem))
            .collect()
    };
    let rotating = vec![
        (SpKeyUse::Signing, true, "cert sig-2".to_owned()),
        (SpKeyUse::Signing, false, "cert sig-1".to_owned()),
        (SpKeyUse::Encryption, true, "cert enc-2".to_owned()),
        (SpKeyUse::Encryption, false, "cert enc-1".to_owned()),
    ];
    assert_eq!(summary(store.sp_keys(acme.id).await.unwrap()), rotating);
    // A second rotation waits for the first to finish, and changes nothing.
    let third = [
        new_sp_key(SpKeyUse::Signing, "sig-3"),
        new_sp_key(SpKeyUse::Encryption, "enc-3"),
    ];
    assert!(!store.rotate_sp_keys(acme.id, &third, at(3)).await.unwrap());
    assert_eq!(summary(store.sp_keys(acme.id).await.unwrap()), rotating);
    assert_eq!(store.retire_sp_keys(acme.id).await.unwrap(), 2);
    assert_eq!(store.retire_sp_keys(acme.id).await.unwrap(), 0);
    assert_eq!(
        summary(store.sp_keys(acme.id).await.unwrap()),
        vec![
            (SpKeyUse::Signing, true, "cert sig-2".to_owned()),
            (SpKeyUse::Encryption, true, "cert enc-2".to_owned()),
        ]
    );
    assert!(store.rotate_sp_keys(acme.id, &third, at(3)).await.unwrap());
}

fn sign_in(org: OrgId, user: UserId, subject: &str, role: Role, now: Timestamp) -> SsoSignIn {
    SsoSignIn {
        org,
        user,
        issuer: "https://idp.example".to_owned(),
        subject: subject.to_owned(),
        email: format!("{subject}@example.com"),
        role,
        role_source: RoleSource::Mapping,
        now,
    }
}

pub async fn sso_identity_is_linked_at_the_first_sign_in_and_updated_at_later_ones(
    store: &dyn Store,
) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    assert_eq!(store.sso_identity(acme.id, alice.id).await.unwrap(), None);
    assert!(store
        .record_sso_sign_in(sign_in(acme.id, alice.id, "s-alice", Role::Admin, at(1)))
        .await
        .unwrap());
    let mut later = sign_in(acme.id, alice.id, "s-alice", Role::Write, at(50));
    later.email = "alice.new@example.com".to_owned();
    later.role_source = RoleSource::Default;
    assert!(store.record_sso_sign_in(later).await.unwrap());
    let identity = store
        .sso_identity(acme.id, alice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        identity,
        SsoIdentityRecord {
            org: acme.id,
            user: alice.id,
            issuer: "https://idp.example".to_owned(),
            subject: "s-alice".to_owned(),
            email: "alice.new@example.com".to_owned(),
            first_login_at: at(1),
            last_login_at: at(50),
            role: Role::Write,
            role_source: RoleSource::Default,
        }
    );
    assert_eq!(
        store
            .sso_identity_by_subject(acme.id, "https://idp.example", "s-alice")
            .await
            .unwrap(),
        Some(identity)
    );
    assert_eq!(
        store
            .sso_identity_by_subject(acme.id, "https://other.example", "s-alice")
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        store
            .record_sso_sign_in(sign_in(OrgId(9_999), alice.id, "s-x", Role::Read, at(2)))
            .await,
    );
}

pub async fn another_subject_for_a_linked_member_changes_nothing(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    store
        .record_sso_sign_in(sign_in(acme.id, alice.id, "s-alice", Role::Admin, at(1)))
        .await
        .unwrap();
    let before = store.sso_identity(acme.id, alice.id).await.unwrap();
    assert!(!store
        .record_sso_sign_in(sign_in(acme.id, alice.id, "s-mallory", Role::Read, at(9)))
        .await
        .unwrap());
    // The same subject from another issuer is another subject too.
    let mut other_issuer = sign_in(acme.id, alice.id, "s-alice", Role::Read, at(9));
    other_issuer.issuer = "https://other.example".to_owned();
    assert!(!store.record_sso_sign_in(other_issuer).await.unwrap());
    assert_eq!(store.sso_identity(acme.id, alice.id).await.unwrap(), before);
}

pub async fn a_subject_links_to_one_member_per_org(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", bob.id).await;
    store
        .record_sso_sign_in(sign_in(acme.id, alice.id, "shared", Role::Admin, at(1)))
        .await
        .unwrap();
    assert_conflict(
        store
            .record_sso_sign_in(sign_in(acme.id, bob.id, "shared", Role::Read, at(2)))
            .await,
        Unique::SsoSubject,
    );
    assert_eq!(store.sso_identity(acme.id, bob.id).await.unwrap(), None);
    // Another organization's IdP may use the same subject for someone else.
    assert!(store
        .record_sso_sign_in(sign_in(globex.id, bob.id, "shared", Role::Admin, at(3)))
        .await
        .unwrap());
}

pub async fn unlinking_lets_the_next_sign_in_link_anew(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    assert_not_found(store.unlink_sso_identity(acme.id, alice.id).await);
    store
        .record_sso_sign_in(sign_in(acme.id, alice.id, "old", Role::Admin, at(1)))
        .await
        .unwrap();
    store.unlink_sso_identity(acme.id, alice.id).await.unwrap();
    assert_eq!(store.sso_identity(acme.id, alice.id).await.unwrap(), None);
    assert!(store
        .record_sso_sign_in(sign_in(acme.id, alice.id, "new", Role::Admin, at(5)))
        .await
        .unwrap());
    let identity = store
        .sso_identity(acme.id, alice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(identity.subject, "new");
    assert_eq!(identity.first_login_at, at(5));
}

pub async fn sso_identities_outlive_purged_sessions(store: &dyn Store) {
    let (alice, acme, config) = org_with_sso(store, "acme").await;
    browser(store, "a", alice.id).await;
    store
        .put_sso_session(sso_session_of(
            "a",
            alice.id,
            acme.id,
            config.id,
            "s-alice",
            at(10),
        ))
        .await
        .unwrap();
    store
        .record_sso_sign_in(sign_in(acme.id, alice.id, "s-alice", Role::Admin, at(1)))
        .await
        .unwrap();
    store.purge_expired_sso(at(2_000_000)).await.unwrap();
    store.delete_expired_sessions(at(2_000_000)).await.unwrap();
    assert!(store
        .sso_identity(acme.id, alice.id)
        .await
        .unwrap()
        .is_some());
}

pub async fn sso_identities_of_an_org_are_listed_by_user(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    for (org, user, subject) in [
        (acme.id, bob.id, "s-bob"),
        (acme.id, alice.id, "s-alice"),
        (globex.id, alice.id, "g-alice"),
    ] {
        store
            .record_sso_sign_in(sign_in(org, user, subject, Role::Read, at(1)))
            .await
            .unwrap();
    }
    let listed: Vec<(UserId, String)> = store
        .sso_identities_of_org(acme.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.user, i.subject))
        .collect();
    let mut expected = vec![
        (alice.id, "s-alice".to_owned()),
        (bob.id, "s-bob".to_owned()),
    ];
    expected.sort();
    assert_eq!(listed, expected);
}

pub async fn sso_users_of_an_org_are_its_members_and_identity_holders(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    store
        .add_member(acme.id, bob.id, Role::Write, at(0))
        .await
        .unwrap();
    // carol: a former member whose identity stays; dave: only in globex.
    store
        .add_member(globex.id, dave.id, Role::Read, at(0))
        .await
        .unwrap();
    for (org, user, subject) in [
        (acme.id, alice.id, "s-alice"),
        (acme.id, carol.id, "s-carol"),
        (globex.id, dave.id, "g-dave"),
    ] {
        store
            .record_sso_sign_in(sign_in(org, user, subject, Role::Admin, at(1)))
            .await
            .unwrap();
    }
    let listed: Vec<(String, Option<Role>, Option<String>)> = store
        .sso_users_of_org(acme.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| {
            (
                u.username.to_string(),
                u.member_role,
                u.identity.map(|i| i.subject),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "alice".to_owned(),
                Some(Role::Admin),
                Some("s-alice".to_owned())
            ),
            ("bob".to_owned(), Some(Role::Write), None),
            ("carol".to_owned(), None, Some("s-carol".to_owned())),
        ]
    );
}

pub async fn role_mapping_is_set_replaced_and_removed(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    assert_eq!(store.role_mapping(acme.id).await.unwrap(), None);
    let first = StoredRoleMapping {
        path: "$.groups[*]".to_owned(),
        roles_json: r#"{"admins":"admin"}"#.to_owned(),
        updated_at: at(1),
    };
    store.set_role_mapping(acme.id, Some(&first)).await.unwrap();
    assert_eq!(store.role_mapping(acme.id).await.unwrap(), Some(first));
    let second = StoredRoleMapping {
        path: "$.roles[*]".to_owned(),
        roles_json: r#"{"root":"admin","dev":"write"}"#.to_owned(),
        updated_at: at(2),
    };
    store
        .set_role_mapping(acme.id, Some(&second))
        .await
        .unwrap();
    assert_eq!(
        store.role_mapping(acme.id).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(store.role_mapping(globex.id).await.unwrap(), None);
    store.set_role_mapping(acme.id, None).await.unwrap();
    assert_eq!(store.role_mapping(acme.id).await.unwrap(), None);
    assert_not_found(store.set_role_mapping(OrgId(9_999), Some(&second)).await);
}

pub async fn users_of_an_email_domain_are_those_with_a_verified_address_there(store: &dyn Store) {
    // alice@example.com is unverified at creation; only verified addresses count.
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    for (who, address) in [
        (&bob, "bob@acme.test"),
        (&carol, "carol@eu.acme.test"),
        (&dave, "dave@notacme.test"),
        (&alice, "alice@acme.test"),
    ] {
        let record = store.add_email(who.id, &email(address), T0).await.unwrap();
        if who.id != alice.id {
            store.mark_email_verified(record.id, T0).await.unwrap();
        }
    }
    let found = store.users_in_email_domain("acme.test").await.unwrap();
    assert_eq!(
        found,
        vec![DomainUser {
            user: bob.id,
            username: bob.username.clone(),
            address: "bob@acme.test".into(),
        }],
        "subdomains, look-alike domains and unverified addresses are not in the domain"
    );
    assert_eq!(
        store.users_in_email_domain("example.com").await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.users_in_email_domain("eu.acme.test").await.unwrap()[0].user,
        carol.id
    );
}

pub async fn tokens_of_users_are_listed_by_owner_then_name(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    for (who, name) in [
        (&bob, "ci"),
        (&alice, "zeta"),
        (&alice, "alpha"),
        (&carol, "other"),
    ] {
        store
            .create_token(token(
                who.id,
                name,
                &format!("hash-{}-{name}", who.username),
            ))
            .await
            .unwrap();
    }
    let listed: Vec<(UserId, String)> = store
        .tokens_of_users(&[bob.id, alice.id, UserId(alice.id.0 + 1000)])
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.user, t.name))
        .collect();
    assert_eq!(
        listed,
        vec![
            (alice.id, "alpha".to_owned()),
            (alice.id, "zeta".to_owned()),
            (bob.id, "ci".to_owned()),
        ]
    );
    assert!(store.tokens_of_users(&[]).await.unwrap().is_empty());
}

pub async fn sign_in_claims_are_replaced_and_listed_for_current_members(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", carol.id).await;
    store
        .add_member(acme.id, bob.id, Role::Read, T0)
        .await
        .unwrap();
    store
        .record_sign_in_claims(acme.id, bob.id, Some(r#"{"groups":["a"]}"#), at(1))
        .await
        .unwrap();
    store
        .record_sign_in_claims(acme.id, bob.id, Some(r#"{"groups":["b"]}"#), at(2))
        .await
        .unwrap();
    store
        .record_sign_in_claims(acme.id, alice.id, None, at(3))
        .await
        .unwrap();
    // carol's claims at acme (no member there) and at globex stay out of acme's list.
    store
        .record_sign_in_claims(acme.id, carol.id, Some("{}"), at(4))
        .await
        .unwrap();
    store
        .record_sign_in_claims(globex.id, carol.id, Some("{}"), at(4))
        .await
        .unwrap();
    let listed = store.sign_in_claims_of_org(acme.id).await.unwrap();
    assert_eq!(
        listed,
        vec![
            SignInClaims {
                user: alice.id,
                username: alice.username.clone(),
                claims: None,
                recorded_at: at(3),
            },
            SignInClaims {
                user: bob.id,
                username: bob.username.clone(),
                claims: Some(r#"{"groups":["b"]}"#.to_owned()),
                recorded_at: at(2),
            },
        ]
    );
    assert_not_found(
        store
            .record_sign_in_claims(acme.id, UserId(carol.id.0 + 1000), None, at(5))
            .await,
    );
    assert_not_found(
        store
            .record_sign_in_claims(OrgId(globex.id.0 + 1000), bob.id, None, at(5))
            .await,
    );
}

pub async fn audit_pages_filter_and_continue_from_a_cursor(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme", alice.id).await;
    let globex = org(store, "globex", alice.id).await;
    let entry = |org: OrgId,
                 n: i64,
                 kind: ActorKind,
                 actor: Option<UserId>,
                 event: &str,
                 target: Option<&str>,
                 outcome: AuditOutcome| NewAuditEntry {
        org,
        at: at(n),
        actor_kind: kind,
        actor,
        event: event.to_owned(),
        target: target.map(str::to_owned),
        outcome,
        detail: format!("entry {n}"),
        details: format!(r#"{{"n":{n}}}"#),
    };
    use AuditOutcome::{Failure, Success};
    for new in [
        entry(
            acme.id,
            1,
            ActorKind::User,
            Some(alice.id),
            "sso.config_saved",
            None,
            Success,
        ),
        entry(
            acme.id,
            2,
            ActorKind::SignIn,
            Some(bob.id),
            "sso.login_failed",
            Some("bob"),
            Failure,
        ),
        entry(
            globex.id,
            3,
            ActorKind::SignIn,
            Some(bob.id),
            "sso.login_failed",
            Some("bob"),
            Failure,
        ),
        entry(
            acme.id,
            4,
            ActorKind::User,
            Some(alice.id),
            "sso.sessions_revoked",
            Some("bob"),
            Success,
        ),
        entry(
            acme.id,
            5,
            ActorKind::Operator,
            None,
            "sso.break_glass",
            None,
            Success,
        ),
        entry(
            acme.id,
            6,
            ActorKind::SignIn,
            Some(bob.id),
            "sso.login",
            Some("bob"),
            Success,
        ),
    ] {
        store.append_audit(new).await.unwrap();
    }
    let page = |query: AuditQuery| async move {
        store
            .audit_page(
                acme.id,
                &AuditQuery {
                    limit: 100,
                    ..query
                },
            )
            .await
            .unwrap()
            .iter()
            .map(|e| e.detail.clone())
            .collect::<Vec<_>>()
    };
    let all = store
        .audit_page(
            acme.id,
            &AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 5, "globex's entry stays out");
    assert_eq!(all[1].actor_kind, ActorKind::SignIn);
    assert_eq!(all[1].target.as_deref(), Some("bob"));
    assert_eq!(all[1].outcome, Failure);
    assert_eq!(all[1].details, r#"{"n":2}"#);
    assert_eq!(all[3].actor_kind, ActorKind::Operator);
    assert_eq!(all[3].actor, None);

    assert_eq!(
        page(AuditQuery {
            event: Some("sso.login_failed".into()),
            ..Default::default()
        })
        .await,
        ["entry 2"]
    );
    assert_eq!(
        page(AuditQuery {
            outcome: Some(Success),
            ..Default::default()
        })
        .await,
        ["entry 1", "entry 4", "entry 5", "entry 6"]
    );
    // A user's entries: those they caused and those about them.
    assert_eq!(
        page(AuditQuery {
            user: Some((bob.id, "bob".into())),
            ..Default::default()
        })
        .await,
        ["entry 2", "entry 4", "entry 6"]
    );
    assert_eq!(
        page(AuditQuery {
            since: Some(at(2)),
            until: Some(at(5)),
            ..Default::default()
        })
        .await,
        ["entry 2", "entry 4"]
    );
    // Pages continue after (oldest first) or before (newest first) a cursor.
    let first = store
        .audit_page(
            acme.id,
            &AuditQuery {
                limit: 2,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
        ["entry 1", "entry 2"]
    );
    assert_eq!(
        page(AuditQuery {
            cursor: Some(first[1].id),
            ..Default::default()
        })
        .await,
        ["entry 4", "entry 5", "entry 6"]
    );
    assert_eq!(
        page(AuditQuery {
            cursor: Some(all[3].id),
            newest_first: true,
            ..Default::default()
        })
        .await,
        ["entry 4", "entry 2", "entry 1"]
    );
    assert_eq!(
        page(AuditQuery {
            event: Some("sso.login".into()),
            outcome: Some(Failure),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
}

/// The SQL that tries to rewrite history behind the store's back.
pub const AUDIT_TAMPERING: [&str; 3] = [
    "UPDATE sso_audit SET detail = 'nothing happened'",
    "UPDATE sso_audit SET outcome = 'failure'",
    "DELETE FROM sso_audit",
];

/// Run by each backend with a raw connection to the same database (`run`
/// executes one statement, its error as text): the database itself refuses
/// to change or delete an SSO audit entry, whatever SQL bypasses the store.
pub async fn audit_entries_cannot_be_changed_or_deleted<F, Fut>(store: &dyn Store, run: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let alice = user(store, "alice").await;
    let acme = org(store, "acme", alice.id).await;
    store
        .append_audit(NewAuditEntry {
            org: acme.id,
            at: at(2),
            actor_kind: ActorKind::User,
            actor: Some(alice.id),
            event: "sso.enabled".into(),
            target: None,
            outcome: AuditOutcome::Success,
            detail: "SSO enforced".into(),
            details: "{}".into(),
        })
        .await
        .unwrap();
    for sql in AUDIT_TAMPERING {
        let err = run(sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    let log = store.audit_log(acme.id, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].detail, "SSO enforced");
}
