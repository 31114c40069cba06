//! Repositories (models, datasets, spaces) of users and organizations.

use crate::{Caller, Hub, ServiceError, ServiceResult};
use orgsso_core::{
    decide, Action, Denied, FieldError, Namespace, RepoKind, RepoName, Viewer, Visibility,
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
    async fn namespace_of(
        &self,
        viewer: Viewer,
        owner_name: &str,
    ) -> ServiceResult<(Owner, Namespace)> {
        let owner = self
            .store
            .owner_by_name(owner_name)
            .await?
            .ok_or(ServiceError::NotFound("owner"))?;
        let namespace = match owner {
            Owner::User(id) => Namespace::User(id),
            Owner::Org(id) => {
                let org = self
                    .store
                    .org_by_id(id)
                    .await?
                    .ok_or(ServiceError::NotFound("owner"))?;
                self.org_namespace(viewer, &org).await?
            }
        };
        Ok((owner, namespace))
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
        let (owner, namespace) = self
            .namespace_of(caller.viewer, &owner_name.to_ascii_lowercase())
            .await?;
        decide(caller.viewer, namespace, Action::CreateRepo)?;
        let repo = self
            .store
            .create_repo(NewRepo {
                owner,
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
    ) -> ServiceResult<(RepoView, Namespace)> {
        let not_found = || ServiceError::NotFound("repository");
        let name = RepoName::parse(name).map_err(|_| not_found())?;
        let repo = self
            .store
            .repo(&owner_name.to_ascii_lowercase(), kind, &name)
            .await?
            .ok_or_else(not_found)?;
        let (_, namespace) = self.namespace_of(caller.viewer, &repo.owner_name).await?;
        decide(caller.viewer, namespace, Action::ReadRepo(repo.visibility)).map_err(
            |d| match d {
                Denied::NotFound => not_found(),
                other => other.into(),
            },
        )?;
        let created_by = repo.created_by;
        let can_edit = decide(caller.viewer, namespace, Action::EditRepo { created_by }).is_ok();
        let can_delete =
            decide(caller.viewer, namespace, Action::DeleteRepo { created_by }).is_ok();
        let view = RepoView {
            repo,
            can_edit,
            can_delete,
        };
        Ok((view, namespace))
    }

    /// The repositories of `owner_name` this viewer may see.
    pub async fn repos_of(&self, caller: &Caller, owner_name: &str) -> ServiceResult<Vec<Repo>> {
        let (owner, namespace) = self
            .namespace_of(caller.viewer, &owner_name.to_ascii_lowercase())
            .await?;
        decide(caller.viewer, namespace, Action::ViewOrg)?;
        let repos = self.store.repos_of(owner).await?;
        Ok(repos
            .into_iter()
            .filter(|r| decide(caller.viewer, namespace, Action::ReadRepo(r.visibility)).is_ok())
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
        let (RepoView { mut repo, .. }, namespace) =
            self.readable_repo(caller, kind, owner_name, name).await?;
        let created_by = repo.created_by;
        decide(caller.viewer, namespace, Action::EditRepo { created_by })?;
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
        let (view, namespace) = self.readable_repo(caller, kind, owner_name, name).await?;
        let created_by = view.repo.created_by;
        decide(caller.viewer, namespace, Action::DeleteRepo { created_by })?;
        self.store.delete_repo(view.repo.id).await?;
        tracing::info!(repo = %format!("{}/{}", view.repo.owner_name, view.repo.name), "repository deleted");
        Ok(())
    }
}
