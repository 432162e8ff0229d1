//! Saving exhibits: staff only, through the same all-or-nothing write as a
//! record (history version and audit line first, then the file, every step
//! undone if one fails), then shown to pages at once. Exhibits are not in
//! the search index; their history is kept under `exhibits/<id>`.

use crate::auth::{Role, Viewer};
use crate::content::{Document, Exhibit, KnownIds, Problem, parse_document};
use crate::exhibit::{self, Edit};

use super::{Audience, PublishError, Publisher, etag};

/// What saving an exhibit did.
#[derive(Debug, Clone)]
pub struct ExhibitSaved {
    pub id: String,
    pub created: bool,
    pub etag: String,
    pub exhibit: Exhibit,
}

fn staff_only(viewer: &Viewer) -> Result<(), PublishError> {
    match viewer.role {
        Role::Staff => Ok(()),
        Role::Anonymous => Err(PublishError::Unauthorized),
        _ => Err(PublishError::Forbidden(
            "成果展由工会工作人员维护：只有工作人员可以编辑".into(),
        )),
    }
}

impl Publisher {
    fn exhibit_path(&self, id: &str) -> Result<std::path::PathBuf, PublishError> {
        exhibit::check_id(id).map_err(|message| {
            PublishError::Invalid(vec![Problem::error(1, "id", format!("成果展编号无效：{message}"))])
        })?;
        Ok(self.engine.content_root().join("exhibits").join(format!("{id}.md")))
    }

    /// The exhibit's file as it is now, with its version tag (staff only).
    pub fn exhibit_text(&self, viewer: &Viewer, id: &str) -> Result<Option<(String, String)>, PublishError> {
        staff_only(viewer)?;
        let path = self.exhibit_path(id)?;
        Ok(std::fs::read_to_string(path).ok().map(|t| {
            let tag = etag(&t);
            (t, tag)
        }))
    }

    /// Creates or replaces an exhibit from its whole file. `if_match` is
    /// the version the writer started from (`*`: any existing one).
    pub fn save_exhibit(
        &self,
        viewer: &Viewer,
        id: &str,
        text: &str,
        if_match: Option<&str>,
        create_only: bool,
    ) -> Result<ExhibitSaved, PublishError> {
        staff_only(viewer)?;
        let path = self.exhibit_path(id)?;
        let records = self.engine.record_ids();
        let parsed = exhibit::parse(id, text, &records).map_err(PublishError::Invalid)?;
        let _guard = self.lock();
        let existing = std::fs::read_to_string(&path).ok();
        let now = existing.as_deref().map(etag).unwrap_or_default();
        if create_only && existing.is_some() {
            return Err(PublishError::Conflict { current: now });
        }
        if let Some(wanted) = if_match {
            let wanted = wanted.trim().trim_matches('"');
            if (wanted == "*" && existing.is_none()) || (wanted != "*" && wanted != now) {
                return Err(PublishError::Conflict { current: now });
            }
        }
        let key = format!("exhibits/{id}");
        let author = viewer.name.clone().unwrap_or_default();
        let action = if existing.is_some() { "update" } else { "create" };
        let audience = Audience {
            visibility: Some(parsed.visibility),
            studio: Some(String::new()),
        };
        self.apply(&[], |undo| {
            undo.history = Some(self.history.record(&key, &author, action, text, &audience)?);
            undo.write(&path, text.as_bytes())?;
            Ok(())
        })?;
        self.engine.set_exhibit(id, Some(parsed.clone()));
        Ok(ExhibitSaved {
            id: id.to_string(),
            created: existing.is_none(),
            etag: etag(text),
            exhibit: parsed,
        })
    }

    /// Applies one of the builder's edits to the version the person was
    /// shown (`shown`: its tag) and saves the result.
    pub fn edit_exhibit(
        &self,
        viewer: &Viewer,
        id: &str,
        shown: Option<&str>,
        edit: Edit,
    ) -> Result<ExhibitSaved, PublishError> {
        staff_only(viewer)?;
        let path = self.exhibit_path(id)?;
        let text = std::fs::read_to_string(&path).map_err(|_| PublishError::NotFound(format!("exhibits/{id}")))?;
        if let Some(wanted) = shown.filter(|s| !s.is_empty())
            && wanted != etag(&text)
        {
            return Err(PublishError::Conflict { current: etag(&text) });
        }
        // The file as it is now, whatever the records: an item whose record
        // is gone must stay removable.
        let mut current = match parse_document(&format!("exhibits/{id}"), &text, &KnownIds::default()) {
            Ok((Document::Exhibit(e), _)) => e,
            Ok(_) => return Err(PublishError::BadId("不是成果展".into())),
            Err(problems) => return Err(PublishError::Invalid(problems)),
        };
        edit.apply(&mut current)
            .map_err(|e| PublishError::Invalid(vec![Problem::error(1, e.field, e.message)]))?;
        let written = exhibit::to_markdown(&current);
        self.save_exhibit(viewer, id, &written, Some(&etag(&text)), false)
    }
}
