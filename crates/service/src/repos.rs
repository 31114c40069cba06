//! Repositories (models, datasets, spaces) of users and organizations.

use crate::{Caller, Entity, Hub, ServiceError, ServiceResult};
use orgsso_core::{
    decide, Action, Denied, FieldError, Granted, Namespace, OrgName, RepoKind, RepoName, Visibility,
};
use orgsso_store::{NewRepo, Owner, Repo};

/// The README is content, not a file store: bounded so one request can't fill the disk.
pub const MAX_README_BYTES: usize = 256 * 1024;

/// A repository as one viewer sees it, with what they may do to it.
#[derive(Clone, Debug)]
pub struct RepoView {
    pub repo: Repo,
    pub can_edit: bool,
    pub can_delete: bool,
    /// The owning organization offers SSO this viewer has not signed in with (the banner).
    pub sso_prompt: bool,
}

/// A namespace as one caller sees it, with the organization's name when an
/// organization owns it (an SSO refusal names it).
#[derive(Clone, Debug)]
struct Scope {
    owner: Owner,
    namespace: Namespace,
    org: Option<OrgName>,
}

#[derive(Clone, Debug, Default)]
pub struct RepoUpdate {
    pub visibility: Option<Visibility>,
    pub readme: Option<String>,
}

pub fn check_readme(readme: &str) -> Result<(), FieldError> {
    if readme.len() > MAX_README_BYTES {
        return Err(FieldError::new("readme", "must be at most 256 KiB"));
    }
    if readme
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            "readme",
            "may not contain control characters",
        ));
    }
    Ok(())
}

impl Hub {
    async fn namespace_of(&self, caller: &Caller, owner_name: &str) -> ServiceResult<Scope> {
        let owner = self
            .store
            .owner_by_name(owner_name)
            .await?
            .ok_or(ServiceError::NotFound(Entity::Owner))?;
        match owner {
            Owner::User(id) => Ok(Scope {
                owner,
                namespace: Namespace::User(id),
                org: None,
            }),
            Owner::Org(id) => {
                let org = self
                    .store
                    .org_by_id(id)
                    .await?
                    .ok_or(ServiceError::NotFound(Entity::Owner))?;
                Ok(Scope {
                    owner,
                    namespace: self.org_namespace(caller, &org).await?,
                    org: Some(org.name),
                })
            }
        }
    }

    fn decide_at(&self, caller: &Caller, scope: &Scope, action: Action) -> ServiceResult<Granted> {
        match &scope.org {
            Some(org) => self.decide_in(caller.viewer, scope.namespace, org, action),
            None => Ok(decide(caller.viewer, scope.namespace, action)?),
        }
    }

    pub async fn create_repo(
        &self,
        caller: &Caller,
        owner_name: &str,
        kind: RepoKind,
        name: RepoName,
        visibility: Visibility,
        readme: String,
    ) -> ServiceResult<Repo> {
        let user = caller.writer()?;
        check_readme(&readme)?;
        let scope = self
            .namespace_of(caller, &owner_name.to_ascii_lowercase())
            .await?;
        self.decide_at(caller, &scope, Action::CreateRepo)?;
        let repo = self
            .store
            .create_repo(NewRepo {
                owner: scope.owner,
                kind,
                name,
                visibility,
                readme,
                created_by: user.id,
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(repo = %format!("{}/{}", repo.owner_name, repo.name), kind = %repo.kind, "repository created");
        Ok(repo)
    }

    /// A repository the viewer may read; a private one they may not is `NotFound`.
    pub async fn repo(
        &self,
        caller: &Caller,
        kind: RepoKind,
        owner_name: &str,
        name: &str,
    ) -> ServiceResult<RepoView> {
        Ok(self.readable_repo(caller, kind, owner_name, name).await?.0)
    }

    /// The readable repository and its namespace for this viewer, so writes
    /// ask the policy without looking the namespace up again.
    async fn readable_repo(
        &self,
        caller: &Caller,
        kind: RepoKind,
        owner_name: &str,
        name: &str,
    ) -> ServiceResult<(RepoView, Scope)> {
        let not_found = || ServiceError::NotFound(Entity::Repository);
        let name = RepoName::parse(name).map_err(|_| not_found())?;
        let repo = self
            .store
            .repo(&owner_name.to_ascii_lowercase(), kind, &name)
            .await?
            .ok_or_else(not_found)?;
        let scope = self.namespace_of(caller, &repo.owner_name).await?;
        self.decide_at(caller, &scope, Action::ReadRepo(repo.visibility))
            .map_err(|e| match e {
                ServiceError::Denied(Denied::NotFound) => not_found(),
                other => other,
            })?;
        let created_by = repo.created_by;
        let namespace = scope.namespace;
        let can_edit = decide(caller.viewer, namespace, Action::EditRepo { created_by }).is_ok();
        let can_delete =
            decide(caller.viewer, namespace, Action::DeleteRepo { created_by }).is_ok();
        let sso_prompt = matches!(namespace, Namespace::Org { sso, .. } if sso.prompts());
        let view = RepoView {
            repo,
            can_edit,
            can_delete,
            sso_prompt,
        };
        Ok((view, scope))
    }

    /// The repositories of `owner_name` this viewer may see.
    pub async fn repos_of(&self, caller: &Caller, owner_name: &str) -> ServiceResult<Vec<Repo>> {
        let scope = self
            .namespace_of(caller, &owner_name.to_ascii_lowercase())
            .await?;
        self.decide_at(caller, &scope, Action::ViewOrg)?;
        let repos = self.store.repos_of(scope.owner).await?;
        Ok(repos
            .into_iter()
            .filter(|r| {
                decide(
                    caller.viewer,
                    scope.namespace,
                    Action::ReadRepo(r.visibility),
                )
                .is_ok()
            })
            .collect())
    }

    pub async fn update_repo(
        &self,
        caller: &Caller,
        kind: RepoKind,
        owner_name: &str,
        name: &str,
        update: RepoUpdate,
    ) -> ServiceResult<Repo> {
        caller.writer()?;
        let (RepoView { mut repo, .. }, scope) =
            self.readable_repo(caller, kind, owner_name, name).await?;
        let created_by = repo.created_by;
        self.decide_at(caller, &scope, Action::EditRepo { created_by })?;
        if let Some(readme) = &update.readme {
            check_readme(readme)?;
        }
        repo.visibility = update.visibility.unwrap_or(repo.visibility);
        repo.readme = update.readme.unwrap_or(repo.readme);
        repo.updated_at = self.clock.now();
        self.store
            .update_repo(repo.id, repo.visibility, &repo.readme, repo.updated_at)
            .await?;
        Ok(repo)
    }

    pub async fn delete_repo(
        &self,
        caller: &Caller,
        kind: RepoKind,
        owner_name: &str,
        name: &str,
    ) -> ServiceResult<()> {
        caller.writer()?;
        let (view, scope) = self.readable_repo(caller, kind, owner_name, name).await?;
        let created_by = view.repo.created_by;
        self.decide_at(caller, &scope, Action::DeleteRepo { created_by })?;
        self.store.delete_repo(view.repo.id).await?;
        tracing::info!(repo = %format!("{}/{}", view.repo.owner_name, view.repo.name), "repository deleted");
        Ok(())
    }
}
